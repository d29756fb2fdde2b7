//! Tests of the strict decoder: it gives what the tree decoder gives, and it refuses
//! everything the tree decoder refuses (and a few shapes it leaves to the tree).

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::{item_from_json, item_to_json};

fn strict(text: &str) -> Option<Item> {
    serde_json::from_str::<StrictItem>(text).ok().map(|i| i.0)
}

fn tree(text: &str) -> Option<Item> {
    let value: Value = serde_json::from_str(text).ok()?;
    item_from_json(&value).ok()
}

/// The strict decoder accepts only what the tree accepts, with the same result.
fn assert_agrees(text: &str) {
    if let Some(item) = strict(text) {
        assert_eq!(tree(text), Some(item), "{text}");
    }
}

fn n(s: &str) -> Number {
    Number::parse(s).unwrap()
}

#[test]
fn decodes_every_type() {
    let mut m = BTreeMap::new();
    m.insert("k".to_owned(), AttributeValue::Bool(false));
    m.insert(
        "n".to_owned(),
        AttributeValue::L(vec![AttributeValue::Null]),
    );
    let values = [
        AttributeValue::S("x\u{e9}\"\\".into()),
        AttributeValue::S(String::new()),
        AttributeValue::N(n("-12.5e1")),
        AttributeValue::B(vec![1, 2]),
        AttributeValue::B(vec![]),
        AttributeValue::Ss(vec!["b".into(), "a".into()]),
        AttributeValue::Ns(vec![n("1"), n("-0.5")]),
        AttributeValue::Bs(vec![vec![1], vec![]]),
        AttributeValue::M(m),
        AttributeValue::M(BTreeMap::new()),
        AttributeValue::L(vec![]),
        AttributeValue::Null,
        AttributeValue::Bool(true),
    ];
    let mut item = Item::new();
    for (i, value) in values.into_iter().enumerate() {
        item.insert(format!("a{i}"), value);
    }
    let text = item_to_json(&item).to_string();
    assert_eq!(strict(&text), Some(item.clone()));
    assert_eq!(tree(&text), Some(item));
    // Numbers are normalised as the tree decoder does; escapes are read the same way.
    let text = r#"{"n": {"N": "1E+3"}, "s\u00e9": {"S": "a\nb\u0041"}}"#;
    assert_eq!(strict(text), tree(text));
    assert!(strict(text).is_some());
    assert_eq!(strict("{}"), Some(Item::new()));
}

#[test]
fn refuses_what_the_tree_refuses() {
    let cases = [
        // Shapes DynamoDB answers with a SerializationException.
        r#"{"a": {"S": 1}}"#,
        r#"{"a": {"S": true}}"#,
        r#"{"a": {"S": []}}"#,
        r#"{"a": {"S": {}}}"#,
        r#"{"a": {"N": 1.5}}"#,
        r#"{"a": {"BOOL": "true"}}"#,
        r#"{"a": {"BOOL": 1}}"#,
        r#"{"a": {"NULL": []}}"#,
        r#"{"a": {"B": "AB=="}}"#,
        r#"{"a": {"B": "AAA"}}"#,
        r#"{"a": {"B": 5}}"#,
        r#"{"a": {"SS": "x"}}"#,
        r#"{"a": {"SS": [1]}}"#,
        r#"{"a": {"M": []}}"#,
        r#"{"a": {"M": 5}}"#,
        r#"{"a": {"L": {}}}"#,
        r#"{"a": {"L": [5]}}"#,
        r#"{"a": {"M": {"b": "x"}}}"#,
        r#"{"a": []}"#,
        r#"{"a": "x"}"#,
        r#"{"a": 1e400}"#,
        r#"[]"#,
        r#""x""#,
        // Rules DynamoDB answers with a ValidationException.
        r#"{"a": {}}"#,
        r#"{"a": null}"#,
        r#"{"a": {"S": "x", "N": "1"}}"#,
        r#"{"a": {"N": "x"}}"#,
        r#"{"a": {"N": "1e126"}}"#,
        r#"{"a": {"N": "12345678901234567890123456789012345678901"}}"#,
        r#"{"a": {"SS": []}}"#,
        r#"{"a": {"NS": []}}"#,
        r#"{"a": {"BS": []}}"#,
        r#"{"a": {"SS": ["x", "x"]}}"#,
        r#"{"a": {"SS": ["x", null]}}"#,
        r#"{"a": {"NS": ["1", "1.0"]}}"#,
        r#"{"a": {"NS": ["1", null]}}"#,
        r#"{"a": {"BS": ["AQ==", "AQ=="]}}"#,
        r#"{"a": {"BS": [null]}}"#,
        r#"{"a": {"NULL": false}}"#,
        r#"{"a": {"L": [{}]}}"#,
        r#"{"a": {"L": [null]}}"#,
        r#"{"a": {"M": {"b": null}}}"#,
    ];
    for text in cases {
        assert_eq!(tree(text), None, "the tree accepts {text}");
        assert_eq!(strict(text), None, "the strict decoder accepts {text}");
    }
}

#[test]
fn leaves_rare_shapes_to_the_tree() {
    // The tree accepts these; the strict decoder does not have to.
    let cases = [
        r#"{"a": {"S": "x", "N": null}}"#,
        r#"{"a": {"N": null, "S": "x"}}"#,
        r#"{"a": {"S": "x", "X": 5}}"#,
        r#"{"a": {"S": "x", "S": "y"}}"#,
        r#"{"a": {"S": "x"}, "a": {"S": "y"}}"#,
        r#"{"a": {"M": {"b": {"S": "x"}, "b": {"N": "1"}}}}"#,
        r#"{"a": {"S": "x", "X": 1e400}}"#,
    ];
    for text in cases {
        assert_eq!(strict(text), None, "{text}");
        assert_agrees(text);
    }
    assert!(tree(cases[0]).is_some());
    assert!(tree(cases[4]).is_some());
}

fn nested_maps(levels: usize) -> String {
    let mut text = r#"{"S": "x"}"#.to_owned();
    for _ in 0..levels {
        text = format!(r#"{{"M": {{"m": {text}}}}}"#);
    }
    format!(r#"{{"a": {text}}}"#)
}

fn nested_lists(levels: usize) -> String {
    let mut text = r#"{"N": "1"}"#.to_owned();
    for _ in 0..levels {
        text = format!(r#"{{"L": [{text}]}}"#);
    }
    format!(r#"{{"a": {text}}}"#)
}

#[test]
fn nesting_limit_is_the_trees() {
    assert!(strict(&nested_maps(31)).is_some());
    assert_eq!(strict(&nested_maps(31)), tree(&nested_maps(31)));
    assert!(strict(&nested_lists(31)).is_some());
    assert_eq!(strict(&nested_maps(32)), None);
    assert_eq!(tree(&nested_maps(32)), None);
    assert_eq!(strict(&nested_lists(32)), None);
    // Beyond serde_json's own limit: refused without exhausting the stack.
    assert_eq!(strict(&nested_lists(5_000)), None);
}

#[test]
fn refuses_text_that_is_not_json() {
    for text in [
        "",
        "{",
        r#"{"a": {"S": "x"}"#,
        r#"{"a": {"S": "x"}} x"#,
        r#"{"a": {"S": "\ud800"}}"#,
    ] {
        assert_eq!(strict(text), None, "{text}");
    }
    let invalid_utf8 = b"{\"a\": {\"S\": \"\xff\"}}";
    assert!(serde_json::from_slice::<StrictItem>(invalid_utf8).is_err());
}

/// Valid attribute values.
fn valid_value() -> impl Strategy<Value = AttributeValue> {
    let numbers = prop_oneof![
        any::<i64>().prop_map(Number::from),
        "(-)?[0-9]{1,20}(\\.[0-9]{1,10})?(E[+-]?[0-9]{1,2})?"
            .prop_filter_map("valid", |t| Number::parse(&t).ok()),
    ];
    let leaf = prop_oneof![
        any::<String>().prop_map(AttributeValue::S),
        numbers.clone().prop_map(AttributeValue::N),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(AttributeValue::B),
        proptest::collection::btree_set(any::<String>(), 1..4)
            .prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
        proptest::collection::vec(numbers, 1..4).prop_filter_map("distinct", |v| {
            let distinct: BTreeSet<_> = v.iter().cloned().collect();
            (distinct.len() == v.len()).then_some(AttributeValue::Ns(v))
        }),
        proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 0..4), 1..4)
            .prop_map(|s| AttributeValue::Bs(s.into_iter().collect())),
        Just(AttributeValue::Null),
        any::<bool>().prop_map(AttributeValue::Bool),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::btree_map("[a-z]{0,3}", inner.clone(), 0..4)
                .prop_map(AttributeValue::M),
            proptest::collection::vec(inner, 0..4).prop_map(AttributeValue::L),
        ]
    })
}

/// JSON near the attribute value grammar: right and wrong types, members and sets.
fn near_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![Just(json!(1)), Just(json!(-2.5)), Just(json!(1e300))],
        prop_oneof![
            Just("1"),
            Just("1.0"),
            Just("-0"),
            Just("x"),
            Just(""),
            Just("AQ=="),
            Just("AB=="),
            Just("1e200"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(6, 48, 4, |inner| {
        let tag = prop_oneof![
            Just("S"),
            Just("N"),
            Just("B"),
            Just("SS"),
            Just("NS"),
            Just("BS"),
            Just("M"),
            Just("L"),
            Just("NULL"),
            Just("BOOL"),
            Just("X"),
            Just("a"),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((tag, inner), 0..3).prop_map(|members| {
                Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

proptest! {
    #[test]
    fn valid_items_decode_as_the_tree_decodes_them(
        item in proptest::collection::btree_map("[a-z]{0,3}", valid_value(), 0..6)
    ) {
        let text = item_to_json(&item).to_string();
        prop_assert_eq!(strict(&text), Some(item.clone()));
        prop_assert_eq!(tree(&text), Some(item));
    }

    #[test]
    fn never_accepts_what_the_tree_refuses(
        values in proptest::collection::vec(near_value(), 0..4)
    ) {
        let item = Value::Object(
            values.into_iter().enumerate().map(|(i, v)| (format!("a{i}"), v)).collect(),
        );
        let text = item.to_string();
        if let Some(item) = strict(&text) {
            prop_assert_eq!(tree(&text), Some(item));
        }
    }
}
