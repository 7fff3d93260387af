import type {HandedStream} from '../net/hand-over.js'

// Types only (erased at build): imapflow itself loads lazily, in checkImap.
type ImapTransport = import('imapflow').ImapTransport
type ImapTransportSocket = import('imapflow').ImapTransportSocket

/**
 * imapflow's `transport` option over a connection maildig opened itself (Connection.handOver):
 * imapflow opens no socket of its own. The connect, TLS (implicit, or STARTTLS done by maildig
 * before the hand-over), the greeting, their deadlines and the transcript are the floor's;
 * `connect()` gives imapflow the ready stream, with the greeting replayed. There is no `upgrade`:
 * imapflow is given a session that is already as secure as it will be (`doSTARTTLS: false`).
 */
export function handedOverTransport(stream: HandedStream): ImapTransport {
  let used = false
  return {
    connect(_options, onConnect) {
      if (used) throw new Error('the handed-over connection can carry one imapflow session only')
      used = true
      // imapflow stores the socket before it expects onConnect.
      setImmediate(onConnect)
      return stream as unknown as ImapTransportSocket
    },
  }
}
