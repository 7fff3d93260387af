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
# One Node's whole run, its JSON reports written into the folder $2. The CLI tests run the built CLI with this same Node
# (process.execPath). The whole suite runs as two vitest processes at the same time: the integration project (the test
# world; its files one after the other, as they share its servers and mailboxes) and the unit and cli projects (no
# world; they bind only their own fixtures' addresses, on ports of their own). vitest gives a 2-core machine one worker,
# so in one process every file waited for the one before it, and the integration files mostly wait on servers and
# deadlines. That is done for the machine's Node, which runs alone: beside another version (two more processes on a
# 2-core machine) tests with 1-2 s deadlines failed under the load. With split=0, or with arguments (a file, a project,
# a name filter), it is one vitest run.
run_on() {
  local node=$1 dir=$2 split=$3
  shift 3
  local vitest=(env PATH="$(dirname "$node"):$PATH" "$node" node_modules/vitest/vitest.mjs run --reporter=default --reporter=json)
  if [ $# -gt 0 ] || [ "$split" = 0 ]; then
    "${vitest[@]}" --outputFile.json="$dir/all.json" "$@"
    return
  fi
  local status=0 rest
  "${vitest[@]}" --project unit --project cli --outputFile.json="$dir/unit-cli.json" > "$dir/unit-cli.log" 2>&1 &
  rest=$!
  "${vitest[@]}" --project integration --outputFile.json="$dir/integration.json" || status=$?
  wait "$rest" || status=$?
  cat "$dir/unit-cli.log"
  return $status
}
# The reports a run writes (split: $3): the summary counts a missing one as a failure.
add_reports() {
  if [ "$3" = 1 ] && [ "$args" = 0 ]; then parts=(integration unit-cli); else parts=(all); fi
  for part in "${parts[@]}"; do reports+=("$1=$2/$part.json"); done
}
args=$#

# This machine's Node first, on its own.
first=$("${nodes[0]}" --version)
echo "=== tests on Node $first (${nodes[0]})"
first_dir=$(mktemp -d -t maildig-vitest-XXXXXX)
dirs=("$first_dir")
add_reports "$first" "$first_dir" 1
run_on "${nodes[0]}" "$first_dir" 1 "$@" || status=$?

# The other Node versions at the same time, each in a network namespace of its own (as root, where `ip netns` works):
# each test world binds the same loopback addresses, and one run is mostly waiting on servers and deadlines, so two
# side by side take little longer than one. Without namespaces they run one after the other. Each one's output is
# printed when it ends. (All three side by side, each as two vitest processes, loaded a 2-core machine so far that
# tests with a latency threshold failed: measured in docs/testing.md.)
namespaces=()
cleanup_namespaces() {
  for ns in "${namespaces[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup_namespaces EXIT
rest=("${nodes[@]:1}")
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
    dir=$(mktemp -d -t maildig-vitest-XXXXXX)
    dirs+=("$dir")
    add_reports "$version" "$dir" 0
    echo "=== tests on Node $version ($node), in network namespace ${namespaces[$i]}, side by side with the other versions"
    ( ip netns exec "${namespaces[$i]}" bash -c "$(declare -f run_on); run_on \"\$@\"" _ "$node" "$dir" 0 "$@" > "$dir/run.log" 2>&1 ) &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || status=$?
    echo "=== output of the run on Node $("${rest[$i]}" --version)"
    cat "${dirs[$i + 1]}/run.log"
  done
else
  for node in "${rest[@]}"; do
    version=$("$node" --version)
    echo "=== tests on Node $version ($node)"
    dir=$(mktemp -d -t maildig-vitest-XXXXXX)
    dirs+=("$dir")
    add_reports "$version" "$dir" 1
    run_on "$node" "$dir" 1 "$@" || status=$?
  done
fi

# One plain closing line that any CI can read, after one line per Node version.
node -e '
  // The reports of each version (two for the whole suite: integration, and unit with cli), in the order given.
  const byVersion = new Map()
  for (const entry of process.argv.slice(1)) {
    const [version, file] = [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]
    byVersion.set(version, [...(byVersion.get(version) ?? []), file])
  }
  let passed = 0, failed = 0, skipped = 0, total = 0, runs = 0
  const root = process.cwd() + "/"
  for (const [version, files] of byVersion) {
    const v = {passed: 0, failed: 0, skipped: 0, total: 0, missing: [], lines: []}
    for (const file of files) {
      let r
      try { r = JSON.parse(require("fs").readFileSync(file, "utf8")) } catch { v.missing.push(file.split("/").pop()); continue }
      v.passed += r.numPassedTests; v.failed += r.numFailedTests; v.skipped += r.numPendingTests + r.numTodoTests; v.total += r.numTotalTests
      // Each failed test by name, so that the last lines of a long log say what failed on which version.
      for (const f of r.testResults ?? []) {
        const failedTests = (f.assertionResults ?? []).filter((t) => t.status === "failed")
        for (const t of failedTests) v.lines.push(`  failed: ${f.name.replace(root, "")} > ${t.fullName}`)
        if (f.status === "failed" && failedTests.length === 0) v.lines.push(`  failed: ${f.name.replace(root, "")}: ${String(f.message ?? "").split("\n")[0]}`)
      }
    }
    if (v.missing.length) v.failed++
    console.log(`node ${version}: ${v.passed} passed, ${v.failed} failed` + (v.skipped ? `, ${v.skipped} skipped` : "") + (v.missing.length ? ` (no test report: ${v.missing.join(", ")})` : ""))
    for (const line of v.lines) console.log(line)
    passed += v.passed; failed += v.failed; skipped += v.skipped; total += v.total
    if (v.missing.length < files.length) runs++
  }
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""))
  // No tests, or a skipped one, is a failure: a skipped test does not count as passing.
  if (runs === 0 || total === 0 || skipped > 0 || failed > 0) process.exit(1)
' "${reports[@]}" || status=1
for dir in "${dirs[@]}"; do rm -rf "$dir"; done
exit $status
