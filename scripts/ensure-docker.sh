#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs Debian's docker.io when dockerd is missing (as root),
# and starts dockerd when none runs, without iptables or a bridge (the project's containers use
# host networking). Prints the PID of a dockerd it started to the file given as $1 (empty when one
# was already running), so the caller stops exactly that one. Fails, saying why, when it cannot.
set -euo pipefail
pidfile="${1:-/dev/null}"
: >"$pidfile"
if docker info >/dev/null 2>&1; then
  echo "ensure-docker: an engine is already running"
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "ensure-docker: dockerd is missing and this is not root" >&2; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null
fi
log=$(mktemp)
setsid dockerd --iptables=false --bridge=none >"$log" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then echo "ensure-docker: dockerd $pid is up"; exit 0; fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 1
done
tail -20 "$log" >&2
echo "ensure-docker: dockerd did not come up" >&2
exit 1
