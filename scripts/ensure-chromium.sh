#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test when it is missing (browser downloads by test
# tools do not work on these machines; the distribution's package does).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
printf '==> Installing Chromium from Debian packages (about a minute, once)\n'
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: /usr/bin/chromium is missing; install it with: sudo apt-get install -y chromium" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
