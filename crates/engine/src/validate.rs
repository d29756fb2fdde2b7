//! Checks of items and keys against a table's schema. The messages themselves are the data
//! model's (`palisade_model::validate_key_value` and friends); this module only knows which
//! attributes of a table are keys.

use palisade_model::{
    Item, KEY_SCHEMA_MISMATCH, MAX_ITEM_SIZE, ScalarType, item_size, validate_index_key_value,
    validate_key_value,
};

use crate::error::{EngineError, Result};
use crate::schema::TableMeta;

/// Checks the table-key attributes present in `item` (type, empty value, size).
fn check_key_values(table: &TableMeta, item: &Item) -> Result<()> {
    for (attrs, is_partition) in [(&table.keys.partition, true), (&table.keys.sort, false)] {
        for a in attrs {
            if let Some(v) = item.get(&a.name) {
                validate_key_value(&a.name, ScalarType::from(a.ty), v, is_partition)
                    .map_err(EngineError::Validation)?;
            }
        }
    }
    Ok(())
}

/// Checks an item to be stored: the table's key attributes with the right types, index key
/// attributes with the right types when present, and the size limit.
pub fn check_item(table: &TableMeta, item: &Item) -> Result<()> {
    if let Some(a) = table.keys.attrs().find(|a| !item.contains_key(&a.name)) {
        return Err(EngineError::validation(format!(
            "One or more parameter values were invalid: Missing the key {} in the item",
            a.name
        )));
    }
    check_key_values(table, item)?;
    for ix in &table.indexes {
        for a in ix.keys.attrs() {
            if let Some(v) = item.get(&a.name) {
                validate_index_key_value(&a.name, ScalarType::from(a.ty), v, &ix.name)
                    .map_err(EngineError::Validation)?;
            }
        }
    }
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(EngineError::validation(palisade_model::ITEM_TOO_LARGE));
    }
    Ok(())
}

/// Checks a `Key` parameter: exactly the table's key attributes, with the right types.
pub fn check_key(table: &TableMeta, key: &Item) -> Result<()> {
    let mismatch = || EngineError::validation(KEY_SCHEMA_MISMATCH);
    if key.len() != table.keys.attrs().count() {
        return Err(mismatch());
    }
    for a in table.keys.attrs() {
        let v = key.get(&a.name).ok_or_else(mismatch)?;
        if v.scalar_type() != Some(a.ty.into()) {
            return Err(mismatch());
        }
    }
    check_key_values(table, key)
}

/// The key attributes of an item.
pub fn key_of(table: &TableMeta, item: &Item) -> Item {
    table
        .keys
        .attrs()
        .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect()
}

/// The partition-key attributes of an item.
pub fn partition_of(table: &TableMeta, item: &Item) -> Item {
    table
        .keys
        .partition
        .iter()
        .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect()
}
