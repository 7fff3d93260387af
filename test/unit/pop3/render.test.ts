import {describe, expect, it} from 'vitest'
import {finding} from '../../../src/lib/findings.js'
import {renderPop3List, type Pop3ListView} from '../../../src/render/pop3.js'
import {makeStyle} from '../../../src/render/style.js'

const plain = makeStyle(0)

function view(overrides: Partial<Pop3ListView> = {}): Pop3ListView {
  return {
    host: 'pop.test',
    address: '192.0.2.1',
    port: 110,
    tlsMode: 'none',
    greeting: {text: 'ready', apop: false},
    capabilities: {TOP: [], SASL: ['PLAIN']},
    tls: null,
    auth: {user: 'me@pop.test', method: 'user', offered: ['user', 'plain']},
    stat: {messages: 10, octets: 5000},
    messages: [
      {number: 10, size: 2048, uid: 'u10', headers: {from: 'Evil\x1b[31m <e@x>', subject: `${'long subject '.repeat(10)}end`, date: 'Mon, 1 Jan 2024 10:00:00 +0000', messageId: '<a@x>'}},
      {number: 9, size: null, uid: null, headers: null},
    ],
    limit: 2,
    timings: {connectMs: 1, totalMs: 5},
    ...overrides,
  }
}

describe('renderPop3List', () => {
  it('shows the stages, the maildrop and a table, newest first, without control characters', () => {
    const text = renderPop3List(plain, view(), [])
    expect(text).toMatch(/^pop\.test \[192\.0\.2\.1\] port 110$/m)
    expect(text).toMatch(/✖ TLS\s+not used: the session is plaintext/)
    expect(text).toMatch(/· capabilities\s+TOP SASL\(PLAIN\)/)
    expect(text).toMatch(/✔ login\s+me@pop\.test \(USER\/PASS\)\s+offered: user plain/)
    expect(text).toMatch(/✔ maildrop\s+10 messages, 4\.9 KiB\s+\(the newest 2 shown\)/)
    expect(text).toMatch(/#\s+SIZE\s+UID\s+FROM\s+SUBJECT\s+DATE/)
    expect(text).toMatch(/10\s+2 KiB\s+u10\s+Evil\\x1b\[31m <e@x>\s+long subject .*…\s+Mon, 1 Jan 2024/)
    expect(text).not.toContain('\x1b')
    expect(text).toMatch(/^\s+9\s+-$/m)
    expect(text).toMatch(/✔ no problems found$/)
  })

  it('says when nobody logged in, and shows the findings', () => {
    const text = renderPop3List(plain, view({auth: null, stat: null, messages: [], limit: null, capabilities: null}), [finding('LOGIN_SKIPPED', 'no user given')])
    expect(text).toMatch(/· login\s+not tested \(no --user\)/)
    expect(text).toMatch(/CAPA not supported/)
    expect(text).not.toMatch(/maildrop|SUBJECT/)
    expect(text).toMatch(/ℹ LOGIN_SKIPPED no user given/)
  })
})
