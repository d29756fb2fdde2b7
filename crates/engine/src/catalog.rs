//! Table operations: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable.

use std::collections::HashSet;
use std::ops::Bound;
use std::sync::Arc;

use palisade_storage::{ReadView, WriteTxn, keyenc};

use crate::error::{EngineError, Result};
use crate::schema::{
    BillingMode, IndexKind, IndexMeta, KeyAttr, KeyDef, Projection, Status, TableMeta, Throughput,
};
use crate::stats::{self, Stats};
use crate::{Engine, codec, keys};

/// Maximum tables per account (DynamoDB's default quota).
const MAX_TABLES: usize = 2500;
const MAX_GSIS: usize = 20;
const MAX_LSIS: usize = 5;

/// A secondary index as requested in CreateTable or UpdateTable.
#[derive(Debug, Clone)]
pub struct IndexInput {
    pub name: String,
    /// (attribute name, is_hash) in the order given.
    pub key_schema: Vec<(String, bool)>,
    pub projection: Projection,
    pub throughput: Option<Throughput>,
}

/// A validated-shape CreateTable request. `Default` leaves every optional part out (no
/// billing mode, indexes, tags, stream or policy).
#[derive(Debug, Clone, Default)]
pub struct CreateTableInput {
    pub account: String,
    pub name: String,
    pub attribute_definitions: Vec<KeyAttr>,
    /// (attribute name, is_hash) in the order given.
    pub key_schema: Vec<(String, bool)>,
    pub billing_mode: Option<BillingMode>,
    pub throughput: Option<Throughput>,
    pub local_indexes: Vec<IndexInput>,
    pub global_indexes: Vec<IndexInput>,
    pub tags: Vec<(String, String)>,
    /// Stream view type when streams are enabled.
    pub stream_view_type: Option<String>,
    pub table_class: Option<String>,
    pub deletion_protection: bool,
    pub resource_policy: Option<String>,
}

/// An UpdateTable request.
#[derive(Debug, Clone, Default)]
pub struct UpdateTableInput {
    pub account: String,
    pub name: String,
    pub attribute_definitions: Vec<KeyAttr>,
    pub billing_mode: Option<BillingMode>,
    pub throughput: Option<Throughput>,
    pub create_indexes: Vec<IndexInput>,
    pub delete_indexes: Vec<String>,
    /// (index name, new throughput)
    pub update_indexes: Vec<(String, Throughput)>,
    pub deletion_protection: Option<bool>,
    pub table_class: Option<String>,
    /// Some(Some(view)) enables streams, Some(None) disables them.
    pub stream_view_type: Option<Option<String>>,
}

/// A table's metadata with its current statistics, for DescribeTable and friends.
#[derive(Debug, Clone)]
pub struct TableDescription {
    pub table: Arc<TableMeta>,
    pub stats: Stats,
    /// Statistics per index number.
    pub index_stats: Vec<(u16, Stats)>,
}

fn now_seconds() -> f64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as f64 / 1000.0
}

/// Builds a key definition from a KeySchema, checking DynamoDB's rules.
fn key_def(
    schema: &[(String, bool)],
    defs: &[KeyAttr],
    multi: bool,
    used: &mut Vec<String>,
) -> Result<KeyDef> {
    let mut partition = Vec::new();
    let mut sort = Vec::new();
    if schema.is_empty() {
        return Err(EngineError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    if !schema[0].1 {
        return Err(EngineError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    let mut missing = Vec::new();
    for (name, is_hash) in schema {
        let Some(def) = defs.iter().find(|d| &d.name == name) else {
            missing.push(name.clone());
            continue;
        };
        if !used.contains(name) {
            used.push(name.clone());
        }
        if *is_hash {
            if !sort.is_empty() {
                return Err(EngineError::validation(
                    "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
                ));
            }
            partition.push(def.clone());
        } else {
            sort.push(def.clone());
        }
    }
    if !missing.is_empty() {
        let all: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        return Err(EngineError::validation(format!(
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            missing.join(", "),
            all.join(", ")
        )));
    }
    let names: HashSet<&str> = schema.iter().map(|(n, _)| n.as_str()).collect();
    if names.len() != schema.len() {
        return Err(EngineError::validation(
            "Invalid KeySchema: Some index key attribute have duplicate names",
        ));
    }
    let max = if multi { 4 } else { 1 };
    if partition.len() > max {
        return Err(EngineError::validation(if multi {
            "Invalid KeySchema: a key schema can have at most 4 HASH key attributes"
        } else {
            "Invalid KeySchema: Too many hash keys"
        }));
    }
    if sort.len() > max {
        return Err(EngineError::validation(if multi {
            "Invalid KeySchema: a key schema can have at most 4 RANGE key attributes"
        } else {
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
        }));
    }
    Ok(KeyDef { partition, sort })
}

fn validate_index_name(name: &str) -> Result<()> {
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(EngineError::validation(format!(
            "1 validation error detected: Value '{name}' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )))
    }
}

fn projection_check(p: &Projection, keys: &KeyDef, table_keys: &KeyDef) -> Result<()> {
    if let Projection::Include(names) = p {
        if names.is_empty() {
            return Err(EngineError::validation(
                "One or more parameter values were invalid: NonKeyAttributes must not be empty",
            ));
        }
        for n in names {
            if keys.contains(n) || table_keys.contains(n) {
                // DynamoDB accepts key attributes here silently.
                continue;
            }
        }
    }
    Ok(())
}

fn check_throughput(
    billing: BillingMode,
    tp: Option<Throughput>,
    what: &str,
) -> Result<Option<Throughput>> {
    match (billing, tp) {
        (BillingMode::PayPerRequest, Some(_)) => Err(EngineError::validation(
            "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        )),
        (BillingMode::PayPerRequest, None) => Ok(None),
        (BillingMode::Provisioned, None) => Err(EngineError::validation(if what.is_empty() {
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED".to_string()
        } else {
            format!(
                "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: {what}"
            )
        })),
        (BillingMode::Provisioned, Some(t)) => {
            if t.read == 0 || t.write == 0 {
                return Err(EngineError::validation(
                    "One or more parameter values were invalid: Provisioned throughput for ReadCapacityUnits and WriteCapacityUnits must be greater than 0",
                ));
            }
            Ok(Some(t))
        }
    }
}

impl Engine {
    pub(crate) fn load_catalog(&self) -> Result<()> {
        let snap = self.storage.snapshot()?;
        let start = [0x01u8];
        let end = [0x02u8];
        let mut map = self.tables.write();
        for entry in snap.range(Bound::Included(&start), Bound::Excluded(&end), false) {
            let (_, value) = entry?;
            let meta: TableMeta = serde_json::from_slice(&value).map_err(EngineError::internal)?;
            map.insert((meta.account.clone(), meta.name.clone()), Arc::new(meta));
        }
        Ok(())
    }

    fn describe_with(
        &self,
        view: &dyn ReadView,
        table: Arc<TableMeta>,
    ) -> Result<TableDescription> {
        let s = stats::read(view, table.id, 0)?;
        let mut index_stats = Vec::new();
        for i in &table.indexes {
            index_stats.push((i.number, stats::read(view, table.id, i.number)?));
        }
        Ok(TableDescription {
            table,
            stats: s,
            index_stats,
        })
    }

    /// DescribeTable.
    pub fn describe_table(&self, account: &str, name: &str) -> Result<TableDescription> {
        let table = self.table(account, name)?;
        let snap = self.storage.snapshot()?;
        self.describe_with(&*snap, table)
    }

    /// ListTables: names of `account`'s tables after `start` (exclusive), at most `limit`, and
    /// the last name returned when more remain.
    pub fn list_tables(
        &self,
        account: &str,
        start: Option<&str>,
        limit: usize,
    ) -> (Vec<String>, Option<String>) {
        let map = self.tables.read();
        let mut names: Vec<&str> = map
            .keys()
            .filter(|(a, _)| a == account)
            .map(|(_, n)| n.as_str())
            .collect();
        names.sort_unstable();
        let names: Vec<String> = names
            .into_iter()
            .filter(|n| start.is_none_or(|s| *n > s))
            .map(str::to_string)
            .collect();
        if names.len() > limit {
            let page: Vec<String> = names.into_iter().take(limit).collect();
            let last = page.last().cloned();
            (page, last)
        } else {
            (names, None)
        }
    }

    /// CreateTable.
    pub async fn create_table(&self, input: CreateTableInput) -> Result<TableDescription> {
        let defs = &input.attribute_definitions;
        let mut seen = HashSet::new();
        for d in defs {
            if !seen.insert(d.name.as_str()) {
                return Err(EngineError::validation(format!(
                    "Cannot have two attributes with the same name: {}",
                    d.name
                )));
            }
        }
        let mut used = Vec::new();
        if input.key_schema.len() > 2 {
            return Err(EngineError::validation(
                "1 validation error detected: Value at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2",
            ));
        }
        let keys = key_def(&input.key_schema, defs, false, &mut used)?;
        let billing = input.billing_mode.unwrap_or(BillingMode::Provisioned);
        let throughput = match (input.billing_mode, input.throughput) {
            (None, None) => {
                return Err(EngineError::validation(
                    "No provisioned throughput specified for the table",
                ));
            }
            (_, tp) => check_throughput(billing, tp, "")?,
        };
        if input.local_indexes.len() > MAX_LSIS {
            return Err(EngineError::validation(
                "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5",
            ));
        }
        if input.global_indexes.len() > MAX_GSIS {
            return Err(EngineError::LimitExceeded(
                "Subscriber limit exceeded: The number of global secondary indexes exceeds the limit of 20".into(),
            ));
        }
        let mut indexes = Vec::new();
        let mut number: u16 = 1;
        let mut names = HashSet::new();
        for (kind, list) in [
            (IndexKind::Local, &input.local_indexes),
            (IndexKind::Global, &input.global_indexes),
        ] {
            for ix in list {
                validate_index_name(&ix.name)?;
                if !names.insert(ix.name.clone()) {
                    return Err(EngineError::validation(format!(
                        "One or more parameter values were invalid: Duplicate index name: {}",
                        ix.name
                    )));
                }
                let ikeys = key_def(&ix.key_schema, defs, kind == IndexKind::Global, &mut used)?;
                if kind == IndexKind::Local {
                    if keys.sort.is_empty() {
                        return Err(EngineError::validation(
                            "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
                        ));
                    }
                    if ikeys.partition != keys.partition {
                        return Err(EngineError::validation(format!(
                            "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                            ix.name, ikeys.partition[0].name, keys.partition[0].name
                        )));
                    }
                    if ikeys.sort.is_empty() {
                        return Err(EngineError::validation(format!(
                            "One or more parameter values were invalid: Index KeySchema does not have a range key for index: {}",
                            ix.name
                        )));
                    }
                }
                projection_check(&ix.projection, &ikeys, &keys)?;
                let throughput = if kind == IndexKind::Global {
                    match (billing, ix.throughput) {
                        (BillingMode::Provisioned, None) => {
                            return Err(EngineError::validation(format!(
                                "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: {}",
                                ix.name
                            )));
                        }
                        (b, tp) => check_throughput(b, tp, &ix.name)?,
                    }
                } else {
                    None
                };
                indexes.push(IndexMeta {
                    name: ix.name.clone(),
                    number,
                    kind,
                    keys: ikeys,
                    projection: ix.projection.clone(),
                    status: Status::Active,
                    throughput,
                });
                number += 1;
            }
        }
        if used.len() != defs.len() {
            return Err(EngineError::validation(if indexes.is_empty() {
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions".to_string()
            } else {
                let all: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
                format!(
                    "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
                    all.join(", "),
                    used.join(", ")
                )
            }));
        }
        if self
            .tables
            .read()
            .keys()
            .filter(|(a, _)| a == &input.account)
            .count()
            >= MAX_TABLES
        {
            return Err(EngineError::LimitExceeded(format!(
                "Subscriber limit exceeded: Only {MAX_TABLES} tables can be created per account"
            )));
        }
        let now = now_seconds();
        let meta = TableMeta {
            id: 0,
            account: input.account.clone(),
            name: input.name.clone(),
            uuid: uuid::Uuid::new_v4().to_string(),
            keys,
            attribute_definitions: defs.clone(),
            billing_mode: billing,
            throughput,
            indexes,
            next_index_number: number,
            status: Status::Active,
            created_at: now,
            billing_mode_changed_at: (billing == BillingMode::PayPerRequest).then_some(now),
            tags: input.tags.clone(),
            stream_label: input.stream_view_type.as_ref().map(|_| stream_label(now)),
            stream_view_type: input.stream_view_type.clone(),
            table_class: input
                .table_class
                .clone()
                .unwrap_or_else(|| "STANDARD".into()),
            deletion_protection: input.deletion_protection,
            policy_revision: input
                .resource_policy
                .as_deref()
                .map(crate::resources::policy_revision),
            resource_policy: input.resource_policy.clone(),
        };
        let ckey = keys::catalog_key(&input.account, &input.name);
        let name = input.name.clone();
        let meta = self
            .write(move |txn| {
                if txn.get(&ckey)?.is_some() {
                    return Err(EngineError::ResourceInUse(format!(
                        "Table already exists: {name}"
                    )));
                }
                let id = keys::decode_counter(txn.get(keys::TABLE_COUNTER)?);
                txn.put(keys::TABLE_COUNTER, &(id + 1).to_be_bytes());
                let mut meta = meta.clone();
                meta.id = id;
                txn.put(
                    &ckey,
                    &serde_json::to_vec(&meta).map_err(EngineError::internal)?,
                );
                Ok(meta)
            })
            .await?;
        let meta = Arc::new(meta);
        self.tables
            .write()
            .insert((meta.account.clone(), meta.name.clone()), Arc::clone(&meta));
        let index_stats = meta
            .indexes
            .iter()
            .map(|i| (i.number, Stats::default()))
            .collect();
        Ok(TableDescription {
            table: meta,
            stats: Stats::default(),
            index_stats,
        })
    }

    /// DeleteTable: removes the table and everything stored for it in one transaction.
    pub async fn delete_table(&self, account: &str, name: &str) -> Result<TableDescription> {
        let table = self.table(account, name)?;
        if table.deletion_protection {
            return Err(EngineError::validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.".to_string()));
        }
        let desc = self.describe_table(account, name)?;
        let t = Arc::clone(&table);
        self.write(move |txn| {
            let ckey = keys::catalog_key(&t.account, &t.name);
            if txn.get(&ckey)?.is_none() {
                return Err(EngineError::table_not_found());
            }
            txn.delete(&ckey);
            for prefix in [
                keys::table_prefix(t.id),
                keys::stats_prefix(t.id),
                keys::collection_prefix(t.id),
            ] {
                delete_prefix(txn, &prefix)?;
            }
            Ok(())
        })
        .await?;
        self.tables
            .write()
            .remove(&(table.account.clone(), table.name.clone()));
        let mut meta = (*desc.table).clone();
        meta.status = Status::Deleting;
        Ok(TableDescription {
            table: Arc::new(meta),
            ..desc
        })
    }

    /// UpdateTable: billing mode, throughput, GSIs (created with a backfill of existing items,
    /// or deleted), deletion protection, table class, streams.
    pub async fn update_table(&self, input: UpdateTableInput) -> Result<TableDescription> {
        let table = self.table(&input.account, &input.name)?;
        let mut meta = (*table).clone();
        let mut changed = false;
        if let Some(b) = input.billing_mode
            && b != meta.billing_mode
        {
            meta.billing_mode = b;
            meta.billing_mode_changed_at = Some(now_seconds());
            changed = true;
        }
        if input.throughput.is_some() || input.billing_mode.is_some() {
            meta.throughput = check_throughput(
                meta.billing_mode,
                input
                    .throughput
                    .or(meta.throughput)
                    .filter(|_| meta.billing_mode == BillingMode::Provisioned),
                "",
            )?;
            changed = true;
        }
        if let Some(p) = input.deletion_protection {
            meta.deletion_protection = p;
            changed = true;
        }
        if let Some(c) = &input.table_class {
            meta.table_class = c.clone();
            changed = true;
        }
        if let Some(s) = &input.stream_view_type {
            meta.stream_view_type = s.clone();
            meta.stream_label = s.as_ref().map(|_| stream_label(now_seconds()));
            changed = true;
        }
        for (name, tp) in &input.update_indexes {
            let Some(ix) = meta
                .indexes
                .iter_mut()
                .find(|i| &i.name == name && i.kind == IndexKind::Global)
            else {
                return Err(EngineError::ResourceNotFound(format!(
                    "Requested resource not found: Index: {name} not found for table: {}",
                    meta.name
                )));
            };
            ix.throughput = Some(*tp);
            changed = true;
        }
        for name in &input.delete_indexes {
            let before = meta.indexes.len();
            meta.indexes
                .retain(|i| !(&i.name == name && i.kind == IndexKind::Global));
            if meta.indexes.len() == before {
                return Err(EngineError::ResourceNotFound(format!(
                    "Requested resource not found: Index: {name} not found for table: {}",
                    meta.name
                )));
            }
            changed = true;
        }
        let mut new_indexes = Vec::new();
        for ix in &input.create_indexes {
            validate_index_name(&ix.name)?;
            if meta.index(&ix.name).is_some() {
                return Err(EngineError::validation(format!(
                    "One or more parameter values were invalid: Index with name: {} already exists",
                    ix.name
                )));
            }
            let mut defs = meta.attribute_definitions.clone();
            for d in &input.attribute_definitions {
                match defs.iter().find(|e| e.name == d.name) {
                    Some(e) if e.ty != d.ty => {
                        return Err(EngineError::validation(format!(
                            "One or more parameter values were invalid: Attribute {} is defined with a different type",
                            d.name
                        )));
                    }
                    Some(_) => {}
                    None => defs.push(d.clone()),
                }
            }
            let mut used = Vec::new();
            let ikeys = key_def(&ix.key_schema, &defs, true, &mut used)?;
            projection_check(&ix.projection, &ikeys, &meta.keys)?;
            let throughput = check_throughput(meta.billing_mode, ix.throughput, &ix.name)?;
            meta.attribute_definitions = defs;
            let number = meta.next_index_number;
            meta.next_index_number += 1;
            let im = IndexMeta {
                name: ix.name.clone(),
                number,
                kind: IndexKind::Global,
                keys: ikeys,
                projection: ix.projection.clone(),
                status: Status::Active,
                throughput,
            };
            new_indexes.push(im.clone());
            meta.indexes.push(im);
            changed = true;
        }
        if meta
            .indexes
            .iter()
            .filter(|i| i.kind == IndexKind::Global)
            .count()
            > MAX_GSIS
        {
            return Err(EngineError::LimitExceeded(
                "Subscriber limit exceeded: The number of global secondary indexes exceeds the limit of 20".into(),
            ));
        }
        if !changed {
            return Err(EngineError::validation(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
            ));
        }
        let deleted: Vec<u16> = table
            .indexes
            .iter()
            .filter(|i| !meta.indexes.iter().any(|m| m.number == i.number))
            .map(|i| i.number)
            .collect();
        let ckey = keys::catalog_key(&meta.account, &meta.name);
        let stored = meta.clone();
        self.write(move |txn| {
            if txn.get(&ckey)?.is_none() {
                return Err(EngineError::table_not_found());
            }
            for n in &deleted {
                delete_prefix(txn, &keys::index_prefix(stored.id, *n))?;
                txn.delete(&keys::stats_key(stored.id, *n));
            }
            for ix in &new_indexes {
                backfill(txn, &stored, ix)?;
            }
            txn.put(
                &ckey,
                &serde_json::to_vec(&stored).map_err(EngineError::internal)?,
            );
            Ok(())
        })
        .await?;
        let meta = Arc::new(meta);
        self.tables
            .write()
            .insert((meta.account.clone(), meta.name.clone()), Arc::clone(&meta));
        let snap = self.storage.snapshot()?;
        let mut desc = self.describe_with(&*snap, meta)?;
        if !input.create_indexes.is_empty() || !input.delete_indexes.is_empty() {
            let mut m = (*desc.table).clone();
            m.status = Status::Updating;
            desc.table = Arc::new(m);
        }
        Ok(desc)
    }
}

/// A stream label: the creation time as DynamoDB writes it, `2026-01-02T03:04:05.678`.
fn stream_label(now: f64) -> String {
    let nanos = (now * 1e9) as i128;
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Deletes every key starting with `prefix`.
fn delete_prefix(txn: &mut dyn WriteTxn, prefix: &[u8]) -> Result<()> {
    let end = keyenc::prefix_successor(prefix);
    let end_bound = match &end {
        Some(e) => Bound::Excluded(e.as_slice()),
        None => Bound::Unbounded,
    };
    let mut doomed = Vec::new();
    for entry in txn.range(Bound::Included(prefix), end_bound, false) {
        doomed.push(entry?.0);
    }
    for k in doomed {
        txn.delete(&k);
    }
    Ok(())
}

/// Writes the entries of a new index for every existing item of the table.
fn backfill(txn: &mut dyn WriteTxn, table: &TableMeta, index: &IndexMeta) -> Result<()> {
    let prefix = keys::index_prefix(table.id, 0);
    let end = keyenc::prefix_successor(&prefix);
    let end_bound = match &end {
        Some(e) => Bound::Excluded(e.as_slice()),
        None => Bound::Unbounded,
    };
    let mut entries = Vec::new();
    for entry in txn.range(Bound::Included(&prefix), end_bound, false) {
        let (_, v) = entry?;
        let item = codec::decode_item(&v)?;
        if index.keys.is_present_in(&item) {
            let projected = index.project(&item, &table.keys);
            let key = keys::index_entry_key(table, index.number, &index.keys, &item)?;
            entries.push((
                key,
                codec::encode_item(&projected),
                palisade_model_size(&projected),
            ));
        }
    }
    let count = entries.len() as i64;
    let mut bytes = 0i64;
    for (k, v, size) in entries {
        txn.put(&k, &v);
        bytes += size as i64;
    }
    stats::add(txn, table.id, index.number, count, bytes)
}

fn palisade_model_size(item: &palisade_model::Item) -> usize {
    crate::size::item_size(item)
}
