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
