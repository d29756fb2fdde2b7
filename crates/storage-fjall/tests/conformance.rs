//! The storage conformance suite against the fjall backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use palisade_storage::{ReadView, Storage, StorageError, TxnFn, TxnFuture, conformance};
use palisade_storage_fjall::FjallStorage;

/// A store in a temporary directory, removed after the store is closed.
struct TempStore {
    store: FjallStorage,
    _dir: tempfile::TempDir,
}

impl Storage for TempStore {
    fn snapshot(&self) -> Result<Box<dyn ReadView + '_>, StorageError> {
        self.store.snapshot()
    }

    fn transact(&self, f: TxnFn) -> TxnFuture<'_> {
        self.store.transact(f)
    }
}

fn fresh_store() -> TempStore {
    let dir = tempfile::tempdir().unwrap();
    TempStore {
        store: FjallStorage::open(dir.path()).unwrap(),
        _dir: dir,
    }
}

#[tokio::test]
async fn fjall_storage_passes_conformance_suite() {
    conformance::run_all(fresh_store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fjall_storage_serialises_concurrent_increments_on_many_threads() {
    let store = Arc::new(fresh_store());
    conformance::concurrent_increments(Arc::clone(&store), 300).await;
    let stats = store.store.commit_stats();
    assert_eq!(stats.transactions, 300);
    assert!(
        stats.groups <= 300 && stats.syncs <= stats.groups,
        "{stats:?}"
    );
}
