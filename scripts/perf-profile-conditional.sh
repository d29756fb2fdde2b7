#!/bin/bash
# scripts/perf-profile.sh's `get`, but signed by an IAM user whose only policy has a condition
# (`aws:SourceIp` in 127.0.0.0/8), so every check is evaluated in full instead of answered by
# the decision memo (decision 0016). Needs perf, boto3 and a release build.
#
#   scripts/perf-profile-conditional.sh [NAME] [BINARY]
#
# Writes NAME.script (default get-conditional) and prints the shares of authentication and
# authorization.
set -euo pipefail
name=${1:-get-conditional}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${2:-$root/target/release/palisade}
export PALISADE_ADMIN_ACCESS_KEY_ID=AKIDPALISADEBENCH001
export PALISADE_ADMIN_SECRET_ACCESS_KEY=palisade-bench-secret-access-key-000000
export PALISADE_MASTER_KEY=YmVuY2gtb25seS1rZXktbm90LWEtc2VjcmV0LTMyYiE= RUST_LOG=warn
port=$((48400 + RANDOM % 300))
data=$(mktemp -d)
taskset -c 0 "$bin" serve --listen 127.0.0.1:$port --data-dir "$data" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 50); do grep -q listening "$data/server.log" 2>/dev/null && break; sleep 0.1; done
read -r akid secret < <(python3 - "http://127.0.0.1:$port" <<'EOF'
import json, sys
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="AKIDPALISADEBENCH001",
                   aws_secret_access_key="palisade-bench-secret-access-key-000000")
iam.create_user(UserName="conditional")
iam.put_user_policy(UserName="conditional", PolicyName="from-loopback", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*",
                   "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}]}))
key = iam.create_access_key(UserName="conditional")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
EOF
)
bench=("$bin" bench --endpoint "http://127.0.0.1:$port" --workloads get --items 10000 --keep-table
    --client-cpu 1 --access-key "$akid" --secret-key "$secret")
"${bench[@]}" --requests 200 >/dev/null
perf record -q -e cpu-clock -F 2000 --call-graph dwarf,16384 -o "$data/perf.data" -p $server -- sleep 5.5 >/dev/null 2>&1 &
recorder=$!
sleep 0.3
"${bench[@]}" --duration 5s --warmup 0s --no-preload | tail -2
wait $recorder || true
perf script -i "$data/perf.data" -F comm,tid,ip,sym 2>/dev/null >"$name.script"
python3 "$root/scripts/perf-shares.py" "$name.script" 'authn::authenticate_within' 'IamAuthorizer as'
