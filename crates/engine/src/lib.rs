//! Table semantics over a storage backend: catalog, items, conditional writes, indexes, query,
//! scan, batches and transactions.
//!
//! Depends on the data model, the expression language and the storage traits. It must not depend
//! on a concrete storage backend, on HTTP or wire formats, or on IAM: callers hand it typed,
//! already-authorized requests.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod batch;
mod capacity;
mod catalog;
pub mod codec;
mod codec_json;
mod error;
mod items;
mod keys;
mod query;
mod resources;
pub mod schema;
mod size;
mod stats;
mod validate;

use std::collections::HashMap;
use std::sync::Arc;

use palisade_storage::{Storage, WriteTxn};
use parking_lot::Mutex;

pub use batch::{
    BatchGetResult, BatchGetTable, BatchWrite, RequestToken, TransactAction, TransactWrite,
};
pub use capacity::Consumed;
pub use catalog::{CreateTableInput, IndexInput, TableDescription, UpdateTableInput};
pub use error::{CancellationReason, EngineError, Result};
pub use items::{Condition, ReturnValues, Updater, WriteOptions, WriteOutcome};
pub use query::{
    KeyQuery, Projector, ReadInput, ReadOutput, Select, SortCondition, write_stored_item_json,
};
pub use resources::policy_revision;
pub use stats::Stats;

/// Settings the engine needs from its host.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Region in ARNs, e.g. `us-east-1`.
    pub region: String,
    /// Account that owns tables until accounts exist, e.g. `000000000000`.
    pub account: String,
}

/// A table's (account, name), owned or borrowed: the catalog map is keyed by owned pairs and
/// looked up with borrowed ones, without building two `String`s per lookup. Hashes and compares
/// exactly as the tuple `(String, String)` does.
trait TableKey {
    fn account(&self) -> &str;
    fn name(&self) -> &str;
}

impl TableKey for (String, String) {
    fn account(&self) -> &str {
        &self.0
    }
    fn name(&self) -> &str {
        &self.1
    }
}

impl TableKey for (&str, &str) {
    fn account(&self) -> &str {
        self.0
    }
    fn name(&self) -> &str {
        self.1
    }
}

impl<'a> std::borrow::Borrow<dyn TableKey + 'a> for (String, String) {
    fn borrow(&self) -> &(dyn TableKey + 'a) {
        self
    }
}

impl std::hash::Hash for dyn TableKey + '_ {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // What a tuple does: each field in turn.
        self.account().hash(state);
        self.name().hash(state);
    }
}

impl PartialEq for dyn TableKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.account() == other.account() && self.name() == other.name()
    }
}

impl Eq for dyn TableKey + '_ {}

/// The database: every table of every account, over one storage backend.
pub struct Engine {
    storage: Arc<dyn Storage>,
    config: EngineConfig,
    /// Table metadata by (account, name); replaced whole when a table changes.
    tables: resources::Tracked<HashMap<(String, String), Arc<schema::TableMeta>>>,
    /// ClientRequestTokens of recent TransactWriteItems calls.
    tokens: Mutex<batch::TokenCache>,
}

impl Engine {
    /// Opens the engine over `storage`, loading the table catalog.
    pub fn open(storage: Arc<dyn Storage>, config: EngineConfig) -> Result<Engine> {
        let engine = Engine {
            storage,
            config,
            tables: resources::Tracked::new(HashMap::new()),
            tokens: Mutex::new(batch::TokenCache::default()),
        };
        engine.load_catalog()?;
        Ok(engine)
    }

    /// The engine's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Resolves a `TableName` parameter, which may be a plain name (in the caller's account) or a
    /// table ARN (DynamoDB's "table name overloading"), to (account, name).
    pub fn resolve_table_name<'a>(&self, account: &'a str, name: &'a str) -> (&'a str, &'a str) {
        if let Some(rest) = name.strip_prefix("arn:") {
            // arn:partition:dynamodb:region:account:table/name
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            if let [_, "dynamodb", _, acct, res] = parts.as_slice()
                && let Some(t) = res.strip_prefix("table/")
                && !t.contains('/')
            {
                return (acct, t);
            }
        }
        (account, name)
    }

    /// The metadata of a table, or DynamoDB's not-found error.
    pub fn table(&self, account: &str, name: &str) -> Result<Arc<schema::TableMeta>> {
        let (account, name) = self.resolve_table_name(account, name);
        self.tables
            .read()
            .get(&(account, name) as &dyn TableKey)
            .cloned()
            .ok_or_else(EngineError::table_not_found)
    }

    /// Runs `f` as one atomic, durable storage transaction. An `Err` from `f` rolls the
    /// transaction back and is returned as is.
    async fn write<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnMut(&mut dyn WriteTxn) -> Result<R> + Send + 'static,
    {
        palisade_storage::run(&*self.storage, f)
            .await
            .map_err(|e| match e {
                palisade_storage::RunError::Aborted(e) => e,
                palisade_storage::RunError::Storage(e) => EngineError::internal(e),
            })
    }
}
