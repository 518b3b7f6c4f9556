#!/usr/bin/env bash
# Long fuzz runs with libFuzzer (cargo-fuzz, nightly Rust) over answer parsing, the secret search
# and validation:
#   scripts/fuzz.sh [RUNS]      default 10000000 executions per target
# Installs the nightly toolchain and cargo-fuzz when missing. The test command's fuzz smoke is
# tests/robustness.rs (proptest, stable Rust).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10000000}
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version > /dev/null 2>&1 || cargo +nightly install cargo-fuzz
mkdir -p fuzz/logs
for target in find_secret parse_answer validate_params; do
  printf '\n==> %s: %s runs (log: fuzz/logs/%s.log)\n' "$target" "$runs" "$target"
  if cargo +nightly fuzz run "$target" -- -runs="$runs" -max_len=4096 > "fuzz/logs/$target.log" 2>&1; then
    grep -E '^Done' "fuzz/logs/$target.log"
  else
    tail -n 30 "fuzz/logs/$target.log"
    exit 1
  fi
done
