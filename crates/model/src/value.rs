//! Attribute values as DynamoDB defines them.

use std::collections::BTreeMap;

use crate::Number;

/// An item: attribute name to value. Ordered so that output is deterministic.
pub type Item = BTreeMap<String, AttributeValue>;

/// One DynamoDB attribute value.
///
/// Sets keep the order they were given in. This type does not enforce DynamoDB's rules
/// (non-empty sets without duplicates, nesting depth): values decoded with
/// [`attribute_value_from_json`](crate::attribute_value_from_json) or
/// [`item_from_json`](crate::item_from_json) satisfy them, values built in code must.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
    M(BTreeMap<String, AttributeValue>),
    L(Vec<AttributeValue>),
    Null,
    Bool(bool),
}

/// The three scalar types a key attribute may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    /// The DynamoDB type descriptor: `S`, `N` or `B`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }
}

impl AttributeValue {
    /// The DynamoDB type descriptor of this value: `S`, `N`, `B`, `SS`, `NS`, `BS`, `M`, `L`,
    /// `NULL` or `BOOL`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::Null => "NULL",
            AttributeValue::Bool(_) => "BOOL",
        }
    }

    /// The scalar type, when this value is a string, number or binary.
    pub fn scalar_type(&self) -> Option<ScalarType> {
        match self {
            AttributeValue::S(_) => Some(ScalarType::S),
            AttributeValue::N(_) => Some(ScalarType::N),
            AttributeValue::B(_) => Some(ScalarType::B),
            _ => None,
        }
    }
}
