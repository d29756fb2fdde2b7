#!/usr/bin/env bash
# docs/perimeter.md, step by step, with the AWS CLI: from an empty server to a production table
# reachable only through its VPC endpoint (and the emergency role). Each step is the command the
# document shows; the script checks what it answers and stops at the first surprise.
#
# Usage: bash tests/e2e/perimeter_walkthrough.sh SERVER_URL ENDPOINT_ADDRESS
#   SERVER_URL        the server's public listener, e.g. http://127.0.0.1:8000
#   ENDPOINT_ADDRESS  a free host:port for the VPC endpoint's listener, e.g. 127.0.0.1:8001
# The administrator's key comes from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 SERVER_URL ENDPOINT_ADDRESS" >&2
  exit 2
fi
server="$1"
endpoint_address="$2"
endpoint_url="http://$endpoint_address"

export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_MAX_ATTEMPTS=1
unset AWS_PROFILE AWS_SESSION_TOKEN
admin_id="$AWS_ACCESS_KEY_ID"
admin_secret="$AWS_SECRET_ACCESS_KEY"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "walkthrough: FAILED: $*" >&2; exit 1; }
# Run the AWS CLI against the public listener.
awsp() { aws --endpoint-url "$server" "$@"; }
as_admin() { export AWS_ACCESS_KEY_ID="$admin_id" AWS_SECRET_ACCESS_KEY="$admin_secret"; unset AWS_SESSION_TOKEN; }
# as KEY SECRET [TOKEN]
as() { export AWS_ACCESS_KEY_ID="$1" AWS_SECRET_ACCESS_KEY="$2"; if [[ $# -gt 2 ]]; then export AWS_SESSION_TOKEN="$3"; else unset AWS_SESSION_TOKEN; fi; }
# assume ROLE_ARN: prints "KEY SECRET TOKEN" of a session of the role
assume() {
  awsp sts assume-role --role-arn "$1" --role-session-name walkthrough \
    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text
}
expect_denied() { # expect_denied WHAT MESSAGE-PART -- COMMAND...
  local what="$1" part="$2" out
  shift 3
  if out=$("$@" 2>&1); then fail "$what: succeeded, expected AccessDeniedException"; fi
  [[ "$out" == *"(AccessDeniedException)"* ]] || fail "$what: expected AccessDeniedException, got: $out"
  [[ "$out" == *"$part"* ]] || fail "$what: expected '$part' in: $out"
  echo "$out"
}

step "1. The organization, with service control policies"
as_admin
awsp organizations create-organization --feature-set ALL >/dev/null
request=$(awsp organizations create-account --email prod@example.com --account-name prod \
  --query 'CreateAccountStatus.Id' --output text)
prod=$(awsp organizations describe-create-account-status --create-account-request-id "$request" \
  --query 'CreateAccountStatus.AccountId' --output text)
[[ "$prod" =~ ^[0-9]{12}$ ]] || fail "no account id: $prod"
root=$(awsp organizations list-roots --query 'Roots[0].Id' --output text)
awsp organizations enable-policy-type --root-id "$root" --policy-type SERVICE_CONTROL_POLICY >/dev/null
echo "production account: $prod"

step "2. A VPC and its DynamoDB endpoint, listening on $endpoint_address"
vpc=$(awsp ec2 create-vpc --cidr-block 10.0.0.0/16 --query 'Vpc.VpcId' --output text)
vpce=$(awsp ec2 create-vpc-endpoint --vpc-id "$vpc" --vpc-endpoint-type Interface \
  --service-name com.amazonaws.us-east-1.dynamodb \
  --tag-specifications "ResourceType=vpc-endpoint,Tags=[{Key=palisade:listen-addresses,Value=$endpoint_address}]" \
  --query 'VpcEndpoint.VpcEndpointId' --output text)
echo "vpc: $vpc, endpoint: $vpce"
# The endpoint's listener opens at once.
listening() { (exec 3<>"/dev/tcp/${endpoint_address%:*}/${endpoint_address##*:}") 2>/dev/null; }
for _ in $(seq 50); do
  listening && break
  sleep 0.1
done
listening || fail "nothing listens on $endpoint_address"

step "3. The SCP, verbatim from AWS, attached to the production account"
cat >"$work/scp.json" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyDynamoDBOutsideVpc",
      "Effect": "Deny",
      "Action": "dynamodb:*",
      "Resource": "*",
      "Condition": {
        "StringNotEquals": {"aws:SourceVpc": "$vpc"},
        "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/emergency-role"}
      }
    }
  ]
}
EOF
scp=$(awsp organizations create-policy --type SERVICE_CONTROL_POLICY --name dynamodb-vpc-only \
  --description "DynamoDB only through our VPC" --content "file://$work/scp.json" \
  --query 'Policy.PolicySummary.Id' --output text)
awsp organizations attach-policy --policy-id "$scp" --target-id "$prod"

step "4. Identities in the production account (through OrganizationAccountAccessRole)"
read -r key secret token < <(assume "arn:aws:iam::$prod:role/OrganizationAccountAccessRole")
as "$key" "$secret" "$token"
awsp iam create-user --user-name app >/dev/null
awsp iam put-user-policy --user-name app --policy-name app --policy-document \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"dynamodb:*\",\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::$prod:role/emergency-role\"}]}"
read -r app_key app_secret < <(awsp iam create-access-key --user-name app \
  --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
awsp iam create-role --role-name emergency-role --assume-role-policy-document \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$prod:user/app\"},\"Action\":\"sts:AssumeRole\"}]}" >/dev/null
awsp iam put-role-policy --role-name emergency-role --policy-name dynamodb --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}'

step "5. From outside the VPC, the production account is denied"
as "$app_key" "$app_secret"
create=(dynamodb create-table --table-name orders --billing-mode PAY_PER_REQUEST
  --attribute-definitions AttributeName=pk,AttributeType=S --key-schema AttributeName=pk,KeyType=HASH)
expect_denied "CreateTable from outside" \
  "User: arn:aws:iam::$prod:user/app is not authorized to perform: dynamodb:CreateTable on resource: arn:aws:dynamodb:us-east-1:$prod:table/orders with an explicit deny in a service control policy" \
  -- awsp "${create[@]}"

step "6. Through the VPC endpoint, it works"
aws --endpoint-url "$endpoint_url" "${create[@]}" --query 'TableDescription.TableArn' --output text
aws --endpoint-url "$endpoint_url" dynamodb put-item --table-name orders --item '{"pk":{"S":"order-1"}}'

step "7. Break glass: the emergency role gets through from anywhere"
read -r key secret token < <(assume "arn:aws:iam::$prod:role/emergency-role")
as "$key" "$secret" "$token"
found=$(awsp dynamodb get-item --table-name orders --key '{"pk":{"S":"order-1"}}' --query 'Item.pk.S' --output text)
[[ "$found" == "order-1" ]] || fail "the emergency role read '$found'"
echo "emergency role read $found"

step "8. An endpoint policy narrows the endpoint to reads"
as_admin
awsp ec2 modify-vpc-endpoint --vpc-endpoint-id "$vpce" --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"*"}]}' >/dev/null
as "$app_key" "$app_secret"
aws --endpoint-url "$endpoint_url" dynamodb get-item --table-name orders --key '{"pk":{"S":"order-1"}}' >/dev/null
expect_denied "PutItem through the read-only endpoint" "because no VPC endpoint policy allows the dynamodb:PutItem action" \
  -- aws --endpoint-url "$endpoint_url" dynamodb put-item --table-name orders --item '{"pk":{"S":"order-2"}}'

echo
echo "walkthrough: all steps passed"
