import {describe, expect, it} from 'vitest'
// @ts-expect-error: a build script (JavaScript, no types)
import {ESBUILD_TO_COMMONJS, ESBUILD_TO_ESM, INTEROP_TO_COMMONJS, INTEROP_TO_ESM, withoutInteropCopies} from '../../../scripts/interop.mjs'

// The built scripts use interop helpers that forward reads instead of copying exports (scripts/interop.mjs). Whatever
// esbuild's generated code reads through esbuild's own helpers, it must read the same through them.
const PRELUDE = 'var __create=Object.create,__defProp=Object.defineProperty,__getOwnPropDesc=Object.getOwnPropertyDescriptor,__getOwnPropNames=Object.getOwnPropertyNames,__getProtoOf=Object.getPrototypeOf,__hasOwnProp=Object.prototype.hasOwnProperty;var __copyProps=(to,from,except,desc)=>{if(from&&typeof from=="object"||typeof from=="function")for(let key of __getOwnPropNames(from))!__hasOwnProp.call(to,key)&&key!==except&&__defProp(to,key,{get:()=>from[key],enumerable:!(desc=__getOwnPropDesc(from,key))||desc.enumerable});return to};var __export=(target,all)=>{for(var name in all)__defProp(target,name,{get:all[name],enumerable:!0})};'
type Helpers = {toESM: (mod: unknown, isNodeMode?: number) => Record<string, unknown>; toCommonJS: (mod: object) => Record<string, unknown>; exportAll: (target: object, all: Record<string, () => unknown>) => void}
const helpers = (toEsm: string, toCommonJs: string): Helpers => new Function(`${PRELUDE}var ${toEsm},${toCommonJs};return {toESM: __toESM, toCommonJS: __toCommonJS, exportAll: __export}`)() as Helpers
const esbuild = helpers(ESBUILD_TO_ESM, ESBUILD_TO_COMMONJS)
const ours = helpers(INTEROP_TO_ESM, INTEROP_TO_COMMONJS)

/** CommonJS modules of the shapes maildig's scripts import: plain exports, getters (TypeScript's re-exports), a function, a transpiled ES module, none. */
function commonJsModules(): Array<[string, unknown]> {
  const withGetter = {}
  let counter = 1
  Object.defineProperty(withGetter, 'count', {enumerable: true, get: () => counter})
  const fn = Object.assign(function packet() {}, {encode: () => 'e', decode: () => 'd'})
  const transpiled = {__esModule: true, default: 'the default', named: 'n'}
  const cases: Array<[string, unknown]> = [
    ['plain exports', {encode: () => 'e', RECURSION_AVAILABLE: 128}],
    ['getters', withGetter],
    ['a function', fn],
    ['a transpiled ES module', transpiled],
    ['null', null],
    ['undefined', undefined],
  ]
  counter = 2 // a live binding: read after the import, through both
  return cases
}

describe('__toESM without copies', () => {
  for (const isNodeMode of [0, 1]) {
    it.each(commonJsModules())(`reads %s as esbuild's copy does (node mode ${isNodeMode})`, (_name, mod) => {
      const theirs = esbuild.toESM(mod, isNodeMode)
      const mine = ours.toESM(mod, isNodeMode)
      const keys = new Set(['default', 'encode', 'decode', 'count', 'named', 'RECURSION_AVAILABLE', '__esModule', 'missing'])
      for (const key of keys) {
        expect(mine[key], key).toBe(theirs[key])
        expect(key in mine, `in ${key}`).toBe(key in theirs)
      }
    })
  }
})

describe('__toCommonJS without copies', () => {
  it("gives the namespace's live bindings and __esModule, as esbuild's copy does", () => {
    let value = 1
    const namespace = {}
    esbuild.exportAll(namespace, {value: () => value, default: () => 'd'})
    const theirs = esbuild.toCommonJS(namespace)
    const mine = ours.toCommonJS(namespace)
    value = 2
    for (const key of ['value', 'default', '__esModule', 'missing']) expect(mine[key], key).toBe(theirs[key])
    expect(Object.keys(mine)).toEqual(Object.keys(theirs))
    // Taken twice (two parts), it is the same namespace: nothing is copied.
    expect(ours.toCommonJS(namespace)).toBe(mine)
    // And an ES module importing it back reads it as it read esbuild's copy.
    // (Its default, in Node's mode, is the module object: the namespace here, esbuild's copy there; they read alike.)
    expect(ours.toESM(mine, 1).value).toBe(esbuild.toESM(theirs, 1).value)
    const [myDefault, theirDefault] = [ours.toESM(mine, 1).default, esbuild.toESM(theirs, 1).default] as Array<Record<string, unknown>>
    for (const key of ['value', 'default', '__esModule']) expect(myDefault[key], key).toBe(theirDefault[key])
  })
})

describe('withoutInteropCopies', () => {
  it("replaces esbuild's helpers and fails on a script whose helpers it does not know", () => {
    const script = `var ${ESBUILD_TO_ESM},${ESBUILD_TO_COMMONJS};var m=__toESM(require_x(),1);module.exports=__toCommonJS(e);`
    const done = withoutInteropCopies(script, 'a.cjs') as string
    expect(done).toContain(INTEROP_TO_ESM)
    expect(done).toContain(INTEROP_TO_COMMONJS)
    expect(done).not.toContain(ESBUILD_TO_ESM)
    expect(() => withoutInteropCopies('var __toESM=(mod)=>mod;var m=__toESM(x);', 'b.cjs')).toThrow(/__toESM/)
    expect(withoutInteropCopies('var a=1;', 'c.cjs')).toBe('var a=1;')
  })
})
