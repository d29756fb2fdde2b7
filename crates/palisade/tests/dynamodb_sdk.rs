//! The real server driven by aws-sdk-dynamodb: every core operation, DynamoDB's errors as the
//! SDK surfaces them, and durability across a crash.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, KeysAndAttributes, Projection, ProjectionType, PutRequest, ReturnConsumedCapacity,
    ReturnValue, ScalarAttributeType, Select, TransactWriteItem, WriteRequest,
};
use common::TestServer;

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: &str) -> Av {
    Av::N(v.to_string())
}

async fn create_orders(client: &Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("status")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_status")
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name("status")
                        .key_type(KeyType::Hash)
                        .build()
                        .unwrap(),
                )
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
}

fn item(pk: &str, sk: u32, status: Option<&str>) -> HashMap<String, Av> {
    let mut m = HashMap::from([
        ("pk".to_string(), s(pk)),
        ("sk".to_string(), n(&sk.to_string())),
    ]);
    if let Some(st) = status {
        m.insert("status".into(), s(st));
    }
    m
}

#[tokio::test]
async fn tables_lifecycle() {
    let server = TestServer::start();
    let client = server.sdk_client();
    create_orders(&client, "orders").await;
    let t = client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(t.table_status.unwrap().as_str(), "ACTIVE");
    assert_eq!(
        t.table_arn.unwrap(),
        "arn:aws:dynamodb:us-east-1:000000000000:table/orders"
    );
    assert_eq!(t.key_schema.unwrap().len(), 2);
    let gsi = &t.global_secondary_indexes.unwrap()[0];
    assert_eq!(
        gsi.index_arn.as_deref(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/orders/index/by_status")
    );
    assert_eq!(
        t.billing_mode_summary
            .unwrap()
            .billing_mode
            .unwrap()
            .as_str(),
        "PAY_PER_REQUEST"
    );

    let dup = client
        .create_table()
        .table_name("orders")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_err();
    let e = dup.into_service_error();
    assert!(e.is_resource_in_use_exception());
    assert_eq!(e.meta().message(), Some("Table already exists: orders"));

    let names = client.list_tables().limit(1).send().await.unwrap();
    assert_eq!(names.table_names(), ["orders"]);
    client
        .delete_table()
        .table_name("orders")
        .send()
        .await
        .unwrap();
    let gone = client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(gone.is_resource_not_found_exception());
    assert_eq!(
        gone.meta().message(),
        Some("Requested resource not found: Table: orders not found")
    );
}

#[tokio::test]
async fn items_conditions_and_return_values() {
    let server = TestServer::start();
    let client = server.sdk_client();
    create_orders(&client, "orders").await;
    client
        .put_item()
        .table_name("orders")
        .set_item(Some(item("a", 1, Some("open"))))
        .send()
        .await
        .unwrap();

    let got = client
        .get_item()
        .table_name("orders")
        .key("pk", s("a"))
        .key("sk", n("1"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(got.item.unwrap().get("status"), Some(&s("open")));
    assert_eq!(got.consumed_capacity.unwrap().capacity_units, Some(0.5));

    let failed = client
        .put_item()
        .table_name("orders")
        .set_item(Some(item("a", 1, None)))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(failed.is_conditional_check_failed_exception());
    assert_eq!(
        failed.meta().message(),
        Some("The conditional request failed")
    );

    let updated = client
        .update_item()
        .table_name("orders")
        .key("pk", s("a"))
        .key("sk", n("1"))
        .update_expression("SET #c = if_not_exists(#c, :zero) + :one REMOVE #s")
        .expression_attribute_names("#c", "count")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":zero", n("0"))
        .expression_attribute_values(":one", n("1"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let attrs = updated.attributes.unwrap();
    assert_eq!(attrs.get("count"), Some(&n("1")));
    assert!(!attrs.contains_key("status"));

    let unused = client
        .query()
        .table_name("orders")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("a"))
        .expression_attribute_values(":x", n("1"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(unused.meta().code(), Some("ValidationException"));
    assert_eq!(
        unused.meta().message(),
        Some("Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}")
    );

    let bad_key = client
        .get_item()
        .table_name("orders")
        .key("pk", s("a"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        bad_key.meta().message(),
        Some("The provided key element does not match the schema")
    );

    let deleted = client
        .delete_item()
        .table_name("orders")
        .key("pk", s("a"))
        .key("sk", n("1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.attributes.unwrap().get("count"), Some(&n("1")));
    let after = client
        .get_item()
        .table_name("orders")
        .key("pk", s("a"))
        .key("sk", n("1"))
        .send()
        .await
        .unwrap();
    assert!(after.item.is_none());
}

#[tokio::test]
async fn query_scan_paging_and_indexes() {
    let server = TestServer::start();
    let client = server.sdk_client();
    create_orders(&client, "orders").await;
    for i in 0..10 {
        let status = if i % 2 == 0 { Some("open") } else { None };
        client
            .put_item()
            .table_name("orders")
            .set_item(Some(item("p", i, status)))
            .send()
            .await
            .unwrap();
    }
    let q = client
        .query()
        .table_name("orders")
        .key_condition_expression("pk = :p AND sk BETWEEN :lo AND :hi")
        .expression_attribute_values(":p", s("p"))
        .expression_attribute_values(":lo", n("2"))
        .expression_attribute_values(":hi", n("6"))
        .scan_index_forward(false)
        .send()
        .await
        .unwrap();
    let sks: Vec<&Av> = q.items().iter().map(|i| &i["sk"]).collect();
    assert_eq!(sks, [&n("6"), &n("5"), &n("4"), &n("3"), &n("2")]);

    // Paging with Limit and ExclusiveStartKey visits every item exactly once.
    let mut seen = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name("orders")
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("p"))
            .limit(3)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        seen.extend(page.items().iter().map(|i| i["sk"].clone()));
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 10);

    let idx = client
        .query()
        .table_name("orders")
        .index_name("by_status")
        .key_condition_expression("#s = :o")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":o", s("open"))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(idx.count, 5);

    let scan = client
        .scan()
        .table_name("orders")
        .filter_expression("sk >= :five")
        .expression_attribute_values(":five", n("5"))
        .send()
        .await
        .unwrap();
    assert_eq!((scan.count, scan.scanned_count), (5, 10));

    let mut total = 0;
    for seg in 0..3 {
        let part = client
            .scan()
            .table_name("orders")
            .segment(seg)
            .total_segments(3)
            .send()
            .await
            .unwrap();
        total += part.count;
    }
    assert_eq!(total, 10);
}

#[tokio::test]
async fn batches_and_transactions() {
    let server = TestServer::start();
    let client = server.sdk_client();
    create_orders(&client, "orders").await;
    let writes: Vec<WriteRequest> = (0..25)
        .map(|i| {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(item("b", i, None)))
                        .build()
                        .unwrap(),
                )
                .build()
        })
        .collect();
    let out = client
        .batch_write_item()
        .request_items("orders", writes)
        .send()
        .await
        .unwrap();
    assert!(out.unprocessed_items.unwrap_or_default().is_empty());

    let keys = KeysAndAttributes::builder()
        .keys(HashMap::from([
            ("pk".to_string(), s("b")),
            ("sk".to_string(), n("3")),
        ]))
        .keys(HashMap::from([
            ("pk".to_string(), s("b")),
            ("sk".to_string(), n("99")),
        ]))
        .build()
        .unwrap();
    let got = client
        .batch_get_item()
        .request_items("orders", keys)
        .send()
        .await
        .unwrap();
    assert_eq!(got.responses.unwrap()["orders"].len(), 1);

    let put = |sk: u32| {
        TransactWriteItem::builder()
            .put(
                aws_sdk_dynamodb::types::Put::builder()
                    .table_name("orders")
                    .set_item(Some(item("t", sk, None)))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .unwrap(),
            )
            .build()
    };
    client
        .transact_write_items()
        .transact_items(put(1))
        .transact_items(put(2))
        .send()
        .await
        .unwrap();
    let err = client
        .transact_write_items()
        .transact_items(put(3))
        .transact_items(put(2))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_transaction_canceled_exception());
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(tc) = err else {
        panic!("expected TransactionCanceledException");
    };
    let codes: Vec<&str> = tc
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["None", "ConditionalCheckFailed"]);
    // All or nothing: item 3 was not written.
    let three = client
        .get_item()
        .table_name("orders")
        .key("pk", s("t"))
        .key("sk", n("3"))
        .send()
        .await
        .unwrap();
    assert!(three.item.is_none());
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let mut server = TestServer::start();
    let client = server.sdk_client();
    create_orders(&client, "orders").await;
    for i in 0..50 {
        client
            .put_item()
            .table_name("orders")
            .set_item(Some(item("d", i, Some("x"))))
            .send()
            .await
            .unwrap();
    }
    server.crash_restart();
    let client = server.sdk_client();
    let q = client
        .query()
        .table_name("orders")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("d"))
        .send()
        .await
        .unwrap();
    assert_eq!(q.count, 50);
    let t = client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(t.item_count, Some(50));
}

#[tokio::test]
async fn tags_on_tables() {
    let server = TestServer::start();
    let client = server.sdk_client();
    create_orders(&client, "orders").await;
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/orders";
    let tag = |k: &str, v: &str| {
        aws_sdk_dynamodb::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    client
        .tag_resource()
        .resource_arn(arn)
        .tags(tag("team", "a"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    client
        .untag_resource()
        .resource_arn(arn)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let tags = client
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, [("team", "a")]);
}
