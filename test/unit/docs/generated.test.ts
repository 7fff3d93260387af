import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {commandSchemas, findingsMarkdown} from '../../../src/lib/docs/generate.js'
import {FINDING_CATALOG} from '../../../src/lib/findings.js'

// The committed docs must be what the code generates (run `npm run docs` after changing a schema or the catalog).
describe('generated docs', () => {
  it('docs/findings.md is up to date', () => {
    expect(readFileSync('docs/findings.md', 'utf8')).toBe(findingsMarkdown())
  })
  it('docs/schema/*.json are up to date', () => {
    for (const [name, schema] of Object.entries(commandSchemas())) {
      expect(JSON.parse(readFileSync(`docs/schema/${name}.json`, 'utf8')), name).toEqual(JSON.parse(JSON.stringify(schema)))
    }
  })
  it('every finding code docs/cli.md names as binding is in the catalog', () => {
    // The contract lives in the repository (docs/cli.md): nothing here reads outside it.
    const contract = readFileSync('docs/cli.md', 'utf8')
    const section = contract.slice(contract.indexOf('## Finding codes'), contract.indexOf('## Fields every command'))
    const codes = [...section.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1])
    expect(codes.length).toBeGreaterThan(40)
    for (const code of codes) expect(Object.keys(FINDING_CATALOG), code).toContain(code)
  })
})
