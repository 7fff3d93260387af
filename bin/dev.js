#!/usr/bin/env -S node --import tsx
// Development entry: runs the TypeScript sources directly (needs `npm i -D tsx@4.23.14`).
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
