//! The conformance suite against the in-memory backend.

use palisade_storage::conformance;
use palisade_storage::memory::MemoryStorage;

#[tokio::test]
async fn memory_storage_passes_conformance_suite() {
    conformance::run_all(MemoryStorage::new).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_storage_serialises_concurrent_increments_on_many_threads() {
    conformance::concurrent_increments(std::sync::Arc::new(MemoryStorage::new()), 500).await;
}
