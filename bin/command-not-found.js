// oclif hook (package.json oclif.hooks.command_not_found): the hook itself is in the bundle (src/cli/command-not-found.ts),
// which this process has loaded already. CommonJS, like everything in bin/ (bin/package.json).
'use strict'
module.exports = async function commandNotFound(options) {
  require('../dist/maildig-loader.cjs').commandNotFound(options)
}
