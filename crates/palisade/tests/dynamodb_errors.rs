//! DynamoDB's exact error bodies for invalid requests, over raw HTTP against the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestServer;
use serde_json::{Value, json};

const VALIDATION: &str = "com.amazon.coral.validate#ValidationException";
const NOT_FOUND: &str = "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException";

async fn call(server: &TestServer, op: &str, body: Value) -> (u16, Value) {
    let target = format!("DynamoDB_20120810.{op}");
    let resp = server.raw(Some(&target), body.to_string(), &[]).await;
    (resp.status, resp.json())
}

async fn expect_error(server: &TestServer, op: &str, body: Value, ty: &str, message: &str) {
    let (status, json) = call(server, op, body).await;
    assert_eq!(status, 400, "{op}: {json}");
    assert_eq!(json["__type"], ty, "{op}: {json}");
    assert_eq!(json["message"], message, "{op}: {json}");
}

async fn create_table(server: &TestServer) {
    let (status, json) = call(
        server,
        "CreateTable",
        json!({
            "TableName": "things",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .await;
    assert_eq!(status, 200, "{json}");
}

#[tokio::test]
async fn table_parameter_errors() {
    let server = TestServer::start();
    expect_error(
        &server,
        "DescribeTable",
        json!({}),
        VALIDATION,
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
    )
    .await;
    expect_error(
        &server,
        "DescribeTable",
        json!({"TableName": "nope"}),
        NOT_FOUND,
        "Requested resource not found: Table: nope not found",
    )
    .await;
    expect_error(
        &server,
        "GetItem",
        json!({"TableName": "nope", "Key": {"id": {"S": "1"}}}),
        NOT_FOUND,
        "Requested resource not found",
    )
    .await;
    expect_error(
        &server,
        "CreateTable",
        json!({
            "TableName": "bad",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "other", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
        VALIDATION,
        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [other], AttributeDefinitions: [id]",
    )
    .await;
    expect_error(
        &server,
        "CreateTable",
        json!({
            "TableName": "bad",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
        }),
        VALIDATION,
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
    )
    .await;
}

#[tokio::test]
async fn item_errors() {
    let server = TestServer::start();
    create_table(&server).await;
    expect_error(
        &server,
        "PutItem",
        json!({"TableName": "things", "Item": {"name": {"S": "x"}}}),
        VALIDATION,
        "One or more parameter values were invalid: Missing the key id in the item",
    )
    .await;
    expect_error(
        &server,
        "PutItem",
        json!({"TableName": "things", "Item": {"id": {"N": "1"}}}),
        VALIDATION,
        "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N",
    )
    .await;
    expect_error(
        &server,
        "PutItem",
        json!({"TableName": "things", "Item": {"id": {"S": "1"}, "x": {}}}),
        VALIDATION,
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
    )
    .await;
    expect_error(
        &server,
        "GetItem",
        json!({"TableName": "things", "Key": {"id": {"S": "1"}, "extra": {"S": "2"}}}),
        VALIDATION,
        "The provided key element does not match the schema",
    )
    .await;
    let big = "x".repeat(400 * 1024);
    expect_error(
        &server,
        "PutItem",
        json!({"TableName": "things", "Item": {"id": {"S": "1"}, "blob": {"S": big}}}),
        VALIDATION,
        "Item size has exceeded the maximum allowed size",
    )
    .await;
    expect_error(
        &server,
        "UpdateItem",
        json!({
            "TableName": "things",
            "Key": {"id": {"S": "1"}},
            "UpdateExpression": "SET a = :a",
            "ExpressionAttributeValues": {":a": {"S": "1"}, ":unused": {"S": "2"}}
        }),
        VALIDATION,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
    )
    .await;
    expect_error(
        &server,
        "UpdateItem",
        json!({
            "TableName": "things",
            "Key": {"id": {"S": "1"}},
            "UpdateExpression": "SET a = :missing"
        }),
        VALIDATION,
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :missing",
    )
    .await;
    expect_error(
        &server,
        "PutItem",
        json!({
            "TableName": "things",
            "Item": {"id": {"S": "1"}},
            "ConditionExpression": "attribute_exists(id)",
            "Expected": {"id": {"Exists": false}}
        }),
        VALIDATION,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
    )
    .await;
}

#[tokio::test]
async fn condition_failure_returns_the_item_when_asked() {
    let server = TestServer::start();
    create_table(&server).await;
    let (status, _) = call(
        &server,
        "PutItem",
        json!({"TableName": "things", "Item": {"id": {"S": "1"}, "v": {"N": "1"}}}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &server,
        "PutItem",
        json!({
            "TableName": "things",
            "Item": {"id": {"S": "1"}},
            "ConditionExpression": "attribute_not_exists(id)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"
        }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "message": "The conditional request failed",
            "Item": {"id": {"S": "1"}, "v": {"N": "1"}}
        })
    );
}

#[tokio::test]
async fn batch_and_transaction_errors() {
    let server = TestServer::start();
    create_table(&server).await;
    let put = |id: &str| json!({"PutRequest": {"Item": {"id": {"S": id}}}});
    expect_error(
        &server,
        "BatchWriteItem",
        json!({"RequestItems": {"things": [put("1"), put("1")]}}),
        VALIDATION,
        "Provided list of item keys contains duplicates",
    )
    .await;
    let tput = |id: &str| json!({"Put": {"TableName": "things", "Item": {"id": {"S": id}}}});
    expect_error(
        &server,
        "TransactWriteItems",
        json!({"TransactItems": [tput("1"), tput("1")]}),
        VALIDATION,
        "Transaction request cannot include multiple operations on one item",
    )
    .await;
    // ClientRequestToken: the same request twice succeeds once; other parameters with the same
    // token are refused.
    let body = json!({"TransactItems": [tput("7")], "ClientRequestToken": "tok-1"});
    assert_eq!(
        call(&server, "TransactWriteItems", body.clone()).await.0,
        200
    );
    assert_eq!(call(&server, "TransactWriteItems", body).await.0, 200);
    let (status, json) = call(
        &server,
        "TransactWriteItems",
        json!({"TransactItems": [tput("8")], "ClientRequestToken": "tok-1"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        json["__type"],
        "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"
    );
}
