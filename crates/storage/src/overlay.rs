//! Uncommitted writes layered over a read view: the write set of a transaction (or of a group of
//! transactions) and the merge of that write set into point reads and range scans.
//!
//! Backends use this to give a transaction read-your-writes without touching committed data
//! until commit.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::iter::Peekable;
use std::ops::Bound;

use crate::{Bytes, Entry, EntryIter, SharedEntry, SharedEntryIter, StorageError};

/// A set of pending writes: `Some(value)` for a put, `None` for a delete (a tombstone).
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

/// A pending write seen by a range scan: the key and `Some(value)`, or `None` for a delete.
pub type OverlayEntry<'a> = (&'a [u8], Option<&'a [u8]>);

impl Overlay {
    /// An empty write set.
    pub fn new() -> Overlay {
        Overlay::default()
    }

    /// Records a put of `value` under `key`, replacing any earlier pending write of `key`.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.writes.insert(key.to_vec(), Some(value.to_vec()));
    }

    /// Records a delete of `key`, replacing any earlier pending write of `key`.
    pub fn delete(&mut self, key: &[u8]) {
        self.writes.insert(key.to_vec(), None);
    }

    /// The pending write of `key`: `None` if there is none, `Some(None)` for a pending delete,
    /// `Some(Some(value))` for a pending put.
    pub fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.writes.get(key).map(|v| v.as_deref())
    }

    /// Whether no write is pending.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The number of keys with a pending write.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// Layers `later` on top of this write set: its writes replace this set's writes of the
    /// same keys.
    pub fn apply(&mut self, later: Overlay) {
        self.writes.extend(later.writes);
    }

    /// The pending writes in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = OverlayEntry<'_>> + '_ {
        self.writes
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_deref()))
    }

    /// Consumes the set, yielding its writes in ascending key order.
    pub fn into_writes(self) -> impl Iterator<Item = (Vec<u8>, Option<Vec<u8>>)> {
        self.writes.into_iter()
    }

    /// The pending writes whose keys fall between `start` and `end`, ascending or descending.
    pub fn range<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
    ) -> Box<dyn Iterator<Item = OverlayEntry<'a>> + Send + 'a> {
        if bounds_are_empty(start, end) {
            return Box::new(std::iter::empty());
        }
        let iter = self
            .writes
            .range::<[u8], _>((start, end))
            .map(|(k, v)| (k.as_slice(), v.as_deref()));
        if reverse {
            Box::new(iter.rev())
        } else {
            Box::new(iter)
        }
    }

    /// Reads `key` through this write set: the pending write if any, else `base`.
    pub fn get_through(
        &self,
        key: &[u8],
        base: impl FnOnce(&[u8]) -> Result<Option<Vec<u8>>, StorageError>,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        match self.get(key) {
            Some(pending) => Ok(pending.map(<[u8]>::to_vec)),
            None => base(key),
        }
    }

    /// [`get_through`](Overlay::get_through) for shared reads: a pending put is copied into
    /// a shared buffer, a miss reads `base`.
    pub fn get_shared_through(
        &self,
        key: &[u8],
        base: impl FnOnce(&[u8]) -> Result<Option<Bytes>, StorageError>,
    ) -> Result<Option<Bytes>, StorageError> {
        match self.get(key) {
            Some(pending) => Ok(pending.map(Bytes::from)),
            None => base(key),
        }
    }

    /// Scans `base` (already restricted to the same bounds and direction) through this write
    /// set: pending puts replace or add entries, pending deletes hide them.
    pub fn range_through<'a>(
        &'a self,
        base: EntryIter<'a>,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
    ) -> EntryIter<'a> {
        if self.is_empty() {
            return base;
        }
        merge_range(base, self.range(start, end, reverse), reverse)
    }

    /// [`range_through`](Overlay::range_through) for shared entries.
    pub fn range_shared_through<'a>(
        &'a self,
        base: SharedEntryIter<'a>,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
    ) -> SharedEntryIter<'a> {
        if self.is_empty() {
            return base;
        }
        Box::new(MergeIter {
            base: base.peekable(),
            pending: self.range(start, end, reverse).peekable(),
            reverse,
        })
    }
}

/// Whether no key can lie between `start` and `end` (including inverted bounds). Range
/// functions of the standard library panic on such bounds, so callers check first.
pub fn bounds_are_empty(start: Bound<&[u8]>, end: Bound<&[u8]>) -> bool {
    match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s), Bound::Excluded(e)) => s >= e,
        (Bound::Excluded(s), Bound::Included(e)) => s >= e,
        (Bound::Excluded(s), Bound::Excluded(e)) => s >= e,
        (Bound::Unbounded, Bound::Excluded(e)) => e.is_empty(),
        _ => false,
    }
}

/// Merges committed entries with pending writes, both in the same direction and already
/// restricted to the same bounds. Where both have a key the pending write wins; pending deletes
/// are skipped.
pub fn merge_range<'a>(
    base: EntryIter<'a>,
    pending: Box<dyn Iterator<Item = OverlayEntry<'a>> + Send + 'a>,
    reverse: bool,
) -> EntryIter<'a> {
    Box::new(MergeIter {
        base: base.peekable(),
        pending: pending.peekable(),
        reverse,
    })
}

/// An entry a merge yields: either form of a key-value pair read from storage.
trait MergeEntry {
    fn key(&self) -> &[u8];
    /// The entry of a pending put.
    fn pending(key: &[u8], value: &[u8]) -> Self;
}

impl MergeEntry for Entry {
    fn key(&self) -> &[u8] {
        &self.0
    }

    fn pending(key: &[u8], value: &[u8]) -> Entry {
        (key.to_vec(), value.to_vec())
    }
}

impl MergeEntry for SharedEntry {
    fn key(&self) -> &[u8] {
        &self.0
    }

    fn pending(key: &[u8], value: &[u8]) -> SharedEntry {
        (Bytes::from(key), Bytes::from(value))
    }
}

type Base<'a, T> = Box<dyn Iterator<Item = Result<T, StorageError>> + Send + 'a>;

struct MergeIter<'a, T> {
    base: Peekable<Base<'a, T>>,
    pending: Peekable<Box<dyn Iterator<Item = OverlayEntry<'a>> + Send + 'a>>,
    reverse: bool,
}

/// Which side the merge takes its next element from.
enum Side {
    Base,
    Pending,
    /// Both sides have the same key: the pending write shadows the committed entry.
    Both,
}

impl<T: MergeEntry> Iterator for MergeIter<'_, T> {
    type Item = Result<T, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let side = match (self.base.peek(), self.pending.peek()) {
                (None, None) => return None,
                (Some(_), None) => Side::Base,
                (None, Some(_)) => Side::Pending,
                // An error from the committed side is reported as soon as it is reached.
                (Some(Err(_)), Some(_)) => Side::Base,
                (Some(Ok(b)), Some((pk, _))) => {
                    let order = b.key().cmp(pk);
                    let order = if self.reverse { order.reverse() } else { order };
                    match order {
                        Ordering::Less => Side::Base,
                        Ordering::Greater => Side::Pending,
                        Ordering::Equal => Side::Both,
                    }
                }
            };
            match side {
                Side::Base => return self.base.next(),
                Side::Both | Side::Pending => {
                    if matches!(side, Side::Both) {
                        self.base.next();
                    }
                    match self.pending.next() {
                        Some((k, Some(v))) => return Some(Ok(T::pending(k, v))),
                        // A pending delete: skip it and look further.
                        Some((_, None)) => continue,
                        None => return None,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base_iter(entries: &[(&str, &str)], reverse: bool) -> EntryIter<'static> {
        let mut v: Vec<Entry> = entries
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        if reverse {
            v.reverse();
        }
        Box::new(v.into_iter().map(Ok))
    }

    fn keys(iter: EntryIter<'_>) -> Vec<String> {
        iter.map(|e| {
            let (k, v) = e.unwrap();
            format!(
                "{}={}",
                String::from_utf8(k).unwrap(),
                String::from_utf8(v).unwrap()
            )
        })
        .collect()
    }

    #[test]
    fn merge_shadows_adds_and_hides_in_both_directions() {
        let base = [("a", "1"), ("b", "1"), ("d", "1"), ("f", "1")];
        let mut ov = Overlay::new();
        ov.put(b"b", b"2");
        ov.delete(b"d");
        ov.put(b"e", b"2");
        ov.put(b"g", b"2");
        ov.delete(b"z");
        let fwd = ov.range_through(
            base_iter(&base, false),
            Bound::Unbounded,
            Bound::Unbounded,
            false,
        );
        assert_eq!(keys(fwd), ["a=1", "b=2", "e=2", "f=1", "g=2"]);
        let rev = ov.range_through(
            base_iter(&base, true),
            Bound::Unbounded,
            Bound::Unbounded,
            true,
        );
        assert_eq!(keys(rev), ["g=2", "f=1", "e=2", "b=2", "a=1"]);
    }

    #[test]
    fn empty_bounds_do_not_panic() {
        let mut ov = Overlay::new();
        ov.put(b"m", b"1");
        assert!(bounds_are_empty(
            Bound::Included(b"b"),
            Bound::Excluded(b"b")
        ));
        assert!(bounds_are_empty(
            Bound::Excluded(b"c"),
            Bound::Included(b"b")
        ));
        assert!(!bounds_are_empty(
            Bound::Included(b"b"),
            Bound::Included(b"b")
        ));
        assert_eq!(
            ov.range(Bound::Excluded(b"z"), Bound::Excluded(b"a"), false)
                .count(),
            0
        );
        assert_eq!(
            ov.range(Bound::Included(b"m"), Bound::Included(b"m"), true)
                .count(),
            1
        );
    }
}
