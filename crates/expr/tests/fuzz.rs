//! Property tests: no input makes the parsers panic or overflow the stack, and whatever
//! parses can be evaluated or applied.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use palisade_expr::{ExprContext, ExprKind, KeyAttribute, KeySchema};
use palisade_model::{AttributeValue, Item, Number, ScalarType};
use proptest::prelude::*;

fn maps() -> (HashMap<String, String>, HashMap<String, AttributeValue>) {
    let names = HashMap::from([("#a".to_string(), "a".to_string())]);
    let values = HashMap::from([
        (":v".to_string(), AttributeValue::N(Number::from(1))),
        (":s".to_string(), AttributeValue::S("x".to_string())),
        (":l".to_string(), AttributeValue::L(vec![])),
    ]);
    (names, values)
}

fn run_all(text: &str) {
    let (names, values) = maps();
    let mut ctx = ExprContext::new(Some(&names), Some(&values));
    let item: Item = Item::from([
        ("a".to_string(), AttributeValue::N(Number::from(3))),
        (
            "b".to_string(),
            AttributeValue::L(vec![AttributeValue::Null]),
        ),
    ]);
    if let Ok(c) = ctx.condition(text, ExprKind::Filter) {
        let _ = c.evaluate(&item);
    }
    if let Ok(u) = ctx.update(text) {
        let mut it = item.clone();
        let _ = u.apply(&mut it);
    }
    if let Ok(p) = ctx.projection(text) {
        let _ = p.apply(&item);
    }
    let schema = KeySchema {
        partition: vec![KeyAttribute {
            name: "a".into(),
            ty: ScalarType::N,
        }],
        sort: vec![KeyAttribute {
            name: "b".into(),
            ty: ScalarType::S,
        }],
    };
    let _ = ctx.key_condition(text, &schema);
    let _ = ctx.finish();
}

/// Fragments of the language, so that random strings often get deep into the parser.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("#a".to_string()),
        Just(":v".to_string()),
        Just(":s".to_string()),
        Just(":l".to_string()),
        Just("b[0]".to_string()),
        Just(".".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just(",".to_string()),
        Just(" = ".to_string()),
        Just(" <> ".to_string()),
        Just(" < ".to_string()),
        Just(" + ".to_string()),
        Just(" - ".to_string()),
        Just(" AND ".to_string()),
        Just(" OR ".to_string()),
        Just("NOT ".to_string()),
        Just(" BETWEEN ".to_string()),
        Just(" IN ".to_string()),
        Just("SET ".to_string()),
        Just("REMOVE ".to_string()),
        Just("ADD ".to_string()),
        Just("DELETE ".to_string()),
        Just("size(".to_string()),
        Just("contains(".to_string()),
        Just("attribute_exists(".to_string()),
        Just("list_append(".to_string()),
        Just("if_not_exists(".to_string()),
        Just("name".to_string()),
        "[ -~]{0,3}",
        "\\PC{0,2}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_panic(text in "\\PC{0,64}") {
        run_all(&text);
    }

    #[test]
    fn language_like_strings_never_panic(parts in prop::collection::vec(fragment(), 0..40)) {
        run_all(&parts.concat());
    }
}

#[test]
fn pathological_inputs_return_errors() {
    for text in [
        "(".repeat(4000),
        ")".repeat(4000),
        "NOT ".repeat(1000),
        "size(".repeat(800),
        "a.".repeat(2000),
        "a[0]".repeat(1000),
        "SET a = ".to_string() + &"(".repeat(4000),
        "a IN (".to_string() + &":v,".repeat(1000),
        "\u{0}\u{ffff}\u{10ffff}".to_string(),
    ] {
        run_all(&text);
    }
}
