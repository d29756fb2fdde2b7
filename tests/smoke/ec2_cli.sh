#!/usr/bin/env bash
# The EC2 VPC and VPC endpoint operations of a running Palisade server, with the AWS CLI.
#
# Usage: bash tests/smoke/ec2_cli.sh ENDPOINT_URL create STATE_FILE
#        bash tests/smoke/ec2_cli.sh ENDPOINT_URL after-restart STATE_FILE
#
# `create` makes a VPC and a VPC endpoint (listen addresses in the palisade:listen-addresses
# tag, a GetItem-only policy), checks every answer and EC2's errors, and writes the ids to
# STATE_FILE. `after-restart` (run after the server restarted on the same data) checks they are
# still there, resets the policy, deletes both and checks the errors for the deleted ids.
# Exits non-zero on the first unexpected answer.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 ENDPOINT_URL create|after-restart STATE_FILE" >&2
  exit 2
fi
endpoint="$1"
phase="$2"
state="$3"

export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-AKIDPALISADESMOKE002}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-palisade-smoke-secret}"
export AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER=""
export AWS_MAX_ATTEMPTS=1
unset AWS_PROFILE AWS_SESSION_TOKEN

ec2() { aws ec2 --endpoint-url "$endpoint" --output json "$@"; }
fail() { echo "ec2 cli: FAILED: $*" >&2; exit 1; }
expect() { # expect DESCRIPTION ACTUAL EXPECTED
  [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"
}
# json EXPR: evaluates EXPR on the JSON read from stdin as `d`.
json() { python3 -c "import json,sys; t=sys.stdin.read(); d=json.loads(t) if t.strip() else {}; print($1)"; }
# expect_error DESCRIPTION CODE MESSAGE -- COMMAND...: the command fails with CODE and MESSAGE.
expect_error() {
  local what="$1" code="$2" message="$3"
  shift 4
  local out
  if out=$("$@" 2>&1); then
    fail "$what: succeeded, expected $code"
  fi
  [[ "$out" == *"($code)"* ]] || fail "$what: expected ($code), got: $out"
  [[ "$out" == *"$message"* ]] || fail "$what: expected '$message', got: $out"
}

service=com.amazonaws.us-east-1.dynamodb
only_get='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*"}]}'
default_policy='{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
missing_vpc=vpc-0000000000000000a
missing_vpce=vpce-0000000000000000a

case "$phase" in
create)
  out=$(ec2 create-vpc --cidr-block 10.42.0.0/16 \
    --tag-specifications 'ResourceType=vpc,Tags=[{Key=Name,Value=smoke}]')
  vpc=$(json 'd["Vpc"]["VpcId"]' <<<"$out")
  [[ "$vpc" =~ ^vpc-[0-9a-f]{17}$ ]] || fail "CreateVpc VpcId: $vpc"
  expect "CreateVpc CidrBlock" "$(json 'd["Vpc"]["CidrBlock"]' <<<"$out")" "10.42.0.0/16"
  expect "CreateVpc State" "$(json 'd["Vpc"]["State"]' <<<"$out")" "available"
  expect "CreateVpc IsDefault" "$(json 'd["Vpc"]["IsDefault"]' <<<"$out")" "False"
  expect "CreateVpc Tags" "$(json 'd["Vpc"]["Tags"]' <<<"$out")" "[{'Key': 'Name', 'Value': 'smoke'}]"

  out=$(ec2 describe-vpcs --vpc-ids "$vpc")
  expect "DescribeVpcs by id" "$(json '[v["VpcId"] for v in d["Vpcs"]]' <<<"$out")" "['$vpc']"
  out=$(ec2 describe-vpcs --filters Name=tag:Name,Values=smoke Name=cidr,Values=10.42.0.0/16)
  expect "DescribeVpcs by filters" "$(json '[v["VpcId"] for v in d["Vpcs"]]' <<<"$out")" "['$vpc']"
  out=$(ec2 describe-vpcs --filters Name=tag:Name,Values=other)
  expect "DescribeVpcs, no match" "$(json 'd["Vpcs"]' <<<"$out")" "[]"
  expect_error "DescribeVpcs unknown id" InvalidVpcID.NotFound "The vpc ID '$missing_vpc' does not exist" -- \
    ec2 describe-vpcs --vpc-ids "$missing_vpc"
  expect_error "CreateVpc /8" InvalidVpc.Range "The CIDR '10.0.0.0/8' is invalid." -- \
    ec2 create-vpc --cidr-block 10.0.0.0/8

  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  tags="[{\"ResourceType\":\"vpc-endpoint\",\"Tags\":[{\"Key\":\"palisade:listen-addresses\",\"Value\":\"127.0.0.1:$port\"}]}]"
  out=$(ec2 create-vpc-endpoint --vpc-id "$vpc" --service-name "$service" \
    --vpc-endpoint-type Interface --policy-document "$only_get" --tag-specifications "$tags")
  vpce=$(json 'd["VpcEndpoint"]["VpcEndpointId"]' <<<"$out")
  [[ "$vpce" =~ ^vpce-[0-9a-f]{17}$ ]] || fail "CreateVpcEndpoint VpcEndpointId: $vpce"
  expect "CreateVpcEndpoint VpcId" "$(json 'd["VpcEndpoint"]["VpcId"]' <<<"$out")" "$vpc"
  expect "CreateVpcEndpoint ServiceName" "$(json 'd["VpcEndpoint"]["ServiceName"]' <<<"$out")" "$service"
  expect "CreateVpcEndpoint State" "$(json 'd["VpcEndpoint"]["State"]' <<<"$out")" "available"
  expect "CreateVpcEndpoint PolicyDocument" "$(json 'd["VpcEndpoint"]["PolicyDocument"]' <<<"$out")" "$only_get"
  expect "CreateVpcEndpoint DnsEntries" "$(json '[e["DnsName"] for e in d["VpcEndpoint"]["DnsEntries"]]' <<<"$out")" "['127.0.0.1:$port']"
  created=$(json 'd["VpcEndpoint"]["CreationTimestamp"]' <<<"$out")
  [[ "$created" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+ ]] || fail "CreationTimestamp: $created"

  expect_error "CreateVpcEndpoint bad address" InvalidParameterValue "Value (localhost) for tag palisade:listen-addresses is invalid" -- \
    ec2 create-vpc-endpoint --vpc-id "$vpc" --service-name "$service" --vpc-endpoint-type Interface \
    --tag-specifications '[{"ResourceType":"vpc-endpoint","Tags":[{"Key":"palisade:listen-addresses","Value":"localhost"}]}]'
  expect_error "CreateVpcEndpoint bad policy" InvalidPolicyDocument "The Policy Document is not valid." -- \
    ec2 create-vpc-endpoint --vpc-id "$vpc" --service-name "$service" --vpc-endpoint-type Interface \
    --policy-document '{"Statement":"nope"}'
  expect_error "CreateVpcEndpoint unknown VPC" InvalidVpcID.NotFound "The vpc ID '$missing_vpc' does not exist" -- \
    ec2 create-vpc-endpoint --vpc-id "$missing_vpc" --service-name "$service" --vpc-endpoint-type Interface
  expect_error "CreateVpcEndpoint unknown service" InvalidServiceName "The Vpc Endpoint Service 'com.amazonaws.us-east-1.s3' does not exist" -- \
    ec2 create-vpc-endpoint --vpc-id "$vpc" --service-name com.amazonaws.us-east-1.s3 --vpc-endpoint-type Interface

  out=$(ec2 describe-vpc-endpoints --filters Name=vpc-id,Values="$vpc" Name=service-name,Values="$service")
  expect "DescribeVpcEndpoints by filters" "$(json '[e["VpcEndpointId"] for e in d["VpcEndpoints"]]' <<<"$out")" "['$vpce']"
  expect_error "DescribeVpcEndpoints unknown id" InvalidVpcEndpointId.NotFound "The Vpc Endpoint Id '$missing_vpce' does not exist" -- \
    ec2 describe-vpc-endpoints --vpc-endpoint-ids "$missing_vpce"
  expect_error "DeleteVpc with an endpoint" DependencyViolation "The vpc '$vpc' has dependencies and cannot be deleted." -- \
    ec2 delete-vpc --vpc-id "$vpc"

  # A policy change is kept (checked after the restart).
  out=$(ec2 modify-vpc-endpoint --vpc-endpoint-id "$vpce" --policy-document "$only_get")
  expect "ModifyVpcEndpoint Return" "$(json 'd["Return"]' <<<"$out")" "True"
  expect_error "ModifyVpcEndpoint unknown id" InvalidVpcEndpointId.NotFound "The Vpc Endpoint Id '$missing_vpce' does not exist" -- \
    ec2 modify-vpc-endpoint --vpc-endpoint-id "$missing_vpce" --reset-policy

  printf '%s %s %s\n' "$vpc" "$vpce" "$created" >"$state"
  ;;
after-restart)
  read -r vpc vpce created <"$state"
  out=$(ec2 describe-vpcs --vpc-ids "$vpc")
  expect "VPC after restart" "$(json '[(v["VpcId"], v["CidrBlock"]) for v in d["Vpcs"]]' <<<"$out")" "[('$vpc', '10.42.0.0/16')]"
  out=$(ec2 describe-vpc-endpoints --vpc-endpoint-ids "$vpce")
  expect "endpoint after restart" "$(json 'd["VpcEndpoints"][0]["VpcId"]' <<<"$out")" "$vpc"
  expect "policy after restart" "$(json 'd["VpcEndpoints"][0]["PolicyDocument"]' <<<"$out")" "$only_get"
  expect "CreationTimestamp after restart" "$(json 'd["VpcEndpoints"][0]["CreationTimestamp"]' <<<"$out")" "$created"

  out=$(ec2 modify-vpc-endpoint --vpc-endpoint-id "$vpce" --reset-policy)
  expect "ModifyVpcEndpoint --reset-policy" "$(json 'd["Return"]' <<<"$out")" "True"
  out=$(ec2 describe-vpc-endpoints --vpc-endpoint-ids "$vpce")
  expect "policy after reset" "$(json 'd["VpcEndpoints"][0]["PolicyDocument"]' <<<"$out")" "$default_policy"

  out=$(ec2 delete-vpc-endpoints --vpc-endpoint-ids "$vpce" "$missing_vpce")
  expect "DeleteVpcEndpoints unsuccessful" \
    "$(json '[(u["ResourceId"], u["Error"]["Code"]) for u in d["Unsuccessful"]]' <<<"$out")" \
    "[('$missing_vpce', 'InvalidVpcEndpoint.NotFound')]"
  expect_error "DescribeVpcEndpoints deleted id" InvalidVpcEndpointId.NotFound "The Vpc Endpoint Id '$vpce' does not exist" -- \
    ec2 describe-vpc-endpoints --vpc-endpoint-ids "$vpce"

  ec2 delete-vpc --vpc-id "$vpc" >/dev/null
  expect_error "DeleteVpc deleted id" InvalidVpcID.NotFound "The vpc ID '$vpc' does not exist" -- \
    ec2 delete-vpc --vpc-id "$vpc"
  out=$(ec2 describe-vpcs)
  expect "no VPC left" "$(json 'd["Vpcs"]' <<<"$out")" "[]"
  ;;
*)
  echo "unknown phase $phase" >&2
  exit 2
  ;;
esac
echo "ec2 cli: $phase OK"
