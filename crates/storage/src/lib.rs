//! Storage traits for Palisade: one ordered key-value space with durable, serialisable
//! read-write transactions, the order-preserving encoding of DynamoDB keys, an in-memory
//! backend, and the conformance suite every backend must pass.
//!
//! This crate knows bytes and DynamoDB key values (for the key encoding) and nothing of tables,
//! expressions, HTTP or IAM. It must not depend on any concrete storage engine: backends live in
//! their own crates (`palisade-storage-fjall`, later PostgreSQL) and only the binary picks one.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod conformance;
pub mod keyenc;
pub mod memory;
pub mod overlay;

use std::future::Future;
use std::ops::Bound;
use std::pin::Pin;

mod bytes;

pub use bytes::{ByteView, Bytes};

/// A key-value pair read from storage.
pub type Entry = (Vec<u8>, Vec<u8>);

/// An iterator over entries in key order (or reverse key order).
pub type EntryIter<'a> = Box<dyn Iterator<Item = Result<Entry, StorageError>> + Send + 'a>;

/// A key-value pair read from storage without copying it (see [`ReadView::range_shared`]).
pub type SharedEntry = (Bytes, Bytes);

/// An iterator over shared entries in key order (or reverse key order).
pub type SharedEntryIter<'a> =
    Box<dyn Iterator<Item = Result<SharedEntry, StorageError>> + Send + 'a>;

/// A failure of the storage engine itself (I/O, corruption, a lost connection). Never a
/// client error: the API layer maps it to an internal server error.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage i/o error: {0}")]
    Io(String),
    #[error("storage data is corrupt: {0}")]
    Corrupt(String),
    #[error("storage is closed")]
    Closed,
}

/// How a transaction ended without committing.
#[derive(Debug, thiserror::Error)]
pub enum TransactError {
    /// The transaction function returned [`Abort`]; nothing it wrote was kept.
    #[error("transaction aborted")]
    Aborted,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Returned by a transaction function to roll back everything it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abort;

impl From<StorageError> for Abort {
    fn from(_: StorageError) -> Abort {
        Abort
    }
}

/// A consistent read-only view of the whole key space.
pub trait ReadView: Send + Sync {
    /// The value stored under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// The entries whose keys fall between `start` and `end`, in ascending key order, or in
    /// descending order when `reverse` is set. Iteration is lazy: a caller that stops early
    /// pays only for what it read.
    fn range<'a>(&'a self, start: Bound<&[u8]>, end: Bound<&[u8]>, reverse: bool) -> EntryIter<'a>;

    /// [`get`](ReadView::get) for readers that only look at the value: a backend that holds
    /// its values in shared buffers hands one out instead of copying it. The default copies.
    fn get_shared(&self, key: &[u8]) -> Result<Option<Bytes>, StorageError> {
        Ok(self.get(key)?.map(Bytes::from))
    }

    /// [`range`](ReadView::range) with shared keys and values, as [`get_shared`]
    /// (ReadView::get_shared) is to `get`. The default copies.
    fn range_shared<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
    ) -> SharedEntryIter<'a> {
        Box::new(
            self.range(start, end, reverse)
                .map(|entry| entry.map(|(k, v)| (Bytes::from(k), Bytes::from(v)))),
        )
    }
}

/// A read-write transaction. Reads see the transaction's own writes and every write committed
/// before it; no other transaction's writes appear while it runs (serialisable).
pub trait WriteTxn: ReadView {
    fn put(&mut self, key: &[u8], value: &[u8]);
    fn delete(&mut self, key: &[u8]);
}

/// The body of a transaction. It may be called more than once (a backend may retry after a
/// serialisation conflict), so it must not have effects outside the transaction other than
/// recording its result; returning `Err(Abort)` discards its writes.
pub type TxnFn = Box<dyn FnMut(&mut dyn WriteTxn) -> Result<(), Abort> + Send>;

/// A future returned by [`Storage::transact`].
pub type TxnFuture<'a> = Pin<Box<dyn Future<Output = Result<(), TransactError>> + Send + 'a>>;

/// A storage backend.
///
/// Durability contract: when the future returned by [`Storage::transact`] resolves to `Ok`, the
/// transaction's writes are on stable storage and survive a crash or power loss. Backends are
/// expected to let concurrent transactions share one sync (group commit). Snapshots never show
/// writes that could still be lost.
pub trait Storage: Send + Sync + 'static {
    /// A consistent view of all committed, durable data.
    fn snapshot(&self) -> Result<Box<dyn ReadView + '_>, StorageError>;

    /// Runs `f` atomically and durably.
    fn transact(&self, f: TxnFn) -> TxnFuture<'_>;
}

/// How [`run`] ended when it did not commit.
#[derive(Debug)]
pub enum RunError<E> {
    /// The transaction function returned this error; nothing it wrote was kept.
    Aborted(E),
    /// The backend failed.
    Storage(StorageError),
}

/// Runs `f` as one atomic, durable transaction of `storage` and returns what it returned:
/// `Ok` once committed, [`RunError::Aborted`] with its error when it failed (its writes are
/// discarded). `f` may run more than once, like any [`TxnFn`].
pub async fn run<R, E, F>(storage: &dyn Storage, f: F) -> Result<R, RunError<E>>
where
    R: Send + 'static,
    E: Send + 'static,
    F: FnMut(&mut dyn WriteTxn) -> Result<R, E> + Send + 'static,
{
    type Slot<R, E> = std::sync::Arc<parking_lot::Mutex<Option<Result<R, E>>>>;
    let slot: Slot<R, E> = std::sync::Arc::new(parking_lot::Mutex::new(None));
    let out = std::sync::Arc::clone(&slot);
    let mut f = f;
    let outcome = storage
        .transact(Box::new(move |txn| {
            let r = f(txn);
            let failed = r.is_err();
            *out.lock() = Some(r);
            if failed { Err(Abort) } else { Ok(()) }
        }))
        .await;
    let result = slot.lock().take();
    match (outcome, result) {
        (Ok(()), Some(Ok(r))) => Ok(r),
        (Err(TransactError::Aborted), Some(Err(e))) => Err(RunError::Aborted(e)),
        (Err(TransactError::Storage(e)), _) => Err(RunError::Storage(e)),
        (_, _) => Err(RunError::Storage(StorageError::Io(
            "transaction ended without a result".into(),
        ))),
    }
}
