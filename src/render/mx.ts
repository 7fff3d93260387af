import type {ChalkInstance} from 'chalk'
import type {Finding} from '../lib/findings.js'
import type {MxResult} from '../lib/mx/resolve-mx.js'
import {marks, table} from './style.js'
import {renderFindings} from './findings.js'

/**
 * The `mx` table: one row per address, the exchange's name and preference on its first row, then the
 * findings; without them (`findings` null) when the table is part of a larger report that ends with its own.
 */
export function renderMx(c: ChalkInstance, result: MxResult, findings: readonly Finding[] | null): string {
  const m = marks(c)
  const name = result.domain === result.asciiDomain ? result.domain : `${result.domain} (${result.asciiDomain})`
  const lines: string[] = []
  if (result.kind === 'null') {
    lines.push(`${c.bold(name)}: null MX — the domain accepts no mail`)
  } else {
    const kind = result.kind === 'implicit' ? ' (no MX record: implicit MX, the domain\'s own address)' : ''
    lines.push(`${c.bold(name)}: ${result.exchanges.length} mail exchanger${result.exchanges.length === 1 ? '' : 's'}${kind}`)
    const rows: string[][] = []
    for (const e of result.exchanges) {
      const exchange = e.cname ? `${e.exchange} ${c.yellow(`→ ${e.cname}`)}` : e.exchange
      if (e.addresses.length === 0) rows.push([String(e.preference), exchange, c.red('no address'), '', ''])
      e.addresses.forEach((a, i) => {
        rows.push([
          i === 0 ? String(e.preference) : '',
          i === 0 ? exchange : '',
          a.address,
          a.ptr.length ? a.ptr.join(', ') : a.fcrdns === null ? c.yellow('(unknown)') : c.dim('(none)'),
          a.fcrdns === null ? c.yellow('?') : a.fcrdns ? m.ok : m.fail,
        ])
      })
    }
    lines.push('', table(c, ['PREF', 'EXCHANGE', 'ADDRESS', 'PTR', 'FCrDNS'], rows))
  }
  if (result.authenticated) lines.push('', `${m.ok} DNSSEC: the resolver validated the MX answer (AD bit)`)
  if (findings) lines.push('', renderFindings(c, findings))
  return lines.join('\n')
}

/** `mx --short`: the exchanges in the order a sender tries them, one per line; nothing for a null MX. */
export function renderMxShort(result: MxResult): string {
  return result.exchanges.map((e) => e.exchange).join('\n')
}
