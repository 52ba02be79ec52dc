# shellcheck shell=bash
# Sourced by tools/docker/e2e-compose.sh: a Docker engine of its own, beside any other on the machine.
#
# private_dockerd_start <cache dir>: starts dockerd with its own socket and exec root (a new directory
# under /run, short enough for containerd's socket paths) and its data root in <cache dir>/data-root,
# kept between runs (base images, layer cache); exports DOCKER_HOST. It creates no docker0 bridge and
# leaves iptables alone (no NAT, no FORWARD policy change for the rest of the machine): compose's own
# bridge network joins the containers, published ports go through docker-proxy, and builds use the
# host's network. Its pidfile in <cache dir> makes a second engine on the same data root refuse to start.
#
# private_dockerd_stop: SIGTERM to that dockerd (it stops its containerd and shims), then checks that
# no process and no mount of it is left; only what it started is ever signalled, by pid.
PRIVATE_DOCKERD_PID=""
PRIVATE_DOCKERD_RUN=""
PRIVATE_DOCKERD_DATA=""

private_dockerd_start() {
  local cache="$1"
  PRIVATE_DOCKERD_DATA="$cache/data-root"
  mkdir -p "$PRIVATE_DOCKERD_DATA"
  PRIVATE_DOCKERD_RUN="$(mktemp -d /run/bscp-docker.XXXXXX)"
  export DOCKER_HOST="unix://$PRIVATE_DOCKERD_RUN/docker.sock"
  dockerd --host "$DOCKER_HOST" --data-root "$PRIVATE_DOCKERD_DATA" --exec-root "$PRIVATE_DOCKERD_RUN/exec" \
    --pidfile "$cache/dockerd.pid" --bridge none --iptables=false --ip6tables=false \
    > "$PRIVATE_DOCKERD_RUN/dockerd.log" 2>&1 < /dev/null &
  PRIVATE_DOCKERD_PID=$!
  local _
  for _ in $(seq 1 120); do
    if ! kill -0 "$PRIVATE_DOCKERD_PID" 2>/dev/null; then
      echo "private dockerd: exited during start-up:" >&2
      tail -n 30 "$PRIVATE_DOCKERD_RUN/dockerd.log" >&2
      PRIVATE_DOCKERD_PID=""
      return 1
    fi
    docker version >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "private dockerd: no answer on $DOCKER_HOST after 60 s:" >&2
  tail -n 30 "$PRIVATE_DOCKERD_RUN/dockerd.log" >&2
  return 1
}

private_dockerd_stop() {
  [ -n "$PRIVATE_DOCKERD_RUN" ] || return 0
  local status=0 leftover=() _
  if [ -n "$PRIVATE_DOCKERD_PID" ] && kill -0 "$PRIVATE_DOCKERD_PID" 2>/dev/null; then
    kill -TERM "$PRIVATE_DOCKERD_PID"
    for _ in $(seq 1 120); do
      kill -0 "$PRIVATE_DOCKERD_PID" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$PRIVATE_DOCKERD_PID" 2>/dev/null; then
      echo "private dockerd: still running 60 s after SIGTERM; killing pid $PRIVATE_DOCKERD_PID" >&2
      kill -KILL "$PRIVATE_DOCKERD_PID" 2>/dev/null || true
      status=1
    fi
    wait "$PRIVATE_DOCKERD_PID" 2>/dev/null || true
  fi
  PRIVATE_DOCKERD_PID=""
  # containerd and its shims run with the exec root in their arguments: any such process is ours.
  mapfile -t leftover < <(pgrep -f -- "$PRIVATE_DOCKERD_RUN/" || true)
  if [ "${#leftover[@]}" -gt 0 ]; then
    echo "private dockerd: processes of this engine left after its stop; killing them:" >&2
    ps -o pid=,args= -p "$(IFS=,; echo "${leftover[*]}")" >&2 || true
    kill -KILL "${leftover[@]}" 2>/dev/null || true
    status=1
  fi
  # dockerd leaves its default network namespace mounted under the exec root: expected, and ours.
  # A container's mount left in the data root is not.
  local mnt mounts
  mapfile -t mounts < <(awk -v run="$PRIVATE_DOCKERD_RUN/" -v data="$PRIVATE_DOCKERD_DATA/" \
    'index($2, run) == 1 || index($2, data) == 1 { print $2 }' /proc/mounts | sort -r)
  for mnt in "${mounts[@]}"; do
    if [[ "$mnt" != "$PRIVATE_DOCKERD_RUN/exec/netns/default" ]]; then
      echo "private dockerd: $mnt still mounted after its stop" >&2
      status=1
    fi
    umount "$mnt" || status=1
  done
  rm -rf "$PRIVATE_DOCKERD_RUN"
  PRIVATE_DOCKERD_RUN=""
  return "$status"
}
