//! Item sizes as DynamoDB counts them (for limits, statistics and capacity units).

use palisade_model::{AttributeValue, Item, Number};

/// The size of an item in bytes, as DynamoDB computes it: the UTF-8 length of every attribute
/// name plus the size of its value.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn number_size(n: &Number) -> usize {
    // About one byte per two significant digits, plus one.
    n.digits().len().div_ceil(2) + 1
}

/// The size of one attribute value.
pub fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(number_size).sum(),
        AttributeValue::Bs(v) => v.iter().map(Vec::len).sum(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::Null | AttributeValue::Bool(_) => 1,
    }
}
