#!/usr/bin/env bash
# README's test command: every check and suite, in order; ends with "N passed, N failed".
# Test counts are summed over the suites; a failing check (typecheck, lint, build) counts as
# one failure. Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 FORCE_COLOR=0 NO_COLOR=1

passed=0
failed=0
log=$(mktemp -d)

strip() { sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1"; }

# check NAME CMD...: a step with no test count of its own
check() {
  local name=$1; shift
  echo "== $name"
  local start=$SECONDS
  if "$@" >"$log/$name.log" 2>&1; then
    echo "   ok ($((SECONDS - start)) s)"
  else
    strip "$log/$name.log" | grep -v 'Unknown user config "nodedir"' | tail -60
    echo "   FAILED: $name"
    failed=$((failed + 1))
  fi
}

# suite NAME CMD...: a test runner (vitest or playwright) whose summary line is counted
suite() {
  local name=$1; shift
  echo "== $name"
  local rc=0 start=$SECONDS
  "$@" >"$log/$name.log" 2>&1 || rc=$?
  local text p f
  text=$(strip "$log/$name.log")
  # vitest: "Tests  12 passed | 1 failed (13)"; playwright: "  12 passed (30s)" / "  1 failed"
  p=$(grep -E '^\s*(Tests\s+)?.*[0-9]+ passed' <<<"$text" | tail -1 | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
  f=$(grep -E '^\s*(Tests\s+)?.*[0-9]+ failed' <<<"$text" | tail -1 | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then echo "   ran no test"; f=1; fi
  if [ "$f" -gt 0 ]; then grep -v 'Unknown user config "nodedir"' <<<"$text" | tail -80; fi
  echo "   $p passed, $f failed ($((SECONDS - start)) s)"
  passed=$((passed + p))
  failed=$((failed + f))
}

check typecheck npm run --silent typecheck
check lint npm run --silent lint
suite api-pglite npm run --silent test:pglite -w @cbp/control-plane
suite api-postgres npm run --silent test:postgres -w @cbp/control-plane
suite portal npm run --silent test -w @cbp/portal
check build npm run --silent build
suite e2e npm run --silent test -w @cbp/e2e

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
