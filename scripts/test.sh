#!/usr/bin/env bash
# The whole test suite: the README's test command, and what .ci/run runs. It sets up what it needs
# (scripts/build.sh installs the wasm target, wasm-bindgen CLI and npm dev tools when missing), then
# runs each check; all output is kept in tests/artifacts/ and searched for the tests' canary secrets.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

run_checks() {
  bash scripts/build.sh

  step "rustfmt"
  cargo fmt --check

  step "clippy (native and wasm32)"
  cargo clippy --all-targets -- -D warnings
  cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings
  # Each shipped module is built with one feature: each must be clean alone too.
  for feature in token larkbase; do
    cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features "$feature" -- -D warnings
  done

  step "cargo test (plain Rust core)"
  cargo test

  step "wasm-bindgen-test under Node (binding layer)"
  # The runner exits 0 when Node's event loop empties under a pending test, so its summary line is
  # checked as well as its exit code.
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --target wasm32-unknown-unknown --test wasm 2>&1 | tee tests/artifacts/wasm-test.log
  grep -Eq '^test result: ok\. [1-9][0-9]* passed; 0 failed' tests/artifacts/wasm-test.log

  step "tsc --noEmit (declarations and JSDoc types)"
  node_modules/.bin/tsc -p tsconfig.json
  node_modules/.bin/tsc -p tsconfig.declarations.json

  step "n8n's lint rules (eslint-plugin-n8n-nodes-base) on the node, the credential and package.json"
  node_modules/.bin/eslint --max-warnings 0 js/nodes js/credentials package.json

  step "n8n's community-package scanner on the npm pack tarball"
  node scripts/scan-package.mjs

  step "Node.js 24, Deno and Bun for the install test (cached after the first run)"
  for runtime in node24 deno bun; do
    bash scripts/install-runtime.sh "$runtime" > /dev/null
  done

  step "Real n8n for the end-to-end tests (cached after the first run)"
  for version in $(node -p "require('./tests/e2e/n8n-harness').N8N_LINES.map((l) => l.version).join(' ')"); do
    bash scripts/install-n8n.sh "$version" > /dev/null
  done
  bash scripts/ensure-chromium.sh
  bash scripts/ensure-services.sh

  step "node --test (package, its install on Node.js 20 and 24, Deno and Bun, n8n node and credential, real n8n 1.x and 2.x, Chromium)"
  # A test file whose process V8 crashed (see scripts/rerun-crashed.js) runs once more; any
  # failed test fails the run.
  node --test tests/ 2>&1 | tee tests/artifacts/node-test.log || node scripts/rerun-crashed.js tests/artifacts/node-test.log
}

rm -rf tests/artifacts
mkdir -p tests/artifacts
# No `||` here: it would switch off `set -e` inside run_checks.
set +e
(set -e; run_checks) 2>&1 | tee tests/artifacts/test-output.log
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { echo "test.sh: a check failed (exit $status)"; exit "$status"; }

step "secret canary scan"
node scripts/scan-secrets.js
