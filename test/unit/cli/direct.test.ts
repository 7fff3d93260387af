import {readdirSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Config} from '@oclif/core'
import {describe, expect, it} from 'vitest'
import {DirectConfig} from '../../../src/cli/direct.js'

// A direct run (src/cli/direct.ts, src/cli/main.ts) hands maildig's commands a DirectConfig instead of oclif's Config:
// what oclif's Command reads of it must be what oclif's own configuration would have said.
const root = fileURLToPath(new URL('../../..', import.meta.url))
const pjson = JSON.parse(readFileSync(`${root}package.json`, 'utf8'))

describe('DirectConfig', () => {
  it("holds the values oclif's Config has for this package", async () => {
    const oclif = await Config.load({root, pjson, userPlugins: false, devPlugins: false})
    const direct = new DirectConfig(root, pjson)
    expect(direct.bin).toBe(oclif.bin)
    expect(direct.name).toBe(oclif.name)
    expect(direct.version).toBe(oclif.version)
    expect(direct.userAgent).toBe(oclif.userAgent)
    expect(direct.topicSeparator).toBe(oclif.topicSeparator)
    expect(direct.theme).toBe(oclif.theme)
    for (const key of ['CONTENT_TYPE', 'REDIRECTED']) {
      expect(direct.scopedEnvVarKey(key)).toBe(oclif.scopedEnvVarKey(key))
      expect(direct.scopedEnvVarKeys(key)).toEqual(oclif.scopedEnvVarKeys(key))
    }
    process.env.MAILDIG_CONTENT_TYPE = 'json'
    try {
      expect(direct.scopedEnvVar('CONTENT_TYPE')).toBe('json')
      expect(direct.scopedEnvVar('CONTENT_TYPE')).toBe(oclif.scopedEnvVar('CONTENT_TYPE'))
    } finally {
      delete process.env.MAILDIG_CONTENT_TYPE
    }
    expect(await direct.runHook()).toEqual({successes: [], failures: []})
  })

  it('is taken only while the package has no hook but command_not_found (main.ts checks package.json)', () => {
    expect(Object.keys(pjson.oclif.hooks ?? {})).toEqual(['command_not_found'])
  })
})

describe("maildig's commands", () => {
  // A direct run skips oclif's warning about deprecated commands and aliases (it needs oclif's command list): none is.
  const files = readdirSync(fileURLToPath(new URL('../../../src/commands', import.meta.url))).filter((f) => f.endsWith('.ts'))

  it.each(files)('%s is not deprecated, nor any alias of it', async (file) => {
    const {default: command} = (await import(`../../../src/commands/${file}`)) as {default: {state?: string; deprecationOptions?: unknown; deprecateAliases?: boolean; aliases?: string[]; hiddenAliases?: string[]}}
    expect(command.state).not.toBe('deprecated')
    expect(command.deprecationOptions).toBeUndefined()
    expect(command.deprecateAliases ?? false).toBe(false)
  })
})
