//! Update expressions: parsing errors, application to items, run-time errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{item, names, values};
use palisade_expr::ExprContext;
use serde_json::{Value, json};

fn vals() -> std::collections::HashMap<String, palisade_model::AttributeValue> {
    values(json!({
        ":one": {"N": "1"}, ":ten": {"N": "10"}, ":s": {"S": "x"}, ":l": {"L": [{"S": "z"}]},
        ":ss": {"SS": ["c", "d"]}, ":ss2": {"SS": ["a"]}, ":ns": {"NS": ["5"]},
        ":big": {"N": "9.9999999999999999999999999999999999999E+125"}, ":m": {"M": {}},
        ":bs": {"BS": ["q"]}
    }))
}

fn base() -> palisade_model::Item {
    item(json!({
        "id": {"S": "k"},
        "n": {"N": "5"},
        "s": {"S": "str"},
        "tags": {"SS": ["a", "b"]},
        "nums": {"NS": ["1", "2"]},
        "lst": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]},
        "doc": {"M": {"a": {"M": {"b": {"N": "1"}}}, "arr": {"L": [{"S": "p"}]}}}
    }))
}

fn apply(expr: &str) -> Result<palisade_model::Item, String> {
    let v = vals();
    let nm = names(&[("#d", "doc"), ("#x", "x")]);
    let mut ctx = ExprContext::new(Some(&nm), Some(&v));
    let u = ctx.update(expr).map_err(|e| e.to_string())?;
    let mut it = base();
    u.apply(&mut it).map_err(|e| e.to_string())?;
    Ok(it)
}

/// Applies `expr` and returns the attribute `attr` of the result as DynamoDB JSON-ish text.
fn after(expr: &str, attr: &str) -> Option<Value> {
    let it = apply(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    it.get(attr).map(|v| json!(format!("{v:?}")))
}

fn debug_of(v: Value) -> Option<Value> {
    Some(json!(format!("{:?}", common::av(&v))))
}

#[test]
fn applies_actions() {
    let cases: &[(&str, &str, Option<Value>)] = &[
        ("SET n = :ten", "n", debug_of(json!({"N": "10"}))),
        ("SET n = n + :one", "n", debug_of(json!({"N": "6"}))),
        ("SET n = n - :ten", "n", debug_of(json!({"N": "-5"}))),
        ("SET n = :ten - n", "n", debug_of(json!({"N": "5"}))),
        (
            "SET fresh = if_not_exists(fresh, :one)",
            "fresh",
            debug_of(json!({"N": "1"})),
        ),
        (
            "SET n = if_not_exists(n, :ten)",
            "n",
            debug_of(json!({"N": "5"})),
        ),
        (
            "SET l2 = list_append(:l, :l)",
            "l2",
            debug_of(json!({"L": [{"S": "z"}, {"S": "z"}]})),
        ),
        (
            "SET lst = list_append(lst, :l)",
            "lst",
            debug_of(json!({"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}, {"S": "z"}]})),
        ),
        (
            "SET lst[1] = :s",
            "lst",
            debug_of(json!({"L": [{"N": "0"}, {"S": "x"}, {"N": "2"}, {"N": "3"}]})),
        ),
        (
            "SET lst[99] = :s",
            "lst",
            debug_of(json!({"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}, {"S": "x"}]})),
        ),
        (
            "REMOVE lst[1], lst[2]",
            "lst",
            debug_of(json!({"L": [{"N": "0"}, {"N": "3"}]})),
        ),
        (
            "REMOVE lst[9]",
            "lst",
            debug_of(json!({"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]})),
        ),
        ("REMOVE s", "s", None),
        ("REMOVE nothing_here", "s", debug_of(json!({"S": "str"}))),
        (
            "SET #d.a.c = :one",
            "doc",
            debug_of(
                json!({"M": {"a": {"M": {"b": {"N": "1"}, "c": {"N": "1"}}}, "arr": {"L": [{"S": "p"}]}}}),
            ),
        ),
        (
            "REMOVE #d.a.b",
            "doc",
            debug_of(json!({"M": {"a": {"M": {}}, "arr": {"L": [{"S": "p"}]}}})),
        ),
        (
            "SET #d.arr[0] = :one",
            "doc",
            debug_of(json!({"M": {"a": {"M": {"b": {"N": "1"}}}, "arr": {"L": [{"N": "1"}]}}})),
        ),
        ("ADD n :ten", "n", debug_of(json!({"N": "15"}))),
        ("ADD fresh :ten", "fresh", debug_of(json!({"N": "10"}))),
        (
            "ADD tags :ss",
            "tags",
            debug_of(json!({"SS": ["a", "b", "c", "d"]})),
        ),
        (
            "ADD nums :ns",
            "nums",
            debug_of(json!({"NS": ["1", "2", "5"]})),
        ),
        (
            "ADD newset :ss",
            "newset",
            debug_of(json!({"SS": ["c", "d"]})),
        ),
        ("DELETE tags :ss2", "tags", debug_of(json!({"SS": ["b"]}))),
        (
            "DELETE tags :ss2 ADD n :one",
            "n",
            debug_of(json!({"N": "6"})),
        ),
        (
            "DELETE nothing_here :ss2",
            "tags",
            debug_of(json!({"SS": ["a", "b"]})),
        ),
        // Swapping works: every value is read from the item before the update.
        ("SET n = s, s = n", "s", debug_of(json!({"N": "5"}))),
        ("set n = :one remove s", "n", debug_of(json!({"N": "1"}))),
        ("SET m = :m", "m", debug_of(json!({"M": {}}))),
    ];
    for (expr, attr, want) in cases {
        assert_eq!(after(expr, attr), *want, "{expr}");
    }
    // Deleting every element removes the attribute.
    let it = apply("DELETE tags :ss ADD x :one DELETE tags :ss2").unwrap_err();
    assert!(
        it.contains("\"DELETE\" section can only be used once"),
        "{it}"
    );
    let v = values(json!({":ab": {"SS": ["a", "b"]}}));
    let mut ctx = ExprContext::new(None, Some(&v));
    let mut it = base();
    ctx.update("DELETE tags :ab")
        .unwrap()
        .apply(&mut it)
        .unwrap();
    assert!(!it.contains_key("tags"));
}

#[test]
fn reports_updated_paths() {
    let v = vals();
    let mut ctx = ExprContext::new(None, Some(&v));
    let u = ctx
        .update("SET doc.a.b = :ten, n = n + :one REMOVE s ADD tags :ss")
        .unwrap();
    let old = base();
    let mut new = old.clone();
    let paths = u.apply(&mut new).unwrap();
    assert_eq!(
        paths.top_level().into_iter().collect::<Vec<_>>(),
        ["doc", "n", "s", "tags"]
    );
    let updated_old = paths.project(&old);
    let updated_new = paths.project(&new);
    assert_eq!(
        format!("{:?}", updated_old.get("doc")),
        format!(
            "{:?}",
            Some(common::av(&json!({"M": {"a": {"M": {"b": {"N": "1"}}}}})))
        )
    );
    assert_eq!(
        format!("{:?}", updated_new.get("doc")),
        format!(
            "{:?}",
            Some(common::av(&json!({"M": {"a": {"M": {"b": {"N": "10"}}}}})))
        )
    );
    assert!(updated_old.contains_key("s"));
    assert!(!updated_new.contains_key("s"));
    assert_eq!(updated_new.len(), 3);
}

#[test]
fn runtime_errors_leave_the_item_unchanged() {
    let cases: &[(&str, &str)] = &[
        (
            "SET n = absent",
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            "SET n = absent + :one",
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            "SET n = s + :one",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET x = list_append(n, :l)",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET nope.a = :one",
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET s.a = :one",
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET n[0] = :one",
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "REMOVE nope.a",
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "ADD s :one",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "ADD tags :ns",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "DELETE n :ss",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET n = :big + :big",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "ADD n :big, tags :ss",
            "Attempting to store more than 38 significant digits in a Number",
        ),
    ];
    for (expr, want) in cases {
        let v = vals();
        let mut ctx = ExprContext::new(None, Some(&v));
        let u = ctx.update(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let mut it = base();
        let err = u.apply(&mut it).unwrap_err();
        assert_eq!(err.to_string(), *want, "{expr}");
        assert_eq!(it, base(), "{expr} changed the item");
    }
}

#[test]
fn reports_dynamodb_messages() {
    let u = "Invalid UpdateExpression: ";
    let cases: Vec<(&str, String)> = vec![
        (
            "SET a = list_append(:one, :l)",
            format!(
                "{u}Incorrect operand type for operator or function; operator or function: list_append, operand type: N"
            ),
        ),
        (
            "SET a = :s + :one",
            format!(
                "{u}Incorrect operand type for operator or function; operator or function: +, operand type: S"
            ),
        ),
        (
            "SET a = :v",
            format!(
                "{u}An expression attribute value used in expression is not defined; attribute value: :v"
            ),
        ),
        (
            "SET #nope = :one",
            format!(
                "{u}An expression attribute name used in the document path is not defined; attribute name: #nope"
            ),
        ),
        (
            "SET a = :one REMOVE a.b",
            format!(
                "{u}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
            ),
        ),
        (
            "SET a.b = :one REMOVE a",
            format!(
                "{u}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"
            ),
        ),
        (
            "SET a = :one, a = :ten",
            format!(
                "{u}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"
            ),
        ),
        (
            "SET a[1] = :one REMOVE a.b",
            format!(
                "{u}Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]"
            ),
        ),
        (
            "SET a = :one SET b = :one",
            format!("{u}The \"SET\" section can only be used once in an update expression;"),
        ),
        (
            "REMOVE a REMOVE b",
            format!("{u}The \"REMOVE\" section can only be used once in an update expression;"),
        ),
        (
            "SET name = :one",
            format!("{u}Attribute name is a reserved keyword; reserved keyword: name"),
        ),
        (
            "SET a = foo(b)",
            format!("{u}Invalid function name; function: foo"),
        ),
        (
            "SET a = size(b)",
            format!("{u}The function is not allowed in an update expression; function: size"),
        ),
        (
            "SET a = if_not_exists(:one, :one)",
            format!(
                "{u}Operator or function requires a document path; operator or function: if_not_exists"
            ),
        ),
        (
            "SET a = if_not_exists(b)",
            format!(
                "{u}Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"
            ),
        ),
        (
            "ADD a :s",
            format!(
                "{u}Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"
            ),
        ),
        (
            "ADD a :l",
            format!(
                "{u}Incorrect operand type for operator or function; operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND"
            ),
        ),
        (
            "DELETE a :one",
            format!(
                "{u}Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"
            ),
        ),
        (
            "SET a = :one,",
            format!("{u}Syntax error; token: \"<EOF>\", near: \",\""),
        ),
        (
            "SET a :one",
            format!("{u}Syntax error; token: \":one\", near: \"a :one\""),
        ),
        (
            "UPDATE a = :one",
            format!("{u}Syntax error; token: \"UPDATE\", near: \"UPDATE a\""),
        ),
        (
            "ADD a b",
            format!("{u}Syntax error; token: \"b\", near: \"a b\""),
        ),
        (
            "SET _a = :one",
            format!("{u}Syntax error; token: \"_\", near: \"SET _a\""),
        ),
        (
            "SET a = list_append(b, c + :one)",
            format!("{u}Syntax error; token: \"+\", near: \"c + :one\""),
        ),
        ("", format!("{u}The expression can not be empty;")),
        // Reserved words are reported before undefined values, overlaps before types.
        (
            "SET a = :nope, name = :one",
            format!("{u}Attribute name is a reserved keyword; reserved keyword: name"),
        ),
        (
            "SET a = :s + :one, a = :one",
            format!(
                "{u}Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"
            ),
        ),
    ];
    for (expr, want) in cases {
        let v = vals();
        let mut ctx = ExprContext::new(None, Some(&v));
        let got = ctx.update(expr).map(|_| ()).unwrap_err().to_string();
        assert_eq!(got, want, "{expr}");
    }
}

#[test]
fn accepts_dynamodb_syntax_variants() {
    for expr in [
        "SET a = (b + :one)",
        "SET a = (b) + (:one)",
        "SET a.b[2].c = :one, d = :one",
        "set a = :one add b :one delete c :ss remove d",
        "SET a = list_append(if_not_exists(a, :l), :l)",
        "SET a=:one,b=:one",
        "  SET\ta = :one\n",
    ] {
        let v = vals();
        let mut ctx = ExprContext::new(None, Some(&v));
        assert!(ctx.update(expr).is_ok(), "{expr}");
    }
}
