#!/usr/bin/env bash
# Makes sure the machine has what the tests and the demo need: redis-server and redis-tools (7.0+),
# openssl, tmux, chromium, and redis-py for /usr/bin/python3. Installs them with apt-get when running as root on
# Debian/Ubuntu; otherwise says what is missing and stops.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The cli's interactive prompt is tested under a pseudo-terminal that tmux provides.
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
# The status page is tested in a real browser: Debian's chromium, driven by playwright-core.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${SKIP_PYTHON:-}" != 1 ] && ! /usr/bin/python3 -c 'import redis' >/dev/null 2>&1; then missing+=(python3-redis); fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-redis: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "ensure-redis: missing ${missing[*]}; install them (Debian/Ubuntu: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
fi

version=$(redis-server --version | sed -n 's/.*v=\([0-9][0-9.]*\).*/\1/p')
major=${version%%.*}
if [ "${major:-0}" -lt 7 ]; then
  echo "ensure-redis: redis-server $version is too old; 7.0 or newer is needed" >&2
  exit 1
fi
echo "ensure-redis: redis-server $version, $(openssl version | cut -d' ' -f1-2)" >&2
