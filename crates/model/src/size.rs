//! Item size as DynamoDB computes it, for the 400 KB item limit and for capacity units.
//!
//! DynamoDB's rules (developer guide, "DynamoDB item sizes and formats"): an item is the sum
//! of its attribute names (UTF-8 bytes) and values. A string is its UTF-8 bytes, a binary its
//! raw bytes, `NULL` and `BOOL` one byte. A list or a map costs 3 bytes plus one byte per
//! element, plus its elements (and, for a map, their names). A set is the sum of its members.
//! A number is one byte plus one byte per pair of significant digits; the pairs are counted
//! as DynamoDB stores them, aligned on the decimal point (so `10` needs one pair but `1.5`
//! two), and a negative number takes one more byte. These rules reproduce the item-limit
//! boundaries and consumed capacities observed on DynamoDB.

use crate::{AttributeValue, Item, Number};

/// Largest item DynamoDB accepts, in bytes (400 KB). An item of exactly this size is
/// accepted; one byte more is refused.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// DynamoDB's `ValidationException` text for a PutItem, BatchWriteItem or transaction put
/// whose item is larger than [`MAX_ITEM_SIZE`].
pub const ITEM_TOO_LARGE: &str = "Item size has exceeded the maximum allowed size";

/// DynamoDB's `ValidationException` text for an UpdateItem whose result would be larger than
/// [`MAX_ITEM_SIZE`].
pub const ITEM_TO_UPDATE_TOO_LARGE: &str =
    "Item size to update has exceeded the maximum allowed size";

/// Overhead of a list or a map, whatever it holds.
const CONTAINER_OVERHEAD: usize = 3;
/// Overhead of each element of a list or a map.
const ELEMENT_OVERHEAD: usize = 1;

/// The size of an item: the UTF-8 length of each attribute name plus the size of its value.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + attribute_value_size(value))
        .sum()
}

/// The size of one attribute value, without its name.
pub fn attribute_value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(number_size).sum(),
        AttributeValue::Bs(set) => set.iter().map(Vec::len).sum(),
        AttributeValue::M(map) => {
            CONTAINER_OVERHEAD
                + map
                    .iter()
                    .map(|(name, value)| {
                        ELEMENT_OVERHEAD + name.len() + attribute_value_size(value)
                    })
                    .sum::<usize>()
        }
        AttributeValue::L(list) => {
            CONTAINER_OVERHEAD
                + list
                    .iter()
                    .map(|value| ELEMENT_OVERHEAD + attribute_value_size(value))
                    .sum::<usize>()
        }
        AttributeValue::Null | AttributeValue::Bool(_) => 1,
    }
}

/// The size of a number: zero is one byte; otherwise one byte of exponent, one byte per
/// pair of digits (pairs aligned on the decimal point) and one more byte when negative.
pub fn number_size(n: &Number) -> usize {
    if n.is_zero() {
        return 1;
    }
    // The value is 0.d1d2…dk × 10^e: the first digit stands for 10^(e-1), the last for
    // 10^(e-k). Pairs cover the powers 2j and 2j+1.
    let exponent = i64::from(n.exponent());
    let highest = exponent - 1;
    let lowest = exponent - n.digits().len() as i64;
    let pairs = highest.div_euclid(2) - lowest.div_euclid(2) + 1;
    1 + pairs as usize + usize::from(n.is_negative())
}

/// Write capacity units for writing an item of `size` bytes: one per started KB, at least
/// one.
pub fn write_capacity_units(size: usize) -> u64 {
    size.div_ceil(1024).max(1) as u64
}

/// Read capacity units for reading `size` bytes: one per started 4 KB (at least one), halved
/// for an eventually consistent read.
pub fn read_capacity_units(size: usize, consistent: bool) -> f64 {
    let units = size.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

#[cfg(test)]
#[path = "size_tests.rs"]
mod tests;
