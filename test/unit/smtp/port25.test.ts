import {describe, expect, it} from 'vitest'
import {diagnosePort25} from '../../../src/lib/smtp/probe-hosts.js'

describe('diagnosePort25', () => {
  it('says port 25 is blocked when other ports of the same hosts answer', async () => {
    const f = await diagnosePort25(['192.0.2.1', '192.0.2.2'], 1000, async (address, port) => (address === '192.0.2.2' && port === 587 ? 'open' : 'timeout'))
    expect(f).toMatchObject({code: 'PORT25_BLOCKED', severity: 'error', subject: '192.0.2.2'})
    expect(f!.message).toMatch(/nc -vz 192\.0\.2\.2 25/)
  })
  it('counts an active refusal as an answer (the host is reachable)', async () => {
    const f = await diagnosePort25(['192.0.2.1'], 1000, async () => 'refused')
    expect(f?.code).toBe('PORT25_BLOCKED')
  })
  it('says nothing when the hosts do not answer anywhere (they are down, not blocked)', async () => {
    expect(await diagnosePort25(['192.0.2.1'], 1000, async () => 'timeout')).toBeUndefined()
  })
})
