// The interop helpers of the built scripts (scripts/build.mjs, finishScript).

// esbuild's helpers for a module of one format imported by the other, as esbuild 0.28 writes them (minified).
export const ESBUILD_TO_ESM = '__toESM=(mod,isNodeMode,target)=>(target=mod!=null?__create(__getProtoOf(mod)):{},__copyProps(isNodeMode||!mod||!mod.__esModule?__defProp(target,"default",{value:mod,enumerable:!0}):target,mod))'
export const ESBUILD_TO_COMMONJS = '__toCommonJS=mod=>__copyProps(__defProp({},"__esModule",{value:!0}),mod)'
/**
 * The same interop without copies. esbuild's helpers copy a module's exports into a new object, one getter (a closure
 * and a property definition) for each export, every time an ES module imports a CommonJS one (oclif's index, dns-packet)
 * and every time a CommonJS require takes an ES module (the core's `shared` table, whose modules the parts take). At a
 * start of mx that was about a quarter of a megabyte of young objects and 160 page faults, for objects that only
 * forward reads. Here an ES module's import of a CommonJS module reads through a proxy that adds `default` (the exports
 * themselves, as Node gives them; the one property esbuild's copy added), and a CommonJS require of an ES module gets
 * its namespace object (getters of the live bindings already), marked __esModule as esbuild's copy was. What code can
 * read through either is what it read through the copies (test/unit/build/interop.test.ts). The build fails if
 * esbuild writes its helpers otherwise (another version): these texts must then be checked again.
 */
export function withoutInteropCopies(source, file) {
  const usesToEsm = /\b__toESM\(/.test(source.replace(ESBUILD_TO_ESM, ''))
  const usesToCommonJs = /\b__toCommonJS\(/.test(source.replace(ESBUILD_TO_COMMONJS, ''))
  if (usesToEsm && !source.includes(ESBUILD_TO_ESM)) throw new Error(`build: esbuild's __toESM in ${file} is not the one withoutInteropCopies replaces`)
  if (usesToCommonJs && !source.includes(ESBUILD_TO_COMMONJS)) throw new Error(`build: esbuild's __toCommonJS in ${file} is not the one withoutInteropCopies replaces`)
  return source.replace(ESBUILD_TO_ESM, INTEROP_TO_ESM).replace(ESBUILD_TO_COMMONJS, INTEROP_TO_COMMONJS)
}
export const INTEROP_TO_ESM =
  '__toESM=(mod,isNodeMode)=>mod==null?{default:mod}:!isNodeMode&&mod.__esModule?mod:new Proxy(mod,{get:(t,k)=>k==="default"?mod:t[k],has:(t,k)=>k==="default"||k in t})'
export const INTEROP_TO_COMMONJS = '__toCommonJS=mod=>(__hasOwnProp.call(mod,"__esModule")||__defProp(mod,"__esModule",{value:!0}),mod)'

