//! Capacity units as DynamoDB counts them: reads in 4 KB units (half for eventually consistent
//! reads), writes in 1 KB units, index writes counted per index.

use std::collections::BTreeMap;

/// Capacity consumed by one operation on one table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consumed {
    pub read: f64,
    pub write: f64,
    /// Units per index name (writes to index entries, or reads from an index).
    pub indexes: BTreeMap<String, f64>,
    /// For tables with local secondary indexes: the partition key of the item collection a
    /// write touched and the collection's size in bytes after it.
    pub item_collection: Option<(palisade_model::Item, u64)>,
}

fn write_units(size: usize) -> f64 {
    palisade_model::write_capacity_units(size) as f64
}

pub use palisade_model::read_capacity_units as read_units;

impl Consumed {
    /// A write of an item of `size` bytes to the table.
    pub fn add_table_write(&mut self, size: usize) {
        self.write += write_units(size);
    }

    /// A write of an index entry of `size` bytes.
    pub fn add_index_write(&mut self, index: &str, size: usize) {
        *self.indexes.entry(index.to_string()).or_default() += write_units(size);
    }

    /// A read of `size` bytes from the table.
    pub fn add_table_read(&mut self, size: usize, consistent: bool) {
        self.read += read_units(size, consistent);
    }

    /// Total units: table plus indexes.
    pub fn total(&self) -> f64 {
        self.read + self.write + self.indexes.values().sum::<f64>()
    }

    /// Adds another operation's consumption on the same table.
    pub fn merge(&mut self, other: &Consumed) {
        self.read += other.read;
        self.write += other.write;
        for (k, v) in &other.indexes {
            *self.indexes.entry(k.clone()).or_default() += v;
        }
        if other.item_collection.is_some() {
            self.item_collection.clone_from(&other.item_collection);
        }
    }
}
