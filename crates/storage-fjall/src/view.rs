//! Reads: a view of the committed data at one fjall snapshot, and the view of a running
//! transaction (committed data, then its group's earlier writes, then its own writes).

use std::ops::Bound;

use fjall::{Keyspace, Readable, Snapshot};
use palisade_storage::overlay::{Overlay, bounds_are_empty};
use palisade_storage::{
    ByteView, Bytes, EntryIter, ReadView, SharedEntryIter, StorageError, WriteTxn,
};
use parking_lot::Mutex;

use crate::fjall_error;

/// The committed data as of one fjall snapshot. The writer publishes a group's writes only
/// after syncing them, so a snapshot never shows data that could still be lost.
pub(crate) struct SnapshotView {
    pub(crate) snapshot: Snapshot,
    pub(crate) data: Keyspace,
}

/// Longest key fjall can store.
pub(crate) const MAX_KEY_LEN: usize = u16::MAX as usize;

/// Whether fjall can store `key`: keys are 1 to [`MAX_KEY_LEN`] bytes long.
pub(crate) fn key_is_storable(key: &[u8]) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN
}

fn owned(bound: Bound<&[u8]>) -> Bound<Vec<u8>> {
    bound.map(<[u8]>::to_vec)
}

/// fjall's reference-counted buffer as a [`Bytes`], without copying it.
fn shared(slice: fjall::Slice) -> Bytes {
    Bytes::from(ByteView::from(slice))
}

impl SnapshotView {
    /// The value stored under `key`, as fjall holds it (a shared buffer).
    fn get_slice(&self, key: &[u8]) -> Result<Option<fjall::Slice>, StorageError> {
        if !key_is_storable(key) {
            // fjall cannot hold such a key (and rejects looking one up): it is absent.
            return Ok(None);
        }
        self.snapshot.get(&self.data, key).map_err(fjall_error)
    }

    /// The entries between `start` and `end`, each turned into an item by `entry`.
    fn range_with<'a, T: 'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
        entry: fn(fjall::Slice, fjall::Slice) -> T,
    ) -> Box<dyn Iterator<Item = Result<T, StorageError>> + Send + 'a> {
        if bounds_are_empty(start, end) {
            return Box::new(std::iter::empty());
        }
        let iter = self
            .snapshot
            .range::<Vec<u8>, _>(&self.data, (owned(start), owned(end)));
        let entry = move |guard: fjall::Guard| {
            guard
                .into_inner()
                .map(|(k, v)| entry(k, v))
                .map_err(fjall_error)
        };
        if reverse {
            Box::new(iter.rev().map(entry))
        } else {
            Box::new(iter.map(entry))
        }
    }
}

impl ReadView for SnapshotView {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.get_slice(key)?.map(|v| v.to_vec()))
    }

    fn range<'a>(&'a self, start: Bound<&[u8]>, end: Bound<&[u8]>, reverse: bool) -> EntryIter<'a> {
        self.range_with(start, end, reverse, |k, v| (k.to_vec(), v.to_vec()))
    }

    fn get_shared(&self, key: &[u8]) -> Result<Option<Bytes>, StorageError> {
        Ok(self.get_slice(key)?.map(shared))
    }

    fn range_shared<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
    ) -> SharedEntryIter<'a> {
        self.range_with(start, end, reverse, |k, v| (shared(k), shared(v)))
    }
}

/// A transaction running on the writer thread.
pub(crate) struct TxnView<'g> {
    pub(crate) committed: &'g SnapshotView,
    /// Writes of the jobs that ran before this one in the same group.
    pub(crate) group: &'g Overlay,
    /// This transaction's own writes.
    pub(crate) own: Overlay,
    /// The first storage error a read of this transaction met. If the transaction then
    /// aborts, its caller gets this error rather than a plain abort (the trait's transaction
    /// functions turn storage errors into [`palisade_storage::Abort`]).
    pub(crate) read_failure: Mutex<Option<String>>,
}

impl<'g> TxnView<'g> {
    pub(crate) fn new(committed: &'g SnapshotView, group: &'g Overlay) -> TxnView<'g> {
        TxnView {
            committed,
            group,
            own: Overlay::new(),
            read_failure: Mutex::new(None),
        }
    }

    fn record(&self, e: &StorageError) {
        self.read_failure
            .lock()
            .get_or_insert_with(|| e.to_string());
    }
}

impl ReadView for TxnView<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.own.get_through(key, |key| {
            self.group.get_through(key, |key| self.committed.get(key))
        })
    }

    fn range<'a>(&'a self, start: Bound<&[u8]>, end: Bound<&[u8]>, reverse: bool) -> EntryIter<'a> {
        let committed = self.committed.range(start, end, reverse);
        let with_group = self.group.range_through(committed, start, end, reverse);
        let merged = self.own.range_through(with_group, start, end, reverse);
        Box::new(merged.inspect(|entry| {
            if let Err(e) = entry {
                self.record(e);
            }
        }))
    }

    fn get_shared(&self, key: &[u8]) -> Result<Option<Bytes>, StorageError> {
        self.own.get_shared_through(key, |key| {
            self.group
                .get_shared_through(key, |key| self.committed.get_shared(key))
        })
    }

    fn range_shared<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
    ) -> SharedEntryIter<'a> {
        let committed = self.committed.range_shared(start, end, reverse);
        let with_group = self
            .group
            .range_shared_through(committed, start, end, reverse);
        let merged = self
            .own
            .range_shared_through(with_group, start, end, reverse);
        Box::new(merged.inspect(|entry| {
            if let Err(e) = entry {
                self.record(e);
            }
        }))
    }
}

impl WriteTxn for TxnView<'_> {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.own.put(key, value);
    }

    fn delete(&mut self, key: &[u8]) {
        self.own.delete(key);
    }
}
