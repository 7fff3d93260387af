#!/usr/bin/env -S node --import tsx
// Development entry: oclif's development mode (needs `npm i -D tsx@4.23.14`). CommonJS, like everything in bin/.
'use strict'
void require('@oclif/core').execute({development: true, dir: require('node:path').join(__dirname, '..')})
