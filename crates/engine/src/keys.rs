//! The engine's layout of the storage key space (see docs/storage-format.md, "Engine key layout").
//!
//! ```text
//! 0x01 account 0x00 table-name                 -> table metadata (JSON)
//! 0x02                                         -> next table id (u64 BE)
//! 0x03 table-id(u64 BE) index-no(u16 BE)       -> statistics: varint(item count) varint(bytes)
//! 0x04 table-id pk..                           -> item collection size (LSI tables): varint(bytes)
//! 0x10 c(table-id) c(index-no=0)  pk.. sk..             -> item (codec)
//! 0x10 c(table-id) c(index-no=n)  ipk.. isk.. pk.. sk.. -> projected item (codec)
//! ```
//! Key values are encoded with the storage crate's order-preserving, self-delimiting encoding, so
//! ranges over a partition and over sort-key conditions are plain byte ranges. `c(n)` is the
//! compact form of a number ([`push_compact`]): item keys stay short, and fjall keeps keys of up
//! to 20 bytes inline in its memtable, where comparing them needs no second memory access.

use palisade_model::{AttributeValue, Item};
use palisade_storage::keyenc;

use crate::error::{EngineError, Result};
use crate::schema::{KeyDef, TableMeta};

const CATALOG: u8 = 0x01;
pub const TABLE_COUNTER: &[u8] = &[0x02];
const STATS: u8 = 0x03;
const COLLECTION: u8 = 0x04;
const DATA: u8 = 0x10;

/// Key of a table's catalog entry.
pub fn catalog_key(account: &str, table: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + account.len() + table.len());
    k.push(CATALOG);
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.extend_from_slice(table.as_bytes());
    k
}

/// Key of the statistics of a table (index 0) or one of its indexes.
pub fn stats_key(table_id: u64, index_no: u16) -> Vec<u8> {
    let mut k = vec![STATS];
    k.extend_from_slice(&table_id.to_be_bytes());
    k.extend_from_slice(&index_no.to_be_bytes());
    k
}

/// Key of the size of one item collection (a partition of a table with local secondary
/// indexes): `0x04 table-id pk`.
pub fn collection_key(table: &TableMeta, item: &Item) -> Result<Vec<u8>> {
    let mut k = vec![COLLECTION];
    k.extend_from_slice(&table.id.to_be_bytes());
    push_attrs(&mut k, item, table.keys.partition.iter())?;
    Ok(k)
}

/// Prefix of every item-collection key of a table.
pub fn collection_prefix(table_id: u64) -> Vec<u8> {
    let mut k = vec![COLLECTION];
    k.extend_from_slice(&table_id.to_be_bytes());
    k
}

/// Prefix of every stats key of a table.
pub fn stats_prefix(table_id: u64) -> Vec<u8> {
    let mut k = vec![STATS];
    k.extend_from_slice(&table_id.to_be_bytes());
    k
}

/// Prefix of everything stored for a table: its items and all of its index entries.
pub fn table_prefix(table_id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(10);
    k.push(DATA);
    push_compact(&mut k, table_id);
    k
}

/// Appends `n` in a compact form that sorts as the numbers do and carries its own end: the
/// count of its significant bytes, then those bytes, big-endian (0 is `00`, 1 to 255 are
/// `01 nn`, 256 to 65,535 `02 nn nn`, …).
fn push_compact(out: &mut Vec<u8>, n: u64) {
    let bytes = n.to_be_bytes();
    let skip = (n.leading_zeros() / 8) as usize;
    out.push((bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// Prefix of one index (0 = the table itself).
pub fn index_prefix(table_id: u64, index_no: u16) -> Vec<u8> {
    index_prefix_with_room(table_id, index_no, 0)
}

/// Room reserved after an index prefix for the key values of an item key, so that building
/// one rarely grows the buffer (the encoding reserves more for longer values).
const KEY_VALUES_ROOM: usize = 48;

/// [`index_prefix`] in a buffer with room for `room` more bytes.
fn index_prefix_with_room(table_id: u64, index_no: u16, room: usize) -> Vec<u8> {
    let mut k = Vec::with_capacity(13 + room);
    k.push(DATA);
    push_compact(&mut k, table_id);
    push_compact(&mut k, u64::from(index_no));
    k
}

/// Appends the encoded values of `attrs` (taken from `item`) to `out`.
fn push_attrs<'a>(
    out: &mut Vec<u8>,
    item: &Item,
    attrs: impl Iterator<Item = &'a crate::schema::KeyAttr>,
) -> Result<()> {
    for a in attrs {
        let v = item
            .get(&a.name)
            .ok_or_else(|| EngineError::internal(format!("key attribute {} missing", a.name)))?;
        push_value(out, v)?;
    }
    Ok(())
}

/// Appends one encoded key value.
pub fn push_value(out: &mut Vec<u8>, v: &AttributeValue) -> Result<()> {
    keyenc::encode_key_value(v, out).map_err(EngineError::internal)
}

/// Storage key of a table item (whose key attributes are present and valid).
pub fn item_key(table: &TableMeta, item: &Item) -> Result<Vec<u8>> {
    let mut k = index_prefix_with_room(table.id, 0, KEY_VALUES_ROOM);
    push_attrs(&mut k, item, table.keys.attrs())?;
    Ok(k)
}

/// Storage key of an index entry for `item`, which must carry the index's keys.
pub fn index_entry_key(
    table: &TableMeta,
    index_no: u16,
    keys: &KeyDef,
    item: &Item,
) -> Result<Vec<u8>> {
    let mut k = index_prefix_with_room(table.id, index_no, 2 * KEY_VALUES_ROOM);
    push_attrs(&mut k, item, keys.attrs())?;
    push_attrs(&mut k, item, table.keys.attrs())?;
    Ok(k)
}

/// Prefix of one partition of an index (or of the table, index 0).
pub fn partition_prefix(
    table_id: u64,
    index_no: u16,
    values: &[&AttributeValue],
) -> Result<Vec<u8>> {
    let mut k = index_prefix_with_room(table_id, index_no, KEY_VALUES_ROOM);
    for v in values {
        push_value(&mut k, v)?;
    }
    Ok(k)
}

/// Reads the table id counter and returns the next id.
pub fn decode_counter(bytes: Option<Vec<u8>>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(n: u64) -> Vec<u8> {
        let mut k = Vec::new();
        push_compact(&mut k, n);
        k
    }

    #[test]
    fn compact_numbers_sort_as_numbers_and_end_themselves() {
        assert_eq!(compact(0), [0]);
        assert_eq!(compact(1), [1, 1]);
        assert_eq!(compact(255), [1, 255]);
        assert_eq!(compact(256), [2, 1, 0]);
        assert_eq!(
            compact(u64::MAX),
            [8, 255, 255, 255, 255, 255, 255, 255, 255]
        );
        let mut numbers: Vec<u64> = vec![0, 1, 2, 127, 128, 255, 256, 65_535, 65_536, u64::MAX];
        numbers.extend((0..64).map(|b| 1u64 << b));
        numbers.extend((1..64).map(|b| (1u64 << b) - 1));
        for a in &numbers {
            for b in &numbers {
                assert_eq!(compact(*a).cmp(&compact(*b)), a.cmp(b), "{a} {b}");
                // No encoding is a proper prefix of another: a table's keys never fall in
                // another table's range.
                if a != b {
                    assert!(!compact(*b).starts_with(&compact(*a)), "{a} {b}");
                }
            }
        }
    }

    #[test]
    fn index_prefixes_lie_inside_their_table_prefix() {
        for table in [1u64, 255, 256, 70_000] {
            let t = table_prefix(table);
            for index in [0u16, 1, 255, 256, u16::MAX] {
                assert!(index_prefix(table, index).starts_with(&t));
            }
            // The next table's prefix sorts after every index of this one.
            let next = table_prefix(table + 1);
            assert!(index_prefix(table, u16::MAX) < next);
        }
    }
}
