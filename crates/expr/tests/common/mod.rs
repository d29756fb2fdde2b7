//! Helpers shared by the integration tests: DynamoDB-JSON literals for items and values.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};

use palisade_model::{AttributeValue, Item, Number};
use serde_json::Value;

/// Converts DynamoDB JSON (`{"S": "x"}`, `{"N": "1"}`, ...) into an attribute value.
/// Binary values are written as plain strings (their bytes) to keep tables readable.
pub fn av(v: &Value) -> AttributeValue {
    let (ty, body) = v.as_object().unwrap().iter().next().unwrap();
    let num = |x: &Value| Number::parse(x.as_str().unwrap()).unwrap();
    let strs = |x: &Value| -> Vec<String> {
        x.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    match ty.as_str() {
        "S" => AttributeValue::S(body.as_str().unwrap().to_string()),
        "N" => AttributeValue::N(num(body)),
        "B" => AttributeValue::B(body.as_str().unwrap().as_bytes().to_vec()),
        "SS" => AttributeValue::Ss(strs(body)),
        "NS" => AttributeValue::Ns(body.as_array().unwrap().iter().map(num).collect()),
        "BS" => AttributeValue::Bs(strs(body).into_iter().map(String::into_bytes).collect()),
        "L" => AttributeValue::L(body.as_array().unwrap().iter().map(av).collect()),
        "M" => AttributeValue::M(
            body.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), av(v)))
                .collect(),
        ),
        "NULL" => AttributeValue::Null,
        "BOOL" => AttributeValue::Bool(body.as_bool().unwrap()),
        other => panic!("unknown type {other}"),
    }
}

/// An item from a JSON object of DynamoDB-JSON attribute values.
pub fn item(v: Value) -> Item {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), av(v)))
        .collect::<BTreeMap<_, _>>()
}

/// ExpressionAttributeValues from a JSON object.
pub fn values(v: Value) -> HashMap<String, AttributeValue> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), av(v)))
        .collect()
}

/// ExpressionAttributeNames from pairs.
pub fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
