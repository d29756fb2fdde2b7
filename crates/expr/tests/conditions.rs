//! Condition and filter expressions: evaluation results and exact error messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{item, names, values};
use palisade_expr::{ExprContext, ExprKind};
use serde_json::json;

/// The item every evaluation case runs against.
fn sample() -> palisade_model::Item {
    item(json!({
        "id": {"S": "user#1"},
        "age": {"N": "42"},
        "score": {"N": "-3.5"},
        "nick": {"S": "héllo𝄞"},
        "bin": {"B": "abc"},
        "tags": {"SS": ["red", "blue"]},
        "nums": {"NS": ["1", "2.5"]},
        "bins": {"BS": ["x", "y"]},
        "arr": {"L": [{"S": "a"}, {"N": "7"}, {"M": {"deep": {"BOOL": true}}}]},
        "map": {"M": {"name": {"S": "Ann"}, "kid": {"M": {"x": {"N": "1"}}}}},
        "flag": {"BOOL": true},
        "nothing": {"NULL": true}
    }))
}

fn eval(expr: &str) -> bool {
    let vals = values(json!({
        ":s": {"S": "user#1"}, ":prefix": {"S": "user"}, ":n42": {"N": "42"},
        ":n40": {"N": "40"}, ":n50": {"N": "50"}, ":num42": {"N": "42.0"},
        ":str42": {"S": "42"}, ":red": {"S": "red"}, ":two5": {"N": "2.5"},
        ":x": {"B": "x"}, ":ab": {"B": "ab"}, ":seven": {"N": "7"}, ":a": {"S": "a"},
        ":ann": {"S": "Ann"}, ":ss": {"SS": ["blue", "red"]}, ":t_ss": {"S": "SS"},
        ":t_n": {"S": "N"}, ":three": {"N": "3"}, ":seven_chars": {"N": "7"},
        ":m": {"M": {"deep": {"BOOL": true}}}, ":true": {"BOOL": true}, ":ell": {"S": "ll"}
    }));
    let nm = names(&[("#n", "map"), ("#name", "name"), ("#missing", "nope")]);
    let mut ctx = ExprContext::new(Some(&nm), Some(&vals));
    let c = ctx
        .condition(expr, ExprKind::Condition)
        .unwrap_or_else(|e| panic!("{expr}: {e}"));
    c.evaluate(&sample())
}

#[test]
fn evaluates_like_dynamodb() {
    let cases: &[(&str, bool)] = &[
        ("id = :s", true),
        ("id <> :s", false),
        ("age = :n42", true),
        ("age = :num42", true),
        ("age = :str42", false),
        ("age <> :str42", true),
        ("nope <> :s", true),
        ("nope = :s", false),
        ("nope < :s", false),
        ("age < :n50 AND age > :n40", true),
        ("age >= :n42 AND age <= :n42", true),
        ("id < :n42", false),
        ("id > :n42", false),
        ("score < :n40", true),
        ("age BETWEEN :n40 AND :n50", true),
        ("age BETWEEN :n50 AND :n50", false),
        ("id BETWEEN :n40 AND :n50", false),
        ("age IN (:n40, :n42)", true),
        ("age IN (:str42, :n50)", false),
        ("attribute_exists(age)", true),
        ("attribute_exists(nope)", false),
        ("attribute_not_exists(nope)", true),
        ("attribute_exists(#n.#name)", true),
        ("attribute_exists(#n.kid.x)", true),
        ("attribute_exists(#n.kid.y)", false),
        ("attribute_exists(arr[2].deep)", true),
        ("attribute_exists(arr[3])", false),
        ("attribute_exists(id.x)", false),
        ("attribute_type(tags, :t_ss)", true),
        ("attribute_type(age, :t_n)", true),
        ("attribute_type(id, :t_n)", false),
        ("begins_with(id, :prefix)", true),
        ("begins_with(bin, :ab)", true),
        ("begins_with(age, :prefix)", false),
        ("contains(id, :prefix)", true),
        ("contains(nick, :ell)", true),
        ("contains(tags, :red)", true),
        ("contains(nums, :two5)", true),
        ("contains(bins, :x)", true),
        ("contains(arr, :seven)", true),
        ("contains(arr, :m)", true),
        ("contains(arr, :a)", true),
        ("contains(arr, :ann)", false),
        ("contains(age, :n42)", false),
        ("tags = :ss", true),
        ("arr[1] = :seven", true),
        ("#n.#name = :ann", true),
        ("size(nick) = :seven_chars", true),
        ("size(tags) = :two5", false),
        ("size(arr) = :three", true),
        ("size(bin) = :three", true),
        ("size(#n) < :three", true),
        ("size(age) = :n42", false),
        ("flag = :true", true),
        ("NOT age = :n42", false),
        ("NOT (age = :n42 AND id = :s)", false),
        ("age = :n40 OR id = :s", true),
        ("age = :n40 OR id = :s AND age = :n50", false),
        ("(age = :n40 OR id = :s) AND age = :n42", true),
        ("NOT age = :n40 AND id = :s", true),
        ("(age) = :n42", true),
        ("(size(arr)) = :three", true),
        ("age = :n40 OR NOT attribute_exists(nope)", true),
        ("attribute_exists(#missing) OR age IN (:n42)", true),
        ("age in (:n42) and id between :prefix and :s", true),
    ];
    for (expr, want) in cases {
        assert_eq!(eval(expr), *want, "{expr}");
    }
}

fn error(expr: &str, kind: ExprKind) -> String {
    let vals = values(json!({
        ":v": {"S": "x"}, ":n": {"N": "1"}, ":n10": {"N": "10"}, ":l": {"L": []},
        ":bad": {"S": "XX"}, ":t": {"S": "S"}
    }));
    let nm = names(&[("#n", "name")]);
    let mut ctx = ExprContext::new(Some(&nm), Some(&vals));
    match ctx.condition(expr, kind) {
        Ok(c) => panic!("{expr}: expected an error, got {c:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn reports_dynamodb_messages() {
    let c = ExprKind::Condition;
    let cases: &[(&str, ExprKind, &str)] = &[
        (
            "a x",
            c,
            "Invalid ConditionExpression: Syntax error; token: \"x\", near: \"a x\"",
        ),
        (
            "foo",
            c,
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"foo\"",
        ),
        (
            "a+:n<b",
            c,
            "Invalid ConditionExpression: Syntax error; token: \"+\", near: \"a+:n\"",
        ),
        (
            "a = ",
            c,
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \"",
        ),
        (
            "_a = :v",
            c,
            "Invalid ConditionExpression: Syntax error; token: \"_\", near: \"_a\"",
        ),
        (
            "a = :v AND",
            c,
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"",
        ),
        (
            "a IN ()",
            c,
            "Invalid ConditionExpression: Syntax error; token: \")\", near: \"()\"",
        ),
        (
            "",
            c,
            "Invalid ConditionExpression: The expression can not be empty;",
        ),
        (
            "a = :nope",
            c,
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope",
        ),
        (
            "#x = :v",
            ExprKind::Filter,
            "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #x",
        ),
        (
            "name = :v",
            c,
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name",
        ),
        (
            "a.Status = :v",
            c,
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Status",
        ),
        (
            "foo(a)",
            c,
            "Invalid ConditionExpression: Invalid function name; function: foo",
        ),
        (
            "if_not_exists(a, :v) = :v",
            c,
            "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists",
        ),
        (
            "size(a)",
            c,
            "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size",
        ),
        (
            "contains(a, :v) = :v",
            c,
            "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: contains",
        ),
        (
            "begins_with(a)",
            c,
            "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1",
        ),
        (
            "begins_with(a, :n)",
            c,
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        (
            "size(:n) = :n",
            c,
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N",
        ),
        (
            "attribute_exists(:v)",
            c,
            "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists",
        ),
        (
            "attribute_type(a, :bad)",
            c,
            "Invalid ConditionExpression: Invalid attribute type name found; type: XX, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
        ),
        (
            "attribute_type(a, :n)",
            c,
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N",
        ),
        (
            "a = a",
            c,
            "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]",
        ),
        (
            "begins_with(a.b[1], a.b[1])",
            c,
            "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: begins_with, first operand: [a, b, [1]]",
        ),
        (
            "a BETWEEN :n AND :v",
            c,
            "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}",
        ),
        (
            "a BETWEEN :n10 AND :n",
            c,
            "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}",
        ),
        (
            "((a = :v))",
            c,
            "Invalid ConditionExpression: The expression has redundant parentheses;",
        ),
        (
            "((a)) = :v",
            c,
            "Invalid ConditionExpression: The expression has redundant parentheses;",
        ),
        (
            "a < :l",
            c,
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: L",
        ),
        (
            "a BETWEEN :l AND :n",
            c,
            "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: L",
        ),
        (
            "a IN (:v, a)",
            c,
            "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: IN, first operand: [a]",
        ),
        (
            "a BETWEEN :n AND a",
            c,
            "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: BETWEEN, first operand: [a]",
        ),
        // Error order: an unknown function is reported before a reserved word.
        (
            "name = :v AND foo(a)",
            c,
            "Invalid ConditionExpression: Invalid function name; function: foo",
        ),
        // Reserved words come before undefined placeholders.
        (
            "a = :nope AND name = :v",
            c,
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name",
        ),
        (
            "a = :v AND begins_with(a, :n) AND b = :nope",
            c,
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope",
        ),
    ];
    for (expr, kind, want) in cases {
        assert_eq!(error(expr, *kind), *want, "{expr}");
    }
}

#[test]
fn enforces_limits() {
    let vals = values(json!({":v": {"N": "1"}}));
    let mut ctx = ExprContext::new(None, Some(&vals));
    // 4 KB.
    let long = format!("a{} = :v", "b".repeat(4091));
    assert_eq!(long.len(), 4097);
    assert_eq!(
        ctx.condition(&long, ExprKind::Condition)
            .unwrap_err()
            .to_string(),
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
    );
    let fits = format!("a{} = :v", "b".repeat(4090));
    assert!(ctx.condition(&fits, ExprKind::Condition).is_ok());
    // IN with 100 operands is fine, 101 is not.
    let list = |n: usize| vec![":v"; n].join(",");
    assert!(
        ctx.condition(&format!("a IN ({})", list(100)), ExprKind::Condition)
            .is_ok()
    );
    assert_eq!(
        ctx.condition(&format!("a IN ({})", list(101)), ExprKind::Condition)
            .unwrap_err()
            .to_string(),
        "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"
    );
    // 300 operators.
    let ors = |n: usize| vec!["a = :v"; n].join(" OR ");
    assert!(ctx.condition(&ors(150), ExprKind::Filter).is_ok()); // 150 comparisons + 149 ORs
    assert_eq!(
        ctx.condition(&ors(151), ExprKind::Filter)
            .unwrap_err()
            .to_string(),
        "Invalid FilterExpression: The expression contains too many operators; operator count: 301"
    );
    // Document paths of 32 levels are fine, 33 are not.
    let path = |n: usize| format!("a{} = :v", ".b".repeat(n - 1));
    assert!(ctx.condition(&path(32), ExprKind::Condition).is_ok());
    assert_eq!(
        ctx.condition(&path(33), ExprKind::Condition)
            .unwrap_err()
            .to_string(),
        "Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let vals = values(json!({":v": {"N": "1"}}));
    let mut ctx = ExprContext::new(None, Some(&vals));
    let deep = format!("{}a = :v{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(ctx.condition(&deep, ExprKind::Condition).is_err());
    // Within 4 KB, nesting still stops with an error before the stack could run out.
    for text in [
        format!("{}a = :v{}", "(".repeat(2000), ")".repeat(2000)),
        format!("{}a = :v", "NOT ".repeat(1000)),
        format!("{}a{}", "size(".repeat(800), ")".repeat(800)),
        "(".repeat(4096),
    ] {
        let err = ctx
            .condition(&text, ExprKind::Condition)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("Invalid ConditionExpression: "), "{err}");
    }
    // Legitimate nesting up to the limit parses.
    let nested = format!("{}a = :v{}", "a = :v AND (".repeat(100), ")".repeat(100));
    assert!(ctx.condition(&nested, ExprKind::Condition).is_ok());
    let too_deep = format!("{}a = :v{}", "a = :v AND (".repeat(129), ")".repeat(129));
    assert_eq!(
        ctx.condition(&too_deep, ExprKind::Condition)
            .unwrap_err()
            .to_string(),
        "Invalid ConditionExpression: The expression has too many nesting levels; nesting levels: 129"
    );
}

#[test]
fn deepest_accepted_nesting_fits_a_small_stack() {
    // Tokio worker threads have 2 MB stacks; parse, validate, evaluate and drop the deepest
    // trees the parser accepts on such a thread (debug build: the worst case).
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let vals = values(json!({":v": {"N": "1"}}));
            let mut ctx = ExprContext::new(None, Some(&vals));
            let d = palisade_expr::MAX_NESTING;
            let item = palisade_model::Item::new();
            for text in [
                format!("{}a = :v{}", "(a = :v OR ".repeat(d), ")".repeat(d)),
                format!("{}a = :v", "NOT ".repeat(d)),
                format!("{}a{} = :v", "size(".repeat(d - 1), ")".repeat(d - 1)),
                format!("{}a{} = :v", "(".repeat(d), ")".repeat(d)),
            ] {
                let result = ctx.condition(&text, ExprKind::Condition);
                if let Ok(c) = result {
                    let _ = c.evaluate(&item);
                }
            }
            let mut ctx = ExprContext::new(None, Some(&vals));
            let text = format!(
                "SET a = {}b{}",
                "list_append(".repeat(d - 1),
                ", :v)".repeat(d - 1)
            );
            let _ = ctx.update(&text);
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn placeholders_are_accounted_across_expressions() {
    let vals = values(json!({":a": {"N": "1"}, ":b": {"N": "2"}, ":unused": {"N": "3"}}));
    let nm = names(&[("#x", "x"), ("#y", "y"), ("#z", "z"), ("#w", "w")]);
    let mut ctx = ExprContext::new(Some(&nm), Some(&vals));
    ctx.condition("#x = :a", ExprKind::Condition).unwrap();
    ctx.update("SET #y = :b").unwrap();
    assert_eq!(
        ctx.referenced_attributes()
            .iter()
            .cloned()
            .collect::<Vec<_>>(),
        ["x", "y"]
    );
    // Names are checked before values; keys are listed sorted.
    assert_eq!(
        ctx.finish().unwrap_err().to_string(),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#w, #z}"
    );

    let nm = names(&[("#x", "x")]);
    let mut ctx = ExprContext::new(Some(&nm), Some(&vals));
    ctx.condition("#x = :a", ExprKind::Condition).unwrap();
    ctx.projection("#x, b").unwrap();
    ctx.condition("c = :b", ExprKind::Filter).unwrap();
    assert_eq!(
        ctx.finish().unwrap_err().to_string(),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    );

    let mut ctx = ExprContext::new(None, None);
    ctx.condition("attribute_exists(a)", ExprKind::Condition)
        .unwrap();
    assert!(ctx.finish().is_ok());
}

#[test]
fn condition_reports_its_attributes() {
    let vals = values(json!({":a": {"N": "1"}}));
    let nm = names(&[("#x", "renamed")]);
    let mut ctx = ExprContext::new(Some(&nm), Some(&vals));
    let c = ctx
        .condition(
            "#x.y = :a AND size(b[1]) > :a OR attribute_exists(c)",
            ExprKind::Condition,
        )
        .unwrap();
    assert_eq!(
        c.top_level_attributes().into_iter().collect::<Vec<_>>(),
        ["b", "c", "renamed"]
    );
}

#[test]
fn placeholder_maps_are_checked() {
    let empty_names = names(&[]);
    let ctx = ExprContext::new(Some(&empty_names), None);
    assert_eq!(
        ctx.check_maps().unwrap_err().to_string(),
        "ExpressionAttributeNames must not be empty"
    );
    let empty_values = values(json!({}));
    let ctx = ExprContext::new(None, Some(&empty_values));
    assert_eq!(
        ctx.check_maps().unwrap_err().to_string(),
        "ExpressionAttributeValues must not be empty"
    );
    let bad_names = names(&[("n", "x")]);
    let ctx = ExprContext::new(Some(&bad_names), None);
    assert_eq!(
        ctx.check_maps().unwrap_err().to_string(),
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"n\""
    );
    let bad_values = values(json!({":a b": {"N": "1"}}));
    let ctx = ExprContext::new(None, Some(&bad_values));
    assert_eq!(
        ctx.check_maps().unwrap_err().to_string(),
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \":a b\""
    );
    let empty_name = names(&[("#n", "")]);
    let ctx = ExprContext::new(Some(&empty_name), None);
    assert_eq!(
        ctx.check_maps().unwrap_err().to_string(),
        "ExpressionAttributeNames contains invalid value: Empty attribute name for key #n"
    );
    let long_key = format!("#{}", "k".repeat(255));
    let long_names = names(&[(long_key.as_str(), "x")]);
    let ctx = ExprContext::new(Some(&long_names), None);
    assert_eq!(
        ctx.check_maps().unwrap_err().to_string(),
        "ExpressionAttributeNames contains invalid key: The expression attribute map contains a key that is too long; size of key: 256"
    );
    let good_names = names(&[("#n_1", "x")]);
    let good_values = values(json!({":v_1": {"N": "1"}}));
    assert!(
        ExprContext::new(Some(&good_names), Some(&good_values))
            .check_maps()
            .is_ok()
    );
}
