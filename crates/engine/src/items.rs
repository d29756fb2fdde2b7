//! Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem, and the write path they
//! share with batches and transactions (index maintenance and statistics in the same
//! transaction as the item).

use std::sync::Arc;

use palisade_model::Item;
use palisade_storage::{Bytes, ReadView, WriteTxn};

use crate::batch::{BatchWrite, KeyedWrite, write_unindexed};
use crate::capacity::Consumed;
use crate::error::{EngineError, Result};
use crate::schema::{IndexKind, TableMeta};
use crate::size::item_size;
use crate::{Engine, codec, keys, stats, validate};

/// A condition on the current item (an empty item when none exists).
pub type Condition = Arc<dyn Fn(&Item) -> bool + Send + Sync>;

/// An update applied to the current item (an item holding only the key when none exists).
/// Returns a projection selecting what it changed (for UPDATED_OLD / UPDATED_NEW), or
/// DynamoDB's validation message.
pub type Updater =
    Arc<dyn Fn(&mut Item) -> std::result::Result<crate::query::Projector, String> + Send + Sync>;

/// What a write should return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnValues {
    #[default]
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

/// Options shared by the single-item writes.
#[derive(Clone, Default)]
pub struct WriteOptions {
    pub condition: Option<Condition>,
    pub return_values: ReturnValues,
    /// ReturnValuesOnConditionCheckFailure = ALL_OLD.
    pub return_old_on_condition_failure: bool,
}

/// The result of a single-item write.
#[derive(Debug, Clone, Default)]
pub struct WriteOutcome {
    /// The attributes to return, per ReturnValues.
    pub attributes: Option<Item>,
    pub consumed: Consumed,
}

/// One change of a write: the item before and after (None = absent).
pub(crate) struct Change {
    pub old: Option<Item>,
    pub new: Option<Item>,
}

/// Reads the current item with key attributes `key` inside a transaction or snapshot.
pub(crate) fn read_item(
    view: &dyn ReadView,
    table: &TableMeta,
    key: &Item,
) -> Result<Option<Item>> {
    match read_stored(view, table, key)? {
        Some(b) => Ok(Some(codec::decode_item(&b)?)),
        None => Ok(None),
    }
}

/// Reads the stored form of the item with key attributes `key`, shared with the storage
/// backend where it allows (no copy of the value).
fn read_stored(view: &dyn ReadView, table: &TableMeta, key: &Item) -> Result<Option<Bytes>> {
    let k = keys::item_key(table, key)?;
    Ok(view.get_shared(&k)?)
}

/// Stores a change: the item, every index entry it adds, moves or removes, and the statistics.
/// Returns the capacity it consumed.
pub(crate) fn apply_change(
    txn: &mut dyn WriteTxn,
    table: &TableMeta,
    change: &Change,
) -> Result<Consumed> {
    let mut consumed = Consumed::default();
    let old_size = change.old.as_ref().map(item_size);
    let new_size = change.new.as_ref().map(item_size);
    let key_item = change.new.as_ref().or(change.old.as_ref());
    let Some(key_item) = key_item else {
        return Ok(consumed);
    };
    let k = keys::item_key(table, key_item)?;
    match &change.new {
        Some(item) => txn.put(&k, &codec::encode_item(item)),
        None => txn.delete(&k),
    }
    consumed.add_table_write(old_size.unwrap_or(0).max(new_size.unwrap_or(0)));
    let d_items = i64::from(change.new.is_some()) - i64::from(change.old.is_some());
    let d_bytes = new_size.unwrap_or(0) as i64 - old_size.unwrap_or(0) as i64;
    let mut collection_delta = d_bytes;
    stats::add(txn, table.id, 0, d_items, d_bytes)?;
    for ix in &table.indexes {
        let old_entry = change
            .old
            .as_ref()
            .filter(|i| ix.keys.is_present_in(i))
            .map(|i| -> Result<_> {
                Ok((
                    keys::index_entry_key(table, ix.number, &ix.keys, i)?,
                    ix.project(i, &table.keys),
                ))
            })
            .transpose()?;
        let new_entry = change
            .new
            .as_ref()
            .filter(|i| ix.keys.is_present_in(i))
            .map(|i| -> Result<_> {
                Ok((
                    keys::index_entry_key(table, ix.number, &ix.keys, i)?,
                    ix.project(i, &table.keys),
                ))
            })
            .transpose()?;
        if old_entry == new_entry {
            continue;
        }
        let mut d_items = 0i64;
        let mut d_bytes = 0i64;
        if let Some((ok, oi)) = &old_entry {
            let moved = new_entry.as_ref().is_none_or(|(nk, _)| nk != ok);
            if moved {
                txn.delete(ok);
                consumed.add_index_write(&ix.name, item_size(oi));
            }
            d_items -= 1;
            d_bytes -= item_size(oi) as i64;
        }
        if let Some((nk, ni)) = &new_entry {
            txn.put(nk, &codec::encode_item(ni));
            consumed.add_index_write(&ix.name, item_size(ni));
            d_items += 1;
            d_bytes += item_size(ni) as i64;
        }
        stats::add(txn, table.id, ix.number, d_items, d_bytes)?;
        if ix.kind == IndexKind::Local {
            collection_delta += d_bytes;
        }
    }
    if table.indexes.iter().any(|i| i.kind == IndexKind::Local) {
        let total = update_collection(txn, table, key_item, collection_delta)?;
        consumed.item_collection = Some((validate::partition_of(table, key_item), total));
    }
    Ok(consumed)
}

/// DynamoDB's limit on an item collection of a table with local secondary indexes.
const MAX_ITEM_COLLECTION: u64 = 10 * 1024 * 1024 * 1024;

/// Adds `delta` bytes to the size of the item collection of `item` and returns the new size.
fn update_collection(
    txn: &mut dyn WriteTxn,
    table: &TableMeta,
    item: &Item,
    delta: i64,
) -> Result<u64> {
    let key = keys::collection_key(table, item)?;
    let current = match txn.get(&key)? {
        Some(b) => codec::take_varint(&mut b.as_slice())?,
        None => 0,
    };
    let total = current.saturating_add_signed(delta);
    if delta > 0 && total > MAX_ITEM_COLLECTION {
        return Err(EngineError::ItemCollectionSizeLimitExceeded(
            "Collection size exceeded.".into(),
        ));
    }
    if total == 0 {
        txn.delete(&key);
    } else {
        let mut v = Vec::with_capacity(10);
        codec::put_varint(&mut v, total);
        txn.put(&key, &v);
    }
    Ok(total)
}

/// Chooses the attributes to return after a write.
pub(crate) fn returned(
    rv: ReturnValues,
    old: Option<&Item>,
    new: Option<&Item>,
    updated: Option<&crate::query::Projector>,
) -> Option<Item> {
    let pick = |item: Option<&Item>| -> Option<Item> {
        let out = updated?(item?);
        (!out.is_empty()).then_some(out)
    };
    match rv {
        ReturnValues::None => None,
        ReturnValues::AllOld => old.cloned(),
        ReturnValues::AllNew => new.cloned(),
        ReturnValues::UpdatedOld => pick(old),
        ReturnValues::UpdatedNew => pick(new),
    }
}

/// Evaluates a write's condition on the current item.
pub(crate) fn check_condition(opts: &WriteOptions, current: Option<&Item>) -> Result<()> {
    if let Some(cond) = &opts.condition {
        let empty = Item::new();
        if !cond(current.unwrap_or(&empty)) {
            return Err(EngineError::ConditionalCheckFailed {
                item: current
                    .filter(|_| opts.return_old_on_condition_failure)
                    .cloned(),
            });
        }
    }
    Ok(())
}

impl Engine {
    /// PutItem.
    pub async fn put_item(
        &self,
        account: &str,
        table: &str,
        item: Item,
        opts: WriteOptions,
    ) -> Result<WriteOutcome> {
        let table = self.table(account, table)?;
        validate::check_item(&table, &item)?;
        if matches!(
            opts.return_values,
            ReturnValues::UpdatedOld | ReturnValues::AllNew | ReturnValues::UpdatedNew
        ) {
            return Err(EngineError::validation(
                "ReturnValues can only be ALL_OLD or NONE",
            ));
        }
        if table.indexes.is_empty()
            && opts.condition.is_none()
            && opts.return_values == ReturnValues::None
        {
            return self.put_unindexed(table, item).await;
        }
        self.write(move |txn| {
            let old = read_item(txn, &table, &item)?;
            check_condition(&opts, old.as_ref())?;
            let change = Change {
                old,
                new: Some(item.clone()),
            };
            let consumed = apply_change(txn, &table, &change)?;
            Ok(WriteOutcome {
                attributes: returned(opts.return_values, change.old.as_ref(), None, None),
                consumed,
            })
        })
        .await
    }

    /// PutItem without a condition or returned values into a table without indexes: the old
    /// item matters only for its size (statistics and consumed capacity), so it is written as
    /// BatchWriteItem writes such tables ([`write_unindexed`]: the old item sized from its
    /// stored bytes, not decoded).
    async fn put_unindexed(&self, table: Arc<TableMeta>, item: Item) -> Result<WriteOutcome> {
        let writes = [KeyedWrite {
            key: keys::item_key(&table, &item)?,
            write: BatchWrite::Put(item),
        }];
        let consumed = self
            .write(move |txn| write_unindexed(txn, &table, &writes))
            .await?;
        Ok(WriteOutcome {
            attributes: None,
            consumed,
        })
    }

    /// DeleteItem.
    pub async fn delete_item(
        &self,
        account: &str,
        table: &str,
        key: Item,
        opts: WriteOptions,
    ) -> Result<WriteOutcome> {
        let table = self.table(account, table)?;
        validate::check_key(&table, &key)?;
        if matches!(
            opts.return_values,
            ReturnValues::UpdatedOld | ReturnValues::AllNew | ReturnValues::UpdatedNew
        ) {
            return Err(EngineError::validation(
                "ReturnValues can only be ALL_OLD or NONE",
            ));
        }
        self.write(move |txn| {
            let old = read_item(txn, &table, &key)?;
            check_condition(&opts, old.as_ref())?;
            let mut consumed = Consumed::default();
            if old.is_some() {
                consumed = apply_change(
                    txn,
                    &table,
                    &Change {
                        old: old.clone(),
                        new: None,
                    },
                )?;
            } else {
                consumed.add_table_write(0);
            }
            Ok(WriteOutcome {
                attributes: returned(opts.return_values, old.as_ref(), None, None),
                consumed,
            })
        })
        .await
    }

    /// UpdateItem: applies `update` to the current item (or to a new item holding only the key).
    pub async fn update_item(
        &self,
        account: &str,
        table: &str,
        key: Item,
        update: Option<Updater>,
        opts: WriteOptions,
    ) -> Result<WriteOutcome> {
        let table = self.table(account, table)?;
        validate::check_key(&table, &key)?;
        self.write(move |txn| {
            let old = read_item(txn, &table, &key)?;
            check_condition(&opts, old.as_ref())?;
            let mut new = old.clone().unwrap_or_else(|| key.clone());
            let updated = match &update {
                Some(u) => Some(u(&mut new).map_err(EngineError::Validation)?),
                None => None,
            };
            for a in table.keys.attrs() {
                if new.get(&a.name) != key.get(&a.name) {
                    return Err(EngineError::validation(format!(
                        "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                        a.name
                    )));
                }
            }
            validate::check_item(&table, &new)?;
            let change = Change { old, new: Some(new) };
            let consumed = apply_change(txn, &table, &change)?;
            Ok(WriteOutcome {
                attributes: returned(opts.return_values, change.old.as_ref(), change.new.as_ref(), updated.as_ref()),
                consumed,
            })
        })
        .await
    }

    /// GetItem: the item with `key`, read from the latest durable state.
    pub fn get_item(
        &self,
        account: &str,
        table: &str,
        key: &Item,
        consistent: bool,
    ) -> Result<(Option<Item>, Consumed)> {
        let table = self.table(account, table)?;
        validate::check_key(&table, key)?;
        let snap = self.storage.snapshot()?;
        let item = read_item(&*snap, &table, key)?;
        let mut consumed = Consumed::default();
        consumed.add_table_read(item.as_ref().map_or(0, item_size), consistent);
        Ok((item, consumed))
    }

    /// GetItem for a caller that writes the item out rather than looking into it: the item in
    /// its stored form, shared with the storage backend, to be written with
    /// [`write_stored_item_json`](crate::write_stored_item_json) or decoded with
    /// [`codec::decode_item`]. Checks, errors and capacity are those of
    /// [`get_item`](Engine::get_item).
    pub fn get_item_stored(
        &self,
        account: &str,
        table: &str,
        key: &Item,
        consistent: bool,
    ) -> Result<(Option<Bytes>, Consumed)> {
        let table = self.table(account, table)?;
        validate::check_key(&table, key)?;
        let snap = self.storage.snapshot()?;
        let stored = read_stored(&*snap, &table, key)?;
        let size = match &stored {
            Some(b) => crate::codec_json::stored_item_size(b)?,
            None => 0,
        };
        let mut consumed = Consumed::default();
        consumed.add_table_read(size, consistent);
        Ok((stored, consumed))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use palisade_model::{AttributeValue, Item, Number, write_item_json};
    use palisade_storage::memory::MemoryStorage;

    use crate::catalog::CreateTableInput;
    use crate::schema::{AttrType, BillingMode, KeyAttr};
    use crate::{Engine, EngineConfig, WriteOptions, codec, write_stored_item_json};

    const ACCOUNT: &str = "000000000000";

    async fn engine_with_table() -> Engine {
        let config = EngineConfig {
            region: "us-east-1".into(),
            account: ACCOUNT.into(),
        };
        let engine = Engine::open(Arc::new(MemoryStorage::new()), config).unwrap();
        engine
            .create_table(CreateTableInput {
                account: ACCOUNT.into(),
                name: "t".into(),
                attribute_definitions: vec![KeyAttr {
                    name: "pk".into(),
                    ty: AttrType::S,
                }],
                key_schema: vec![("pk".into(), true)],
                billing_mode: Some(BillingMode::PayPerRequest),
                ..Default::default()
            })
            .await
            .unwrap();
        engine
    }

    fn key(pk: &str) -> Item {
        Item::from([("pk".to_string(), AttributeValue::S(pk.into()))])
    }

    #[tokio::test]
    async fn stored_get_item_matches_get_item() {
        let engine = engine_with_table().await;
        let mut item = key("a");
        item.insert("s".into(), AttributeValue::S("é\"\n".repeat(3000)));
        item.insert(
            "n".into(),
            AttributeValue::N(Number::parse("-1.5e3").unwrap()),
        );
        item.insert("l".into(), AttributeValue::L(vec![AttributeValue::Null]));
        engine
            .put_item(ACCOUNT, "t", item.clone(), WriteOptions::default())
            .await
            .unwrap();
        for (pk, consistent) in [("a", false), ("a", true), ("absent", true)] {
            let (decoded, consumed) = engine.get_item(ACCOUNT, "t", &key(pk), consistent).unwrap();
            let (stored, stored_consumed) = engine
                .get_item_stored(ACCOUNT, "t", &key(pk), consistent)
                .unwrap();
            assert_eq!(stored_consumed, consumed);
            assert_eq!(
                stored.as_deref().map(|s| codec::decode_item(s).unwrap()),
                decoded
            );
            if let (Some(stored), Some(decoded)) = (&stored, &decoded) {
                let (mut ours, mut expected) = (Vec::new(), Vec::new());
                write_stored_item_json(stored, &mut ours).unwrap();
                write_item_json(decoded, &mut expected);
                assert_eq!(ours, expected);
            }
        }
        assert!(
            engine
                .get_item_stored(ACCOUNT, "missing", &key("a"), false)
                .is_err()
        );
    }
}
