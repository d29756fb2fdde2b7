#!/usr/bin/env python3
"""One caller of the perimeter tests: runs DynamoDB calls with boto3 from wherever it is started
(inside a network namespace with `ip netns exec`, or on the host) and prints one JSON line per
call: {"ok": true, ...} or {"ok": false, "code": ..., "message": ...}.

Usage: perimeter_client.py CASES_JSON, where CASES_JSON is a list of
  {"url": ..., "key": ..., "secret": ..., "assume": optional role ARN (assumed through `url`),
   "op": "get" | "put" | "list" | "create" | "put_policy", "table": ..., "policy": ...}
"""
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10)


def client(service, url, key, secret, token=None):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=CONFIG,
    )


def run(case):
    key, secret, token = case["key"], case["secret"], None
    if case.get("assume"):
        sts = client("sts", case["url"], key, secret)
        creds = sts.assume_role(RoleArn=case["assume"], RoleSessionName="perimeter")["Credentials"]
        key, secret, token = creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    ddb = client("dynamodb", case["url"], key, secret, token)
    table = case.get("table", "orders")
    op = case["op"]
    if op == "get":
        out = ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})
        return {"ok": True, "found": "Item" in out}
    if op == "put":
        ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"S": "x"}})
        return {"ok": True}
    if op == "list":
        return {"ok": True, "tables": ddb.list_tables()["TableNames"]}
    if op == "put_policy":
        ddb.put_resource_policy(ResourceArn=table, Policy=case["policy"])
        return {"ok": True}
    if op == "create":
        ddb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        return {"ok": True}
    raise SystemExit(f"unknown op {op}")


def main():
    for case in json.loads(sys.argv[1]):
        try:
            result = run(case)
        except ClientError as e:
            err = e.response.get("Error", {})
            result = {"ok": False, "code": err.get("Code"), "message": err.get("Message")}
        except Exception as e:  # connection refused, reset, timeout: the case still reports
            result = {"ok": False, "code": "ConnectionError", "message": f"{type(e).__name__}: {e}"}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
