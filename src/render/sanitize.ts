/**
 * Text from servers and messages reaches the terminal through our renderers. Control characters in
 * it could move the cursor, rewrite the window title or hide lines (terminal escape injection), so
 * every human output passes here: colour sequences (SGR, what chalk writes) are kept, every other
 * C0/C1 control and DEL is shown as \xNN. JSON output needs none of this (JSON escapes them).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

export function sanitizeForTerminal(text: string): string {
  return text.replace(UNSAFE, (match) => (match.length > 1 ? match : `\\x${match.charCodeAt(0).toString(16).padStart(2, '0')}`))
}
