#!/usr/bin/env bash
# `npm run e2e:compose`, run by .ci/run: the image and the compose stack, built and run for real.
#  1. Installs Debian's docker.io, docker-compose and debootstrap when missing, and starts a Docker
#     engine of its own (tools/docker/private-dockerd.sh), stopped at the end.
#  2. Base images: the official ones when present or pullable, else tools/docker/offline-base's.
#  3. Builds the image with docker-compose (the legacy builder, which reads the root .dockerignore);
#     a warning in the build fails the run, and so does a CA certificate left in the image.
#  4. Brings the stack up on free host ports, runs every e2e test against it (`npm run e2e`),
#     checks that a volume outlives `down` and `up` (tools/docker/durability.js), and removes it
#     all with `down -v`, checking that no container, network or volume is left.
# Needs root (dockerd, debootstrap). The engine's data root (base images, layer cache) stays in
# DOCKER_CACHE_DIR between runs, so that a second run costs about two minutes; one run at a time.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
CACHE="${DOCKER_CACHE_DIR:-/var/cache/block-storage-control-plane/docker}"
PROJECT=bscp-e2e
HEALTHY_TIMEOUT_S=300
started=$SECONDS

log() { echo "e2e-compose: $*"; }
fail() { echo "e2e-compose: $*" >&2; exit 1; }
phase() { log "$1 ($((SECONDS - started)) s since start)"; }

[ "$(id -u)" -eq 0 ] || fail "needs root (it starts dockerd and runs debootstrap): run it with sudo"
# shellcheck source-path=SCRIPTDIR/../..
source "$ROOT/.ci/ensure-command.sh"
# shellcheck source-path=SCRIPTDIR/../..
source "$ROOT/tools/docker/private-dockerd.sh"

ensure_command dockerd docker.io
ensure_command docker-compose docker-compose
ensure_command debootstrap debootstrap
# The client that came with the engine; another one on the PATH may lack the legacy builder.
DOCKER="$(dirname "$(command -v dockerd)")/docker"
[ -x "$DOCKER" ] || DOCKER=docker
export DOCKER

mkdir -p "$CACHE"
exec 9> "$CACHE/lock"
if ! flock -n 9; then
  log "another run holds $CACHE/lock; waiting for it"
  flock -w 1800 9 || fail "$CACHE/lock still held after 30 minutes"
fi

work="$(mktemp -d -t e2e-compose.XXXXXX)"
compose=(docker-compose --project-name "$PROJECT" --file "$ROOT/deploy/docker-compose.yml")
stack_up=""

cleanup() {
  local status=$?
  if [ -n "$stack_up" ]; then
    if [ "$status" -ne 0 ]; then
      log "the stack's last log lines:"
      "${compose[@]}" logs --no-color --tail 40 >&2 || true
    fi
    "${compose[@]}" down -v --remove-orphans > "$work/down.log" 2>&1 || { cat "$work/down.log" >&2; status=1; }
  fi
  private_dockerd_stop || status=1
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

phase "starting a Docker engine of its own (data root $CACHE/data-root)"
private_dockerd_start "$CACHE"

# base_image <official> <offline stand-in>: the official image when present or pullable.
base_image() {
  if "$DOCKER" image inspect "$1" >/dev/null 2>&1 || timeout 300 "$DOCKER" pull -q "$1" >/dev/null 2>&1; then
    echo "$1"
  else
    echo "$2"
  fi
}
NODE_IMAGE="$(base_image node:20-bookworm-slim offline-base/node:20-bookworm)"
POSTGRES_IMAGE="$(base_image postgres:15 offline-base/postgres:15-bookworm)"
NATS_IMAGE="$(base_image nats:2-alpine offline-base/nats:2-bookworm)"
export NODE_IMAGE POSTGRES_IMAGE NATS_IMAGE
if [[ "$NODE_IMAGE $POSTGRES_IMAGE $NATS_IMAGE" == *offline-base/* ]]; then
  phase "no image registry: the offline stand-ins (tools/docker/offline-base/build.sh)"
  "$ROOT/tools/docker/offline-base/build.sh" > /dev/null
fi
log "base images: $NODE_IMAGE, $POSTGRES_IMAGE, $NATS_IMAGE"

# npm in the build trusts what the host trusts beyond the usual authorities (a TLS-inspecting proxy).
if [ -z "${BUILD_CA_CERTS:-}" ] && compgen -G '/usr/local/share/ca-certificates/*.crt' > /dev/null; then
  BUILD_CA_CERTS="$(cat /usr/local/share/ca-certificates/*.crt)"
fi
export BUILD_CA_CERTS="${BUILD_CA_CERTS:-}"
export BUILD_NETWORK=host COMPOSE_DOCKER_CLI_BUILD=0 DOCKER_BUILDKIT=0
# `127.0.0.1:` publishes on a port the kernel picks: free by construction, whatever else runs here.
export API_PUBLISH=127.0.0.1: COMPUTE_PUBLISH=127.0.0.1:
# A broker password of this run only: the stack must come up with NATS closed to strangers.
export NATS_PASSWORD="${NATS_PASSWORD:-$(od -An -N16 -tx1 /dev/urandom | tr -d " \n")}"

phase "building the image (docker-compose build)"
# Every app service builds the same image; one build serves them all.
if ! "${compose[@]}" build migrate > "$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log" >&2
  fail "the image build failed"
fi
if sed 's/\x1b\[[0-9;]*m//g' "$work/build.log" | grep -n -i -E '\bwarn(ing)?s?\b' > "$work/warnings.log"; then
  head -n 40 "$work/warnings.log" >&2
  fail "the image build printed warnings (above); a clean build prints none"
fi
image="block-storage-control-plane:dev"
# Read whole before matching: under pipefail, grep -q's early exit could fail the pipe and hide a match.
history="$("$DOCKER" history --no-trunc --format '{{.CreatedBy}}' "$image")"
env="$("$DOCKER" image inspect --format '{{json .Config.Env}}' "$image")"
if grep -q 'BEGIN CERTIFICATE' <<<"$history" || grep -q 'NODE_EXTRA_CA_CERTS' <<<"$env"; then
  fail "$image carries the build's CA certificates"
fi

# up: starts the stack (already built) and waits until every service is healthy and migrate done.
up() {
  stack_up=1
  "${compose[@]}" up -d --no-build > "$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "docker-compose up failed"; }
  local deadline=$((SECONDS + HEALTHY_TIMEOUT_S)) states waiting
  while :; do
    # shellcheck disable=SC2046
    states="$("$DOCKER" inspect --format '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' $("${compose[@]}" ps -q))"
    waiting="$(awk '!(($2 == "running" && $4 == "healthy") || ($2 == "exited" && $3 == 0 && $4 == "none"))' <<<"$states")"
    [ -z "$waiting" ] && break
    if [ "$SECONDS" -ge "$deadline" ] || grep -q -E ' (exited [1-9]|.* unhealthy$)' <<<"$waiting"; then
      echo "$states" >&2
      fail "the stack did not become healthy"
    fi
    sleep 2
  done
  E2E_BASE_URL="http://$("${compose[@]}" port volume-api 8776)"
  E2E_COMPUTE_URL="http://$("${compose[@]}" port nova-bridge 8774)"
  export E2E_BASE_URL E2E_COMPUTE_URL
  log "stack healthy: API $E2E_BASE_URL, compute API $E2E_COMPUTE_URL"
}

phase "docker-compose up"
up

phase "npm run e2e against the compose stack"
npm run e2e || fail "npm run e2e failed against the compose stack"

phase "durability across down and up"
node "$ROOT/tools/docker/durability.js" write "$work/durability.json"
"${compose[@]}" down > "$work/down.log" 2>&1 || { cat "$work/down.log" >&2; fail "docker-compose down failed"; }
up
node "$ROOT/tools/docker/durability.js" check "$work/durability.json"

phase "docker-compose down -v"
"${compose[@]}" down -v --remove-orphans > "$work/down.log" 2>&1 || { cat "$work/down.log" >&2; fail "docker-compose down -v failed"; }
stack_up=""
left="$("$DOCKER" ps -aq; "$DOCKER" volume ls -q; "$DOCKER" network ls -q --filter type=custom)"
[ -z "$left" ] || fail "left after down -v (containers, volumes, networks): $left"
# Superseded images and build stages go once they are three days old: the cache stays bounded.
"$DOCKER" image prune -f --filter until=72h > /dev/null

phase "stopping the engine"
private_dockerd_stop || fail "the engine did not stop cleanly"
log "passed in $((SECONDS - started)) s: image built, stack healthy, e2e passed, a volume survived down/up, nothing left"
