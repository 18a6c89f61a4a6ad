#!/usr/bin/env bash
# Runs `npm run demo` as a person would: waits for it to say ready, talks to the cluster through the
# tunnel with redis-cli, then sends Ctrl-C (SIGINT to its process group) and checks that it exits 0
# and that the cluster's redis-server processes are gone. Bounded: 180 s at most.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
setsid npm run demo >"$log" 2>&1 &
pgid=$!
cleanup() { kill -TERM -- "-$pgid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 180); do
  grep -q '^ready:' "$log" && break
  if ! kill -0 "$pgid" 2>/dev/null; then cat "$log"; echo "demo-smoke: the demo exited early" >&2; exit 1; fi
  sleep 1
done
grep -q '^ready:' "$log" || { cat "$log"; echo "demo-smoke: no ready line within 180 s" >&2; exit 1; }
unset REDISCLI_AUTH
test "$(redis-cli -c -p 7001 set demo:smoke ok)" = OK
test "$(redis-cli -c -p 7003 get demo:smoke)" = ok
redis-cli --cluster check 127.0.0.1:7001 | grep -q 'All 16384 slots covered'
# The smart port: a client that knows nothing of Cluster, answered with no MOVED.
test "$(redis-cli -p 6379 get demo:smoke)" = ok
# The cli, as the demo's Try lines show it.
test "$(REDISCLI_AUTH=correct-horse-battery-staple node dist/src/cli.js cli rediss://tunnel@127.0.0.11:7001 --cacert .cluster/certs/ca.crt get demo:smoke)" = ok
kill -INT -- "-$pgid"
for _ in $(seq 1 30); do kill -0 "$pgid" 2>/dev/null || break; sleep 1; done
wait "$pgid" && code=0 || code=$?
trap - EXIT
pids=$(node -e 'const p=require("./.cluster/default/pids.json");console.log(p.map(x=>x.pid).filter(Boolean).join(" "))')
for pid in $pids; do
  if [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" != "" ] && grep -q . "/proc/$pid/cmdline" 2>/dev/null; then
    echo "demo-smoke: redis-server $pid still running after Ctrl-C" >&2; exit 1
  fi
done
# npm reports 130 for a Ctrl-C'd script, as a shell does; the demo itself must have stopped cleanly.
grep -q 'info  stopped$' "$log" || { cat "$log"; echo "demo-smoke: the demo did not report a clean stop" >&2; exit 1; }
case "$code" in 0 | 130) ;; *) cat "$log"; echo "demo-smoke: exit code $code after Ctrl-C" >&2; exit 1 ;; esac
echo "demo-smoke: ready, SET/GET through the tunnel, cluster check OK, smart port and cli OK, Ctrl-C stopped everything (npm exit $code)"
