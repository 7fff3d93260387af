import {defineConfig} from 'vitest/config'

// Three projects: pure unit tests (no servers), the built CLI without servers, and tests against the test world (dnsmasq, Postfix,
// Dovecot, misbehaving fixtures), which a global setup starts once and stops by PID.
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
        },
      },
      {
        // The built CLI (bin/run.js) without servers: flags, usage errors, offline commands.
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
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
