#!/usr/bin/env bash
# Installs Debian's Redis and PostgreSQL for the queue-mode test when they are missing, and
# libfaketime, which moves the n8n workers' clocks past a token's lifetime. Only the programs are
# used: the test starts its own private redis-server and postgres on 127.0.0.1 with temporary data
# directories (tests/e2e/services.js), never the system services.
set -euo pipefail
missing=()
command -v redis-server > /dev/null || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres > /dev/null 2>&1 || missing+=(postgresql)
ls /usr/lib/*/faketime/libfaketime.so.1 > /dev/null 2>&1 || missing+=(libfaketime)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
printf '==> Installing %s from Debian packages (about a minute, once)\n' "${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-services: ${missing[*]} missing; install with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
# Another apt run on the machine holds the lock for a while: wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" > /dev/null
