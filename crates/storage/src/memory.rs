//! An in-memory backend: a sorted map behind a lock, for tests and for trying Palisade out.
//! Nothing survives the process, so its "durability" is only that of memory.
//!
//! Committed data is an immutable, shared map: a snapshot is a cheap reference to the current
//! map, and a commit replaces it (copying it only when snapshots still hold the old one).
//! Transactions run one at a time, which makes them trivially serialisable.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::overlay::{Overlay, bounds_are_empty};
use crate::{
    Abort, Bytes, EntryIter, ReadView, SharedEntryIter, Storage, StorageError, TransactError,
    TxnFn, TxnFuture, WriteTxn,
};

/// The committed data. Values are shared buffers, so that shared reads do not copy them.
type Map = BTreeMap<Vec<u8>, Bytes>;

/// The in-memory storage backend.
#[derive(Default)]
pub struct MemoryStorage {
    /// The committed data. Replaced as a whole by each commit.
    committed: RwLock<Arc<Map>>,
    /// Held for the whole of a transaction, so that transactions run one at a time.
    writer: Mutex<()>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    /// The number of keys stored (committed).
    pub fn len(&self) -> usize {
        self.committed.read().len()
    }

    /// Whether no key is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn run(&self, mut f: TxnFn) -> Result<(), TransactError> {
        let _serialised = self.writer.lock();
        let base = Arc::clone(&self.committed.read());
        let mut txn = MemoryTxn {
            base: &base,
            writes: Overlay::new(),
        };
        match f(&mut txn) {
            Ok(()) => {}
            Err(Abort) => return Err(TransactError::Aborted),
        }
        let writes = txn.writes;
        drop(base);
        if writes.is_empty() {
            return Ok(());
        }
        let mut committed = self.committed.write();
        let map = Arc::make_mut(&mut committed);
        for (key, value) in writes.into_writes() {
            match value {
                Some(value) => {
                    map.insert(key, Bytes::from(value));
                }
                None => {
                    map.remove(&key);
                }
            }
        }
        Ok(())
    }
}

impl Storage for MemoryStorage {
    fn snapshot(&self) -> Result<Box<dyn ReadView + '_>, StorageError> {
        let map = Arc::clone(&self.committed.read());
        Ok(Box::new(MemorySnapshot { map }))
    }

    fn transact(&self, f: TxnFn) -> TxnFuture<'_> {
        Box::pin(async move { self.run(f) })
    }
}

fn map_get(map: &Map, key: &[u8]) -> Option<Vec<u8>> {
    map.get(key).map(|v| v.to_vec())
}

fn map_get_shared(map: &Map, key: &[u8]) -> Option<Bytes> {
    map.get(key).cloned()
}

/// The entries of `map` between `start` and `end`, each turned into an item by `entry`.
fn map_range_with<'a, T: 'a>(
    map: &'a Map,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
    reverse: bool,
    entry: fn(&'a Vec<u8>, &'a Bytes) -> T,
) -> Box<dyn Iterator<Item = Result<T, StorageError>> + Send + 'a> {
    if bounds_are_empty(start, end) {
        return Box::new(std::iter::empty());
    }
    let iter = map
        .range::<[u8], _>((start, end))
        .map(move |(k, v)| Ok(entry(k, v)));
    if reverse {
        Box::new(iter.rev())
    } else {
        Box::new(iter)
    }
}

fn map_range<'a>(
    map: &'a Map,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
    reverse: bool,
) -> EntryIter<'a> {
    map_range_with(map, start, end, reverse, |k, v| (k.clone(), v.to_vec()))
}

fn map_range_shared<'a>(
    map: &'a Map,
    start: Bound<&[u8]>,
    end: Bound<&[u8]>,
    reverse: bool,
) -> SharedEntryIter<'a> {
    map_range_with(map, start, end, reverse, |k, v| {
        (Bytes::from(k.as_slice()), v.clone())
    })
}

struct MemorySnapshot {
    map: Arc<Map>,
}

impl ReadView for MemorySnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(map_get(&self.map, key))
    }

    fn range<'a>(&'a self, start: Bound<&[u8]>, end: Bound<&[u8]>, reverse: bool) -> EntryIter<'a> {
        map_range(&self.map, start, end, reverse)
    }

    fn get_shared(&self, key: &[u8]) -> Result<Option<Bytes>, StorageError> {
        Ok(map_get_shared(&self.map, key))
    }

    fn range_shared<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
    ) -> SharedEntryIter<'a> {
        map_range_shared(&self.map, start, end, reverse)
    }
}

struct MemoryTxn<'b> {
    base: &'b Map,
    writes: Overlay,
}

impl ReadView for MemoryTxn<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.writes.get_through(key, |k| Ok(map_get(self.base, k)))
    }

    fn range<'a>(&'a self, start: Bound<&[u8]>, end: Bound<&[u8]>, reverse: bool) -> EntryIter<'a> {
        let base = map_range(self.base, start, end, reverse);
        self.writes.range_through(base, start, end, reverse)
    }

    fn get_shared(&self, key: &[u8]) -> Result<Option<Bytes>, StorageError> {
        self.writes
            .get_shared_through(key, |k| Ok(map_get_shared(self.base, k)))
    }

    fn range_shared<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
    ) -> SharedEntryIter<'a> {
        let base = map_range_shared(self.base, start, end, reverse);
        self.writes.range_shared_through(base, start, end, reverse)
    }
}

impl WriteTxn for MemoryTxn<'_> {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.writes.put(key, value);
    }

    fn delete(&mut self, key: &[u8]) {
        self.writes.delete(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commit_then_read() {
        let s = MemoryStorage::new();
        s.transact(Box::new(|t| {
            t.put(b"k", b"v");
            assert_eq!(t.get(b"k")?, Some(b"v".to_vec()));
            Ok(())
        }))
        .await
        .unwrap();
        assert_eq!(
            s.snapshot().unwrap().get(b"k").unwrap(),
            Some(b"v".to_vec())
        );
        assert_eq!(s.len(), 1);
    }
}
