# Debian's mosquitto for compose.yaml's plant. BASE: any Debian bookworm image (default the
# registry's debian:bookworm-slim; scripts/container-test.sh gives one made with debootstrap).
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mosquitto \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY mosquitto.conf /etc/mosquitto/plant.conf
USER mosquitto
EXPOSE 1883
CMD ["mosquitto", "-c", "/etc/mosquitto/plant.conf"]
