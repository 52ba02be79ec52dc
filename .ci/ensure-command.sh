# shellcheck shell=bash
# Sourced by .ci/run and tools/docker/e2e-compose.sh.
#
# ensure_command <command> <Debian package>: installs the package when the command is missing, or
# fails. apt starts no service meanwhile (a policy-rc.d that refuses, unless one is there already):
# docker.io would otherwise start a system Docker engine, which nothing here may use or stop.
ensure_command() {
  local cmd="$1" pkg="$2" policy=/usr/sbin/policy-rc.d made_policy="" status=0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  command -v "$cmd" >/dev/null 2>&1 && return 0
  echo "ensure_command: $cmd is missing; installing the Debian package $pkg"
  if [ -z "${ENSURE_COMMAND_APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq || { echo "ensure_command: apt-get update failed" >&2; return 1; }
    ENSURE_COMMAND_APT_UPDATED=1
  fi
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    made_policy=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" || status=$?
  if [ -n "$made_policy" ]; then $sudo rm -f "$policy"; fi
  if [ "$status" -ne 0 ]; then
    echo "ensure_command: installing $pkg failed (exit code $status)" >&2
    return 1
  fi
  command -v "$cmd" >/dev/null 2>&1 || { echo "ensure_command: $pkg is installed but $cmd is not on the PATH" >&2; return 1; }
}
