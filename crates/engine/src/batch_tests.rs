//! BatchWriteItem and plain PutItem on tables without indexes take their own paths (old items
//! sized, not decoded; statistics stored once): they must give the same items, statistics and
//! capacity as the general path.

use std::sync::Arc;

use palisade_model::{AttributeValue, Item};
use palisade_storage::memory::MemoryStorage;

use super::BatchWrite;
use crate::capacity::Consumed;
use crate::catalog::CreateTableInput;
use crate::schema::{AttrType, KeyAttr};
use crate::{Engine, EngineConfig, ReturnValues, WriteOptions};

const ACCOUNT: &str = "000000000000";

fn engine() -> Engine {
    let config = EngineConfig {
        region: "us-east-1".into(),
        account: ACCOUNT.into(),
    };
    Engine::open(Arc::new(MemoryStorage::new()), config).unwrap()
}

async fn create(engine: &Engine, name: &str) {
    engine
        .create_table(CreateTableInput {
            account: ACCOUNT.into(),
            name: name.into(),
            attribute_definitions: vec![KeyAttr {
                name: "pk".into(),
                ty: AttrType::S,
            }],
            key_schema: vec![("pk".into(), true)],
            billing_mode: Some(crate::schema::BillingMode::PayPerRequest),
            ..Default::default()
        })
        .await
        .unwrap();
}

fn key(pk: &str) -> Item {
    Item::from([("pk".to_string(), AttributeValue::S(pk.into()))])
}

fn item(pk: &str, payload: usize) -> Item {
    let mut item = key(pk);
    item.insert("payload".into(), AttributeValue::S("x".repeat(payload)));
    item.insert(
        "nested".into(),
        AttributeValue::L(vec![AttributeValue::Bool(true), AttributeValue::Null]),
    );
    item
}

/// Puts `item-0..6` (of growing sizes) into `table` one by one.
async fn preload(engine: &Engine, table: &str) {
    for n in 0..6 {
        engine
            .put_item(
                ACCOUNT,
                table,
                item(&format!("item-{n}"), 700 * n),
                WriteOptions::default(),
            )
            .await
            .unwrap();
    }
}

/// Overwrites with bigger and smaller items, adds new ones, deletes present and absent ones.
fn writes() -> Vec<BatchWrite> {
    vec![
        BatchWrite::Put(item("item-0", 3000)),
        BatchWrite::Put(item("item-5", 10)),
        BatchWrite::Delete(key("item-1")),
        BatchWrite::Delete(key("absent")),
        BatchWrite::Put(item("new-1", 1500)),
        BatchWrite::Put(item("new-2", 0)),
        BatchWrite::Delete(key("item-3")),
    ]
}

/// The same writes one at a time, with their capacity added up.
async fn write_one_by_one(engine: &Engine, table: &str) -> Consumed {
    let mut consumed = Consumed::default();
    for w in writes() {
        let outcome = match w {
            BatchWrite::Put(i) => {
                engine
                    .put_item(ACCOUNT, table, i, WriteOptions::default())
                    .await
            }
            BatchWrite::Delete(k) => {
                engine
                    .delete_item(ACCOUNT, table, k, WriteOptions::default())
                    .await
            }
        };
        consumed.merge(&outcome.unwrap().consumed);
    }
    consumed
}

fn items(engine: &Engine, table: &str, pks: &[&str]) -> Vec<Option<Item>> {
    pks.iter()
        .map(|pk| engine.get_item(ACCOUNT, table, &key(pk), true).unwrap().0)
        .collect()
}

#[tokio::test]
async fn batch_write_without_indexes_matches_single_writes() {
    let engine = engine();
    create(&engine, "batched").await;
    create(&engine, "single").await;
    preload(&engine, "batched").await;
    preload(&engine, "single").await;

    let batched = engine
        .batch_write(ACCOUNT, vec![("batched".into(), writes())])
        .await
        .unwrap();
    let single = write_one_by_one(&engine, "single").await;

    assert_eq!(batched, vec![("batched".to_string(), single)]);
    let stats = |t: &str| engine.describe_table(ACCOUNT, t).unwrap().stats;
    assert_eq!(stats("batched"), stats("single"));
    assert_eq!(stats("batched").items, 6);
    let pks = [
        "item-0", "item-1", "item-2", "item-3", "item-5", "new-1", "new-2",
    ];
    assert_eq!(
        items(&engine, "batched", &pks),
        items(&engine, "single", &pks)
    );
}

#[tokio::test]
async fn batch_write_with_a_table_named_twice_counts_both() {
    let engine = engine();
    create(&engine, "t").await;
    preload(&engine, "t").await;
    let arn = format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t");
    let result = engine
        .batch_write(
            ACCOUNT,
            vec![
                ("t".into(), vec![BatchWrite::Put(item("a", 100))]),
                (arn, vec![BatchWrite::Delete(key("item-2"))]),
            ],
        )
        .await;
    // The name and the ARN are one table: both groups' statistics land on it.
    result.unwrap();
    let stats = engine.describe_table(ACCOUNT, "t").unwrap().stats;
    assert_eq!(stats.items, 6);
}

#[tokio::test]
async fn batch_write_rejects_duplicate_keys_before_writing() {
    let engine = engine();
    create(&engine, "t").await;
    let err = engine
        .batch_write(
            ACCOUNT,
            vec![(
                "t".into(),
                vec![BatchWrite::Put(item("a", 1)), BatchWrite::Delete(key("a"))],
            )],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, crate::EngineError::Validation(m) if m.contains("duplicates")),
        "{err:?}"
    );
    assert_eq!(engine.describe_table(ACCOUNT, "t").unwrap().stats.items, 0);
}

#[tokio::test]
async fn plain_put_without_indexes_matches_the_general_path() {
    let engine = engine();
    create(&engine, "plain").await;
    create(&engine, "general").await;
    // Asking for the old item takes the general path (old item read and decoded).
    let general = || WriteOptions {
        return_values: ReturnValues::AllOld,
        ..WriteOptions::default()
    };
    // New items, then bigger and smaller replacements of them.
    let puts = [
        ("a", 10),
        ("b", 2000),
        ("a", 5000),
        ("b", 0),
        ("c", 900),
        ("a", 1),
    ];
    for (pk, size) in puts {
        let plain = engine
            .put_item(ACCOUNT, "plain", item(pk, size), WriteOptions::default())
            .await
            .unwrap();
        let full = engine
            .put_item(ACCOUNT, "general", item(pk, size), general())
            .await
            .unwrap();
        assert_eq!(plain.consumed, full.consumed, "{pk} {size}");
        assert_eq!(plain.attributes, None);
    }
    let stats = |t: &str| engine.describe_table(ACCOUNT, t).unwrap().stats;
    assert_eq!(stats("plain"), stats("general"));
    assert_eq!(stats("plain").items, 3);
    let pks = ["a", "b", "c", "absent"];
    assert_eq!(
        items(&engine, "plain", &pks),
        items(&engine, "general", &pks)
    );
}
