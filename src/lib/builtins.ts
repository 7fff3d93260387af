import {createRequire} from 'node:module'

// Node builtins that many runs never reach, loaded on first use rather than at start: node:tls with node:crypto cost
// about 7 ms of a start (node:https more), node:dns about 1 ms, and neither a probe of a server that refuses or never
// greets, nor an mx with --resolver, nor trace --message needs them. (A builtin resolves the same from any folder,
// hence the root.)
const load = createRequire('/')

export const nodeTls = (): typeof import('node:tls') => load('node:tls')
export const nodeCrypto = (): typeof import('node:crypto') => load('node:crypto')
export const nodeDns = (): typeof import('node:dns') => load('node:dns')
export const nodeHttps = (): typeof import('node:https') => load('node:https')
export const nodeV8 = (): typeof import('node:v8') => load('node:v8')
