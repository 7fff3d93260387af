import {describe, expect, it} from 'vitest'
import {runCli} from './run-cli.js'

// Colour follows NO_COLOR / FORCE_COLOR and the TTY (docs/cli.md); spinners never show when not on a terminal.
describe('colour and spinners', () => {
  const args = ['trace', '--message', 'examples/skewed-clock.eml']
  it('no colour when output is not a terminal', async () => {
    const r = await runCli(args, {env: {NO_COLOR: undefined}})
    expect(r.stdout).not.toMatch(/\u001b\[/)
    expect(r.stderr).toBe('')
  })
  it('FORCE_COLOR turns colour on even when output is not a terminal', async () => {
    const r = await runCli(args, {env: {NO_COLOR: undefined, FORCE_COLOR: '1'}})
    expect(r.stdout).toMatch(/\u001b\[\d+m/)
  })
  it('FORCE_COLOR=0 and NO_COLOR keep it off', async () => {
    expect((await runCli(args, {env: {FORCE_COLOR: '0'}})).stdout).not.toMatch(/\u001b\[/)
    expect((await runCli(args, {env: {NO_COLOR: '1'}})).stdout).not.toMatch(/\u001b\[/)
  })
  it('--json never has colour, even forced', async () => {
    const r = await runCli([...args, '--json'], {env: {FORCE_COLOR: '3'}})
    expect(r.stdout).not.toMatch(/\u001b\[/)
    expect(r.json).toMatchObject({command: 'trace', ok: true})
  })
})
