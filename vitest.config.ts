import {defineConfig} from 'vitest/config'

// Three projects: pure unit tests (no servers), the built CLI without servers, and tests against the test world (dnsmasq, Postfix,
// Dovecot, misbehaving fixtures), which a global setup starts once and stops by PID.
// A project does not inherit the root's test options: each one names its own time limits (vitest's 5 s default
// failed a CLI test on a loaded CI machine).
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    disableConsoleIntercept: true,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // One worker process for every unit file instead of one per file: a file's start (a process, vitest, the
          // transforms) cost more CPU than most unit files' tests. Each file still gets fresh mocks (vitest restores
          // them after a file); a file that fakes timers puts the real ones back after each test.
          isolate: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The built CLI (bin/run.js) without servers: flags, usage errors, offline commands.
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/world/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
})
