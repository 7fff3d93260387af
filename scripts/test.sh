#!/usr/bin/env bash
# The whole test suite, with its own set-up: installs the Debian servers the tests run against
# when they are missing, installs the npm dependencies when missing, builds (a fresh oclif
# manifest every time), then runs every test. A missing server fails the suite; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-servers.sh
[ -d node_modules/.bin ] || npm ci --no-audit --no-fund
npm run build --silent

report=$(mktemp -t maildig-vitest-XXXXXX.json)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests + r.numTodoTests ? `, ${r.numPendingTests + r.numTodoTests} skipped` : ""));
  // No tests, or a skipped one, is a failure: a skipped test does not count as passing.
  if (r.numTotalTests === 0 || r.numPendingTests + r.numTodoTests > 0) process.exit(1);
' "$report" || status=1
rm -f "$report"
exit $status
