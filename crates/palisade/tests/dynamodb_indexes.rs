//! Secondary indexes through the real server and aws-sdk-dynamodb: LSIs with item collection
//! metrics, GSIs created later with a backfill, sparse indexes, and GSIs with multi-attribute
//! keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, CreateGlobalSecondaryIndexAction,
    GlobalSecondaryIndex, GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ReturnItemCollectionMetrics,
    ScalarAttributeType,
};
use common::TestServer;

fn attr(name: &str, ty: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ty)
        .build()
        .unwrap()
}

fn key(name: &str, ty: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(ty)
        .build()
        .unwrap()
}

fn all() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

fn s(v: &str) -> Av {
    Av::S(v.into())
}

#[tokio::test]
async fn local_index_and_item_collection_metrics() {
    let server = TestServer::start();
    let client = server.sdk_client();
    client
        .create_table()
        .table_name("threads")
        .attribute_definitions(attr("forum", ScalarAttributeType::S))
        .attribute_definitions(attr("subject", ScalarAttributeType::S))
        .attribute_definitions(attr("posted", ScalarAttributeType::N))
        .key_schema(key("forum", KeyType::Hash))
        .key_schema(key("subject", KeyType::Range))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_posted")
                .key_schema(key("forum", KeyType::Hash))
                .key_schema(key("posted", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    for (subject, posted) in [("a", "30"), ("b", "10"), ("c", "20")] {
        let out = client
            .put_item()
            .table_name("threads")
            .item("forum", s("rust"))
            .item("subject", s(subject))
            .item("posted", Av::N(posted.into()))
            .item("body", s("hello"))
            .return_item_collection_metrics(ReturnItemCollectionMetrics::Size)
            .send()
            .await
            .unwrap();
        let m = out.item_collection_metrics.unwrap();
        assert_eq!(
            m.item_collection_key.unwrap().get("forum"),
            Some(&s("rust"))
        );
        assert_eq!(m.size_estimate_range_gb.unwrap(), [0.0, 1.0]);
    }
    // The LSI orders by `posted`; KEYS_ONLY projection, but ALL_ATTRIBUTES on an LSI fetches
    // the table item.
    let q = client
        .query()
        .table_name("threads")
        .index_name("by_posted")
        .key_condition_expression("forum = :f")
        .expression_attribute_values(":f", s("rust"))
        .select(aws_sdk_dynamodb::types::Select::AllAttributes)
        .send()
        .await
        .unwrap();
    let subjects: Vec<&Av> = q.items().iter().map(|i| &i["subject"]).collect();
    assert_eq!(subjects, [&s("b"), &s("c"), &s("a")]);
    assert_eq!(q.items()[0].get("body"), Some(&s("hello")));
}

#[tokio::test]
async fn global_index_created_later_is_backfilled_and_sparse() {
    let server = TestServer::start();
    let client = server.sdk_client();
    client
        .create_table()
        .table_name("users")
        .attribute_definitions(attr("id", ScalarAttributeType::S))
        .key_schema(key("id", KeyType::Hash))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    for i in 0..6 {
        let mut put = client
            .put_item()
            .table_name("users")
            .item("id", s(&format!("u{i}")));
        if i % 3 != 0 {
            put = put.item("team", s(if i % 2 == 0 { "red" } else { "blue" }));
        }
        put.send().await.unwrap();
    }
    client
        .update_table()
        .table_name("users")
        .attribute_definitions(attr("team", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_team")
                        .key_schema(key("team", KeyType::Hash))
                        .projection(all())
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    // Capacity per index: a write that lands in the GSI is charged to it (INDEXES).
    let put = client
        .put_item()
        .table_name("users")
        .item("id", s("u9"))
        .item("team", s("red"))
        .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let consumed = put.consumed_capacity.unwrap();
    let gsis = consumed.global_secondary_indexes.unwrap();
    assert_eq!(gsis["by_team"].capacity_units, Some(1.0));
    assert_eq!(consumed.table.unwrap().capacity_units, Some(1.0));
    assert_eq!(consumed.capacity_units, Some(2.0));
    client
        .delete_item()
        .table_name("users")
        .key("id", s("u9"))
        .send()
        .await
        .unwrap();

    let t = client
        .describe_table()
        .table_name("users")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let gsi = &t.global_secondary_indexes.unwrap()[0];
    assert_eq!(
        gsi.item_count,
        Some(4),
        "only items with a team are in the sparse index"
    );
    let red = client
        .query()
        .table_name("users")
        .index_name("by_team")
        .key_condition_expression("team = :t")
        .expression_attribute_values(":t", s("red"))
        .send()
        .await
        .unwrap();
    assert_eq!(red.count, 2);
    let strong = client
        .query()
        .table_name("users")
        .index_name("by_team")
        .key_condition_expression("team = :t")
        .expression_attribute_values(":t", s("red"))
        .consistent_read(true)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        strong.meta().message(),
        Some("Consistent reads are not supported on global secondary indexes")
    );
}

#[tokio::test]
async fn global_index_with_multi_attribute_keys() {
    let server = TestServer::start();
    let client = server.sdk_client();
    client
        .create_table()
        .table_name("matches")
        .attribute_definitions(attr("id", ScalarAttributeType::S))
        .attribute_definitions(attr("tournament", ScalarAttributeType::S))
        .attribute_definitions(attr("region", ScalarAttributeType::S))
        .attribute_definitions(attr("round", ScalarAttributeType::N))
        .attribute_definitions(attr("score", ScalarAttributeType::N))
        .key_schema(key("id", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_tournament")
                .key_schema(key("tournament", KeyType::Hash))
                .key_schema(key("region", KeyType::Hash))
                .key_schema(key("round", KeyType::Range))
                .key_schema(key("score", KeyType::Range))
                .projection(all())
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let rows = [
        ("m1", "eu", "1", "5"),
        ("m2", "eu", "1", "9"),
        ("m3", "eu", "2", "7"),
        ("m4", "us", "1", "3"),
    ];
    for (id, region, round, score) in rows {
        let item = HashMap::from([
            ("id".to_string(), s(id)),
            ("tournament".to_string(), s("cup")),
            ("region".to_string(), s(region)),
            ("round".to_string(), Av::N(round.into())),
            ("score".to_string(), Av::N(score.into())),
        ]);
        client
            .put_item()
            .table_name("matches")
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
    let q = client
        .query()
        .table_name("matches")
        .index_name("by_tournament")
        .key_condition_expression("tournament = :t AND #r = :r AND round = :one AND score > :four")
        .expression_attribute_names("#r", "region")
        .expression_attribute_values(":t", s("cup"))
        .expression_attribute_values(":r", s("eu"))
        .expression_attribute_values(":one", Av::N("1".into()))
        .expression_attribute_values(":four", Av::N("4".into()))
        .send()
        .await
        .unwrap();
    let ids: Vec<&Av> = q.items().iter().map(|i| &i["id"]).collect();
    assert_eq!(ids, [&s("m1"), &s("m2")]);
}
