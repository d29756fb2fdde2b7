//! BatchGetItem, BatchWriteItem, TransactGetItems and TransactWriteItems.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_model::Item;
use palisade_storage::WriteTxn;

use crate::capacity::Consumed;
use crate::codec_json::stored_item_size;
use crate::error::{CancellationReason, EngineError, Result};
use crate::items::{Change, Condition, Updater, apply_change, read_item};
use crate::query::Projector;
use crate::schema::TableMeta;
use crate::size::item_size;
use crate::{Engine, codec, keys, stats, validate};

/// Idempotency window of ClientRequestToken.
const TOKEN_TTL: Duration = Duration::from_secs(600);
/// BatchGetItem answers at most 16 MB; keys beyond are returned as UnprocessedKeys.
const BATCH_GET_BYTES: usize = 16 * 1024 * 1024;

/// One request of a BatchWriteItem.
#[derive(Debug, Clone)]
pub enum BatchWrite {
    Put(Item),
    Delete(Item),
}

/// The keys of one table in a BatchGetItem.
#[derive(Clone)]
pub struct BatchGetTable {
    pub table: String,
    pub keys: Vec<Item>,
    pub consistent: bool,
    pub projection: Option<Projector>,
}

/// Results of a BatchGetItem for one table.
#[derive(Debug, Clone, Default)]
pub struct BatchGetResult {
    pub table: String,
    pub items: Vec<Item>,
    pub unprocessed: Vec<Item>,
    pub consumed: Consumed,
}

/// One action of a TransactWriteItems.
#[derive(Clone)]
pub enum TransactAction {
    Put { item: Item },
    Update { key: Item, update: Option<Updater> },
    Delete { key: Item },
    ConditionCheck { key: Item },
}

/// One element of a TransactWriteItems: the table, the action, its condition, and whether to
/// return the item when the condition fails.
#[derive(Clone)]
pub struct TransactWrite {
    pub table: String,
    pub action: TransactAction,
    pub condition: Option<Condition>,
    pub return_old_on_condition_failure: bool,
}

/// A ClientRequestToken and a fingerprint of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestToken {
    pub token: String,
    pub fingerprint: u64,
}

/// Recently seen ClientRequestTokens.
#[derive(Default)]
pub(crate) struct TokenCache {
    seen: HashMap<(String, String), SeenToken>,
}

/// A token's request fingerprint, when it was seen, and the result it produced.
type SeenToken = (u64, Instant, Vec<(String, Consumed)>);

fn has_duplicates(table: &TableMeta, keys: &[Item]) -> Result<bool> {
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        if !seen.insert(keys::item_key(table, k)?) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One write of a BatchWriteItem with the storage key of its item.
pub(crate) struct KeyedWrite {
    pub(crate) key: Vec<u8>,
    pub(crate) write: BatchWrite,
}

/// The writes of one table of a BatchWriteItem (already validated) with their storage keys;
/// DynamoDB's error when two of them name the same item. A batch holds at most 25 writes, so
/// each key is compared with those before it.
fn keyed_writes(table: &TableMeta, writes: Vec<BatchWrite>) -> Result<Vec<KeyedWrite>> {
    let mut out: Vec<KeyedWrite> = Vec::with_capacity(writes.len());
    for write in writes {
        // The storage key of an item is made of its key attributes only.
        let key = match &write {
            BatchWrite::Put(item) | BatchWrite::Delete(item) => keys::item_key(table, item)?,
        };
        if out.iter().any(|w| w.key == key) {
            return Err(EngineError::validation(
                "Provided list of item keys contains duplicates",
            ));
        }
        out.push(KeyedWrite { key, write });
    }
    Ok(out)
}

/// Applies the writes of one table without indexes: what [`apply_change`] does for such a
/// table (the item, its statistics and the capacity, which depends on the old item's size),
/// without copying or decoding the old items (only their size is needed), and with the
/// statistics stored once. PutItem's plain path uses it too.
pub(crate) fn write_unindexed(
    txn: &mut dyn WriteTxn,
    table: &TableMeta,
    writes: &[KeyedWrite],
) -> Result<Consumed> {
    let mut consumed = Consumed::default();
    let mut stats = stats::Tally::new(table.id, 0);
    for KeyedWrite { key, write } in writes {
        let old_size = match txn.get_shared(key)? {
            Some(stored) => Some(stored_item_size(&stored)?),
            None => None,
        };
        let (d_items, d_bytes) = match (write, old_size) {
            (BatchWrite::Put(item), old) => {
                let new_size = item_size(item);
                txn.put(key, &codec::encode_item(item));
                let old_size = old.unwrap_or(0);
                consumed.add_table_write(old_size.max(new_size));
                (
                    1 - i64::from(old.is_some()),
                    new_size as i64 - old_size as i64,
                )
            }
            (BatchWrite::Delete(_), Some(old_size)) => {
                txn.delete(key);
                consumed.add_table_write(old_size);
                (-1, -(old_size as i64))
            }
            (BatchWrite::Delete(_), None) => {
                consumed.add_table_write(0);
                continue;
            }
        };
        stats.add(txn, d_items, d_bytes)?;
    }
    stats.store(txn);
    Ok(consumed)
}

/// Applies the writes of one table with indexes, each through [`apply_change`] (which needs
/// the old item to move its index entries).
fn write_indexed(
    txn: &mut dyn WriteTxn,
    table: &TableMeta,
    writes: &[KeyedWrite],
) -> Result<Consumed> {
    let mut consumed = Consumed::default();
    for KeyedWrite { write, .. } in writes {
        let (key, new) = match write {
            BatchWrite::Put(item) => (item, Some(item.clone())),
            BatchWrite::Delete(key) => (key, None),
        };
        let old = read_item(txn, table, key)?;
        if old.is_none() && new.is_none() {
            consumed.add_table_write(0);
            continue;
        }
        consumed.merge(&apply_change(txn, table, &Change { old, new })?);
    }
    Ok(consumed)
}

impl Engine {
    /// BatchWriteItem: all requests of all tables are written in one durable transaction, so
    /// nothing is ever left unprocessed.
    pub async fn batch_write(
        &self,
        account: &str,
        requests: Vec<(String, Vec<BatchWrite>)>,
    ) -> Result<Vec<(String, Consumed)>> {
        let mut resolved = Vec::with_capacity(requests.len());
        for (name, writes) in requests {
            let table = self.table(account, &name)?;
            for w in &writes {
                match w {
                    BatchWrite::Put(item) => validate::check_item(&table, item)?,
                    BatchWrite::Delete(key) => validate::check_key(&table, key)?,
                }
            }
            let writes = keyed_writes(&table, writes)?;
            resolved.push((name, table, writes));
        }
        // Shared with the transaction, so that the items are freed by whichever lets go last:
        // here, once the storage's writer has run (and dropped) the transaction, rather than
        // on the writer, which every transaction waits for.
        let resolved = Arc::new(resolved);
        let in_txn = Arc::clone(&resolved);
        let result = self
            .write(move |txn| {
                let mut out = Vec::with_capacity(in_txn.len());
                for (name, table, writes) in in_txn.iter() {
                    let consumed = if table.indexes.is_empty() {
                        write_unindexed(txn, table, writes)?
                    } else {
                        write_indexed(txn, table, writes)?
                    };
                    out.push((name.clone(), consumed));
                }
                Ok(out)
            })
            .await;
        drop(resolved);
        result
    }

    /// BatchGetItem, from one consistent snapshot.
    pub fn batch_get(
        &self,
        account: &str,
        requests: &[BatchGetTable],
    ) -> Result<Vec<BatchGetResult>> {
        let mut tables = Vec::new();
        for r in requests {
            let table = self.table(account, &r.table)?;
            for k in &r.keys {
                validate::check_key(&table, k)?;
            }
            if has_duplicates(&table, &r.keys)? {
                return Err(EngineError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            tables.push(table);
        }
        let snap = self.storage.snapshot()?;
        let mut bytes = 0usize;
        let mut out = Vec::new();
        for (r, table) in requests.iter().zip(tables) {
            let mut res = BatchGetResult {
                table: r.table.clone(),
                ..BatchGetResult::default()
            };
            for k in &r.keys {
                if bytes >= BATCH_GET_BYTES {
                    res.unprocessed.push(k.clone());
                    continue;
                }
                let item = read_item(&*snap, &table, k)?;
                let size = item.as_ref().map_or(0, item_size);
                bytes += size;
                res.consumed.add_table_read(size, r.consistent);
                if let Some(item) = item {
                    res.items.push(match &r.projection {
                        Some(p) => p(&item),
                        None => item,
                    });
                }
            }
            out.push(res);
        }
        Ok(out)
    }

    /// TransactGetItems: every item from one snapshot.
    pub fn transact_get(
        &self,
        account: &str,
        gets: &[(String, Item, Option<Projector>)],
    ) -> Result<Vec<(String, Option<Item>, Consumed)>> {
        let mut tables = Vec::new();
        for (name, key, _) in gets {
            let table = self.table(account, name)?;
            validate::check_key(&table, key)?;
            tables.push(table);
        }
        let mut all_keys = Vec::new();
        for ((_, key, _), table) in gets.iter().zip(&tables) {
            all_keys.push((table.id, keys::item_key(table, key)?));
        }
        let unique: std::collections::HashSet<_> = all_keys.iter().collect();
        if unique.len() != all_keys.len() {
            return Err(EngineError::validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        let snap = self.storage.snapshot()?;
        let mut out = Vec::new();
        for ((name, key, proj), table) in gets.iter().zip(&tables) {
            let item = read_item(&*snap, table, key)?;
            let mut consumed = Consumed::default();
            // Transactional reads cost twice a strongly consistent read.
            consumed.add_table_read(item.as_ref().map_or(0, item_size), true);
            consumed.read *= 2.0;
            let item = match (item, proj) {
                (Some(i), Some(p)) => Some(p(&i)),
                (i, _) => i,
            };
            out.push((name.clone(), item, consumed));
        }
        Ok(out)
    }

    /// TransactWriteItems: all actions succeed together or none is applied.
    pub async fn transact_write(
        &self,
        account: &str,
        actions: Vec<TransactWrite>,
        token: Option<RequestToken>,
    ) -> Result<Vec<(String, Consumed)>> {
        if let Some(t) = &token {
            let mut cache = self.tokens.lock();
            cache.seen.retain(|_, (_, at, _)| at.elapsed() < TOKEN_TTL);
            if let Some((fp, _, result)) = cache.seen.get(&(account.to_string(), t.token.clone())) {
                if *fp != t.fingerprint {
                    return Err(EngineError::IdempotentParameterMismatch(
                        "Request contains different parameters than the original request with the same ClientRequestToken".into(),
                    ));
                }
                return Ok(result.clone());
            }
        }
        let mut resolved: Vec<(Arc<TableMeta>, TransactWrite)> = Vec::new();
        let mut all_keys = std::collections::HashSet::new();
        for a in actions {
            let table = self.table(account, &a.table)?;
            let key = match &a.action {
                TransactAction::Put { item } => {
                    validate::check_item(&table, item)?;
                    validate::key_of(&table, item)
                }
                TransactAction::Update { key, .. }
                | TransactAction::Delete { key }
                | TransactAction::ConditionCheck { key } => {
                    validate::check_key(&table, key)?;
                    key.clone()
                }
            };
            if !all_keys.insert((table.id, keys::item_key(&table, &key)?)) {
                return Err(EngineError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            resolved.push((table, a));
        }
        let result = self
            .write(move |txn| {
                // First evaluate every condition and compute every change, then apply.
                let mut reasons = Vec::new();
                let mut failed = false;
                let mut changes = Vec::new();
                for (table, a) in &resolved {
                    let key = match &a.action {
                        TransactAction::Put { item } => validate::key_of(table, item),
                        TransactAction::Update { key, .. }
                        | TransactAction::Delete { key }
                        | TransactAction::ConditionCheck { key } => key.clone(),
                    };
                    let old = read_item(txn, table, &key)?;
                    let empty = Item::new();
                    if let Some(c) = &a.condition
                        && !c(old.as_ref().unwrap_or(&empty))
                    {
                        failed = true;
                        reasons.push(CancellationReason {
                            code: "ConditionalCheckFailed".into(),
                            message: Some("The conditional request failed".into()),
                            item: old.filter(|_| a.return_old_on_condition_failure),
                        });
                        continue;
                    }
                    let new = match &a.action {
                        TransactAction::Put { item } => Some(item.clone()),
                        TransactAction::Delete { .. } => None,
                        TransactAction::ConditionCheck { .. } => {
                            reasons.push(CancellationReason::none());
                            continue;
                        }
                        TransactAction::Update { key, update } => {
                            let mut new = old.clone().unwrap_or_else(|| key.clone());
                            if let Some(u) = update
                                && let Err(msg) = u(&mut new)
                            {
                                failed = true;
                                reasons.push(CancellationReason {
                                    code: "ValidationError".into(),
                                    message: Some(msg),
                                    item: None,
                                });
                                continue;
                            }
                            if let Err(EngineError::Validation(msg)) =
                                validate::check_item(table, &new)
                            {
                                failed = true;
                                reasons.push(CancellationReason {
                                    code: "ValidationError".into(),
                                    message: Some(msg),
                                    item: None,
                                });
                                continue;
                            }
                            Some(new)
                        }
                    };
                    reasons.push(CancellationReason::none());
                    changes.push((Arc::clone(table), Change { old, new }));
                }
                if failed {
                    return Err(EngineError::TransactionCanceled(reasons));
                }
                let mut per_table: Vec<(String, Consumed)> = Vec::new();
                for (table, change) in &changes {
                    let mut c = if change.old.is_none() && change.new.is_none() {
                        let mut c = Consumed::default();
                        c.add_table_write(0);
                        c
                    } else {
                        apply_change(txn, table, change)?
                    };
                    // Transactional writes cost twice a standard write.
                    c.write *= 2.0;
                    match per_table.iter_mut().find(|(n, _)| n == &table.name) {
                        Some((_, acc)) => acc.merge(&c),
                        None => per_table.push((table.name.clone(), c)),
                    }
                }
                Ok(per_table)
            })
            .await?;
        if let Some(t) = token {
            self.tokens.lock().seen.insert(
                (account.to_string(), t.token),
                (t.fingerprint, Instant::now(), result.clone()),
            );
        }
        Ok(result)
    }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
