import {describe, expect, it} from 'vitest'
import {makeStyle, foldLine} from '../../../src/render/style.js'
import {describeProgress} from '../../../src/render/spinner.js'
import {renderSteps} from '../../../src/render/steps.js'
import type {TranscriptLine} from '../../../src/lib/net/transcript.js'

const c = makeStyle(0)

describe('the spinner says what is happening now (issue 16)', () => {
  it('names the stage, the server and what is known', () => {
    expect(describeProgress({stage: 'connect', endpoint: '127.0.0.31:25'})).toBe('connecting to 127.0.0.31:25')
    expect(describeProgress({stage: 'greeting', endpoint: '127.0.0.31:25', connectMs: 3.2})).toBe('waiting for the greeting from 127.0.0.31:25 (connected after 3 ms)')
    expect(describeProgress({stage: 'tls', endpoint: 'mx.mail.test [127.0.1.25]:25'})).toBe('TLS handshake with mx.mail.test [127.0.1.25]:25')
    expect(describeProgress({stage: 'reply', endpoint: 'mx.mail.test [127.0.1.25]:25', command: 'EHLO'})).toBe("waiting for mx.mail.test [127.0.1.25]:25's answer to EHLO")
  })

  it('a wait with a deadline counts down', () => {
    const event = {stage: 'wait', what: 'the message in INBOX', deadline: 100_000} as const
    expect(describeProgress(event, 40_000)).toBe('waiting for the message in INBOX: 60 s left')
    expect(describeProgress(event, 99_001)).toBe('waiting for the message in INBOX: 1 s left')
    expect(describeProgress(event, 120_000)).toBe('waiting for the message in INBOX: 0 s left')
  })
})

describe('the steps before a failure (issue 16)', () => {
  const line = (t: number, dir: TranscriptLine['dir'], text: string, tls = false): TranscriptLine => ({t, dir, tls, line: text})
  const transcript = [
    line(0, 'info', 'connecting to mx.mail.test [127.0.1.25]:25'),
    line(3, 'info', 'connected from 127.0.0.1:40000'),
    line(5, 'recv', '220 mx.mail.test ESMTP Postfix'),
    line(6, 'send', 'EHLO client.test'),
    line(7, 'recv', '250-mx.mail.test'),
    line(7, 'recv', '250 STARTTLS'),
    line(8, 'send', 'STARTTLS'),
    line(9, 'recv', '220 2.0.0 Ready to start TLS'),
    line(20, 'info', 'TLS established: TLSv1.3, TLS_AES_256_GCM_SHA384; certificate trusted', true),
    line(21, 'send', 'EHLO client.test', true),
    line(22, 'recv', '250-mx.mail.test', true),
    line(23, 'send', 'AUTH PLAIN /* secret */', true),
    line(24, 'recv', '535 5.7.8 Error: authentication failed', true),
    line(25, 'send', 'MAIL FROM:<a@mail.test>', true),
    line(26, 'recv', '250 2.1.0 Ok', true),
    line(27, 'send', 'RCPT TO:<b@mail.test>', true),
    line(28, 'recv', '554 5.7.1 Relay access denied', true),
    line(29, 'send', 'RSET', true),
    line(30, 'recv', '250 2.0.0 Ok', true),
    line(31, 'send', 'QUIT', true),
  ]

  it('connected, the greeting, each command with its reply, TLS; the goodbye (RSET, QUIT) and the unanswered command are left out', () => {
    expect(renderSteps(c, transcript).split('\n')).toEqual([
      '  ✔ connected   mx.mail.test [127.0.1.25]:25  3 ms',
      '  ✔ greeting    220 mx.mail.test ESMTP Postfix',
      '  ✔ EHLO        250-mx.mail.test',
      '  ✔ STARTTLS    220 2.0.0 Ready to start TLS',
      '  ✔ TLS         TLSv1.3, TLS_AES_256_GCM_SHA384; certificate trusted',
      '  ✔ EHLO        250-mx.mail.test',
      '  ✖ AUTH        535 5.7.8 Error: authentication failed',
      '  ✔ MAIL FROM   250 2.1.0 Ok',
      '  ✖ RCPT TO     554 5.7.1 Relay access denied',
    ])
  })

  it('POP3 and IMAP replies get their marks too; nothing before the connect is a step', () => {
    const pop = [line(0, 'info', 'connecting to pop.mail.test:110'), line(1, 'info', 'connected from 127.0.0.1:1'), line(2, 'recv', '+OK Dovecot ready.'), line(3, 'send', 'USER bob'), line(4, 'recv', '-ERR no')]
    expect(renderSteps(c, pop).split('\n').slice(1)).toEqual(['  ✔ greeting    +OK Dovecot ready.', '  ✖ USER        -ERR no'])
    const imap = [line(0, 'info', 'connecting to imap.mail.test:143'), line(1, 'info', 'connected from 127.0.0.1:1'), line(2, 'recv', '* OK ready'), line(3, 'send', 'A1 CAPABILITY'), line(4, 'recv', '* CAPABILITY IMAP4rev1')]
    expect(renderSteps(c, imap).split('\n').slice(1)).toEqual(['  ✔ greeting    * OK ready', '  ✔ CAPABILITY  * CAPABILITY IMAP4rev1'])
    expect(renderSteps(c, [line(0, 'info', 'connecting to x:25'), line(5, 'info', '! connection to x:25 refused')])).toBe('')
  })

  it('a long conversation shows its last steps and says how many came before', () => {
    const long = [...transcript.slice(0, 3), ...Array.from({length: 30}, (_, i) => [line(30 + i, 'send', 'NOOP'), line(30 + i, 'recv', '250 Ok')]).flat()]
    const lines = renderSteps(c, long).split('\n')
    expect(lines).toHaveLength(13)
    expect(lines[0]).toBe('  … 20 earlier steps (--transcript shows them all)')
  })
})

describe('foldLine: a diagram line on a narrow terminal', () => {
  it('folds between words with the continuation prefix, never inside a word', () => {
    const text = 'MX: 10 down.fallback.test (127.0.1.26); 20 mx.mail.test (127.0.1.25)  144 ms'
    const lines = foldLine('  ✔ 2 DNS  ', text, '  │   ', 40)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(40)
    expect(lines.slice(1).every((l) => l.startsWith('  │   '))).toBe(true)
    expect(lines.join(' ').split(/ +/)).toEqual(expect.arrayContaining(text.split(/ +/)))
    expect(foldLine('  ', text, '    ', 0)).toEqual([`  ${text}`])
    expect(foldLine('  ', text, '    ', 200)).toEqual([`  ${text}`])
  })
})
