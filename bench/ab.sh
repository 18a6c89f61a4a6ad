#!/usr/bin/env bash
# Two builds of the tunnel compared in smart mode: each build's tunnel gets its own redis-benchmark,
# and both run at the same time, so both meet the same machine. Run one after the other, the same
# build's figures moved by up to 40 % between rounds on the project's 2-core machine; run together,
# the same build against itself comes out within 1 %. Prints each tunnel's CPU ticks per round and
# the ratio of the sums (B/A: below 1, build B needs less CPU for the same requests).
#
#   node dist/scripts/cluster.js start
#   npx tsc -p tsconfig.json --outDir dist-a     # build A (e.g. from a stash or another commit)
#   npm run build                                # build B: dist
#   bash bench/ab.sh dist-a dist [rounds] [requests]
#
# A build directory must sit in this checkout (its code imports node_modules from here). Only the
# two tunnels it started are ended, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
a=${1:?build A directory}
b=${2:?build B directory}
rounds=${3:-6}
requests=${4:-300000}
cacert=.cluster/certs/ca.crt
[ -f "$cacert" ] || { echo "no cluster: run node dist/scripts/cluster.js start first" >&2; exit 1; }
export REDISCLI_AUTH=${REDISCLI_AUTH:-correct-horse-battery-staple}
seed=(rediss://tunnel@127.0.0.11:7001 --cacert "$cacert" --log-level warn --mode smart)
node "$a/src/cli.js" "${seed[@]}" --smart-port 6410 > /tmp/ab-a.log 2>&1 &
pid_a=$!
node "$b/src/cli.js" "${seed[@]}" --smart-port 6411 > /tmp/ab-b.log 2>&1 &
pid_b=$!
trap 'kill "$pid_a" "$pid_b" 2>/dev/null || true' EXIT
ready() { timeout 20 bash -c "until redis-cli -p $1 PING >/dev/null 2>&1; do sleep 0.2; done"; }
ready 6410 && ready 6411
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load() { redis-benchmark -p "$1" -c 50 -n "$requests" -P 16 -r 100000 -t set,get -q > /dev/null 2>&1; }
# One uncounted round each: a fresh process speeds up over its first requests.
load 6410
load 6411
sum_a=0
sum_b=0
for ((i = 1; i <= rounds; i++)); do
  a0=$(ticks "$pid_a")
  b0=$(ticks "$pid_b")
  load 6410 &
  other=$!
  load 6411
  wait "$other"
  da=$(($(ticks "$pid_a") - a0))
  db=$(($(ticks "$pid_b") - b0))
  sum_a=$((sum_a + da))
  sum_b=$((sum_b + db))
  echo "round $i: A $da ticks, B $db ticks"
done
awk -v a="$sum_a" -v b="$sum_b" 'BEGIN { printf "sum: A %d, B %d ticks; B/A %.3f\n", a, b, b / a }'
