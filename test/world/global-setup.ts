import type {TestProject} from 'vitest/node'
import {startWorld, type WorldInfo} from './index.js'

/**
 * vitest global setup of the "integration" project: starts the test world once (dnsmasq, Postfix,
 * Dovecot, each greeting on every port) and hands its description to the test files:
 *
 *   import {inject} from 'vitest'
 *   const world = inject('world')
 *
 * The teardown stops every server by PID. The world's folder (configs, maildirs, server logs) is
 * removed, unless a test failed or MAILDIG_KEEP_WORLD=1: then its path is printed.
 */
export default async function setup(project: TestProject) {
  const world = await startWorld()
  project.provide('world', world.info)
  return async () => {
    let failed = false
    try {
      const state = project.vitest.state
      failed = state.getCountOfFailedTests() > 0 || state.getFailedFilepaths().length > 0
    } catch {
      failed = true // cannot tell: keep the logs
    }
    await world.stop({keepDir: failed})
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    world: WorldInfo
  }
}
