# Stand-in for nats:2-alpine: Debian's nats-server on Debian bookworm (debootstrap minbase), with
# wget for the compose health check. Arguments go to nats-server, as the official image's do when
# they start with '-' (`-js -sd /data -m 8222` in deploy/docker-compose.yml).
ARG BASE
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server wget \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir /data \
 && chown nats:nats /data
USER nats
EXPOSE 4222 6222 8222
ENTRYPOINT ["/usr/sbin/nats-server"]
