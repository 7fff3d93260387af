import {defineConfig} from 'vitest/config'

// Two projects: pure unit tests (no servers), and tests against the test world (dnsmasq, Postfix,
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
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/cli/**/*.test.ts'],
          globalSetup: ['test/world/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
})
