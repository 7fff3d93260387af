import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {analyzeAuthentication, parseArcChain, parseAuthenticationResults, parseTagList, receiverAuthentication} from '../../../src/lib/headers/authentication.js'
import {authenticationResultSchema, messageAuthenticationSchema} from '../../../src/lib/headers/schema.js'
import {readHeaders, type HeaderField} from '../../../src/lib/headers/message.js'

const example = (name: string) => readHeaders(readFileSync(new URL(`../../../examples/${name}`, import.meta.url)))

describe('parseAuthenticationResults (RFC 8601)', () => {
  it('reads a Gmail-style field: authserv-id, comments with colons, header.b with + and /', () => {
    const value =
      'mx.google.example;\r\n       dkim=pass header.i=@example.org header.s=sel1 header.b=Ab+/Cd9=;\r\n' +
      '       spf=pass (google.example: domain of alice@example.org designates 192.0.2.10 as permitted sender) smtp.mailfrom=alice@example.org;\r\n' +
      '       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.org'
    const parsed = parseAuthenticationResults(value)
    expect(parsed.authservId).toBe('mx.google.example')
    expect(parsed.version).toBeNull()
    expect(parsed.results).toEqual([
      {method: 'dkim', result: 'pass', reason: null, props: {'header.i': '@example.org', 'header.s': 'sel1', 'header.b': 'Ab+/Cd9='}, comment: null},
      {
        method: 'spf', result: 'pass', reason: null, props: {'smtp.mailfrom': 'alice@example.org'},
        comment: 'google.example: domain of alice@example.org designates 192.0.2.10 as permitted sender',
      },
      {method: 'dmarc', result: 'pass', reason: null, props: {'header.from': 'example.org'}, comment: 'p=REJECT sp=REJECT dis=NONE'},
    ])
    expect(authenticationResultSchema.parse(parsed)).toEqual(parsed)
  })

  it('reads Microsoft 365\'s form: no authserv-id, action=, compauth reason=', () => {
    const parsed = parseAuthenticationResults(
      'spf=pass (sender IP is 203.0.113.41) smtp.mailfrom=gmail.example; dkim=pass (signature was verified) header.d=gmail.example;dmarc=pass action=none header.from=gmail.example;compauth=pass reason=100',
    )
    expect(parsed.authservId).toBeNull()
    expect(parsed.results.map((r) => [r.method, r.result])).toEqual([['spf', 'pass'], ['dkim', 'pass'], ['dmarc', 'pass'], ['compauth', 'pass']])
    expect(parsed.results[0]).toMatchObject({props: {'smtp.mailfrom': 'gmail.example'}, comment: 'sender IP is 203.0.113.41'})
    expect(parsed.results[2].props).toEqual({action: 'none', 'header.from': 'gmail.example'})
    expect(parsed.results[3].reason).toBe('100')
  })

  it('reads a version number after the authserv-id', () => {
    const parsed = parseAuthenticationResults('mx.example.net 1; spf=pass smtp.mailfrom=example.org')
    expect(parsed).toMatchObject({authservId: 'mx.example.net', version: 1, results: [{method: 'spf', result: 'pass'}]})
  })

  it('reads "none" as no results', () => {
    expect(parseAuthenticationResults('mx.example.net; none')).toMatchObject({authservId: 'mx.example.net', results: []})
    expect(parseAuthenticationResults('mx.example.net 1; none')).toMatchObject({version: 1, results: []})
  })

  it('reads quoted reasons, including a semicolon inside the quotes', () => {
    const parsed = parseAuthenticationResults('example.com; dkim=pass reason="good signature; key ok" header.i=@mail-router.example.net; dkim=fail reason="bad signature" header.i=@newyork.example.com')
    expect(parsed.results).toEqual([
      {method: 'dkim', result: 'pass', reason: 'good signature; key ok', props: {'header.i': '@mail-router.example.net'}, comment: null},
      {method: 'dkim', result: 'fail', reason: 'bad signature', props: {'header.i': '@newyork.example.com'}, comment: null},
    ])
  })

  it('keeps semicolons inside comments from splitting a result', () => {
    const parsed = parseAuthenticationResults('mx1.example.net; dkim=pass (2048-bit key; unprotected) header.d=example.org header.s=mail2024; dkim-atps=neutral')
    expect(parsed.results.map((r) => r.method)).toEqual(['dkim', 'dkim-atps'])
    expect(parsed.results[0]).toMatchObject({comment: '2048-bit key; unprotected', props: {'header.d': 'example.org', 'header.s': 'mail2024'}})
  })

  it('allows comments and white space anywhere (CFWS around "=")', () => {
    const parsed = parseAuthenticationResults('(c0) mx.example.net (c1) ; (c2) spf (c3) = (c4) pass (c5) smtp.mailfrom (c6) = (c7) example.org (c8)')
    expect(parsed.authservId).toBe('mx.example.net')
    expect(parsed.results).toHaveLength(1)
    expect(parsed.results[0]).toMatchObject({method: 'spf', result: 'pass', props: {'smtp.mailfrom': 'example.org'}})
    expect(parsed.results[0].comment).toContain('c5')
  })

  it('reads every ptype: smtp, header, body, policy', () => {
    const parsed = parseAuthenticationResults(
      'example.com; auth=pass (cram-md5) smtp.auth=sender@example.net; iprev=pass policy.iprev=192.0.2.200; dkim=pass body.bh=abc header.d=example.net',
    )
    expect(parsed.results.map((r) => r.props)).toEqual([
      {'smtp.auth': 'sender@example.net'},
      {'policy.iprev': '192.0.2.200'},
      {'body.bh': 'abc', 'header.d': 'example.net'},
    ])
  })

  it('splits results that a writer forgot to separate with ";"', () => {
    const parsed = parseAuthenticationResults('mx.example.net; spf=pass smtp.mailfrom=a.example dkim=pass header.d=a.example')
    expect(parsed.results.map((r) => [r.method, r.props])).toEqual([
      ['spf', {'smtp.mailfrom': 'a.example'}],
      ['dkim', {'header.d': 'a.example'}],
    ])
  })

  it('lower-cases method and result, drops a method version', () => {
    const parsed = parseAuthenticationResults('MX.Example.NET; SPF=PASS smtp.mailfrom=Example.ORG; dkim/1=Fail header.d=example.org')
    expect(parsed.authservId).toBe('mx.example.net')
    expect(parsed.results.map((r) => [r.method, r.result])).toEqual([['spf', 'pass'], ['dkim', 'fail']])
    expect(parsed.results[0].props['smtp.mailfrom']).toBe('Example.ORG')
  })

  it('returns no results for an empty or junk value, without throwing', () => {
    expect(parseAuthenticationResults('')).toMatchObject({authservId: null, results: []})
    expect(parseAuthenticationResults('((( ;;; "').results).toEqual([])
  })
})

describe('parseTagList (RFC 6376 §3.2)', () => {
  it('reads tags, lower-cases names, removes folding from b= and bh=', () => {
    expect(parseTagList(' i=1; a=rsa-sha256; D=example.org; s=sel;\r\n b=AbC\r\n  dEf==; bh= x y ;')).toEqual({
      i: '1', a: 'rsa-sha256', d: 'example.org', s: 'sel', b: 'AbCdEf==', bh: 'xy',
    })
  })

  it('keeps the first of duplicate tags', () => {
    expect(parseTagList('i=1; i=2')).toEqual({i: '1'})
  })
})

function arcSet(i: number, cv: string, domain = `hop${i}.example`): HeaderField[] {
  return [
    {name: 'ARC-Seal', value: `i=${i}; a=rsa-sha256; t=1705309954; cv=${cv}; d=${domain}; s=seal${i}; b=AAAA`},
    {name: 'ARC-Message-Signature', value: `i=${i}; a=rsa-sha256; c=relaxed/relaxed; d=${domain}; s=ams${i}; h=from:to:subject; bh=BBBB; b=CCCC`},
    {name: 'ARC-Authentication-Results', value: `i=${i}; mx.${domain}; spf=pass smtp.mailfrom=example.org; dkim=pass header.d=example.org`},
  ]
}

describe('parseArcChain (RFC 8617)', () => {
  it('reports none without ARC fields', () => {
    expect(parseArcChain([{name: 'Subject', value: 'x'}])).toEqual({status: 'none', reason: null, instances: []})
  })

  it('passes a well-formed two-instance chain and lists instances in order', () => {
    // Newest set first, as intermediaries prepend them.
    const chain = parseArcChain([...arcSet(2, 'pass', 'lists.example.net'), ...arcSet(1, 'none', 'forwarder.example.com')])
    expect(chain.status).toBe('pass')
    expect(chain.reason).toBeNull()
    expect(chain.instances.map((x) => [x.i, x.cv, x.domain, x.selector, x.authservId])).toEqual([
      [1, 'none', 'forwarder.example.com', 'ams1', 'mx.forwarder.example.com'],
      [2, 'pass', 'lists.example.net', 'ams2', 'mx.lists.example.net'],
    ])
    expect(chain.instances[0].results.map((r) => r.method)).toEqual(['spf', 'dkim'])
  })

  it('fails when any seal records cv=fail', () => {
    const chain = parseArcChain([...arcSet(2, 'fail'), ...arcSet(1, 'none')])
    expect(chain.status).toBe('fail')
    expect(chain.reason).toMatch(/instance 2 records cv=fail/)
  })

  it('fails when instances are not contiguous from 1', () => {
    const chain = parseArcChain([...arcSet(3, 'pass'), ...arcSet(1, 'none')])
    expect(chain.status).toBe('fail')
    expect(chain.reason).toMatch(/not contiguous/)
  })

  it('fails when the chain does not start at 1', () => {
    expect(parseArcChain(arcSet(2, 'pass')).status).toBe('fail')
  })

  it('fails when a set lacks one of its three fields', () => {
    const chain = parseArcChain([...arcSet(2, 'pass').filter((f) => f.name !== 'ARC-Message-Signature'), ...arcSet(1, 'none')])
    expect(chain.status).toBe('fail')
    expect(chain.reason).toMatch(/instance 2 lacks ARC-Message-Signature/)
    // The instance still reports what it has: the seal's domain stands in.
    expect(chain.instances[1]).toMatchObject({hasSeal: true, hasMessageSignature: false, domain: 'hop2.example', selector: 'seal2'})
  })

  it('fails when the first seal does not say cv=none or a later one does not say cv=pass', () => {
    expect(parseArcChain(arcSet(1, 'pass')).reason).toMatch(/instance 1 must have cv=none/)
    expect(parseArcChain([...arcSet(2, 'none'), ...arcSet(1, 'none')]).reason).toMatch(/instance 2 must have cv=pass/)
  })

  it('fails with more than 50 instances', () => {
    const fields = Array.from({length: 51}, (_, k) => arcSet(51 - k, k === 50 ? 'none' : 'pass')).flat()
    const chain = parseArcChain(fields)
    expect(chain.status).toBe('fail')
    expect(chain.reason).toMatch(/more than 50/)
  })

  it('passes exactly 50 instances', () => {
    const fields = Array.from({length: 50}, (_, k) => arcSet(50 - k, k === 49 ? 'none' : 'pass')).flat()
    expect(parseArcChain(fields).status).toBe('pass')
  })

  it('fails on a duplicate instance', () => {
    const chain = parseArcChain([...arcSet(1, 'none'), ...arcSet(1, 'none')])
    expect(chain.status).toBe('fail')
    expect(chain.reason).toMatch(/more than one ARC-Seal/)
  })

  it('fails when a field has no usable i= tag', () => {
    const fields = [...arcSet(1, 'none'), {name: 'ARC-Authentication-Results', value: 'mx.example.net; spf=pass'}]
    expect(parseArcChain(fields).reason).toMatch(/ARC-Authentication-Results has no valid i= tag/)
    expect(parseArcChain([...arcSet(1, 'none'), {name: 'ARC-Seal', value: 'i=x; cv=none'}]).status).toBe('fail')
  })
})

describe('analyzeAuthentication on the examples', () => {
  it('reads Microsoft 365\'s results and ARC set in gmail-to-outlook.eml', () => {
    const auth = analyzeAuthentication(example('gmail-to-outlook.eml'))
    expect(auth.authenticationResults).toHaveLength(1)
    expect(auth.authenticationResults[0].authservId).toBeNull()
    expect(auth.authenticationResults[0].results.map((r) => `${r.method}=${r.result}`)).toEqual(['spf=pass', 'dkim=pass', 'dmarc=pass', 'compauth=pass'])
    expect(auth.arc.status).toBe('pass')
    expect(auth.arc.instances).toHaveLength(1)
    expect(auth.arc.instances[0]).toMatchObject({i: 1, cv: 'none', domain: 'microsoft.example', selector: 'arcselector9901', authservId: 'mx.microsoft.example'})
    expect(auth.arc.instances[0].results.map((r) => r.method)).toEqual(['spf', 'dmarc', 'dkim', 'arc'])
    expect(messageAuthenticationSchema.parse(auth)).toEqual(auth)
  })

  it('reads the three Authentication-Results of postfix-relay-chain.eml in header order', () => {
    const auth = analyzeAuthentication(example('postfix-relay-chain.eml'))
    expect(auth.authenticationResults.map((r) => r.results.map((x) => x.method))).toEqual([['dkim', 'dkim-atps'], ['dmarc'], ['spf']])
    expect(auth.authenticationResults.every((r) => r.authservId === 'mx1.example.net')).toBe(true)
    expect(auth.arc.status).toBe('none')
  })

  it('takes the receiver\'s verdicts from every field with its authserv-id, not only the newest', () => {
    const auth = analyzeAuthentication(example('postfix-relay-chain.eml'))
    expect(auth.receiver).toMatchObject({authservId: 'mx1.example.net', fields: 3})
    expect(auth.receiver!.results.map((r) => `${r.method}=${r.result}`)).toEqual(['dkim=pass', 'dkim-atps=neutral', 'dmarc=pass', 'spf=pass'])
    expect(messageAuthenticationSchema.parse(auth)).toEqual(auth)
  })
})

describe('receiverAuthentication', () => {
  const field = (value: string) => parseAuthenticationResults(value)
  it('leaves out fields of another authserv-id (an earlier hop\'s, or a forgery)', () => {
    const receiver = receiverAuthentication([field('mx.b.example; spf=pass'), field('relay.a.example; spf=fail'), field('mx.b.example; dmarc=fail')])
    expect(receiver).toMatchObject({authservId: 'mx.b.example', fields: 2})
    expect(receiver!.results.map((r) => `${r.method}=${r.result}`)).toEqual(['spf=pass', 'dmarc=fail'])
  })
  it('without an authserv-id (Microsoft 365) only the newest field is the receiver\'s', () => {
    expect(receiverAuthentication([field('spf=pass'), field('spf=fail')])!.results.map((r) => r.result)).toEqual(['pass'])
    expect(receiverAuthentication([])).toBeNull()
  })
})
