//! The DynamoDB data model: attribute values, numbers, items, table schemas and DynamoDB's limits.
//!
//! This crate is the bottom of the workspace. It must not depend on any other palisade crate,
//! on storage, on the network or on an async runtime. It knows the DynamoDB JSON wire form of
//! attribute values (`{"S": "x"}`, `{"N": "1"}`, ...) because every layer above speaks it.
//!
//! - [`AttributeValue`], [`Item`], [`Number`]: the values.
//! - [`attribute_value_from_json`], [`item_from_json`] and their inverses: the wire form, with
//!   DynamoDB's `SerializationException` and `ValidationException` texts ([`ValueError`]);
//!   [`write_item_json`] writes the wire form straight into bytes (large responses);
//!   [`StrictItem`] decodes an item straight from a serde deserializer when it is valid (the
//!   fast path of request decoders, which fall back to [`item_from_json`] for errors).
//! - [`item_size`], [`attribute_value_size`]: sizes as DynamoDB counts them, for the 400 KB
//!   limit ([`MAX_ITEM_SIZE`]) and capacity units.
//! - [`validate_table_name`], [`validate_key_value`] and the other limits, with DynamoDB's
//!   messages.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod json;
mod json_de;
mod json_write;
mod limits;
mod number;
mod size;
mod value;
mod value_error;

pub use json::{
    MAX_NESTING_DEPTH, attribute_value_from_json, attribute_value_to_json, item_from_json,
    item_to_json,
};
pub use json_de::StrictItem;
pub use json_write::{
    write_attribute_value_json, write_item_json, write_json_binary, write_json_str, write_json_utf8,
};
pub use limits::{
    KEY_SCHEMA_MISMATCH, MAX_ATTRIBUTE_NAME_LEN, MAX_KEY_ATTRIBUTE_NAME_LEN,
    MAX_PARTITION_KEY_SIZE, MAX_SORT_KEY_SIZE, MAX_TABLE_NAME_LEN, MIN_TABLE_NAME_LEN,
    TABLE_NAME_PATTERN, format_validation_errors, key_attribute_name_errors, table_name_errors,
    validate_index_key_value, validate_index_name, validate_key_value, validate_table_name,
};
pub use number::{Number, NumberError};
pub use size::{
    ITEM_TO_UPDATE_TOO_LARGE, ITEM_TOO_LARGE, MAX_ITEM_SIZE, attribute_value_size, item_size,
    number_size, read_capacity_units, write_capacity_units,
};
pub use value::{AttributeValue, Item, ScalarType};
pub use value_error::{JsonToken, SerializationError, ValidationError, ValueError};
