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
# One Node's whole run. The CLI tests run the built CLI with this same Node (process.execPath).
run_on() {
  local node=$1 report=$2
  shift 2
  PATH="$(dirname "$node"):$PATH" "$node" node_modules/vitest/vitest.mjs run --reporter=default --reporter=json --outputFile.json="$report" "$@"
}

# This machine's Node first, on its own.
version=$("${nodes[0]}" --version)
echo "=== tests on Node $version (${nodes[0]})"
report=$(mktemp -t maildig-vitest-XXXXXX.json)
reports+=("$version=$report")
run_on "${nodes[0]}" "$report" "$@" || status=$?

# The other Node versions at the same time, each in a network namespace of its own (as root, where `ip netns` works):
# each test world binds the same loopback addresses, and one run is mostly waiting on servers and deadlines, so two
# side by side take little longer than one. Without namespaces they run one after the other. Each one's output is
# printed when it ends.
rest=("${nodes[@]:1}")
namespaces=()
cleanup_namespaces() {
  for ns in "${namespaces[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup_namespaces EXIT
parallel=0
if [ ${#rest[@]} -gt 1 ] && [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1; then
  # Namespaces left by a run that was killed (SIGKILL skips the trap): named after its PID, which no longer runs.
  for stale in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^maildig-test-[0-9]+-[0-9]+$' || true); do
    owner=${stale#maildig-test-}
    owner=${owner%-*}
    if ! kill -0 "$owner" 2>/dev/null; then
      ip netns pids "$stale" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
      ip netns del "$stale" 2>/dev/null || true
    fi
  done
  parallel=1
  for i in "${!rest[@]}"; do
    ns="maildig-test-$$-$i"
    if ip netns add "$ns" 2>/dev/null && ip netns exec "$ns" ip link set lo up 2>/dev/null; then
      namespaces+=("$ns")
    else
      parallel=0
      break
    fi
  done
fi
if [ $parallel = 1 ]; then
  pids=()
  logs=()
  for i in "${!rest[@]}"; do
    node=${rest[$i]}
    version=$("$node" --version)
    report=$(mktemp -t maildig-vitest-XXXXXX.json)
    log=$(mktemp -t maildig-vitest-XXXXXX.log)
    reports+=("$version=$report")
    logs+=("$log")
    echo "=== tests on Node $version ($node), in network namespace ${namespaces[$i]}, side by side with the other versions"
    ( ip netns exec "${namespaces[$i]}" bash -c "$(declare -f run_on); run_on \"\$@\"" _ "$node" "$report" "$@" > "$log" 2>&1 ) &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || status=$?
    echo "=== output of the run on Node $("${rest[$i]}" --version)"
    cat "${logs[$i]}"
    rm -f "${logs[$i]}"
  done
else
  for node in "${rest[@]}"; do
    version=$("$node" --version)
    echo "=== tests on Node $version ($node)"
    report=$(mktemp -t maildig-vitest-XXXXXX.json)
    reports+=("$version=$report")
    run_on "$node" "$report" "$@" || status=$?
  done
fi

# One plain closing line that any CI can read, after one line per Node version.
node -e '
  let passed = 0, failed = 0, skipped = 0, total = 0, runs = 0
  for (const entry of process.argv.slice(1)) {
    const [version, file] = [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]
    let r
    try { r = JSON.parse(require("fs").readFileSync(file, "utf8")) } catch { console.log(`node ${version}: no test report`); failed++; continue }
    const s = r.numPendingTests + r.numTodoTests
    console.log(`node ${version}: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (s ? `, ${s} skipped` : ""))
    // Each failed test by name, so that the last lines of a long log say what failed on which version.
    const root = process.cwd() + "/"
    for (const file of r.testResults ?? []) {
      const failed = (file.assertionResults ?? []).filter((t) => t.status === "failed")
      for (const t of failed) console.log(`  failed: ${file.name.replace(root, "")} > ${t.fullName}`)
      if (file.status === "failed" && failed.length === 0) console.log(`  failed: ${file.name.replace(root, "")}: ${String(file.message ?? "").split("\n")[0]}`)
    }
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += s; total += r.numTotalTests; runs++
  }
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""))
  // No tests, or a skipped one, is a failure: a skipped test does not count as passing.
  if (runs === 0 || total === 0 || skipped > 0) process.exit(1)
' "${reports[@]}" || status=1
for entry in "${reports[@]}"; do rm -f "${entry#*=}"; done
exit $status
