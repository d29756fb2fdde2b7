#!/usr/bin/env python3
"""The canonical scenario over AWS's own clients (boto3), against a running Palisade server.

An organization with a management account, a production account whose SCP (AWS JSON, verbatim)
denies DynamoDB outside a VPC except for the break-glass role, and a dev account without it.
Requests here come from loopback, not through a VPC endpoint, so:
- the production account is denied, with a message naming the SCP;
- the emergency role in the production account is allowed;
- the dev account and the management account are not restricted.

Usage: scp_scenario.py ENDPOINT_URL   (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: the admin key)
"""

import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
REGION = "us-east-1"
CFG = Config(retries={"max_attempts": 1})

SCP = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyDynamoDBOutsideVpc",
      "Effect": "Deny",
      "Action": "dynamodb:*",
      "Resource": "*",
      "Condition": {
        "StringNotEquals": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f67890"},
        "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/emergency-role"}
      }
    }
  ]
}"""


def client(service, creds=None):
    creds = creds or {
        "aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"],
    }
    return boto3.client(service, endpoint_url=ENDPOINT, region_name=REGION, config=CFG, **creds)


def assume(role_arn, creds=None, name="scenario"):
    out = client("sts", creds).assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return {
        "aws_access_key_id": out["AccessKeyId"],
        "aws_secret_access_key": out["SecretAccessKey"],
        "aws_session_token": out["SessionToken"],
    }


def create_table(creds, name):
    client("dynamodb", creds).create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


def expect(cond, what):
    if not cond:
        print(f"scp scenario: FAILED: {what}", file=sys.stderr)
        sys.exit(1)


orgs = client("organizations")
mgmt = client("sts").get_caller_identity()["Account"]
org = orgs.create_organization(FeatureSet="ALL")["Organization"]
root = orgs.list_roots()["Roots"][0]["Id"]
orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
prod = orgs.create_account(Email="prod@example.com", AccountName="prod")["CreateAccountStatus"]["AccountId"]
dev = orgs.create_account(Email="dev@example.com", AccountName="dev")["CreateAccountStatus"]["AccountId"]
policy = orgs.create_policy(
    Content=SCP, Description="private tables", Name="dynamodb-vpc-only", Type="SERVICE_CONTROL_POLICY"
)["Policy"]["PolicySummary"]
orgs.attach_policy(PolicyId=policy["Id"], TargetId=prod)
print(f"organization {org['Id']}: management {mgmt}, prod {prod}, dev {dev}, SCP {policy['Id']}")

# Production, as its administrator (OrganizationAccountAccessRole): denied outside the VPC.
prod_admin = assume(f"arn:aws:iam::{prod}:role/OrganizationAccountAccessRole")
try:
    create_table(prod_admin, "orders")
    expect(False, "the production account created a table from outside the VPC")
except ClientError as e:
    err = e.response["Error"]
    expect(err["Code"] == "AccessDeniedException", f"expected AccessDeniedException, got {err}")
    message = err["Message"]
    print(f"denied as expected: {message}")
    expect(f"assumed-role/OrganizationAccountAccessRole/scenario" in message, "message names the principal")
    expect("dynamodb:CreateTable" in message, "message names the action")
    expect(f"arn:aws:dynamodb:us-east-1:{prod}:table/orders" in message, "message names the resource")
    expect("service control policy" in message, "message names the kind of policy")

# The break-glass role is allowed from anywhere.
iam = client("iam", prod_admin)
iam.create_role(
    RoleName="emergency-role",
    AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{prod}:root"}, "Action": "sts:AssumeRole"}]}
    ),
)
iam.put_role_policy(
    RoleName="emergency-role",
    PolicyName="admin",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
)
emergency = assume(f"arn:aws:iam::{prod}:role/emergency-role", prod_admin, "break-glass")
create_table(emergency, "orders")
tables = client("dynamodb", emergency).list_tables()["TableNames"]
expect(tables == ["orders"], f"the emergency role sees the production table: {tables}")

# The dev account has no such SCP.
dev_admin = assume(f"arn:aws:iam::{dev}:role/OrganizationAccountAccessRole")
create_table(dev_admin, "orders")

# SCPs never restrict the management account.
create_table(None, "orders")
print("scp scenario: ok")
