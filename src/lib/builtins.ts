// Node builtins that many runs never reach, loaded on first use rather than at start: node:tls with node:crypto cost
// about 7 ms of a start (node:https more), node:dns about 1 ms, and neither a probe of a server that refuses or never
// greets, nor an mx with --resolver, nor trace --message needs them.
// process.getBuiltinModule (Node 20.16, 22.3) works in the ES modules of the sources and the CommonJS bundle alike;
// createRequire, used before, loaded node:module and with it Node's ES module loader and source-map support, five
// builtin modules on Node 20 and eleven on 24, in every run. The bundle's own require serves an older Node 20.
const load = (id: string): unknown => process.getBuiltinModule?.(id) ?? require(id)

export const nodeTls = () => load('node:tls') as typeof import('node:tls')
export const nodeCrypto = () => load('node:crypto') as typeof import('node:crypto')
export const nodeDns = () => load('node:dns') as typeof import('node:dns')
export const nodeHttps = () => load('node:https') as typeof import('node:https')
export const nodeV8 = () => load('node:v8') as typeof import('node:v8')
