//! Projection expressions and key condition expressions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{av, item, names, values};
use palisade_expr::{ExprContext, KeyAttribute, KeyCondition, KeySchema, SortCondition, SortOp};
use palisade_model::ScalarType;
use serde_json::json;

fn doc() -> palisade_model::Item {
    item(json!({
        "a": {"M": {"b": {"L": [
            {"M": {"c": {"N": "0"}, "d": {"N": "9"}}},
            {"M": {"c": {"N": "1"}}},
            {"M": {"c": {"N": "2"}, "e": {"S": "x"}}}
        ]}, "f": {"S": "keep"}}},
        "top": {"S": "t"},
        "lst": {"L": [{"S": "x"}, {"S": "y"}, {"S": "z"}]}
    }))
}

fn project(expr: &str) -> palisade_model::Item {
    let nm = names(&[("#a", "a")]);
    let mut ctx = ExprContext::new(Some(&nm), None);
    let p = ctx
        .projection(expr)
        .unwrap_or_else(|e| panic!("{expr}: {e}"));
    p.apply(&doc())
}

#[test]
fn projects_nested_paths_and_list_elements() {
    assert_eq!(project("top"), item(json!({"top": {"S": "t"}})));
    assert_eq!(project("nothing"), item(json!({})));
    assert_eq!(
        project("#a.b[2].c, top"),
        item(json!({"a": {"M": {"b": {"L": [{"M": {"c": {"N": "2"}}}]}}}, "top": {"S": "t"}}))
    );
    assert_eq!(
        project("#a.b[2].e, #a.b[0].c, #a.f"),
        item(json!({"a": {"M": {
            "b": {"L": [{"M": {"c": {"N": "0"}}}, {"M": {"e": {"S": "x"}}}]},
            "f": {"S": "keep"}
        }}}))
    );
    assert_eq!(
        project("lst[2], lst[0], lst[7]"),
        item(json!({"lst": {"L": [{"S": "x"}, {"S": "z"}]}}))
    );
    assert_eq!(project("top.x, lst.x, #a[0]"), item(json!({})));
}

#[test]
fn projection_errors() {
    let p = "Invalid ProjectionExpression: ";
    let cases: Vec<(&str, String)> = vec![
        (
            "name",
            format!("{p}Attribute name is a reserved keyword; reserved keyword: name"),
        ),
        (
            "a, a.b",
            format!(
                "{p}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
            ),
        ),
        (
            "a[0], a.b",
            format!(
                "{p}Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]"
            ),
        ),
        (
            "#x",
            format!(
                "{p}An expression attribute name used in the document path is not defined; attribute name: #x"
            ),
        ),
        (
            "a,",
            format!("{p}Syntax error; token: \"<EOF>\", near: \",\""),
        ),
        (
            "a b",
            format!("{p}Syntax error; token: \"b\", near: \"a b\""),
        ),
        (
            "a[x]",
            format!("{p}Syntax error; token: \"x\", near: \"[x]\""),
        ),
        (
            "a[99999999999]",
            format!("{p}List index is not within the allowable range; index: [99999999999]"),
        ),
        ("", format!("{p}The expression can not be empty;")),
    ];
    for (expr, want) in cases {
        let mut ctx = ExprContext::new(None, None);
        assert_eq!(
            ctx.projection(expr).unwrap_err().to_string(),
            want,
            "{expr}"
        );
    }
}

fn schema(sort: bool) -> KeySchema {
    KeySchema {
        partition: vec![KeyAttribute {
            name: "pk".to_string(),
            ty: ScalarType::S,
        }],
        sort: if sort {
            vec![KeyAttribute {
                name: "sk".to_string(),
                ty: ScalarType::N,
            }]
        } else {
            Vec::new()
        },
    }
}

fn key(expr: &str, schema: &KeySchema) -> Result<KeyCondition, String> {
    let v = values(json!({
        ":p": {"S": "p1"}, ":n1": {"N": "1"}, ":n5": {"N": "5"}, ":s": {"S": "x"}
    }));
    let nm = names(&[("#p", "pk"), ("#s", "sk")]);
    let mut ctx = ExprContext::new(Some(&nm), Some(&v));
    ctx.key_condition(expr, schema).map_err(|e| e.to_string())
}

#[test]
fn key_conditions() {
    let s = schema(true);
    let k = key("pk = :p", &s).unwrap();
    assert_eq!(
        k.partition,
        vec![("pk".to_string(), av(&json!({"S": "p1"})))]
    );
    assert!(k.sort.is_empty());

    let k = key("#p = :p AND #s BETWEEN :n1 AND :n5", &s).unwrap();
    assert_eq!(
        k.sort,
        vec![SortCondition {
            attribute: "sk".to_string(),
            op: SortOp::Between(av(&json!({"N": "1"})), av(&json!({"N": "5"})))
        }]
    );
    let inside = item(json!({"pk": {"S": "p1"}, "sk": {"N": "3"}}));
    let outside = item(json!({"pk": {"S": "p1"}, "sk": {"N": "6"}}));
    let other = item(json!({"pk": {"S": "p2"}, "sk": {"N": "3"}}));
    assert!(k.matches(&inside));
    assert!(!k.matches(&outside));
    assert!(!k.matches(&other));

    // The value may come first; the operator is turned around.
    let k = key(":n5 > sk AND pk = :p", &s).unwrap();
    assert_eq!(
        k.sort_condition().unwrap().op,
        SortOp::Lt(av(&json!({"N": "5"})))
    );
    assert!(key("(pk = :p) AND (sk >= :n1)", &s).is_ok());

    let cases: &[(&str, &str)] = &[
        ("sk = :n1", "Query condition missed key schema element: pk"),
        (
            "pk = :p AND color = :s",
            "Query key condition not supported",
        ),
        ("pk < :p", "Query key condition not supported"),
        ("begins_with(pk, :p)", "Query key condition not supported"),
        (
            "pk = :p AND pk = :p",
            "KeyConditionExpressions must only contain one condition per key",
        ),
        (
            "pk = :p OR sk = :n1",
            "Invalid operator used in KeyConditionExpression: OR",
        ),
        (
            "pk = :p AND sk <> :n1",
            "Invalid operator used in KeyConditionExpression: <>",
        ),
        (
            "pk = :p AND NOT sk = :n1",
            "Invalid operator used in KeyConditionExpression: NOT",
        ),
        (
            "pk = :p AND sk IN (:n1)",
            "Invalid operator used in KeyConditionExpression: IN",
        ),
        (
            "pk = :p AND attribute_exists(sk)",
            "Invalid operator used in KeyConditionExpression: attribute_exists",
        ),
        (
            "pk = :n1",
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            "pk = :p AND sk = :s",
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            "pk = :p AND begins_with(sk, :n1)",
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        (
            "pk = :p AND sk BETWEEN :n5 AND :n1",
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}",
        ),
        (
            "pk = :nope",
            "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope",
        ),
        (
            "pk.x = :p",
            "KeyConditionExpressions cannot have conditions on nested attributes",
        ),
        (
            "size(pk) = :n1",
            "KeyConditionExpressions cannot contain nested operations",
        ),
        (
            "pk = sk",
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
        ),
        (
            ":p = :p",
            "Invalid condition in KeyConditionExpression: No key attribute specified",
        ),
        (
            "pk = :p AND :n1 BETWEEN sk AND :n5",
            "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand",
        ),
        (
            "pk = :p AND begins_with(:s, sk)",
            "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand",
        ),
        (
            "pk = :p AND contains(sk, :n1)",
            "Invalid operator used in KeyConditionExpression: contains",
        ),
        (
            "pk = :p AND",
            "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"",
        ),
    ];
    for (expr, want) in cases {
        assert_eq!(key(expr, &s).unwrap_err(), *want, "{expr}");
    }
    // A table without a sort key.
    assert_eq!(
        key("pk = :p AND sk = :n1", &schema(false)).unwrap_err(),
        "Query key condition not supported"
    );
}

#[test]
fn multi_attribute_index_keys() {
    let attr = |n: &str, ty| KeyAttribute {
        name: n.to_string(),
        ty,
    };
    let s = KeySchema {
        partition: vec![attr("p1", ScalarType::S), attr("p2", ScalarType::N)],
        sort: vec![attr("s1", ScalarType::S), attr("s2", ScalarType::N)],
    };
    let v = values(json!({":a": {"S": "a"}, ":one": {"N": "1"}}));
    let mut ctx = ExprContext::new(None, Some(&v));
    let k = ctx
        .key_condition("p2 = :one AND p1 = :a AND s1 = :a AND s2 > :one", &s)
        .unwrap();
    assert_eq!(k.partition.len(), 2);
    assert_eq!(k.partition[0].0, "p1");
    assert_eq!(k.attributes().collect::<Vec<_>>(), ["p1", "p2", "s1", "s2"]);
    assert_eq!(k.sort.len(), 2);
    let it = item(json!({"p1": {"S": "a"}, "p2": {"N": "1"}, "s1": {"S": "a"}, "s2": {"N": "2"}}));
    assert!(k.matches(&it));

    let err = |e: &str| {
        let mut ctx = ExprContext::new(None, Some(&v));
        ctx.key_condition(e, &s).unwrap_err().to_string()
    };
    assert_eq!(
        err("p1 = :a"),
        "Query condition missed key schema element: p2"
    );
    assert_eq!(
        err("p1 = :a AND p2 = :one AND s2 = :one"),
        "Query condition missed key schema element: s1"
    );
    assert_eq!(
        err("p1 = :a AND p2 = :one AND s1 > :a AND s2 = :one"),
        "Query key condition not supported"
    );
}
