#!/bin/bash
# Profiles the release server natively: perf (cpu-clock samples, DWARF call graphs) for 5 s of
# one `palisade bench` workload, server pinned to CPU 0 and the load generator to CPU 1.
#
#   scripts/perf-profile.sh WORKLOAD [NAME] [ITEMS]
#
# Writes NAME.script (perf script text, default NAME = WORKLOAD) in the current directory and
# prints where the requests' time went. Read it further with scripts/perf-shares.py, e.g.
#   scripts/perf-shares.py get.script authenticate_within 'IamAuthorizer as'
# Needs perf (Debian: linux-perf) and a release build (cargo build --release -p palisade).
#
# Environment: BIN=path profiles another build. CALLER=conditional signs the workload as an IAM
# user whose only policy allows dynamodb:* under an aws:SourceIp condition (created with boto3),
# so every check is evaluated in full instead of answered by the decision memo (decision 0016).
# DATA_DIR=path serves an existing data directory (one `palisade bench --server-data-dir PATH
# --items ITEMS --keep-table` preloaded) and skips the preload: pass the same ITEMS so that keys
# are drawn from all of its items. The directory is kept; perf.data and the log go to a
# temporary directory. WARMUP=15s warms the server up for that long instead of 200 requests
# (a large store's block cache fills only as blocks are read).
set -euo pipefail
workload=${1:?usage: perf-profile.sh WORKLOAD [NAME] [ITEMS]}
name=${2:-$workload}
items=${3:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/target/release/palisade}
port=$((47300 + RANDOM % 500))
work=$(mktemp -d)
data=${DATA_DIR:-$work}
source "$root/scripts/bench-env.sh"
taskset -c 0 "$bin" serve --listen 127.0.0.1:$port --data-dir "$data" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 300); do grep -q listening "$work/server.log" 2>/dev/null && break; sleep 0.1; done
bench=("$bin" bench --endpoint "http://127.0.0.1:$port" --workloads "$workload" --items "$items" --keep-table --client-cpu 1)
use_caller "http://127.0.0.1:$port"
if [ -n "${WARMUP:-}" ]; then
    "${bench[@]}" --duration "$WARMUP" --warmup 0s ${DATA_DIR:+--no-preload} >/dev/null
else
    "${bench[@]}" --requests 200 ${DATA_DIR:+--no-preload} >/dev/null
fi
perf record -q -e cpu-clock -F 2000 --call-graph dwarf,16384 -o "$work/perf.data" -p $server -- sleep 5.5 >/dev/null 2>&1 &
recorder=$!
sleep 0.3
"${bench[@]}" --duration 5s --warmup 0s --no-preload | tail -2
wait $recorder || true
perf script -i "$work/perf.data" -F comm,tid,ip,sym 2>/dev/null >"$name.script"
python3 "$root/scripts/perf-shares.py" "$name.script" 'palisade_api::Api::respond::'
