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
echo "test: vitest"
npx vitest run "$@"
