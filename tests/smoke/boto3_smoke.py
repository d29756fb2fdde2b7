#!/usr/bin/env python3
"""Smoke test of a running Palisade server with boto3 (the AWS SDK for Python).

Usage: python3 tests/smoke/boto3_smoke.py http://127.0.0.1:8000

Exercises CreateTable, PutItem, GetItem, Query, UpdateItem, DeleteItem and DeleteTable on a
fresh table and exits non-zero on the first unexpected answer. botocore verifies the
x-amz-crc32 header of every response, so this also checks our checksums.
"""

import os
import sys
import uuid

import boto3
from botocore.config import Config


def fail(message):
    print(f"boto3 smoke: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    endpoint = sys.argv[1]
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "AKIDPALISADESMOKE001"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "palisade-smoke-secret"),
        config=Config(retries={"max_attempts": 1}),
    )
    table = f"smoke_boto3_{uuid.uuid4().hex[:12]}"

    created = client.create_table(
        TableName=table,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    check(created["TableDescription"]["TableName"] == table, f"CreateTable answered {created}")
    client.get_waiter("table_exists").wait(
        TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )

    for sk in (1, 2, 3):
        client.put_item(
            TableName=table,
            Item={"pk": {"S": "user#1"}, "sk": {"N": str(sk)}, "name": {"S": f"item {sk}"}},
        )

    got = client.get_item(
        TableName=table, Key={"pk": {"S": "user#1"}, "sk": {"N": "2"}}, ConsistentRead=True
    )
    check(got.get("Item", {}).get("name") == {"S": "item 2"}, f"GetItem answered {got}")

    queried = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND sk >= :low",
        ExpressionAttributeValues={":pk": {"S": "user#1"}, ":low": {"N": "2"}},
    )
    sks = [item["sk"]["N"] for item in queried["Items"]]
    check(sks == ["2", "3"], f"Query returned sort keys {sks}, expected ['2', '3']")
    check(queried["Count"] == 2, f"Query Count {queried['Count']}")

    updated = client.update_item(
        TableName=table,
        Key={"pk": {"S": "user#1"}, "sk": {"N": "1"}},
        UpdateExpression="SET visits = if_not_exists(visits, :zero) + :one",
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )
    check(updated["Attributes"].get("visits") == {"N": "1"}, f"UpdateItem answered {updated}")

    deleted = client.delete_item(
        TableName=table, Key={"pk": {"S": "user#1"}, "sk": {"N": "3"}}, ReturnValues="ALL_OLD"
    )
    check(deleted["Attributes"]["name"] == {"S": "item 3"}, f"DeleteItem answered {deleted}")
    gone = client.get_item(
        TableName=table, Key={"pk": {"S": "user#1"}, "sk": {"N": "3"}}, ConsistentRead=True
    )
    check("Item" not in gone, f"deleted item still readable: {gone}")

    client.delete_table(TableName=table)
    try:
        client.describe_table(TableName=table)
    except client.exceptions.ResourceNotFoundException:
        pass
    else:
        # DeleteTable may report DELETING for a moment, as DynamoDB does.
        client.get_waiter("table_not_exists").wait(
            TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )

    print("boto3 smoke: ok")


if __name__ == "__main__":
    main()
