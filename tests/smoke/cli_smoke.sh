#!/usr/bin/env bash
# Smoke test of a running Palisade server with the AWS CLI.
#
# Usage: bash tests/smoke/cli_smoke.sh http://127.0.0.1:8000
#
# Exercises CreateTable, PutItem, GetItem, Query, UpdateItem, DeleteItem and DeleteTable on a
# fresh table; exits non-zero on the first unexpected answer.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 ENDPOINT_URL" >&2
  exit 2
fi
endpoint="$1"

export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-AKIDPALISADESMOKE002}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-palisade-smoke-secret}"
export AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER=""
export AWS_MAX_ATTEMPTS=1
unset AWS_PROFILE AWS_SESSION_TOKEN

table="smoke_cli_$(date +%s)_$$"
ddb() { aws dynamodb --endpoint-url "$endpoint" --output json "$@"; }
fail() { echo "cli smoke: FAILED: $*" >&2; exit 1; }
expect() { # expect DESCRIPTION ACTUAL EXPECTED
  [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"
}
# json EXPR: evaluates EXPR on the JSON read from stdin as `d` (the CLI prints nothing for `{}`).
json() { python3 -c "import json,sys; t=sys.stdin.read(); d=json.loads(t) if t.strip() else {}; print($1)"; }

name=$(ddb create-table --table-name "$table" \
  --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
  --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST | json 'd["TableDescription"]["TableName"]')
expect "CreateTable TableName" "$name" "$table"
ddb wait table-exists --table-name "$table"

for sk in 1 2 3; do
  ddb put-item --table-name "$table" \
    --item "{\"pk\":{\"S\":\"user#1\"},\"sk\":{\"N\":\"$sk\"},\"name\":{\"S\":\"item $sk\"}}" >/dev/null
done

got=$(ddb get-item --table-name "$table" --consistent-read \
  --key '{"pk":{"S":"user#1"},"sk":{"N":"2"}}' | json 'd["Item"]["name"]["S"]')
expect "GetItem name" "$got" "item 2"

sks=$(ddb query --table-name "$table" \
  --key-condition-expression 'pk = :pk AND sk >= :low' \
  --expression-attribute-values '{":pk":{"S":"user#1"},":low":{"N":"2"}}' \
  | json '",".join(i["sk"]["N"] for i in d["Items"])')
expect "Query sort keys" "$sks" "2,3"

visits=$(ddb update-item --table-name "$table" \
  --key '{"pk":{"S":"user#1"},"sk":{"N":"1"}}' \
  --update-expression 'SET visits = if_not_exists(visits, :zero) + :one' \
  --expression-attribute-values '{":zero":{"N":"0"},":one":{"N":"1"}}' \
  --return-values ALL_NEW | json 'd["Attributes"]["visits"]["N"]')
expect "UpdateItem visits" "$visits" "1"

old=$(ddb delete-item --table-name "$table" \
  --key '{"pk":{"S":"user#1"},"sk":{"N":"3"}}' --return-values ALL_OLD \
  | json 'd["Attributes"]["name"]["S"]')
expect "DeleteItem old name" "$old" "item 3"
left=$(ddb get-item --table-name "$table" --consistent-read \
  --key '{"pk":{"S":"user#1"},"sk":{"N":"3"}}' | json '"Item" in d')
expect "deleted item readable" "$left" "False"

ddb delete-table --table-name "$table" >/dev/null
ddb wait table-not-exists --table-name "$table"

echo "cli smoke: ok"
