#!/usr/bin/env bash
# `npm run demo`: installs what is missing, builds, and runs the quick-start demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx tsc -p tsconfig.json
node dist/examples/raft-demo.js
