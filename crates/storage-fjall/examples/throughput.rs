//! Measures durable commit throughput of the fjall backend: 1 KiB values, one item per
//! transaction, with 1 writer task and with 16 concurrent writer tasks, to show group commit
//! at work. Usage: `cargo run --release -p palisade-storage-fjall --example throughput [secs]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_storage::{Storage, WriteTxn};
use palisade_storage_fjall::FjallStorage;

async fn measure(writers: usize, duration: Duration) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FjallStorage::open(dir.path()).unwrap());
    let value = vec![0x5Au8; 1024];
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = Arc::clone(&store);
        let value = value.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while start.elapsed() < duration {
                let key = format!("w{w:02}-{n:010}").into_bytes();
                let value = value.clone();
                store
                    .transact(Box::new(move |txn: &mut dyn WriteTxn| {
                        txn.put(&key, &value);
                        Ok(())
                    }))
                    .await
                    .unwrap();
                n += 1;
            }
            n
        }));
    }
    let mut items = 0;
    for t in tasks {
        items += t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let stats = store.commit_stats();
    println!(
        "{writers:>2} writer(s): {items} items in {secs:.2} s = {:.0} items/s; {} syncs, {:.1} txns per sync",
        items as f64 / secs,
        stats.syncs,
        stats.transactions as f64 / stats.syncs.max(1) as f64
    );
}

/// The same load written straight to fjall from one thread, one synced batch per item: the
/// ceiling for one writer without group commit.
fn measure_raw_fjall(duration: Duration) {
    let dir = tempfile::tempdir().unwrap();
    let db = fjall::Database::builder(dir.path()).open().unwrap();
    let ks = db
        .keyspace("data", fjall::KeyspaceCreateOptions::default)
        .unwrap();
    let value = vec![0x5Au8; 1024];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < duration {
        let mut batch = db.batch().durability(Some(fjall::PersistMode::SyncAll));
        batch.insert(&ks, format!("k{n:010}"), value.clone());
        batch.commit().unwrap();
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "raw fjall, 1 thread: {n} items in {secs:.2} s = {:.0} items/s",
        n as f64 / secs
    );
}

#[tokio::main]
async fn main() {
    let secs = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    measure_raw_fjall(Duration::from_secs(secs));
    for writers in [1, 16] {
        measure(writers, Duration::from_secs(secs)).await;
    }
}
