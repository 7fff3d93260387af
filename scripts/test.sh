#!/usr/bin/env bash
# The whole test suite, with its own set-up: installs the Debian servers the tests run against
# when they are missing, installs the npm dependencies when missing, builds (a fresh oclif
# manifest every time), then runs every test: on this machine's Node, and again on Node 22 and 24
# (what users run; fetched from the npm registry into .cache/node when missing, scripts/node-versions.mjs).
# MAILDIG_TEST_NODES="22" (or "") chooses the other versions; the default is "22 24".
# A missing server fails the suite; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-servers.sh
[ -d node_modules/.bin ] || npm ci --no-audit --no-fund
npm run build --silent

nodes=("$(command -v node)")
others=${MAILDIG_TEST_NODES-22 24}
if [ -n "$others" ]; then
  # shellcheck disable=SC2086 # a list of major versions
  mapfile -t fetched < <(node scripts/node-versions.mjs $others)
  [ ${#fetched[@]} -gt 0 ] || { echo "test: no Node binary for: $others" >&2; exit 1; }
  nodes+=("${fetched[@]}")
fi

reports=()
status=0
for node in "${nodes[@]}"; do
  version=$("$node" --version)
  echo "=== tests on Node $version ($node)"
  report=$(mktemp -t maildig-vitest-XXXXXX.json)
  reports+=("$version=$report")
  # The CLI tests run the built CLI with this same Node (process.execPath).
  PATH="$(dirname "$node"):$PATH" "$node" node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
done

# One plain closing line that any CI can read, after one line per Node version.
node -e '
  let passed = 0, failed = 0, skipped = 0, total = 0, runs = 0
  for (const entry of process.argv.slice(1)) {
    const [version, file] = [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]
    let r
    try { r = JSON.parse(require("fs").readFileSync(file, "utf8")) } catch { console.log(`node ${version}: no test report`); failed++; continue }
    const s = r.numPendingTests + r.numTodoTests
    console.log(`node ${version}: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (s ? `, ${s} skipped` : ""))
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += s; total += r.numTotalTests; runs++
  }
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""))
  // No tests, or a skipped one, is a failure: a skipped test does not count as passing.
  if (runs === 0 || total === 0 || skipped > 0) process.exit(1)
' "${reports[@]}" || status=1
for entry in "${reports[@]}"; do rm -f "${entry#*=}"; done
exit $status
