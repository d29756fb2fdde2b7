//! Names, key values and their limits, with DynamoDB's `ValidationException` texts.
//!
//! Parameter constraints (lengths, patterns) are reported by DynamoDB as a list:
//! `1 validation error detected: Value 'x' at 'tableName' failed to satisfy constraint:
//! Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`, several joined with
//! `; ` after `N validation errors detected: `. The `*_errors` functions return the single
//! constraint texts so that a request decoder can gather all of a request's violations and
//! join them with [`format_validation_errors`]; the `validate_*` functions are the same
//! checks with the message already formed.
//!
//! Lengths of names are counted as DynamoDB counts them, in UTF-16 code units for
//! parameter constraints and in UTF-8 bytes for key attribute values.

use crate::size::attribute_value_size;
use crate::{AttributeValue, ScalarType};

/// Shortest table or index name.
pub const MIN_TABLE_NAME_LEN: usize = 3;
/// Longest table or index name.
pub const MAX_TABLE_NAME_LEN: usize = 255;
/// The pattern table and index names must match, as DynamoDB prints it.
pub const TABLE_NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";
/// Longest name of a key attribute (in `AttributeDefinitions` and `KeySchema`), in
/// characters.
pub const MAX_KEY_ATTRIBUTE_NAME_LEN: usize = 255;
/// Longest name of any other attribute, in bytes (64 KB).
pub const MAX_ATTRIBUTE_NAME_LEN: usize = 65_535;
/// Largest partition key value, in bytes.
pub const MAX_PARTITION_KEY_SIZE: usize = 2048;
/// Largest sort key value, in bytes.
pub const MAX_SORT_KEY_SIZE: usize = 1024;

/// DynamoDB's text when a `Key` parameter (GetItem, DeleteItem, UpdateItem and the like)
/// names other attributes than the key schema, or gives one a value of the wrong type.
pub const KEY_SCHEMA_MISMATCH: &str = "The provided key element does not match the schema";

/// Joins constraint violations the way DynamoDB reports them; `None` when there are none.
pub fn format_validation_errors(errors: &[String]) -> Option<String> {
    match errors.len() {
        0 => None,
        1 => Some(format!("1 validation error detected: {}", errors[0])),
        n => Some(format!(
            "{n} validation errors detected: {}",
            errors.join("; ")
        )),
    }
}

/// The constraint text DynamoDB gives for `value` at parameter `param`.
fn constraint(value: &str, param: &str, rule: &str) -> String {
    format!("Value '{value}' at '{param}' failed to satisfy constraint: Member must {rule}")
}

/// Length as DynamoDB's parameter validation counts it (UTF-16 code units).
fn param_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The violations of the table or index name rules by `name` at parameter `param`
/// (`tableName`, `indexName`, `globalSecondaryIndexes.1.member.indexName`, ...): pattern,
/// then minimum length, then maximum length. `min_len` is 3 for CreateTable, DescribeTable
/// and index names, and 1 for the item operations (PutItem, GetItem, Query, ...), which also
/// accept table ARNs.
///
/// DynamoDB does not list the violations in the same order for every operation (CreateTable
/// and CreateBackup give the pattern first, DescribeTable and index names the length first);
/// callers that need another order can reorder the two entries.
pub fn table_name_errors(name: &str, param: &str, min_len: usize) -> Vec<String> {
    let mut errors = Vec::new();
    let len = param_len(name);
    // Observed: an empty name breaks the pattern too where names have at least 3 characters,
    // but the item operations report only its length.
    let pattern_applies = len > 0 || min_len >= MIN_TABLE_NAME_LEN;
    if pattern_applies && !(len > 0 && name.chars().all(is_name_char)) {
        errors.push(constraint(
            name,
            param,
            &format!("satisfy regular expression pattern: {TABLE_NAME_PATTERN}"),
        ));
    }
    if len < min_len {
        errors.push(constraint(
            name,
            param,
            &format!("have length greater than or equal to {min_len}"),
        ));
    }
    if len > MAX_TABLE_NAME_LEN {
        errors.push(constraint(
            name,
            param,
            &format!("have length less than or equal to {MAX_TABLE_NAME_LEN}"),
        ));
    }
    errors
}

/// Checks a table name being created (3 to 255 characters of `[a-zA-Z0-9_.-]`) at parameter
/// `param` (usually `tableName`), with DynamoDB's message.
pub fn validate_table_name(name: &str, param: &str) -> Result<(), String> {
    match format_validation_errors(&table_name_errors(name, param, MIN_TABLE_NAME_LEN)) {
        None => Ok(()),
        Some(message) => Err(message),
    }
}

/// Checks an index name being created: the same rules as a table name.
pub fn validate_index_name(name: &str, param: &str) -> Result<(), String> {
    validate_table_name(name, param)
}

/// The violations of the key attribute name rules (1 to 255 characters) by `name` at
/// parameter `param` (e.g. `keySchema.1.member.attributeName`).
pub fn key_attribute_name_errors(name: &str, param: &str) -> Vec<String> {
    let len = param_len(name);
    let mut errors = Vec::new();
    if len < 1 {
        errors.push(constraint(
            name,
            param,
            "have length greater than or equal to 1",
        ));
    }
    if len > MAX_KEY_ATTRIBUTE_NAME_LEN {
        errors.push(constraint(
            name,
            param,
            &format!("have length less than or equal to {MAX_KEY_ATTRIBUTE_NAME_LEN}"),
        ));
    }
    errors
}

/// Prefix of most of DynamoDB's parameter validation messages.
const INVALID: &str = "One or more parameter values were invalid: ";
/// Prefix of the empty key value messages (DynamoDB words these ones differently).
const NOT_VALID: &str = "One or more parameter values are not valid. ";

/// Checks the value of a table key attribute in an item (PutItem, BatchWriteItem put,
/// transaction put, the key of UpdateItem's result): its type must be `expected`, a string
/// or binary must not be empty, and the value must fit DynamoDB's size limit (2048 bytes for
/// a partition key, 1024 for a sort key). Returns DynamoDB's message.
pub fn validate_key_value(
    attr_name: &str,
    expected: ScalarType,
    value: &AttributeValue,
    is_partition: bool,
) -> Result<(), String> {
    if value.scalar_type() != Some(expected) {
        return Err(format!(
            "{INVALID}Type mismatch for key {attr_name} expected: {} actual: {}",
            expected.as_str(),
            value.type_name()
        ));
    }
    if let Some(kind) = empty_kind(value) {
        return Err(format!(
            "{NOT_VALID}The AttributeValue for a key attribute cannot contain an empty {kind} \
             value. Key: {attr_name}"
        ));
    }
    let size = attribute_value_size(value);
    if is_partition && size > MAX_PARTITION_KEY_SIZE {
        // No space before the number: DynamoDB's text.
        return Err(format!(
            "{INVALID}Size of hashkey has exceeded the maximum size limit of\
             {MAX_PARTITION_KEY_SIZE} bytes"
        ));
    }
    if !is_partition && size > MAX_SORT_KEY_SIZE {
        return Err(format!(
            "{INVALID}Aggregated size of all range keys has exceeded the size limit of \
             {MAX_SORT_KEY_SIZE} bytes"
        ));
    }
    Ok(())
}

/// Checks the value of a secondary index key attribute present in an item being written:
/// its type must be `expected` and a string or binary must not be empty. Returns DynamoDB's
/// message. (An item without the attribute is simply not in the index; that is not checked
/// here.)
pub fn validate_index_key_value(
    attr_name: &str,
    expected: ScalarType,
    value: &AttributeValue,
    index_name: &str,
) -> Result<(), String> {
    if value.scalar_type() != Some(expected) {
        return Err(format!(
            "{INVALID}Type mismatch for Index Key {attr_name} Expected: {} Actual: {} \
             IndexName: {index_name}",
            expected.as_str(),
            value.type_name()
        ));
    }
    if let Some(kind) = empty_kind(value) {
        return Err(format!(
            "{NOT_VALID}A value specified for a secondary index key is not supported. The \
             AttributeValue for a key attribute cannot contain an empty {kind} value. \
             IndexName: {index_name}, IndexKey: {attr_name}"
        ));
    }
    Ok(())
}

/// `string` or `binary` when the value is an empty string or binary.
fn empty_kind(value: &AttributeValue) -> Option<&'static str> {
    match value {
        AttributeValue::S(s) if s.is_empty() => Some("string"),
        AttributeValue::B(b) if b.is_empty() => Some("binary"),
        _ => None,
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
