#!/bin/bash
# Measures Palisade and the DynamoDB-compatible peers that install from PyPI and npm, back to back,
# with the same `palisade bench` options: moto's server mode (in memory) and dynalite (in memory,
# and on LevelDB with --path). Each server runs alone, pinned to CPU 0 (taskset -c 0); the load
# generator runs on CPU 1. Not part of the test suite. See docs/performance-peers.md.
#
#   scripts/bench-peers.sh
#   PALISADE_BIN=/path/to/palisade RUNS=2 scripts/bench-peers.sh
#
# Settings (environment variables):
#   PALISADE_BIN        the Palisade binary: server and load generator (default target/release/palisade)
#   PALISADE_BENCH_BIN  another binary for the load generator only (default PALISADE_BIN)
#   PALISADE_PEERS_DIR  where the peers are installed (default ~/.cache/palisade-peers)
#   SERVERS             default palisade,moto,dynalite,dynalite-leveldb
#   WORKLOADS           default get,put,query,mixed,cond,batch,transact
#   ITEMS (10000), DURATION (5s), WARMUP (1s), CONNECTIONS (16), RUNS (1)
#   OUT                 directory for the JSON of every run (default: a new temporary directory)
#
# Each workload is two bench runs on an already preloaded table: WARMUP unmeasured, then DURATION
# measured. The server's CPU time (utime + stime of /proc/<pid>/stat, all threads) is read just
# before and just after the measured run and divided by its requests: "server CPU per request",
# measured the same way for every server. Palisade's data directory is a new directory in
# ${TMPDIR:-/tmp}: where that is a tmpfs, its syncs cost nothing. Needs python3 (with venv and
# pip), node and npm, taskset.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
palisade=${PALISADE_BIN:-$root/target/release/palisade}
bench_bin=${PALISADE_BENCH_BIN:-$palisade}
peers=${PALISADE_PEERS_DIR:-$HOME/.cache/palisade-peers}
servers=${SERVERS:-palisade,moto,dynalite,dynalite-leveldb}
workloads=${WORKLOADS:-get,put,query,mixed,cond,batch,transact}
items=${ITEMS:-10000}
duration=${DURATION:-5s}
warmup=${WARMUP:-1s}
connections=${CONNECTIONS:-16}
runs=${RUNS:-1}
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/bench-peers.XXXXXX")}
moto_version=5.2.5
dynalite_version=4.0.0

# The peers accept any credentials; Palisade gets these as its administrator's key.
source "$root/scripts/bench-env.sh"

for bin in "$palisade" "$bench_bin"; do
  [ -x "$bin" ] || { echo "no Palisade binary at $bin (cargo build --release -p palisade)" >&2; exit 2; }
done

install_peers() {
  mkdir -p "$peers"
  if [[ ,$servers, == *,moto,* ]] && [ ! -x "$peers/moto/bin/moto_server" ]; then
    echo "installing moto[server]==$moto_version into $peers/moto" >&2
    python3 -m venv "$peers/moto"
    "$peers/moto/bin/pip" install -q "moto[server]==$moto_version"
  fi
  if [[ ,$servers, == *,dynalite* ]] && [ ! -f "$peers/dynalite/node_modules/dynalite/cli.js" ]; then
    echo "installing dynalite@$dynalite_version into $peers/dynalite" >&2
    mkdir -p "$peers/dynalite"
    # classic-level (LevelDB) ships prebuilt binaries for linux-x64: no install script needed.
    (cd "$peers/dynalite" && npm install --no-audit --no-fund "dynalite@$dynalite_version" >&2)
  fi
}

server_pid=
server_dir=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=
  if [ -n "$server_dir" ]; then rm -rf "$server_dir"; fi
  server_dir=
}
trap stop_server EXIT

# Starts server $1 on port $2, pinned to CPU 0; sets server_pid (the server process itself:
# taskset execs it).
start_server() {
  local name=$1 port=$2
  server_dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-peers-server.XXXXXX")
  case $name in
    palisade)
      taskset -c 0 "$palisade" serve --listen "127.0.0.1:$port" --data-dir "$server_dir/data" \
        >"$server_dir/log" 2>&1 &
      ;;
    moto)
      taskset -c 0 "$peers/moto/bin/moto_server" -H 127.0.0.1 -p "$port" >"$server_dir/log" 2>&1 &
      ;;
    dynalite)
      taskset -c 0 node "$peers/dynalite/node_modules/dynalite/cli.js" --host 127.0.0.1 \
        --port "$port" --createTableMs 0 --deleteTableMs 0 >"$server_dir/log" 2>&1 &
      ;;
    dynalite-leveldb)
      taskset -c 0 node "$peers/dynalite/node_modules/dynalite/cli.js" --host 127.0.0.1 \
        --port "$port" --createTableMs 0 --deleteTableMs 0 --path "$server_dir/leveldb" \
        >"$server_dir/log" 2>&1 &
      ;;
    *) echo "unknown server $name" >&2; exit 2 ;;
  esac
  server_pid=$!
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start:" >&2
  cat "$server_dir/log" >&2
  exit 1
}

# The server's CPU time so far, in seconds.
server_cpu() {
  python3 -c '
import os, sys
f = open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")", 1)[1].split()
print((int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK"))' "$server_pid"
}

server_rss_kib() {
  awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"
}

# bench ENDPOINT ARGS...: the load generator, pinned to CPU 1. A run with failed requests exits
# with status 1; that is recorded, not fatal.
bench() {
  local endpoint=$1
  shift
  "$bench_bin" bench --endpoint "$endpoint" --client-cpu 1 --connections "$connections" \
    --items "$items" --keep-table "$@" || true
}

measure_server() {
  local run=$1 name=$2 port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local endpoint=http://127.0.0.1:$port dir=$out/run$run/$name
  mkdir -p "$dir"
  echo "run $run: $name ($(uptime | sed 's/.*load average/load average/'))" >&2
  start_server "$name" "$port"
  server_rss_kib >"$dir/idle_rss_kib"
  # Create the table and preload the items (the JSON has preload_seconds).
  bench "$endpoint" --workloads get --requests 100 --json >"$dir/setup.json"
  local workload
  for workload in ${workloads//,/ }; do
    bench "$endpoint" --workloads "$workload" --no-preload --duration "$warmup" --warmup 0s \
      >/dev/null 2>&1
    local before after
    before=$(server_cpu)
    bench "$endpoint" --workloads "$workload" --no-preload --duration "$duration" --warmup 0s \
      --json >"$dir/$workload.json" 2>"$dir/$workload.stderr"
    after=$(server_cpu)
    echo "$before $after" >"$dir/$workload.cpu"
  done
  server_rss_kib >"$dir/final_rss_kib"
  uptime >"$dir/uptime"
  stop_server
}

install_peers
mkdir -p "$out"
{
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "palisade: $palisade"
  echo "load generator: $bench_bin"
  echo "peers: moto $moto_version, dynalite $dynalite_version, node $(node --version)"
  echo "items $items, duration $duration, warm-up $warmup, connections $connections"
  echo "start: $(date -u +%FT%TZ), $(uptime)"
} | tee "$out/machine.txt" >&2
for run in $(seq "$runs"); do
  for name in ${servers//,/ }; do
    measure_server "$run" "$name"
  done
done
echo "end: $(date -u +%FT%TZ), $(uptime)" | tee -a "$out/machine.txt" >&2

python3 - "$out" "$servers" "$workloads" <<'EOF'
# One Markdown table per run: a row per workload and server.
import json, os, sys

out, servers, workloads = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(",")
for run in sorted(d for d in os.listdir(out) if d.startswith("run")):
    print(f"\n{run}\n")
    print("| workload | server | ops/s | p50 ms | p99 ms | server CPU µs/request | busy | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for w in workloads:
        for s in servers:
            d = os.path.join(out, run, s)
            try:
                r = json.load(open(os.path.join(d, w + ".json")))["workloads"][0]
                before, after = map(float, open(os.path.join(d, w + ".cpu")).read().split())
            except (OSError, ValueError, KeyError, IndexError):
                print(f"| {w} | {s} | no result | | | | | see {d}/{w}.stderr |")
                continue
            n, cpu = r["requests"], after - before
            errors = "0" if not r["errors"] else f"{r['errors']} of {n}: " + ", ".join(
                f"{k} {c}" for k, c in r["error_kinds"].items())
            per_request = f"{cpu / n * 1e6:.0f}" if n else "-"
            busy = f"{cpu / r['seconds'] * 100:.0f} %" if r["seconds"] else "-"
            if n and r["errors"] == n:
                rate = "FAILED | - | -"
            else:
                rate = f"{r['ops_per_sec']:.0f} | {r['p50_us'] / 1000:.2f} | {r['p99_us'] / 1000:.2f}"
            print(f"| {w} | {s} | {rate} | {per_request} | {busy} | {errors} |")
    print()
    for s in servers:
        d = os.path.join(out, run, s)
        try:
            setup = json.load(open(os.path.join(d, "setup.json")))
            rss = [open(os.path.join(d, f)).read().strip() for f in ("idle_rss_kib", "final_rss_kib")]
            load = open(os.path.join(d, "uptime")).read().split("load average: ")[1].strip()
            print(f"- {s}: preload {setup['preload_seconds']:.2f} s; RSS {rss[0]} KiB idle, "
                  f"{rss[1]} KiB at the end; load average after it {load}")
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            print(f"- {s}: setup failed (see {d}/setup.json)")
print(f"\nJSON of every run: {out}")
EOF
