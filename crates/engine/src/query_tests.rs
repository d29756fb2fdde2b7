//! Query and Scan pages of stored items: skipping the sizing of items that cannot reach the
//! 1 MB page limit must give the same pages (items, counts, LastEvaluatedKey) as sizing every
//! item, and as the decoding path.

use std::sync::Arc;

use palisade_model::{AttributeValue, Item};
use palisade_storage::memory::MemoryStorage;

use super::{KeyQuery, ReadInput, ReadOutput};
use crate::catalog::CreateTableInput;
use crate::schema::{AttrType, KeyAttr};
use crate::{Engine, EngineConfig, WriteOptions, codec};

const ACCOUNT: &str = "000000000000";
const TABLE: &str = "pages";

async fn engine_with_items() -> Engine {
    let config = EngineConfig {
        region: "us-east-1".into(),
        account: ACCOUNT.into(),
    };
    let engine = Engine::open(Arc::new(MemoryStorage::new()), config).unwrap();
    let attr = |name: &str| KeyAttr {
        name: name.into(),
        ty: AttrType::S,
    };
    engine
        .create_table(CreateTableInput {
            account: ACCOUNT.into(),
            name: TABLE.into(),
            attribute_definitions: vec![attr("pk"), attr("sk")],
            key_schema: vec![("pk".into(), true), ("sk".into(), false)],
            billing_mode: Some(crate::schema::BillingMode::PayPerRequest),
            ..Default::default()
        })
        .await
        .unwrap();
    // About 1.9 MB in one partition: strings, whose size is close to their stored length,
    // and lists of NULLs, whose size is close to twice it, so pages end at different places
    // than the bound of the sizes would say.
    for n in 0..90 {
        let mut item = Item::new();
        item.insert("pk".into(), AttributeValue::S("p".into()));
        item.insert("sk".into(), AttributeValue::S(format!("{n:04}")));
        let value = if n % 3 == 0 {
            AttributeValue::L(vec![AttributeValue::Null; 9_000 + n * 40])
        } else {
            AttributeValue::S("é\"x".repeat(4_000 + n * 30))
        };
        item.insert("v".into(), value);
        engine
            .put_item(ACCOUNT, TABLE, item, WriteOptions::default())
            .await
            .unwrap();
    }
    engine
}

fn input(stored: bool, without_capacity: bool, forward: bool, limit: Option<usize>) -> ReadInput {
    ReadInput {
        account: ACCOUNT.into(),
        table: TABLE.into(),
        forward,
        limit,
        stored,
        without_capacity,
        ..ReadInput::default()
    }
}

/// Every page of a Query (`query`) or Scan, following LastEvaluatedKey.
fn pages(engine: &Engine, mut input: ReadInput, query: bool) -> Vec<ReadOutput> {
    let key = KeyQuery {
        partition: vec![AttributeValue::S("p".into())],
        ..KeyQuery::default()
    };
    let mut pages = Vec::new();
    loop {
        let page = if query {
            engine.query(&input, &key).unwrap()
        } else {
            engine.scan(&input).unwrap()
        };
        input.exclusive_start_key = page.last_evaluated_key.clone();
        pages.push(page);
        if input.exclusive_start_key.is_none() {
            return pages;
        }
    }
}

/// A page's items, decoded from their stored form if need be.
fn items(page: &ReadOutput) -> Vec<Item> {
    let stored = page.stored.iter().map(|s| codec::decode_item(s).unwrap());
    page.items.iter().cloned().chain(stored).collect()
}

#[tokio::test]
async fn unsized_pages_are_the_sized_and_decoded_pages() {
    let engine = engine_with_items().await;
    for query in [true, false] {
        for forward in [true, false] {
            for limit in [None, Some(7)] {
                let decoded = pages(&engine, input(false, false, forward, limit), query);
                let sized = pages(&engine, input(true, false, forward, limit), query);
                let unsized_ = pages(&engine, input(true, true, forward, limit), query);
                if limit.is_none() {
                    assert!(decoded.len() > 1, "the 1 MB limit ends pages");
                }
                assert_eq!(decoded.len(), sized.len());
                assert_eq!(decoded.len(), unsized_.len());
                for ((d, s), u) in decoded.iter().zip(&sized).zip(&unsized_) {
                    for other in [s, u] {
                        assert_eq!(items(d), items(other));
                        assert_eq!(d.count, other.count);
                        assert_eq!(d.scanned_count, other.scanned_count);
                        assert_eq!(d.last_evaluated_key, other.last_evaluated_key);
                    }
                    // Each path took its own way.
                    assert!(d.stored.is_empty() && !d.items.is_empty());
                    assert!(s.items.is_empty() && u.items.is_empty());
                    assert_eq!(d.consumed, s.consumed);
                    assert!(d.consumed.read > 0.0);
                }
            }
        }
    }
}
