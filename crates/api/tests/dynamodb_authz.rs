//! The authorization checks each DynamoDB operation asks for: actions, resource ARNs and the
//! DynamoDB condition keys, filled from the request (run on a real engine over MemoryStorage).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use palisade_api::ApiError;
use palisade_api::dynamodb::{Authorizer, Check, dispatch_with};
use palisade_engine::{Engine, EngineConfig};
use palisade_iam::ContextValue;
use palisade_storage::memory::MemoryStorage;
use serde_json::{Value, json};

/// Records every check and allows everything.
#[derive(Default)]
struct Recorder {
    checks: Mutex<Vec<Check>>,
}

impl Authorizer for Recorder {
    fn authorize(&self, checks: &[Check]) -> Result<(), ApiError> {
        self.checks.lock().unwrap().extend_from_slice(checks);
        Ok(())
    }
}

struct Denier;

impl Authorizer for Denier {
    fn authorize(&self, checks: &[Check]) -> Result<(), ApiError> {
        Err(ApiError::new(
            palisade_api::ErrorKind::AccessDenied,
            format!("denied {}", checks[0].action),
        ))
    }
}

fn engine() -> Engine {
    let storage = Arc::new(MemoryStorage::new());
    Engine::open(
        storage,
        EngineConfig {
            region: "us-east-1".into(),
            account: "111122223333".into(),
        },
    )
    .unwrap()
}

async fn call(
    engine: &Engine,
    authz: &dyn Authorizer,
    op: &str,
    body: Value,
) -> Result<Value, ApiError> {
    let out = dispatch_with(
        engine,
        authz,
        "111122223333",
        op,
        body.to_string().as_bytes(),
    )
    .await?;
    Ok(serde_json::from_slice(&out).unwrap())
}

fn key<'a>(c: &'a Check, name: &str) -> Option<&'a ContextValue> {
    c.keys.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn multi(v: &[&str]) -> ContextValue {
    ContextValue::Multi(v.iter().map(|s| s.to_string()).collect())
}

async fn setup(e: &Engine) {
    let r = Recorder::default();
    call(
        e,
        &r,
        "CreateTable",
        json!({
            "TableName": "orders",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST",
            "Tags": [{"Key": "env", "Value": "prod"}]
        }),
    )
    .await
    .unwrap();
    let checks = r.checks.into_inner().unwrap();
    let actions: Vec<&str> = checks.iter().map(|c| c.action.as_ref()).collect();
    assert_eq!(actions, ["dynamodb:CreateTable", "dynamodb:TagResource"]);
    assert_eq!(
        checks[0].resource,
        "arn:aws:dynamodb:us-east-1:111122223333:table/orders"
    );
    assert_eq!(
        key(&checks[0], "aws:RequestTag/env"),
        Some(&ContextValue::Single("prod".into()))
    );
    assert_eq!(key(&checks[0], "aws:TagKeys"), Some(&multi(&["env"])));
}

#[tokio::test]
async fn item_operations_fill_leading_keys_attributes_and_return_values() {
    let e = engine();
    setup(&e).await;
    let r = Recorder::default();
    call(
        &e,
        &r,
        "PutItem",
        json!({"TableName": "orders", "Item": {"pk": {"S": "tenant-1"}, "b": {"N": "1"}}, "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "TOTAL"}),
    )
    .await
    .unwrap();
    call(
        &e,
        &r,
        "GetItem",
        json!({"TableName": "orders", "Key": {"pk": {"S": "tenant-1"}}, "ProjectionExpression": "#b", "ExpressionAttributeNames": {"#b": "b"}}),
    )
    .await
    .unwrap();
    let checks = r.checks.into_inner().unwrap();
    let put = &checks[0];
    assert_eq!(put.action, "dynamodb:PutItem");
    assert_eq!(
        put.resource,
        "arn:aws:dynamodb:us-east-1:111122223333:table/orders"
    );
    assert_eq!(
        key(put, "dynamodb:LeadingKeys"),
        Some(&multi(&["tenant-1"]))
    );
    assert_eq!(key(put, "dynamodb:Attributes"), Some(&multi(&["b", "pk"])));
    assert_eq!(
        key(put, "dynamodb:ReturnValues"),
        Some(&ContextValue::Single("ALL_OLD".into()))
    );
    assert_eq!(
        key(put, "dynamodb:ReturnConsumedCapacity"),
        Some(&ContextValue::Single("TOTAL".into()))
    );
    assert_eq!(put.resource_tags, [("env".to_string(), "prod".to_string())]);
    let get = &checks[1];
    assert_eq!(get.action, "dynamodb:GetItem");
    assert_eq!(key(get, "dynamodb:Attributes"), Some(&multi(&["b", "pk"])));
    assert_eq!(
        key(get, "dynamodb:Select"),
        Some(&ContextValue::Single("SPECIFIC_ATTRIBUTES".into()))
    );
}

#[tokio::test]
async fn index_reads_are_checked_against_the_index_arn() {
    let e = engine();
    setup(&e).await;
    let r = Recorder::default();
    call(
        &e,
        &r,
        "Query",
        json!({"TableName": "orders", "IndexName": "by_g", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "x"}}}),
    )
    .await
    .unwrap();
    call(&e, &r, "Scan", json!({"TableName": "orders"}))
        .await
        .unwrap();
    let checks = r.checks.into_inner().unwrap();
    assert_eq!(checks[0].action, "dynamodb:Query");
    assert_eq!(
        checks[0].resource,
        "arn:aws:dynamodb:us-east-1:111122223333:table/orders/index/by_g"
    );
    assert_eq!(
        key(&checks[0], "dynamodb:LeadingKeys"),
        Some(&multi(&["x"]))
    );
    assert_eq!(checks[1].action, "dynamodb:Scan");
    assert_eq!(
        checks[1].resource,
        "arn:aws:dynamodb:us-east-1:111122223333:table/orders"
    );
    assert_eq!(
        key(&checks[1], "dynamodb:LeadingKeys"),
        None,
        "Scan has no leading keys"
    );
}

#[tokio::test]
async fn batches_and_transactions_are_checked_per_table_and_per_item() {
    let e = engine();
    setup(&e).await;
    let r = Recorder::default();
    let put = |pk: &str| json!({"PutRequest": {"Item": {"pk": {"S": pk}}}});
    call(
        &e,
        &r,
        "BatchWriteItem",
        json!({"RequestItems": {"orders": [put("a"), put("b")]}}),
    )
    .await
    .unwrap();
    call(
        &e,
        &r,
        "TransactWriteItems",
        json!({"TransactItems": [
            {"Put": {"TableName": "orders", "Item": {"pk": {"S": "c"}}}},
            {"ConditionCheck": {"TableName": "orders", "Key": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
        ]}),
    )
    .await
    .unwrap();
    let checks = r.checks.into_inner().unwrap();
    assert_eq!(checks[0].action, "dynamodb:BatchWriteItem");
    assert_eq!(
        key(&checks[0], "dynamodb:LeadingKeys"),
        Some(&multi(&["a", "b"]))
    );
    assert_eq!(checks[1].action, "dynamodb:PutItem");
    assert_eq!(
        key(&checks[1], "dynamodb:EnclosingOperation"),
        Some(&ContextValue::Single("TransactWriteItems".into()))
    );
    assert_eq!(checks[2].action, "dynamodb:ConditionCheckItem");
    assert_eq!(
        key(&checks[2], "dynamodb:ReturnValues"),
        Some(&ContextValue::Single("ALL_OLD".into()))
    );
}

#[tokio::test]
async fn a_denied_request_changes_nothing_and_reveals_nothing() {
    let e = engine();
    setup(&e).await;
    let err = call(
        &e,
        &Denier,
        "PutItem",
        json!({"TableName": "orders", "Item": {"pk": {"S": "z"}}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.message, "denied dynamodb:PutItem");
    // A missing table is not revealed to a denied caller.
    let err = call(
        &e,
        &Denier,
        "Query",
        json!({"TableName": "nope", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "x"}}}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.message, "denied dynamodb:Query");
    let r = Recorder::default();
    let out = call(&e, &r, "Scan", json!({"TableName": "orders"}))
        .await
        .unwrap();
    assert_eq!(out["Count"], 0);
}
