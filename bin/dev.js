#!/usr/bin/env -S node --import tsx
// Development entry: oclif's development mode, through tsx (a dev dependency). CommonJS, like everything in bin/.
'use strict'
void require('@oclif/core').execute({development: true, dir: require('node:path').join(__dirname, '..')})
