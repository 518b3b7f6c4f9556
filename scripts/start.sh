#!/usr/bin/env bash
# The main job: builds the package, then runs the demo (scripts/demo.js): real n8n 2.x with this
# node installed, the local Lark stand-in, a ready credential and an example workflow. Ctrl-C stops.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec node scripts/demo.js
