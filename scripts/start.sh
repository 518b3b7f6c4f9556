#!/usr/bin/env bash
# Tries getToken offline: builds the package, starts the local Lark stand-in with its demo app, gets
# a token from it, and keeps the stand-in up for your own calls until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh

port=${LARK_STAND_IN_PORT:-8787}
node tests/lark-stand-in.js "$port" &
stand_in=$!
trap 'kill "$stand_in" 2>/dev/null || true' EXIT
trap 'echo; echo "Stopped."; exit 0' INT TERM

for _ in $(seq 50); do
  node -e "fetch('http://127.0.0.1:$port').then(() => process.exit(0), () => process.exit(1))" 2>/dev/null && break
  sleep 0.1
done

printf '\n==> getToken against the stand-in\n'
node -e "
const { getToken } = require('.');
const { DEMO_APP } = require('./tests/lark-stand-in');
getToken({ ...DEMO_APP, domain: 'http://127.0.0.1:$port' }).then(console.log, (e) => { console.error(e); process.exit(1); });
"
printf '\nThe stand-in keeps running on http://127.0.0.1:%s (demo app in the README). Ctrl-C stops it.\n' "$port"
wait "$stand_in"
