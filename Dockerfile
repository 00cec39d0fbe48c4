# The iothinx-sim image (docs/container.md): one virtual ioThinx 4510 (`start`, the default) or a
# fleet of them (`fleet --count 50`), on the device's real ports, as a non-root user.
#
#   docker build -t iothinx-sim .
#   docker run --rm -p 502:502 -p 8080:80 -p 161:161/udp -p 1883:1883 iothinx-sim
#
# BASE: any Debian-like image with Node 20 and npm on PATH. The default is the official slim one;
# scripts/container-test.sh gives one made with debootstrap, for machines without an image registry.
# RUNTIME_BASE (default: BASE) is what the image runs on; it needs node only, no npm (the
# debootstrap-made one drops npm's 19 MB). Its node must be byte-identical to BASE's: the bundle's
# V8 code cache is made by the build stage's node and holds only for that one (build/launcher.cjs).
ARG BASE=node:20-bookworm-slim
ARG RUNTIME_BASE=${BASE}

FROM ${BASE} AS build
# Behind a TLS-intercepting proxy npm needs its CA: give a file mounted at build time, e.g.
# buildah bud -v /etc/ssl/certs/ca-certificates.crt:/tmp/ca.crt:ro --build-arg NODE_EXTRA_CA_CERTS=/tmp/ca.crt
# (podman/buildah; with docker build, put the CA into BASE). The RUN steps use it; the image
# keeps no trace of it but this path, in the build stages' history.
ARG NODE_EXTRA_CA_CERTS=
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (npm run build) would run before the sources are here.
RUN npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier
COPY tsconfig.json tsconfig.build.json ./
COPY build/ build/
COPY src/ src/
COPY profiles/ profiles/
COPY web/ web/
RUN npm run build

FROM ${BASE} AS deps
ARG NODE_EXTRA_CA_CERTS=
WORKDIR /app
COPY package.json package-lock.json deploy/container/prune-runtime-deps.cjs ./
COPY --from=build /src/dist/cli/bundle.cjs /tmp/bundle.cjs
# Production dependencies only, and of those only what the bundle loads at run time (net-snmp,
# selfsigned, serialport: see prune-runtime-deps.cjs). serialport's binding loads a prebuilt binary at run
# time (node-gyp-build), so no install script is needed. Type declarations, source maps,
# TypeScript sources and readmes are not read at run time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier \
 && node prune-runtime-deps.cjs /tmp/bundle.cjs && rm prune-runtime-deps.cjs /tmp/bundle.cjs \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.md' \) -delete \
 && rm -rf /root/.npm

FROM ${RUNTIME_BASE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules/ node_modules/
# The CLI bundle, its launcher and V8 code cache, and ctl's own small bundle and cache: all the
# image runs (the library's dist/ is for `import`).
COPY --from=build /src/dist/cli/iothinx-sim.cjs /src/dist/cli/bundle.cjs /src/dist/cli/bundle.cjs.v8cache /src/dist/cli/ctl.cjs /src/dist/cli/ctl.cjs.v8cache dist/cli/
COPY profiles/ profiles/
COPY web/ web/
COPY mibs/ mibs/
COPY deploy/container/healthcheck.cjs /usr/local/lib/iothinx-sim/healthcheck.cjs
# A user of its own (written directly: a minbase Debian has no useradd); /data holds the running
# config, the SNMP engine id and a self-signed certificate (mount a volume to keep them).
RUN echo 'iothinx:x:10001:10001:iothinx-sim:/data:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'iothinx:x:10001:' >> /etc/group \
 && mkdir -p /data && chown 10001:10001 /data
USER 10001:10001
# The flags' defaults (src/cli/env.ts; a flag on the command line wins). Ports below 1024 as a
# non-root user need net.ipv4.ip_unprivileged_port_start=0 in the container's network namespace:
# Docker 20.10+ sets it; podman needs --sysctl net.ipv4.ip_unprivileged_port_start=0 (or give
# other ports with -e IOTHINX_SIM_MODBUS=0.0.0.0:5020 ...).
ENV IOTHINX_SIM_HTTP=0.0.0.0:80 \
    IOTHINX_SIM_HTTPS=0.0.0.0:443 \
    IOTHINX_SIM_MODBUS=0.0.0.0:502 \
    IOTHINX_SIM_SNMP=0.0.0.0:161 \
    IOTHINX_SIM_BROKER=0.0.0.0:1883 \
    IOTHINX_SIM_FLEET_HOST=0.0.0.0 \
    IOTHINX_SIM_DATA_DIR=/data
EXPOSE 80 502 161/udp 1883
# 200 once every service listens and MQTT is connected (GET /sim/v1/health/ready, or
# /fleet/v1/health for a fleet), on the port IOTHINX_SIM_HTTP names; node, no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["node", "/usr/local/lib/iothinx-sim/healthcheck.cjs"]
# node is PID 1 and handles SIGTERM itself (src/cli/shutdown.ts): no shell, no init needed.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/cli/iothinx-sim.cjs"]
CMD ["start"]
