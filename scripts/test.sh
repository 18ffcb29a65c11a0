#!/usr/bin/env bash
# The project's one test command (`npm test`): installs what is missing, builds (which is the
# typecheck), lints, then runs every test suite. Run from a clean clone it needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "test: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

echo "test: build + typecheck"
npx tsc -p tsconfig.json
echo "test: lint + format"
npx eslint .
npx prettier --check . --log-level warn
echo "test: docker engine + test image"
bash scripts/docker-engine.sh
if [ $# -gt 0 ]; then
  echo "test: vitest $*"
  exec npx vitest run "$@"
fi
# test/long waits on the wall clock for minutes with next to no CPU: it runs in a second vitest
# process beside the main suite, and its output follows the main suite's.
long_log="$(mktemp)"
echo "test: vitest (test/long beside the main suite; its output at the end)"
npx vitest run --config vitest.long.config.ts >"$long_log" 2>&1 &
long_pid=$!
main_status=0
npx vitest run || main_status=$?
long_status=0
wait "$long_pid" || long_status=$?
echo "test: test/long (vitest.long.config.ts)"
cat "$long_log"
rm -f "$long_log"
[ "$main_status" -eq 0 ] && [ "$long_status" -eq 0 ]
