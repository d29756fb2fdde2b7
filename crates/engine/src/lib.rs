//! Table semantics over a storage backend: catalog, items, conditional writes, indexes, query,
//! scan, batches and transactions.
//!
//! Depends on the data model, the expression language and the storage traits. It must not depend
//! on a concrete storage backend, on HTTP or wire formats, or on IAM: callers hand it typed,
//! already-authorized requests.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::sync::Arc;

use palisade_storage::Storage;

/// Settings the engine needs from its host.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Region in ARNs, e.g. `us-east-1`.
    pub region: String,
    /// Account that owns tables until accounts exist, e.g. `000000000000`.
    pub account: String,
}

/// The database: every table of every account, over one storage backend.
pub struct Engine {
    storage: Arc<dyn Storage>,
    config: EngineConfig,
}

impl Engine {
    /// Opens the engine over `storage`, loading the table catalog.
    pub fn new(storage: Arc<dyn Storage>, config: EngineConfig) -> Engine {
        Engine { storage, config }
    }

    /// The engine's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The storage backend.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }
}
