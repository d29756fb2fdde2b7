#!/usr/bin/env python3
"""Creates, on the Palisade at ENDPOINT (signed as the bench's administrator), an IAM user whose
only policy allows dynamodb:* under an aws:SourceIp condition, and prints its access key id and
secret. Used by `CALLER=conditional scripts/perf-profile.sh`.

    conditional-caller.py ENDPOINT
"""
import json
import sys

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
