#!/usr/bin/env bash
# Installs the third-party peers the interop tier runs against, from Debian's packages.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# python3-serial-asyncio is only a Recommends of python3-pymodbus, but pymodbus 3.0 imports it
# from both pymodbus.client and pymodbus.server, so without it pymodbus cannot start at all.
# libmodbus-dev also brings the headers bench/c/ builds against (with the system cc).
# The container tools build and run the image in scripts/container-test.sh without an image
# registry (docs/container.md): runc, since crun refuses hybrid cgroups; debootstrap makes the base;
# the dnsname CNI plugin lets compose services find each other by name (podman 4.3 on CNI).
PEERS=(socat mbpoll python3-pymodbus python3-serial-asyncio libmodbus-dev mosquitto mosquitto-clients chromium snmp snmpd snmptrapd
  podman buildah runc debootstrap uidmap slirp4netns fuse-overlayfs podman-compose golang-github-containernetworking-plugin-dnsname)
missing=()
for p in "${PEERS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "peers installed: ${PEERS[*]}"
