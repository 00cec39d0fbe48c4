#!/usr/bin/env bash
# Installs the third-party peers the interop tier runs against, from Debian's packages.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PEERS=(socat mbpoll python3-pymodbus libmodbus-dev mosquitto mosquitto-clients chromium)
missing=()
for p in "${PEERS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "peers installed: ${PEERS[*]}"
