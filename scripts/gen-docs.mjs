// Writes the generated docs (JSON schemas, finding catalog) from the built library.
import {mkdirSync, writeFileSync} from 'node:fs'
import {commandSchemas, findingsMarkdown} from '../dist/lib/docs/generate.js'

mkdirSync('docs/schema', {recursive: true})
for (const [name, schema] of Object.entries(commandSchemas())) {
  writeFileSync(`docs/schema/${name}.json`, `${JSON.stringify(schema, null, 2)}\n`)
}
writeFileSync('docs/findings.md', findingsMarkdown())
console.log('docs: wrote docs/schema/*.json and docs/findings.md')
