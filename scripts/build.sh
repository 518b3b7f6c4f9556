#!/usr/bin/env bash
# Builds pkg/ (the wasm-bindgen glue and the optimised .wasm) from the Rust crate, and assembles
# dist/, the files the npm package ships.
#
# Idempotent: the wasm32 target, the wasm-bindgen CLI and the npm dev tools are installed only when
# missing or of the wrong version, so a second run costs a cargo no-op and a few seconds of wasm-opt.
# The CLI must be exactly the version Cargo.toml pins for the wasm-bindgen crate, or the generated
# glue does not match the module ("different bindgen format").
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

want=$(sed -n 's/^wasm-bindgen = .*"=\([0-9.]*\)".*$/\1/p' Cargo.toml)
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

# npm records what it installed in node_modules/.package-lock.json; an older record than the
# lockfile means the dev tools changed since.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "Installing npm dev tools (wasm-opt, TypeScript, n8n's lint rules and scanner)"
  npm ci --no-audit --no-fund
fi

# Two modules from one crate: the token module (getToken), which every user loads, and the Lark
# Base module (the Larkbase node's calls), which only its users load. Each is built with its own
# feature; cargo keeps both builds, so a rebuild with nothing changed is quick.
rm -rf pkg
for module in larkbase_get_token:token larkbase_base:larkbase; do
  name=${module%%:*}
  feature=${module##*:}
  step "Compiling the crate to wasm32 for $name"
  cargo build --release --lib --target wasm32-unknown-unknown --no-default-features --features "$feature"

  step "Generating pkg/$name with wasm-bindgen $want"
  wasm-bindgen --target nodejs --out-dir pkg --out-name "$name" \
    target/wasm32-unknown-unknown/release/larkbase_get_token.wasm

  step "Optimising $name for size with wasm-opt"
  node_modules/.bin/wasm-opt -Oz "pkg/${name}_bg.wasm" -o "pkg/${name}_bg.wasm"

  step "Embedding $name in its glue, for n8n's package scanner"
  node scripts/embed-wasm.js "$name"
done

step "Assembling dist/, what the npm package ships"
# n8n expects a community package's nodes under dist/; the relative layout of js/ and pkg/ is kept.
rm -rf dist
mkdir -p dist/pkg
cp -R js dist/js
for name in larkbase_get_token larkbase_base; do
  cp "pkg/$name.js" "pkg/$name.d.ts" "pkg/${name}_wasm.js" dist/pkg/
  printf '\npkg/%s_bg.wasm: %s bytes (%s gzipped)' "$name" \
    "$(wc -c < "pkg/${name}_bg.wasm")" "$(gzip -9c "pkg/${name}_bg.wasm" | wc -c)"
done
echo
