/**
 * Text from servers and messages reaches the terminal through our renderers. Control characters in
 * it could move the cursor, rewrite the window title, overwrite a line (a lone CR) or hide text
 * (terminal escape injection), so every human output passes here: the colour sequences chalk writes
 * are kept, CRLF line ends are kept, and every other C0/C1 control and DEL is shown as \xNN. JSON
 * output needs none of this (JSON escapes them).
 */
// eslint-disable-next-line no-control-regex
const CANDIDATES = /\u001b\[([0-9;]*)m|\r\n|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** SGR parameters chalk uses: reset, bold/dim/italic/underline and their ends, foreground and background colours. Not conceal (8), blink or inverse. */
const CHALK_SGR = new Set([0, 1, 2, 3, 4, 9, 22, 23, 24, 29, 39, 49, ...range(30, 37), ...range(90, 97), ...range(40, 47), ...range(100, 107)])

function range(from: number, to: number): number[] {
  return Array.from({length: to - from + 1}, (_, i) => from + i)
}

const escape = (text: string) => [...text].map((ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')

export function sanitizeForTerminal(text: string): string {
  return text.replace(CANDIDATES, (match, sgr: string | undefined) => {
    if (match === '\r\n') return match
    if (sgr !== undefined) return sgr.split(';').every((p) => p === '' || CHALK_SGR.has(Number(p))) ? match : `${escape('\u001b')}[${sgr}m`
    return escape(match)
  })
}
