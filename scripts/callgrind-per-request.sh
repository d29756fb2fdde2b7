#!/bin/bash
# Instructions per request of one `palisade bench` workload, counted by callgrind on the server
# (HTTP, SigV4, IAM, engine, storage writer), from the workload's first request. Stable on a
# shared machine, unlike wall-clock figures; see docs/performance.md, "The method".
#
#   scripts/callgrind-per-request.sh WORKLOAD [BINARY] [REQUESTS]
#
# Preloads 1,000 items once without valgrind, then runs REQUESTS (default 300) requests on 4
# connections with instrumentation on, and prints the total divided by REQUESTS. Needs valgrind.
# CALLER=conditional signs as an IAM user whose policy has an aws:SourceIp condition, as
# scripts/perf-profile.sh does (needs boto3).
# KEEP=path copies callgrind's output there, for callgrind_annotate.
set -euo pipefail
workload=${1:?usage: callgrind-per-request.sh WORKLOAD [BINARY] [REQUESTS]}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${2:-$root/target/release/palisade}
requests=${3:-300}
source "$root/scripts/bench-env.sh"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] && cp "$work/cg.out" "$KEEP"; rm -rf "$work"' EXIT
port=$((47800 + RANDOM % 500))
wait_listening() {
    for _ in $(seq 300); do grep -q listening "$work/server.log" 2>/dev/null && return 0; sleep 0.1; done
    echo "the server did not start" >&2
    exit 1
}
bench=("$bin" bench --endpoint "http://127.0.0.1:$port" --workloads "$workload" --items 1000
    --keep-table --connections 4)
"$bin" serve --listen 127.0.0.1:$port --data-dir "$work/data" >"$work/server.log" 2>&1 &
server=$!
wait_listening
use_caller "http://127.0.0.1:$port"
"${bench[@]}" --requests 10 >/dev/null
kill $server && wait $server 2>/dev/null || true
: >"$work/server.log"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.out" \
    "$bin" serve --listen 127.0.0.1:$port --data-dir "$work/data" >"$work/server.log" 2>&1 &
server=$!
wait_listening
callgrind_control -i on $server >/dev/null
"${bench[@]}" --requests "$requests" --no-preload --warmup 0s >/dev/null
kill $server && wait $server 2>/dev/null || true
callgrind_annotate "$work/cg.out" > "$work/annotate.txt" 2>&1 || true
total=$(grep -m1 "PROGRAM TOTALS" "$work/annotate.txt" | awk '{gsub(",","",$1); print $1}')
if [ -z "$total" ]; then cat "$work/server.log" "$work/annotate.txt" >&2; exit 1; fi
echo "$workload: $((total / requests)) instructions per request ($total / $requests)"
