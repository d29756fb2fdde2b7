//! Table semantics over a storage backend: catalog, items, conditional writes, indexes, query, scan, batches and transactions. Depends on model, expr and the storage traits, never on a concrete backend, HTTP or IAM.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
