//! Item counts and sizes per table and index, kept exactly in the same transaction as the
//! writes that change them.

use palisade_storage::{ReadView, WriteTxn};

use crate::codec::{put_varint, take_varint};
use crate::error::Result;
use crate::keys;

/// Number of items and their total size in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub items: u64,
    pub bytes: u64,
}

impl Stats {
    fn encode(self) -> Vec<u8> {
        let mut v = Vec::with_capacity(10);
        put_varint(&mut v, self.items);
        put_varint(&mut v, self.bytes);
        v
    }

    fn decode(mut b: &[u8]) -> Result<Stats> {
        let items = take_varint(&mut b)?;
        let bytes = take_varint(&mut b)?;
        Ok(Stats { items, bytes })
    }
}

/// Reads the statistics of a table (index 0) or an index.
pub fn read(view: &dyn ReadView, table_id: u64, index_no: u16) -> Result<Stats> {
    match view.get(&keys::stats_key(table_id, index_no))? {
        Some(b) => Stats::decode(&b),
        None => Ok(Stats::default()),
    }
}

/// Adds `items` and `bytes` (either may be negative) to the statistics of one index.
pub fn add(
    txn: &mut dyn WriteTxn,
    table_id: u64,
    index_no: u16,
    items: i64,
    bytes: i64,
) -> Result<()> {
    if items == 0 && bytes == 0 {
        return Ok(());
    }
    let cur = read(txn, table_id, index_no)?;
    let next = Stats {
        items: cur.items.saturating_add_signed(items),
        bytes: cur.bytes.saturating_add_signed(bytes),
    };
    txn.put(&keys::stats_key(table_id, index_no), &next.encode());
    Ok(())
}

/// Changes to the statistics of one index, applied one after another in memory and stored
/// once by [`Tally::store`]: the stored result is exactly that of calling [`add`] for each
/// change (the same saturating steps), for one read and one write instead of one of each per
/// change. Nothing else may change the same statistics between the first [`Tally::add`] and
/// [`Tally::store`].
pub struct Tally {
    table_id: u64,
    index_no: u16,
    /// The statistics after the changes so far; `None` until a change was not zero.
    current: Option<Stats>,
}

impl Tally {
    /// A tally of no changes to the statistics of a table (index 0) or an index.
    pub fn new(table_id: u64, index_no: u16) -> Tally {
        Tally {
            table_id,
            index_no,
            current: None,
        }
    }

    /// Adds `items` and `bytes` (either may be negative), as [`add`] would.
    pub fn add(&mut self, view: &dyn ReadView, items: i64, bytes: i64) -> Result<()> {
        if items == 0 && bytes == 0 {
            return Ok(());
        }
        let cur = match self.current {
            Some(s) => s,
            None => read(view, self.table_id, self.index_no)?,
        };
        self.current = Some(Stats {
            items: cur.items.saturating_add_signed(items),
            bytes: cur.bytes.saturating_add_signed(bytes),
        });
        Ok(())
    }

    /// Stores the statistics, if any change was not zero.
    pub fn store(self, txn: &mut dyn WriteTxn) {
        if let Some(s) = self.current {
            txn.put(&keys::stats_key(self.table_id, self.index_no), &s.encode());
        }
    }
}
