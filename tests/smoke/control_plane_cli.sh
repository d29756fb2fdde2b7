#!/usr/bin/env bash
# The control plane (IAM, STS, Organizations) through the AWS CLI against a running server.
#
# Usage: bash tests/smoke/control_plane_cli.sh http://127.0.0.1:8000 [iam-sts|organizations]
# (the optional part runs one half: IAM then STS, or Organizations; both by default)
# (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: the server's admin key, account 000000000000)
#
# Every step checks the CLI's output (`--query ... --output text`) or its error; the script
# stops at the first difference and says what was expected.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 ENDPOINT_URL [iam-sts|organizations]" >&2
  exit 2
fi
endpoint="$1"
part="${2:-all}"
wants() { [[ "$part" == all || "$part" == "$1" ]]; }

: "${AWS_ACCESS_KEY_ID:?the admin access key id}"
: "${AWS_SECRET_ACCESS_KEY:?the admin secret access key}"
export AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER=""
export AWS_MAX_ATTEMPTS=1
unset AWS_PROFILE AWS_SESSION_TOKEN
admin_id="$AWS_ACCESS_KEY_ID"
admin_secret="$AWS_SECRET_ACCESS_KEY"
acct=000000000000
run=$(date +%s)_$$

fail() { echo "control plane cli: FAILED: $*" >&2; exit 1; }
expect() { # expect DESCRIPTION ACTUAL EXPECTED
  [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"
}
expect_match() { # expect_match DESCRIPTION ACTUAL GLOB
  # shellcheck disable=SC2053
  [[ "$2" == $3 ]] || fail "$1: got '$2', expected to match '$3'"
}
aws_() { aws --endpoint-url "$endpoint" "$@"; }
# text SERVICE OP QUERY ARGS...: one value of the answer, as text.
text() {
  local service=$1 op=$2 query=$3
  shift 3
  aws_ "$service" "$op" --query "$query" --output text "$@"
}
# refused DESCRIPTION CODE MESSAGE COMMAND...: the command must fail with exactly this AWS
# error code and message (the CLI prints `An error occurred (CODE) when calling ...: MESSAGE`).
refused() {
  local what=$1 code=$2 message=$3
  shift 3
  local err
  if err=$("$@" 2>&1 >/dev/null); then
    fail "$what: succeeded, expected $code"
  fi
  err=$(printf '%s' "$err" | tr -d '\r' | sed -n '/An error occurred/,$p' | tr '\n' ' ' | sed 's/ *$//')
  expect_match "$what: error" "$err" "An error occurred ($code) when calling the *operation*: $message"
}

if wants iam-sts; then
#################################### IAM ####################################

user="cp-user-$run"
aws_ iam create-user --user-name "$user" --output text >/dev/null
expect "GetUser Arn" "$(text iam get-user User.Arn --user-name "$user")" \
  "arn:aws:iam::$acct:user/$user"

# Access keys: two per user; the third is refused with IAM's LimitExceeded.
key1=$(aws_ iam create-access-key --user-name "$user" --output text \
  --query 'join(`,`, [AccessKey.AccessKeyId, AccessKey.SecretAccessKey, AccessKey.Status])')
key2=$(text iam create-access-key AccessKey.AccessKeyId --user-name "$user")
IFS=, read -r key1_id key1_secret key1_status <<<"$key1"
expect "CreateAccessKey status" "$key1_status" "Active"
expect_match "CreateAccessKey id" "$key1_id" "AKIA*"
refused "third access key" LimitExceeded "Cannot exceed quota for AccessKeysPerUser: 2" \
  aws_ iam create-access-key --user-name "$user"
expect "ListAccessKeys" \
  "$(text iam list-access-keys 'sort(AccessKeyMetadata[].AccessKeyId)' --user-name "$user")" \
  "$(printf '%s\n' "$key1_id" "$key2" | sort | paste -sd '\t')"

# The key works until it is made Inactive, then it is refused on use.
as_key1() {
  AWS_ACCESS_KEY_ID=$key1_id AWS_SECRET_ACCESS_KEY=$key1_secret aws_ "$@"
}
expect "GetCallerIdentity with the user's key" \
  "$(as_key1 sts get-caller-identity --query Arn --output text)" "arn:aws:iam::$acct:user/$user"
aws_ iam update-access-key --user-name "$user" --access-key-id "$key1_id" --status Inactive
expect "ListAccessKeys status" \
  "$(text iam list-access-keys "AccessKeyMetadata[?AccessKeyId=='$key1_id'].Status" --user-name "$user")" \
  "Inactive"
refused "inactive key on STS" InvalidClientTokenId "The security token included in the request is invalid." \
  as_key1 sts get-caller-identity
refused "inactive key on DynamoDB" UnrecognizedClientException \
  "The security token included in the request is invalid." as_key1 dynamodb list-tables
aws_ iam delete-access-key --user-name "$user" --access-key-id "$key1_id"
expect "ListAccessKeys after delete" \
  "$(text iam list-access-keys 'AccessKeyMetadata[].AccessKeyId' --user-name "$user")" "$key2"

# Groups.
group="cp-group-$run"
expect "CreateGroup Arn" "$(text iam create-group Group.Arn --group-name "$group")" \
  "arn:aws:iam::$acct:group/$group"
aws_ iam add-user-to-group --group-name "$group" --user-name "$user"
expect "GetGroup users" "$(text iam get-group 'Users[].UserName' --group-name "$group")" "$user"
expect "ListGroupsForUser" "$(text iam list-groups-for-user 'Groups[].GroupName' --user-name "$user")" \
  "$group"
aws_ iam remove-user-from-group --group-name "$group" --user-name "$user"
expect "GetGroup users after remove" "$(text iam get-group 'length(Users)' --group-name "$group")" "0"

# Roles: a trust policy, a path, MaxSessionDuration.
role="cp-role-$run"
trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'$acct':root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-'$run'"}}}]}'
role_arn=$(text iam create-role Role.Arn --role-name "$role" --path /service/ \
  --assume-role-policy-document "$trust" --max-session-duration 3600)
expect "CreateRole Arn" "$role_arn" "arn:aws:iam::$acct:role/service/$role"
expect "GetRole" "$(text iam get-role 'join(`,`, [Role.Path, Role.RoleName, to_string(Role.MaxSessionDuration)])' \
  --role-name "$role")" "/service/,$role,3600"
expect "GetRole trust ExternalId" \
  "$(text iam get-role 'Role.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals."sts:ExternalId"' \
  --role-name "$role")" "ext-$run"
expect "ListRoles with a path prefix" \
  "$(text iam list-roles "Roles[?RoleName=='$role'].Arn" --path-prefix /service/)" "$role_arn"
expect "ListRoles with another path prefix" \
  "$(text iam list-roles "length(Roles[?RoleName=='$role'])" --path-prefix /other/)" "0"
role_id=$(text iam get-role Role.RoleId --role-name "$role")
expect_match "RoleId" "$role_id" "AROA*"

# Inline policies of a role, a user and a group.
allow_get='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}'
for kind in role user group; do
  case $kind in
    role) who=(--role-name "$role") ;;
    user) who=(--user-name "$user") ;;
    group) who=(--group-name "$group") ;;
  esac
  aws_ iam "put-$kind-policy" "${who[@]}" --policy-name inline1 --policy-document "$allow_get"
  expect "Get${kind}Policy action" \
    "$(text iam "get-$kind-policy" PolicyDocument.Statement[0].Action "${who[@]}" --policy-name inline1)" \
    "dynamodb:GetItem"
  expect "List${kind}Policies" "$(text iam "list-$kind-policies" PolicyNames "${who[@]}")" "inline1"
  aws_ iam "delete-$kind-policy" "${who[@]}" --policy-name inline1
  expect "List${kind}Policies after delete" \
    "$(text iam "list-$kind-policies" 'length(PolicyNames)' "${who[@]}")" "0"
  refused "Get${kind}Policy after delete" NoSuchEntity "*" \
    aws_ iam "get-$kind-policy" "${who[@]}" --policy-name inline1
done

# Managed policies and their versions.
policy="cp-policy-$run"
policy_arn=$(text iam create-policy Policy.Arn --policy-name "$policy" --policy-document "$allow_get")
expect "CreatePolicy Arn" "$policy_arn" "arn:aws:iam::$acct:policy/$policy"
allow_put='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:PutItem","Resource":"*"}]}'
expect "CreatePolicyVersion" "$(text iam create-policy-version \
  'join(`,`, [PolicyVersion.VersionId, to_string(PolicyVersion.IsDefaultVersion)])' \
  --policy-arn "$policy_arn" --policy-document "$allow_put" --set-as-default)" "v2,true"
expect "GetPolicyVersion v2" "$(text iam get-policy-version PolicyVersion.Document.Statement[0].Action \
  --policy-arn "$policy_arn" --version-id v2)" "dynamodb:PutItem"
expect "GetPolicy default" "$(text iam get-policy Policy.DefaultVersionId --policy-arn "$policy_arn")" "v2"
aws_ iam set-default-policy-version --policy-arn "$policy_arn" --version-id v1
expect "GetPolicy default after SetDefaultPolicyVersion" \
  "$(text iam get-policy Policy.DefaultVersionId --policy-arn "$policy_arn")" "v1"
expect "GetPolicyVersion v2 not default" "$(text iam get-policy-version PolicyVersion.IsDefaultVersion \
  --policy-arn "$policy_arn" --version-id v2)" "False"
for kind in role user group; do
  case $kind in
    role) who=(--role-name "$role") ;;
    user) who=(--user-name "$user") ;;
    group) who=(--group-name "$group") ;;
  esac
  aws_ iam "attach-$kind-policy" "${who[@]}" --policy-arn "$policy_arn"
  expect "ListAttached${kind}Policies" \
    "$(text iam "list-attached-$kind-policies" 'AttachedPolicies[].[PolicyName,PolicyArn]' "${who[@]}")" \
    "$policy	$policy_arn"
  aws_ iam "detach-$kind-policy" "${who[@]}" --policy-arn "$policy_arn"
  expect "ListAttached${kind}Policies after detach" \
    "$(text iam "list-attached-$kind-policies" 'length(AttachedPolicies)' "${who[@]}")" "0"
done
expect "GetPolicy of an AWS-managed policy" \
  "$(text iam get-policy Policy.Arn --policy-arn arn:aws:iam::aws:policy/AdministratorAccess)" \
  "arn:aws:iam::aws:policy/AdministratorAccess"
expect "GetPolicy AttachmentCount" "$(text iam get-policy Policy.AttachmentCount --policy-arn "$policy_arn")" "0"

# Permissions boundaries.
aws_ iam put-role-permissions-boundary --role-name "$role" --permissions-boundary "$policy_arn"
expect "GetRole boundary" "$(text iam get-role Role.PermissionsBoundary.PermissionsBoundaryArn \
  --role-name "$role")" "$policy_arn"
aws_ iam delete-role-permissions-boundary --role-name "$role"
expect "GetRole boundary after delete" "$(text iam get-role Role.PermissionsBoundary --role-name "$role")" "None"
aws_ iam put-user-permissions-boundary --user-name "$user" --permissions-boundary "$policy_arn"
expect "GetUser boundary" "$(text iam get-user User.PermissionsBoundary.PermissionsBoundaryArn \
  --user-name "$user")" "$policy_arn"
aws_ iam delete-user-permissions-boundary --user-name "$user"

# Tags.
aws_ iam tag-role --role-name "$role" --tags Key=team,Value=payments Key=env,Value=prod
aws_ iam tag-user --user-name "$user" --tags Key=team,Value=payments
expect "ListRoleTags" "$(text iam list-role-tags "Tags[?Key=='team'].Value" --role-name "$role")" "payments"
expect "ListRoleTags count" "$(text iam list-role-tags 'length(Tags)' --role-name "$role")" "2"
expect "ListUserTags" "$(text iam list-user-tags 'Tags[0].[Key,Value]' --user-name "$user")" "team	payments"

# The policy simulator: the user may GetItem (its inline policy) and nothing else.
aws_ iam put-user-policy --user-name "$user" --policy-name sim --policy-document "$allow_get"
expect "SimulatePrincipalPolicy" "$(text iam simulate-principal-policy \
  'EvaluationResults[].[EvalActionName,EvalDecision]' --policy-source-arn "arn:aws:iam::$acct:user/$user" \
  --action-names dynamodb:GetItem dynamodb:DeleteItem)" \
  "dynamodb:GetItem	allowed
dynamodb:DeleteItem	implicitDeny"
deny_delete='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"},{"Effect":"Deny","Action":"dynamodb:DeleteItem","Resource":"*"}]}'
expect "SimulateCustomPolicy" "$(text iam simulate-custom-policy \
  'EvaluationResults[].[EvalActionName,EvalDecision]' --policy-input-list "$deny_delete" \
  --action-names dynamodb:PutItem dynamodb:DeleteItem s3:GetObject)" \
  "dynamodb:PutItem	allowed
dynamodb:DeleteItem	explicitDeny
s3:GetObject	implicitDeny"

echo "control plane cli: IAM ok"

#################################### STS ####################################

admin_user_id=$(text iam get-user User.UserId --user-name admin)
expect "GetCallerIdentity (admin)" \
  "$(text sts get-caller-identity 'join(`,`, [Arn, UserId, Account])')" \
  "arn:aws:iam::$acct:user/admin,$admin_user_id,$acct"

# The role may read and write items of one table, nothing else.
table="cp_table_$run"
aws_ dynamodb create-table --table-name "$table" --billing-mode PAY_PER_REQUEST \
  --attribute-definitions AttributeName=pk,AttributeType=S \
  --key-schema AttributeName=pk,KeyType=HASH --output text >/dev/null
table_arn="arn:aws:dynamodb:us-east-1:$acct:table/$table"
items='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],"Resource":"'$table_arn'"}]}'
aws_ iam put-role-policy --role-name "$role" --policy-name items --policy-document "$items"

# The trust policy requires the external id.
refused "AssumeRole without the external id" AccessDenied \
  "User: arn:aws:iam::$acct:user/admin is not authorized to perform: sts:AssumeRole on resource: $role_arn" \
  aws_ sts assume-role --role-arn "$role_arn" --role-session-name s1
refused "AssumeRole with a wrong external id" AccessDenied \
  "User: arn:aws:iam::$acct:user/admin is not authorized to perform: sts:AssumeRole on resource: $role_arn" \
  aws_ sts assume-role --role-arn "$role_arn" --role-session-name s1 --external-id wrong-id
refused "AssumeRole beyond MaxSessionDuration" ValidationError \
  "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." \
  aws_ sts assume-role --role-arn "$role_arn" --role-session-name s1 --external-id "ext-$run" \
  --duration-seconds 7200

# update-assume-role-policy: the new trust policy takes effect (the old external id no longer).
trust2=${trust//ext-$run/ext2-$run}
aws_ iam update-assume-role-policy --role-name "$role" --policy-document "$trust2"
expect "GetRole trust after update" \
  "$(text iam get-role 'Role.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals."sts:ExternalId"' \
  --role-name "$role")" "ext2-$run"
refused "AssumeRole with the replaced external id" AccessDenied "User: *" \
  aws_ sts assume-role --role-arn "$role_arn" --role-session-name s1 --external-id "ext-$run"

session=$(aws_ sts assume-role --role-arn "$role_arn" --role-session-name s1 --external-id "ext2-$run" \
  --duration-seconds 900 --output text \
  --query 'join(`,`, [Credentials.AccessKeyId, Credentials.SecretAccessKey, Credentials.SessionToken, AssumedRoleUser.Arn, AssumedRoleUser.AssumedRoleId])')
IFS=, read -r s_id s_secret s_token s_arn s_user_id <<<"$session"
session_arn="arn:aws:sts::$acct:assumed-role/$role/s1"
expect "AssumeRole AssumedRoleUser.Arn (no path)" "$s_arn" "$session_arn"
expect "AssumeRole AssumedRoleId" "$s_user_id" "$role_id:s1"
expect_match "AssumeRole AccessKeyId" "$s_id" "ASIA*"
as_session() {
  AWS_ACCESS_KEY_ID=$s_id AWS_SECRET_ACCESS_KEY=$s_secret AWS_SESSION_TOKEN=$s_token aws_ "$@"
}
expect "GetCallerIdentity (assumed role)" \
  "$(as_session sts get-caller-identity --output text --query 'join(`,`, [Arn, UserId, Account])')" \
  "$session_arn,$role_id:s1,$acct"

# The session may put and get items of the table; deleting the table is denied.
as_session dynamodb put-item --table-name "$table" --item '{"pk":{"S":"a"},"v":{"S":"1"}}'
expect "GetItem with the session" "$(as_session dynamodb get-item --table-name "$table" \
  --key '{"pk":{"S":"a"}}' --output text --query Item.v.S)" "1"
refused "DeleteTable with the session" AccessDeniedException \
  "User: $session_arn is not authorized to perform: dynamodb:DeleteTable on resource: $table_arn because no identity-based policy allows the dynamodb:DeleteTable action" \
  as_session dynamodb delete-table --table-name "$table"

# A session policy narrows the session to GetItem.
only_get='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}'
narrow=$(aws_ sts assume-role --role-arn "$role_arn" --role-session-name s2 --external-id "ext2-$run" \
  --policy "$only_get" --output text \
  --query 'join(`,`, [Credentials.AccessKeyId, Credentials.SecretAccessKey, Credentials.SessionToken])')
IFS=, read -r n_id n_secret n_token <<<"$narrow"
as_narrow() {
  AWS_ACCESS_KEY_ID=$n_id AWS_SECRET_ACCESS_KEY=$n_secret AWS_SESSION_TOKEN=$n_token aws_ "$@"
}
expect "GetItem with the narrowed session" "$(as_narrow dynamodb get-item --table-name "$table" \
  --key '{"pk":{"S":"a"}}' --output text --query Item.v.S)" "1"
refused "PutItem with the narrowed session" AccessDeniedException \
  "User: arn:aws:sts::$acct:assumed-role/$role/s2 is not authorized to perform: dynamodb:PutItem on resource: $table_arn because no session policy allows the dynamodb:PutItem action" \
  as_narrow dynamodb put-item --table-name "$table" --item '{"pk":{"S":"b"}}'

# GetSessionToken: temporary credentials of the admin user itself.
tok=$(aws_ sts get-session-token --duration-seconds 900 --output text \
  --query 'join(`,`, [Credentials.AccessKeyId, Credentials.SecretAccessKey, Credentials.SessionToken])')
IFS=, read -r t_id t_secret t_token <<<"$tok"
expect_match "GetSessionToken AccessKeyId" "$t_id" "ASIA*"
expect "GetCallerIdentity with GetSessionToken credentials" \
  "$(AWS_ACCESS_KEY_ID=$t_id AWS_SECRET_ACCESS_KEY=$t_secret AWS_SESSION_TOKEN=$t_token \
  aws_ sts get-caller-identity --output text --query Arn)" "arn:aws:iam::$acct:user/admin"
# (an invalid or missing security token: the text without its final period, as AWS answers it)
refused "session credentials without their token" InvalidClientTokenId \
  "The security token included in the request is invalid" \
  env AWS_ACCESS_KEY_ID="$t_id" AWS_SECRET_ACCESS_KEY="$t_secret" \
  aws --endpoint-url "$endpoint" sts get-caller-identity

# Cleanup of the IAM entities (delete-role needs its policies gone first).
refused "DeleteRole with inline policies" DeleteConflict "*" aws_ iam delete-role --role-name "$role"
aws_ iam delete-role-policy --role-name "$role" --policy-name items
aws_ iam delete-role --role-name "$role"
refused "GetRole after delete" NoSuchEntity "The role with name $role cannot be found." \
  aws_ iam get-role --role-name "$role"
aws_ dynamodb delete-table --table-name "$table" --output text >/dev/null

echo "control plane cli: STS ok"
fi

if wants organizations; then
############################### Organizations ###############################

org() { aws_ organizations "$@"; }
otext() { text organizations "$@"; }

org_id=$(otext create-organization Organization.Id --feature-set ALL)
expect_match "CreateOrganization Id" "$org_id" "o-*"
expect "DescribeOrganization" \
  "$(otext describe-organization 'join(`,`, [Organization.Id, Organization.MasterAccountId, Organization.FeatureSet, Organization.Arn])')" \
  "$org_id,$acct,ALL,arn:aws:organizations::$acct:organization/$org_id"
root_id=$(otext list-roots 'Roots[0].Id')
expect_match "ListRoots Id" "$root_id" "r-*"
expect "ListRoots Arn" "$(otext list-roots 'Roots[0].Arn')" "arn:aws:organizations::$acct:root/$org_id/$root_id"

request=$(otext create-account CreateAccountStatus.Id --email "dev-$run@example.com" --account-name "dev-$run")
expect_match "CreateAccount request id" "$request" "car-*"
status=$(otext describe-create-account-status 'join(`,`, [CreateAccountStatus.State, CreateAccountStatus.AccountId])' \
  --create-account-request-id "$request")
IFS=, read -r state dev <<<"$status"
expect "DescribeCreateAccountStatus State" "$state" "SUCCEEDED"
expect "DescribeAccount" "$(otext describe-account 'join(`,`, [Account.Name, Account.Email, Account.Arn])' \
  --account-id "$dev")" "dev-$run,dev-$run@example.com,arn:aws:organizations::$acct:account/$org_id/$dev"
expect "ListAccounts" "$(otext list-accounts 'sort(Accounts[].Id)' )" \
  "$(printf '%s\n' "$acct" "$dev" | sort | paste -sd '\t')"

ou_id=$(otext create-organizational-unit OrganizationalUnit.Id --parent-id "$root_id" --name "workloads-$run")
expect_match "CreateOrganizationalUnit Id" "$ou_id" "ou-*"
expect "ListOrganizationalUnitsForParent" \
  "$(otext list-organizational-units-for-parent 'OrganizationalUnits[].[Id,Name]' --parent-id "$root_id")" \
  "$ou_id	workloads-$run"
expect "ListParents of the new account" "$(otext list-parents 'Parents[].[Id,Type]' --child-id "$dev")" \
  "$root_id	ROOT"
org move-account --account-id "$dev" --source-parent-id "$root_id" --destination-parent-id "$ou_id"
expect "ListParents after MoveAccount" "$(otext list-parents 'Parents[].[Id,Type]' --child-id "$dev")" \
  "$ou_id	ORGANIZATIONAL_UNIT"
expect "ListChildren of the OU" \
  "$(otext list-children 'Children[].[Id,Type]' --parent-id "$ou_id" --child-type ACCOUNT)" "$dev	ACCOUNT"
expect "ListChildren OUs of the root" \
  "$(otext list-children 'Children[].Id' --parent-id "$root_id" --child-type ORGANIZATIONAL_UNIT)" "$ou_id"

expect "EnablePolicyType" "$(otext enable-policy-type \
  'Root.PolicyTypes[?Type==`SERVICE_CONTROL_POLICY`].Status' --root-id "$root_id" \
  --policy-type SERVICE_CONTROL_POLICY)" "ENABLED"
scp='{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*"}]}'
policy_id=$(otext create-policy Policy.PolicySummary.Id --name "no-delete-$run" --description "first" \
  --type SERVICE_CONTROL_POLICY --content "$scp")
expect_match "CreatePolicy Id" "$policy_id" "p-*"
expect "CreatePolicy Arn" "$(otext describe-policy Policy.PolicySummary.Arn --policy-id "$policy_id")" \
  "arn:aws:organizations::$acct:policy/$org_id/service_control_policy/$policy_id"
org update-policy --policy-id "$policy_id" --description "second" --output text >/dev/null
expect "DescribePolicy after UpdatePolicy" "$(otext describe-policy \
  'join(`,`, [Policy.PolicySummary.Name, Policy.PolicySummary.Description, to_string(Policy.PolicySummary.AwsManaged)])' \
  --policy-id "$policy_id")" "no-delete-$run,second,false"
expect "DescribePolicy content" "$(otext describe-policy Policy.Content --policy-id "$policy_id")" "$scp"
expect "ListPolicies" "$(otext list-policies 'sort(Policies[].Id)' --filter SERVICE_CONTROL_POLICY)" \
  "$(printf '%s\n' p-FullAWSAccess "$policy_id" | sort | paste -sd '\t')"

org attach-policy --policy-id "$policy_id" --target-id "$ou_id"
expect "ListPoliciesForTarget" "$(otext list-policies-for-target 'sort(Policies[].Id)' --target-id "$ou_id" \
  --filter SERVICE_CONTROL_POLICY)" "$(printf '%s\n' p-FullAWSAccess "$policy_id" | sort | paste -sd '\t')"
expect "ListTargetsForPolicy" "$(otext list-targets-for-policy 'Targets[].[TargetId,Type]' --policy-id "$policy_id")" \
  "$ou_id	ORGANIZATIONAL_UNIT"
refused "DeletePolicy while attached" PolicyInUseException "*" org delete-policy --policy-id "$policy_id"
org detach-policy --policy-id "$policy_id" --target-id "$ou_id"
expect "ListTargetsForPolicy after detach" \
  "$(otext list-targets-for-policy 'length(Targets)' --policy-id "$policy_id")" "0"

# Authorization on real resource ARNs: a user allowed to attach SCPs to one OU only.
ou2_id=$(otext create-organizational-unit OrganizationalUnit.Id --parent-id "$root_id" --name "other-$run")
ou_arn="arn:aws:organizations::$acct:ou/$org_id/$ou_id"
ou2_arn="arn:aws:organizations::$acct:ou/$org_id/$ou2_id"
operator="cp-org-operator-$run"
aws_ iam create-user --user-name "$operator" --output text >/dev/null
attach_one_ou='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["organizations:AttachPolicy","organizations:DetachPolicy"],"Resource":["'$ou_arn'","arn:aws:organizations::'$acct':policy/'$org_id'/service_control_policy/*"],"Condition":{"StringEquals":{"organizations:PolicyType":"SERVICE_CONTROL_POLICY"}}}]}'
aws_ iam put-user-policy --user-name "$operator" --policy-name attach-one-ou --policy-document "$attach_one_ou"
op_key=$(text iam create-access-key 'join(`,`, [AccessKey.AccessKeyId, AccessKey.SecretAccessKey])' \
  --user-name "$operator")
IFS=, read -r op_id op_secret <<<"$op_key"
as_operator() { AWS_ACCESS_KEY_ID=$op_id AWS_SECRET_ACCESS_KEY=$op_secret aws_ organizations "$@"; }
as_operator attach-policy --policy-id "$policy_id" --target-id "$ou_id"
refused "AttachPolicy to another OU" AccessDeniedException \
  "User: arn:aws:iam::$acct:user/$operator is not authorized to perform: organizations:AttachPolicy on resource: $ou2_arn because no identity-based policy allows the organizations:AttachPolicy action" \
  as_operator attach-policy --policy-id "$policy_id" --target-id "$ou2_id"
refused "AttachPolicy of the AWS-managed policy" AccessDeniedException \
  "User: arn:aws:iam::$acct:user/$operator is not authorized to perform: organizations:AttachPolicy on resource: arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess because no identity-based policy allows the organizations:AttachPolicy action" \
  as_operator attach-policy --policy-id p-FullAWSAccess --target-id "$ou_id"
refused "ListRoots (no resource) for the operator" AccessDeniedException \
  "User: arn:aws:iam::$acct:user/$operator is not authorized to perform: organizations:ListRoots on resource: * because no identity-based policy allows the organizations:ListRoots action" \
  as_operator list-roots
as_operator detach-policy --policy-id "$policy_id" --target-id "$ou_id"
org delete-organizational-unit --organizational-unit-id "$ou2_id"

refused "DeleteOrganizationalUnit with an account" OrganizationalUnitNotEmptyException "*" \
  org delete-organizational-unit --organizational-unit-id "$ou_id"
org move-account --account-id "$dev" --source-parent-id "$ou_id" --destination-parent-id "$root_id"
org delete-organizational-unit --organizational-unit-id "$ou_id"
expect "ListOrganizationalUnitsForParent after delete" \
  "$(otext list-organizational-units-for-parent 'length(OrganizationalUnits)' --parent-id "$root_id")" "0"
org delete-policy --policy-id "$policy_id"
refused "DescribePolicy after delete" PolicyNotFoundException "*" \
  org describe-policy --policy-id "$policy_id"

echo "control plane cli: Organizations ok"
fi
echo "control plane cli: ok"
