#!/usr/bin/env bash
# `npm run demo`: installs what is missing, builds, gets a Docker Engine and the busybox test image
# ready where it can (otherwise the demo runs its tasks as plain processes), and runs the cluster
# demo (examples/demo/demo.ts). `npm run demo -- --keep` leaves the cluster running.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx tsc -p tsconfig.json
if ! bash scripts/docker-engine.sh; then
  echo "demo: no Docker Engine could be set up here; the demo runs its tasks as plain processes"
fi
node dist/examples/demo/demo.js "$@"
