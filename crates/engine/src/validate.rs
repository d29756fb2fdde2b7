//! Checks of items and keys against a table's schema, with DynamoDB's messages.

use palisade_model::{AttributeValue, Item};

use crate::error::{EngineError, Result};
use crate::schema::{KeyAttr, TableMeta};
use crate::size::{item_size, value_size};

/// DynamoDB's maximum item size.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;
const MAX_PARTITION_KEY: usize = 2048;
const MAX_SORT_KEY: usize = 1024;

fn is_empty_scalar(v: &AttributeValue) -> bool {
    matches!(v, AttributeValue::S(s) if s.is_empty())
        || matches!(v, AttributeValue::B(b) if b.is_empty())
}

fn empty_key_message(attr: &KeyAttr, v: &AttributeValue) -> String {
    let what = if matches!(v, AttributeValue::B(_)) {
        "binary"
    } else {
        "string"
    };
    format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {what} value. Key: {}",
        attr.name
    )
}

fn check_key_sizes(table: &TableMeta, key: &Item) -> Result<()> {
    for a in &table.keys.partition {
        if key
            .get(&a.name)
            .is_some_and(|v| value_size(v) > MAX_PARTITION_KEY)
        {
            return Err(EngineError::validation(
                "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
            ));
        }
    }
    let sort: usize = table
        .keys
        .sort
        .iter()
        .filter_map(|a| key.get(&a.name))
        .map(value_size)
        .sum();
    if sort > MAX_SORT_KEY {
        return Err(EngineError::validation(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
        ));
    }
    Ok(())
}

/// Checks an item to be stored: the table's key attributes with the right types, index key
/// attributes with the right types when present, and the size limit.
pub fn check_item(table: &TableMeta, item: &Item) -> Result<()> {
    for a in table.keys.attrs() {
        let Some(v) = item.get(&a.name) else {
            return Err(EngineError::validation(format!(
                "One or more parameter values were invalid: Missing the key {} in the item",
                a.name
            )));
        };
        if v.scalar_type() != Some(a.ty.into()) {
            return Err(EngineError::validation(format!(
                "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
                a.name,
                palisade_model::ScalarType::from(a.ty).as_str(),
                v.type_name()
            )));
        }
        if is_empty_scalar(v) {
            return Err(EngineError::validation(empty_key_message(a, v)));
        }
    }
    check_key_sizes(table, item)?;
    for ix in &table.indexes {
        for a in ix.keys.attrs() {
            let Some(v) = item.get(&a.name) else { continue };
            if v.scalar_type() != Some(a.ty.into()) {
                return Err(EngineError::validation(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    a.name,
                    palisade_model::ScalarType::from(a.ty).as_str(),
                    v.type_name(),
                    ix.name
                )));
            }
            if is_empty_scalar(v) {
                return Err(EngineError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {}",
                    if matches!(v, AttributeValue::B(_)) {
                        "binary"
                    } else {
                        "string"
                    },
                    ix.name,
                    a.name
                )));
            }
        }
    }
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(EngineError::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    Ok(())
}

/// Checks a `Key` parameter: exactly the table's key attributes, with the right types.
pub fn check_key(table: &TableMeta, key: &Item) -> Result<()> {
    let expected = table.keys.attrs().count();
    let mismatch = || EngineError::validation("The provided key element does not match the schema");
    if key.len() != expected {
        return Err(mismatch());
    }
    for a in table.keys.attrs() {
        let v = key.get(&a.name).ok_or_else(mismatch)?;
        if v.scalar_type() != Some(a.ty.into()) {
            return Err(mismatch());
        }
        if is_empty_scalar(v) {
            return Err(EngineError::validation(empty_key_message(a, v)));
        }
    }
    check_key_sizes(table, key)
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
