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

/// Random attribute values up to a small depth.
fn value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        "[a-c]{0,3}".prop_map(AttributeValue::S),
        (-5i64..5).prop_map(|n| AttributeValue::N(Number::from(n))),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(AttributeValue::L),
            prop::collection::btree_map("[a-c]", inner, 0..3).prop_map(AttributeValue::M),
        ]
    })
}

/// Random paths over the same small alphabet as the values.
fn path_text() -> impl Strategy<Value = String> {
    (
        "[a-c]",
        prop::collection::vec(prop_oneof!["\\.[a-c]", "\\[[0-2]\\]"], 0..3),
    )
        .prop_map(|(head, rest)| format!("{head}{}", rest.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Projecting a path and reading it back gives what reading the item gives, when the
    /// path is not a list element (list elements are packed by projection).
    #[test]
    fn projection_keeps_what_it_names(
        item in prop::collection::btree_map("[a-c]", value(), 0..4),
        path in path_text(),
    ) {
        let mut ctx = ExprContext::new(None, None);
        let projection = ctx.projection(&path).unwrap();
        let projected = projection.apply(&item);
        let p = &projection.paths()[0];
        if !path.contains('[') {
            prop_assert_eq!(
                palisade_expr::lookup(&projected, p),
                palisade_expr::lookup(&item, p)
            );
        }
        prop_assert!(projected.len() <= 1);
        if palisade_expr::lookup(&item, p).is_none() {
            prop_assert!(projected.is_empty());
        }
    }

    /// `SET x = :v` makes `x` read back as `:v`, or fails without touching the item; an
    /// `attribute_exists` condition agrees with lookup.
    #[test]
    fn set_then_read_back(
        item in prop::collection::btree_map("[a-c]", value(), 0..4),
        path in path_text(),
        v in value(),
    ) {
        let values = HashMap::from([(":v".to_string(), v.clone())]);
        let mut ctx = ExprContext::new(None, Some(&values));
        let update = ctx.update(&format!("SET {path} = :v")).unwrap();
        let exists = ExprContext::new(None, None)
            .condition(&format!("attribute_exists({path})"), ExprKind::Condition)
            .unwrap();
        let p = update.actions()[0].path().clone();
        prop_assert_eq!(exists.evaluate(&item), palisade_expr::lookup(&item, &p).is_some());
        let mut after = item.clone();
        match update.apply(&mut after) {
            Ok(paths) => {
                prop_assert_eq!(paths.paths.len(), 1);
                if !path.contains('[') {
                    prop_assert_eq!(palisade_expr::lookup(&after, &p), Some(&v));
                }
            }
            Err(_) => prop_assert_eq!(&after, &item),
        }
    }

    /// Swapping two attributes twice restores the item.
    #[test]
    fn swap_is_an_involution(item in prop::collection::btree_map("[ab]", value(), 2..3)) {
        let mut ctx = ExprContext::new(None, None);
        let swap = ctx.update("SET a = b, b = a").unwrap();
        let mut it = item.clone();
        swap.apply(&mut it).unwrap();
        prop_assert_eq!(it.get("a"), item.get("b"));
        swap.apply(&mut it).unwrap();
        prop_assert_eq!(it, item);
    }
}
