/**
 * Text from servers and messages reaches the terminal through our renderers. Control characters in
 * it could recolour the terminal, hide text (black on black, conceal), fake a green ✔, move the
 * cursor, rewrite the window title or overwrite a line (a lone CR): terminal escape injection. So
 * every value a renderer is handed is escaped where it enters the rendering (`escapeUntrusted`), and
 * the only escape sequences in maildig's output are the colours its renderers add afterwards. Nothing
 * guesses later which sequences are maildig's. JSON output needs none of this (JSON escapes them).
 */
// eslint-disable-next-line no-control-regex
const CONTROLS = /\r\n|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/**
 * One text with every C0/C1 control and DEL shown as `\xNN` (ESC too: `\x1b[31m` is shown, never a
 * colour). Line feeds, CRLF line ends and tabs are kept: they move to the next line or column and
 * cannot overwrite or hide anything.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (match) => (match === '\r\n' ? match : `\\x${match.charCodeAt(0).toString(16).padStart(2, '0')}`))
}

/**
 * A copy of a command's result (findings, transcript, error) with every string in it escaped, object
 * keys included (an EHLO keyword or a CAPA tag is a key). Numbers, booleans and null stay as they are;
 * an Error keeps its prototype, with its own properties (message included) escaped.
 */
export function escapeUntrusted<T>(value: T): T {
  return escapeValue(value, new WeakMap()) as T
}

function escapeValue(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return escapeControls(value)
  if (typeof value !== 'object' || value === null) return value
  const done = seen.get(value)
  if (done !== undefined) return done
  if (Array.isArray(value)) {
    const copy: unknown[] = []
    seen.set(value, copy)
    for (const item of value) copy.push(escapeValue(item, seen))
    return copy
  }
  const proto = Object.getPrototypeOf(value) as object | null
  const plain = proto === Object.prototype || proto === null
  if (!plain && !(value instanceof Error)) return value
  const copy = Object.create(proto) as Record<string, unknown>
  seen.set(value, copy)
  for (const key of value instanceof Error ? Object.getOwnPropertyNames(value) : Object.keys(value)) {
    if (key === 'stack') continue
    copy[escapeControls(key)] = escapeValue((value as Record<string, unknown>)[key], seen)
  }
  return copy
}
