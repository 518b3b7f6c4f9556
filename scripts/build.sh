#!/usr/bin/env bash
# Builds pkg/ (the wasm-bindgen glue and the optimised .wasm) from the Rust crate.
#
# Idempotent: the wasm32 target, the wasm-bindgen CLI and the npm dev tools are installed only when
# missing or of the wrong version, so a second run costs a cargo no-op and a few seconds of wasm-opt.
# The CLI must be exactly the version Cargo.toml pins for the wasm-bindgen crate, or the generated
# glue does not match the module ("different bindgen format").
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

want=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' Cargo.toml)
[ -n "$want" ] || { echo "build.sh: no pinned wasm-bindgen version in Cargo.toml" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "Installing the Rust wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  step "Installing wasm-bindgen-cli $want (about 3 minutes, once)"
  # No --locked: one of the CLI's locked dependencies is not on the registry any more.
  cargo install wasm-bindgen-cli --version "$want" --force
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/tsc ]; then
  step "Installing npm dev tools"
  npm ci --no-audit --no-fund
fi

step "Compiling the crate to wasm32"
cargo build --release --lib --target wasm32-unknown-unknown

step "Generating pkg/ with wasm-bindgen $want"
rm -rf pkg
wasm-bindgen --target nodejs --out-dir pkg --out-name larkbase_get_token \
  target/wasm32-unknown-unknown/release/larkbase_get_token.wasm

step "Optimising the module for size with wasm-opt"
node_modules/.bin/wasm-opt -Oz pkg/larkbase_get_token_bg.wasm -o pkg/larkbase_get_token_bg.wasm

printf '\npkg/larkbase_get_token_bg.wasm: %s bytes (%s gzipped)\n' \
  "$(wc -c < pkg/larkbase_get_token_bg.wasm)" "$(gzip -9c pkg/larkbase_get_token_bg.wasm | wc -c)"
