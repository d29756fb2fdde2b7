//! Legacy parameters: Expected, QueryFilter/ScanFilter, KeyConditions, AttributesToGet,
//! AttributeUpdates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{av, item};
use palisade_expr::{
    KeyAttribute, KeySchema, LegacyAction, LegacyCondition, LegacyUpdate, SortOp,
    attribute_updates, attributes_to_get, expected, filter, key_conditions,
};
use palisade_model::{AttributeValue, ScalarType};
use serde_json::json;

fn v(j: serde_json::Value) -> AttributeValue {
    av(&j)
}

fn op(operator: &str, values: Vec<AttributeValue>) -> LegacyCondition {
    LegacyCondition {
        operator: Some(operator.to_string()),
        values: Some(values),
        ..LegacyCondition::default()
    }
}

fn one(name: &str, c: LegacyCondition) -> Vec<(String, LegacyCondition)> {
    vec![(name.to_string(), c)]
}

fn sample() -> palisade_model::Item {
    item(json!({
        "id": {"S": "abc"}, "n": {"N": "5"}, "tags": {"SS": ["x", "y"]},
        "l": {"L": [{"N": "1"}]}
    }))
}

#[test]
fn filters_evaluate_like_expressions() {
    let s = |x: &str| v(json!({"S": x}));
    let n = |x: &str| v(json!({"N": x}));
    let cases: Vec<(&str, LegacyCondition, bool)> = vec![
        ("id", op("EQ", vec![s("abc")]), true),
        ("id", op("NE", vec![s("abc")]), false),
        ("missing_attr", op("NE", vec![s("abc")]), true),
        ("n", op("GT", vec![n("4")]), true),
        ("n", op("LE", vec![n("4")]), false),
        ("n", op("BETWEEN", vec![n("1"), n("5")]), true),
        ("n", op("IN", vec![n("1"), n("5")]), true),
        ("id", op("BEGINS_WITH", vec![s("ab")]), true),
        ("id", op("CONTAINS", vec![s("bc")]), true),
        ("tags", op("CONTAINS", vec![s("y")]), true),
        ("tags", op("NOT_CONTAINS", vec![s("y")]), false),
        ("l", op("CONTAINS", vec![n("1")]), true),
        ("id", op("NOT_NULL", vec![]), true),
        ("id", op("NULL", vec![]), false),
        ("zzz", op("NULL", vec![]), true),
    ];
    for (name, c, want) in cases {
        let cond = filter(&one(name, c.clone()), None).unwrap();
        assert_eq!(cond.evaluate(&sample()), want, "{name} {c:?}");
    }
    // ConditionalOperator.
    let both = vec![
        ("id".to_string(), op("EQ", vec![s("nope")])),
        ("n".to_string(), op("EQ", vec![n("5")])),
    ];
    assert!(!filter(&both, Some("AND")).unwrap().evaluate(&sample()));
    assert!(filter(&both, Some("OR")).unwrap().evaluate(&sample()));
    assert!(filter(&[], None).unwrap().evaluate(&sample()));
}

#[test]
fn filter_errors() {
    let s = v(json!({"S": "a"}));
    let cases: Vec<(LegacyCondition, &str)> = vec![
        (
            op("EQ", vec![]),
            "The attempted filter operation is not supported for the provided filter argument count",
        ),
        (
            op("BETWEEN", vec![s.clone()]),
            "The attempted filter operation is not supported for the provided filter argument count",
        ),
        (
            op("NULL", vec![s.clone()]),
            "The attempted filter operation is not supported for the provided filter argument count",
        ),
        (
            op("LT", vec![v(json!({"SS": ["a"]}))]),
            "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type",
        ),
        (
            op("BEGINS_WITH", vec![v(json!({"N": "1"}))]),
            "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type",
        ),
        (
            op("CONTAINS", vec![v(json!({"L": []}))]),
            "One or more parameter values were invalid: ComparisonOperator CONTAINS is not valid for L AttributeValue type",
        ),
        (
            op("BETWEEN", vec![v(json!({"N": "5"})), v(json!({"N": "1"}))]),
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        ),
    ];
    for (c, want) in cases {
        assert_eq!(
            filter(&one("a", c.clone()), None).unwrap_err().to_string(),
            want,
            "{c:?}"
        );
    }
}

#[test]
fn expected_exists_and_value() {
    let s = v(json!({"S": "abc"}));
    let exists = |e: Option<bool>, val: Option<AttributeValue>| LegacyCondition {
        exists: e,
        value: val,
        ..LegacyCondition::default()
    };
    assert!(
        expected(&one("id", exists(None, Some(s.clone()))), None)
            .unwrap()
            .evaluate(&sample())
    );
    assert!(
        expected(&one("id", exists(Some(true), Some(s.clone()))), None)
            .unwrap()
            .evaluate(&sample())
    );
    assert!(
        !expected(&one("id", exists(Some(false), None)), None)
            .unwrap()
            .evaluate(&sample())
    );
    assert!(
        expected(&one("zz", exists(Some(false), None)), None)
            .unwrap()
            .evaluate(&sample())
    );
    // ComparisonOperator with Value (no list).
    let with_value = LegacyCondition {
        operator: Some("EQ".to_string()),
        value: Some(s.clone()),
        ..LegacyCondition::default()
    };
    assert!(
        expected(&one("id", with_value), None)
            .unwrap()
            .evaluate(&sample())
    );

    let p = "One or more parameter values were invalid: ";
    let cases: Vec<(LegacyCondition, String)> = vec![
        (
            exists(Some(true), None),
            format!("{p}Value must be provided when Exists is true for Attribute: id"),
        ),
        (
            exists(None, None),
            format!("{p}Value must be provided when Exists is null for Attribute: id"),
        ),
        (
            exists(Some(false), Some(s.clone())),
            format!("{p}Value cannot be used when Exists is false for Attribute: id"),
        ),
        (
            LegacyCondition {
                exists: Some(true),
                ..op("EQ", vec![s.clone()])
            },
            format!("{p}Exists and ComparisonOperator cannot be used together for Attribute: id"),
        ),
        (
            LegacyCondition {
                value: Some(s.clone()),
                ..op("EQ", vec![s.clone()])
            },
            format!("{p}Value and AttributeValueList cannot be used together for Attribute: id"),
        ),
        (
            LegacyCondition {
                values: Some(vec![s.clone()]),
                ..LegacyCondition::default()
            },
            format!(
                "{p}AttributeValueList can only be used with a ComparisonOperator for Attribute: id"
            ),
        ),
        (
            op("EQ", vec![]),
            format!("{p}Invalid number of argument(s) for the EQ ComparisonOperator"),
        ),
    ];
    for (c, want) in cases {
        assert_eq!(
            expected(&one("id", c.clone()), None)
                .unwrap_err()
                .to_string(),
            want,
            "{c:?}"
        );
    }
}

#[test]
fn legacy_key_conditions() {
    let schema = KeySchema {
        partition: vec![KeyAttribute {
            name: "pk".into(),
            ty: ScalarType::S,
        }],
        sort: vec![KeyAttribute {
            name: "sk".into(),
            ty: ScalarType::N,
        }],
    };
    let k = key_conditions(
        &[
            ("pk".to_string(), op("EQ", vec![v(json!({"S": "a"}))])),
            (
                "sk".to_string(),
                op("BETWEEN", vec![v(json!({"N": "1"})), v(json!({"N": "3"}))]),
            ),
        ],
        &schema,
    )
    .unwrap();
    assert_eq!(
        k.sort_condition().unwrap().op,
        SortOp::Between(v(json!({"N": "1"})), v(json!({"N": "3"})))
    );
    let err = |entries: Vec<(String, LegacyCondition)>| {
        key_conditions(&entries, &schema).unwrap_err().to_string()
    };
    assert_eq!(
        err(vec![("sk".into(), op("EQ", vec![v(json!({"N": "1"}))]))]),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(
        err(vec![
            ("pk".into(), op("EQ", vec![v(json!({"S": "a"}))])),
            ("sk".into(), op("NE", vec![v(json!({"N": "1"}))])),
        ]),
        "Attempted conditional constraint is not an indexable operation"
    );
    assert_eq!(err(vec![]), "Conditions can be of length 1 or 2 only");
}

#[test]
fn attributes_to_get_and_updates() {
    let p = attributes_to_get(&["id".to_string(), "n".to_string(), "zz".to_string()]).unwrap();
    assert_eq!(
        p.apply(&sample()),
        item(json!({"id": {"S": "abc"}, "n": {"N": "5"}}))
    );
    assert_eq!(
        attributes_to_get(&["a".to_string(), "a".to_string()])
            .unwrap_err()
            .to_string(),
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    );

    let upd = |a: Option<LegacyAction>, val: Option<serde_json::Value>| LegacyUpdate {
        action: a,
        value: val.map(v),
    };
    let u = attribute_updates(&[
        ("id".into(), upd(None, Some(json!({"S": "new"})))),
        (
            "n".into(),
            upd(Some(LegacyAction::Add), Some(json!({"N": "2"}))),
        ),
        (
            "tags".into(),
            upd(Some(LegacyAction::Delete), Some(json!({"SS": ["x"]}))),
        ),
        (
            "l".into(),
            upd(Some(LegacyAction::Add), Some(json!({"L": [{"N": "2"}]}))),
        ),
        ("gone".into(), upd(Some(LegacyAction::Delete), None)),
    ])
    .unwrap();
    let mut it = sample();
    it.insert("gone".into(), v(json!({"BOOL": true})));
    u.apply(&mut it).unwrap();
    assert_eq!(
        it,
        item(json!({
            "id": {"S": "new"}, "n": {"N": "7"}, "tags": {"SS": ["y"]},
            "l": {"L": [{"N": "1"}, {"N": "2"}]}
        }))
    );
    // Legacy type mismatch message.
    let u = attribute_updates(&[(
        "id".into(),
        upd(Some(LegacyAction::Add), Some(json!({"N": "1"}))),
    )])
    .unwrap();
    assert_eq!(
        u.apply(&mut sample()).unwrap_err().to_string(),
        "Type mismatch for attribute to update"
    );
    let p = "One or more parameter values were invalid: ";
    assert_eq!(
        attribute_updates(&[("a".into(), upd(Some(LegacyAction::Put), None))])
            .unwrap_err()
            .to_string(),
        format!("{p}Only DELETE action is allowed when no attribute value is specified")
    );
    assert_eq!(
        attribute_updates(&[(
            "a".into(),
            upd(Some(LegacyAction::Delete), Some(json!({"S": "x"})))
        )])
        .unwrap_err()
        .to_string(),
        format!("{p}DELETE action with value is not supported for the type S")
    );
    assert_eq!(LegacyAction::parse("ADD"), Some(LegacyAction::Add));
    assert_eq!(LegacyAction::parse("add"), None);
}
