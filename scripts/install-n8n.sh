#!/usr/bin/env bash
# Installs a real n8n, once, into a cache outside the working tree keyed by version, and prints
# the directory of its `n8n` binary's Node.js and package. n8n 1.x runs on the system Node.js 20;
# n8n 2.x needs Node.js 24, which scripts/install-runtime.sh installs.
#
#   scripts/install-n8n.sh 1.123.50|2.41.1   ->  prints "<node binary> <n8n package dir>"
#
# A finished install is marked with a .complete file, so an interrupted one is redone, not reused.
set -euo pipefail

# Run under `npm test`, this script inherits npm's settings as npm_config_* variables, this
# project's ignore-scripts among them, which would silently skip building n8n's sqlite3.
for setting in $(env | sed -n 's/^\(npm_config_[A-Za-z_]*\)=.*/\1/p'); do unset "$setting"; done

version=${1:?usage: install-n8n.sh VERSION}
cache=${LARKBASE_CACHE:-$HOME/.cache/n8n-nodes-larkbase-get-token}
mkdir -p "$cache"
log() { printf '==> %s\n' "$*" >&2; }

node_bin=$(command -v node)
if [ "${version%%.*}" -ge 2 ]; then
  node_bin=$(bash "$(dirname "$0")/install-runtime.sh" node24)
fi

dir="$cache/n8n-$version"
if [ ! -f "$dir/.complete" ]; then
  log "Installing n8n $version into $dir (several minutes and about 2-3 GB, once)"
  rm -rf "$dir" && mkdir -p "$dir"
  # n8n's default xlsx comes from a CDN this machine cannot reach; the registry's 0.18.5 works.
  printf '{"private":true,"dependencies":{"n8n":"%s"},"overrides":{"xlsx":"0.18.5"}}\n' "$version" > "$dir/package.json"
  node_dir=$(dirname "$(dirname "$node_bin")")
  if [ "${version%%.*}" -ge 2 ]; then
    # Native addons must build against Node 24's headers, not the system Node's.
    (cd "$dir" && PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" \
      npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2 \
      && PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" npm rebuild sqlite3 --loglevel=error >&2)
  else
    (cd "$dir" && npm install --omit=dev --foreground-scripts --no-audit --no-fund --loglevel=error >&2)
  fi
  # A failed native build can still leave npm reporting success: check the one addon n8n needs.
  (cd "$dir" && "$node_bin" -e "require('sqlite3')") || { echo "install-n8n: n8n's sqlite3 did not build" >&2; exit 1; }
  touch "$dir/.complete"
fi
echo "$node_bin $dir/node_modules/n8n"
