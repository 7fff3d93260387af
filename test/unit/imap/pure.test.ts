import {describe, expect, it} from 'vitest'
import {formatBytes, quotaFindings} from '../../../src/lib/imap/check.js'
import {imapCheckResultSchema, type ImapCheckResult} from '../../../src/lib/imap/schema.js'
import {bareMessageId, matchesEnvelope} from '../../../src/lib/imap/wait.js'
import {makeStyle} from '../../../src/render/style.js'
import {renderImapCheck} from '../../../src/render/imap.js'

describe('waiting: what counts as the awaited message', () => {
  it('compares Message-IDs without their angle brackets, exactly', () => {
    expect(bareMessageId(' <abc@example.org> ')).toBe('abc@example.org')
    expect(bareMessageId('abc@example.org')).toBe('abc@example.org')
    expect(matchesEnvelope({envelope: {messageId: '<abc@example.org>'}}, 'message-id', 'abc@example.org')).toBe(true)
    expect(matchesEnvelope({envelope: {messageId: '<x-abc@example.org>'}}, 'message-id', '<abc@example.org>')).toBe(false)
    expect(matchesEnvelope({envelope: {}}, 'message-id', 'abc@example.org')).toBe(false)
  })

  it('a subject contains the text, case-insensitively', () => {
    expect(matchesEnvelope({envelope: {subject: 'Re: Maildig Test 42'}}, 'subject', 'maildig test')).toBe(true)
    expect(matchesEnvelope({envelope: {subject: 'something else'}}, 'subject', 'maildig test')).toBe(false)
  })
})

describe('quota findings', () => {
  const quota = (used: number, limit: number | null) => ({mailbox: 'INBOX', root: 'User quota', storage: {used, limit, percent: limit ? Math.round((used / limit) * 1000) / 10 : null}, messages: null})

  it('warns from --quota-warn, errs at 100 %, says nothing below or without a limit', () => {
    expect(quotaFindings(quota(800, 1000), 90, 'alice')).toEqual([])
    expect(quotaFindings(quota(900, 1000), 90, 'alice')).toEqual([expect.objectContaining({code: 'QUOTA_NEAR_LIMIT', severity: 'warning', subject: 'alice'})])
    expect(quotaFindings(quota(1000, 1000), 90, 'alice')).toEqual([expect.objectContaining({code: 'QUOTA_EXCEEDED', severity: 'error'})])
    expect(quotaFindings(quota(5000, null), 90, 'alice')).toEqual([])
    const messages = {mailbox: 'INBOX', root: null, storage: null, messages: {used: 99, limit: 100, percent: 99}}
    expect(quotaFindings(messages, 95, 'alice')[0].message).toBe('the message quota of INBOX is 99 % used: 99 messages of 100 messages, above the warning level of 95 %')
  })

  it('formats sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MiB')
    expect(formatBytes(3 * 1024 ** 3)).toBe('3 GiB')
  })
})

describe('the human report', () => {
  const result: ImapCheckResult = {
    host: 'imap.example.org',
    address: '192.0.2.7',
    port: 993,
    tlsMode: 'implicit',
    greeting: {status: 'OK', text: 'ready', capabilities: null},
    capabilities: ['IMAP4rev1', 'IDLE', 'QUOTA'],
    capabilitiesBeforeLogin: ['IMAP4rev1', 'IDLE', 'AUTH=PLAIN'],
    tls: null,
    serverId: {name: 'Dovecot'},
    auth: {user: 'alice@example.org', mechanisms: ['PLAIN'], method: 'AUTHENTICATE PLAIN', result: 'ok'},
    mailboxes: [
      {path: 'INBOX', name: 'INBOX', delimiter: '/', flags: [], specialUse: '\\Inbox', specialUseSource: 'name', subscribed: true, messages: 12, unseen: 3, uidNext: 40},
      {path: 'Archive', name: 'Archive', delimiter: '/', flags: ['\\Noselect'], specialUse: null, specialUseSource: null, subscribed: true, messages: null, unseen: null, uidNext: null},
    ],
    quota: {mailbox: 'INBOX', root: 'User quota', storage: {used: 5 * 1024 * 1024, limit: 10 * 1024 * 1024, percent: 50}, messages: null},
    waitFor: {
      criterion: 'message-id',
      value: 'abc@example.org',
      mailbox: 'INBOX',
      method: 'idle',
      found: true,
      alreadyThere: false,
      uid: 39,
      latencyMs: 2400,
      sinceDateMs: 3100,
      deliveryMs: 1000,
      waitedMs: 2100,
      searches: 2,
      message: {subject: 'hello', messageId: '<abc@example.org>', date: '2026-01-01T00:00:00.000Z', internalDate: '2026-01-01T00:00:01.000Z', from: 'bob@example.net'},
    },
    alerts: [],
    timings: {lookupMs: 3, connectMs: 10, tlsMs: 20, greetingMs: 2, authMs: 5, listMs: 7, quotaMs: 1, waitMs: 2100, totalMs: 2500},
  }

  it('is valid against the schema', () => {
    expect(() => imapCheckResultSchema.parse(result)).not.toThrow()
  })

  it('shows each stage, the mailboxes, the quota and the wait, without colour at level 0', () => {
    const text = renderImapCheck(makeStyle(0), result, [])
    expect(text).toContain('imap.example.org [192.0.2.7] port 993')
    expect(text).toMatch(/✔ login +alice@example\.org: ok \(AUTHENTICATE PLAIN\)/)
    expect(text).toMatch(/· after login +QUOTA/)
    expect(text).toMatch(/INBOX +\\Inbox \(by name\) +12 +3 +40/)
    expect(text).toMatch(/Archive .*not selectable/)
    expect(text).toContain('Quota "User quota" for INBOX: 5 MiB of 10 MiB (50 %)')
    expect(text).toContain('Waiting for Message-ID <abc@example.org> in INBOX (IDLE, 2 searches)')
    expect(text).toMatch(/✔ found UID 39 after 2\.40 s from the command's start/)
    expect(text).toContain('delivered 1.00 s after its Date header, seen 3.10 s after it')
    expect(text).toMatch(/timings: dns 3 ms · connect 10 ms · tls 20 ms/)
    expect(text).toContain('✔ no problems found')
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/\u001b\[/)
  })

  it('says when the message did not come, and when no login was made', () => {
    const missed = renderImapCheck(makeStyle(0), {...result, waitFor: {...result.waitFor!, found: false, uid: null, latencyMs: null, message: null}}, [])
    expect(missed).toMatch(/✖ not found within 2\.10 s/)
    const anonymous = renderImapCheck(makeStyle(0), {...result, auth: {user: null, mechanisms: ['PLAIN'], method: null, result: 'not-tested'}, mailboxes: [], quota: null, waitFor: null}, [])
    expect(anonymous).toMatch(/· login +not tested \(no --user\)/)
    expect(anonymous).not.toContain('Mailboxes')
  })
})
