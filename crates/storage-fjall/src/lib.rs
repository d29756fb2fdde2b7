//! The embedded storage backend on fjall (an LSM-tree key-value store), with a single writer
//! thread that group-commits transactions: many concurrent transactions share one fsync.
//!
//! Depends only on `palisade-storage` (the traits it implements) and fjall; it knows nothing
//! of DynamoDB tables, the engine or the API. The on-disk layout is described in
//! `docs/storage-format.md`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod config;
mod view;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;

use fjall::config::PartitioningPolicy;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use palisade_storage::{ReadView, Storage, StorageError, TransactError, TxnFn, TxnFuture};
use tokio::sync::oneshot;

pub use crate::config::{DEFAULT_BLOCK_CACHE_BYTES, StoreOptions};
use crate::view::SnapshotView;
use crate::writer::{Counters, Job};

/// The keyspace holding all of Palisade's data (keys laid out by the engine).
const DATA_KEYSPACE: &str = "data";
/// The keyspace holding this backend's own metadata.
const META_KEYSPACE: &str = "meta";
/// The key, in the metadata keyspace, of the on-disk format version.
const FORMAT_VERSION_KEY: &[u8] = b"format_version";
/// The on-disk format this code reads and writes: this backend's keyspaces and the engine's key
/// layout (docs/storage-format.md). Version 2: item and index keys with compact table ids and
/// index numbers (decision 0017).
pub const FORMAT_VERSION: u32 = 2;

/// Palisade's storage on a fjall database in one directory.
///
/// Snapshots are fjall snapshots and never wait for the writer. Transactions go to one writer
/// thread, which runs them one after another and makes every group of queued transactions
/// durable with a single fsync before answering any of them. Dropping the store lets the
/// writer finish the queued transactions and waits for it.
pub struct FjallStorage {
    db: Database,
    data: Keyspace,
    jobs: Option<Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

/// Counts of the writer's work since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitStats {
    /// Transactions run (committed, aborted or failed).
    pub transactions: u64,
    /// Groups of transactions run together.
    pub groups: u64,
    /// Groups that wrote something, each made durable with one sync.
    pub syncs: u64,
}

/// Turns a fjall error into a storage error.
pub(crate) fn fjall_error(e: fjall::Error) -> StorageError {
    StorageError::Io(format!("fjall: {e}"))
}

impl FjallStorage {
    /// Opens (or creates) the store in `dir`, recovering whatever was durably committed, with
    /// the default options.
    pub fn open(dir: &Path) -> Result<FjallStorage, StorageError> {
        FjallStorage::open_with(dir, &StoreOptions::default())
    }

    /// Opens (or creates) the store in `dir` with `options`.
    pub fn open_with(dir: &Path, options: &StoreOptions) -> Result<FjallStorage, StorageError> {
        let db = Database::builder(dir)
            .cache_size(options.block_cache_bytes)
            .open()
            .map_err(fjall_error)?;
        let meta = db
            .keyspace(META_KEYSPACE, KeyspaceCreateOptions::default)
            .map_err(fjall_error)?;
        check_format_version(&db, &meta)?;
        let data = db
            .keyspace(DATA_KEYSPACE, data_keyspace_options)
            .map_err(fjall_error)?;
        let (jobs, queue) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let writer = {
            let (db, data, counters) = (db.clone(), data.clone(), Arc::clone(&counters));
            std::thread::Builder::new()
                .name("palisade-storage-writer".into())
                .spawn(move || writer::run(db, data, queue, counters))
                .map_err(|e| StorageError::Io(format!("cannot start the writer thread: {e}")))?
        };
        Ok(FjallStorage {
            db,
            data,
            jobs: Some(jobs),
            writer: Some(writer),
            counters,
        })
    }

    /// Counts of the writer's work since the store was opened.
    pub fn commit_stats(&self) -> CommitStats {
        CommitStats {
            transactions: self.counters.transactions.load(Ordering::Relaxed),
            groups: self.counters.groups.load(Ordering::Relaxed),
            syncs: self.counters.syncs.load(Ordering::Relaxed),
        }
    }
}

/// Options of the item keyspace, fixed when the keyspace is created (fjall keeps them with it).
/// Every table file's index and filter (bloom) blocks are partitioned, at every level of the
/// tree: only a small top-level index of each is kept in memory, and the 4 KiB partitions a read
/// needs go through the block cache (`StoreOptions`). fjall's default partitions them only from
/// the fourth level on; with 10 million items of 1 KiB, each deeper file's single index block was several
/// megabytes (one entry per compressed data block), did not stay in the 32 MiB cache, and every
/// GetItem read and checksummed megabytes: about 600 GetItem/s instead of thousands
/// (docs/performance.md, "Scale").
fn data_keyspace_options() -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .index_block_partitioning_policy(PartitioningPolicy::all(true))
        .filter_block_partitioning_policy(PartitioningPolicy::all(true))
}

/// Records the format version in a new store, or checks that an existing store has ours.
fn check_format_version(db: &Database, meta: &Keyspace) -> Result<(), StorageError> {
    match meta.get(FORMAT_VERSION_KEY).map_err(fjall_error)? {
        Some(stored) => {
            let version = <[u8; 4]>::try_from(&*stored)
                .map(u32::from_be_bytes)
                .map_err(|_| StorageError::Corrupt("unreadable storage format version".into()))?;
            if version == FORMAT_VERSION {
                Ok(())
            } else {
                Err(StorageError::Corrupt(format!(
                    "storage format version {version} is not supported (expected {FORMAT_VERSION})"
                )))
            }
        }
        None => {
            let mut batch = db.batch().durability(Some(PersistMode::SyncAll));
            batch.insert(meta, FORMAT_VERSION_KEY, FORMAT_VERSION.to_be_bytes());
            batch.commit().map_err(fjall_error)
        }
    }
}

impl Storage for FjallStorage {
    fn snapshot(&self) -> Result<Box<dyn ReadView + '_>, StorageError> {
        Ok(Box::new(SnapshotView {
            snapshot: self.db.snapshot(),
            data: self.data.clone(),
        }))
    }

    fn transact(&self, f: TxnFn) -> TxnFuture<'_> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let jobs = self.jobs.as_ref().ok_or(StorageError::Closed)?;
            jobs.send(Job { f, reply })
                .map_err(|_| StorageError::Closed)?;
            match answer.await {
                Ok(Ok(outcome)) => outcome,
                // The transaction function panicked on the writer thread: panic here instead.
                Ok(Err(payload)) => std::panic::resume_unwind(payload),
                Err(_) => Err(TransactError::Storage(StorageError::Closed)),
            }
        })
    }
}

impl Drop for FjallStorage {
    fn drop(&mut self) {
        // Closing the queue lets the writer finish what is queued and stop.
        self.jobs = None;
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            tracing::error!("the storage writer thread panicked");
        }
    }
}
