//! The strict TransactWriteItems decoder against the tree path: the same elements and items
//! when it decodes, and the same answers (results, errors, authorization checks) through
//! dispatch.

use proptest::prelude::*;

use super::tests::{BothPaths, CASES, item};
use super::*;

/// Checks that a strict decoding of `body`, if any, is what the tree holds; says whether the
/// strict decoder decoded it.
fn check_decoding(body: &str) -> bool {
    let Some(input) = TransactWriteInput::decode(body.as_bytes()) else {
        return false;
    };
    let mut top: Value = serde_json::from_str(body).expect("the strict decoder accepts non-JSON");
    let others = top.as_object_mut().unwrap();
    let Some(Value::Array(elements)) = others.remove("TransactItems") else {
        panic!("no TransactItems in {body}");
    };
    assert_eq!(&input.others, others, "{body}");
    assert_eq!(elements.len(), input.elements.len(), "{body}");
    for (mut element, (tree, item)) in elements.into_iter().zip(input.elements) {
        let (kind, action) = element.as_object_mut().unwrap().iter_mut().next().unwrap();
        let member = if kind == "Put" { "Item" } else { "Key" };
        let whole = action.as_object_mut().unwrap().remove(member).unwrap();
        assert_eq!(
            palisade_model::item_from_json(&whole).unwrap(),
            item,
            "{body}"
        );
        assert_eq!(element, tree, "{body}");
    }
    true
}

/// One element of `TransactItems`.
fn element(noise: u32) -> impl Strategy<Value = String> {
    let table = prop_oneof![
        8 => Just(r#""TableName": "tab""#),
        noise => Just(r#""TableName": "missing""#),
        noise => Just(r#""TableName": "x""#),
        noise => Just(""),
    ];
    let extra = prop_oneof![
        6 => Just(""),
        1 => Just(r##", "ConditionExpression": "attribute_not_exists(#p)", "ExpressionAttributeNames": {"#p": "pk"}"##),
        1 => Just(r#", "ReturnValuesOnConditionCheckFailure": "ALL_OLD""#),
        noise => Just(r#", "ReturnValuesOnConditionCheckFailure": "SOME""#),
        noise => Just(r#", "ExpressionAttributeValues": {":v": {"S": "x"}}"#),
        noise => Just(r#", "ConditionExpression": "attribute_not_exists(""#),
        noise => Just(r#", "Key": {"pk": {"S": "a"}}"#),
        noise => Just(r#", "Unknown": 1e400"#),
        noise => Just(r#", "Item": null"#),
    ];
    let kind = prop_oneof![
        6 => Just(("Put", "Item", "")),
        2 => Just(("Delete", "Key", "")),
        2 => Just(("Update", "Key", r#", "UpdateExpression": "SET a = :a", "ExpressionAttributeValues": {":a": {"N": "1"}}"#)),
        1 => Just(("ConditionCheck", "Key", r#", "ConditionExpression": "attribute_exists(pk)""#)),
        noise => Just(("Update", "Key", "")),
        noise => Just(("ConditionCheck", "Key", "")),
        noise => Just(("Check", "Key", "")),
    ];
    (
        table,
        item(noise),
        extra,
        kind,
        0..12u8 + 12 * (noise == 0) as u8,
    )
        .prop_map(|(table, item, extra, (kind, member, required), shape)| {
            let table = if table.is_empty() {
                String::new()
            } else {
                format!("{table}, ")
            };
            let action = format!(r#"{{{table}"{member}": {item}{required}{extra}}}"#);
            match shape {
                0 => format!(r#"{{"{kind}": {action}, "Delete": {{}}}}"#),
                1 => format!(r#"{{"{kind}": null}}"#),
                2 => "{}".to_owned(),
                3 => format!(r#"{{"{kind}": {action}, "{kind}": {action}}}"#),
                _ => format!(r#"{{"{kind}": {action}}}"#),
            }
        })
}

/// A TransactWriteItems body; the larger `noise`, the more often invalid.
fn body(noise: u32) -> impl Strategy<Value = String> {
    let list = prop_oneof![
        12 => proptest::collection::vec(element(noise), 1..5)
            .prop_map(|e| format!("[{}]", e.join(", "))),
        noise => Just("[]".to_owned()),
        noise => Just("{}".to_owned()),
        noise => Just("[5]".to_owned()),
    ];
    let others = proptest::collection::vec(
        prop_oneof![
            1 => Just(r#""ClientRequestToken": "token""#),
            1 => Just(r#""ReturnConsumedCapacity": "TOTAL""#),
            1 => Just(r#""ReturnItemCollectionMetrics": "SIZE""#),
            noise => Just(r#""ClientRequestToken": 5"#),
            noise => Just(r#""ReturnConsumedCapacity": "SOME""#),
        ],
        0..2,
    );
    (list, others, 0..20u8 + 20 * (noise == 0) as u8).prop_map(|(list, others, shape)| {
        let mut members = vec![format!(r#""TransactItems": {list}"#)];
        members.extend(others.into_iter().map(str::to_owned));
        match shape {
            0 => format!("{{{}}}", members[1..].join(", ")),
            1 => format!("{{{}", members.join(", ")),
            _ => format!("{{{}}}", members.join(", ")),
        }
    })
}

#[test]
fn dispatch_answers_as_the_tree_path() {
    let succeeded = BothPaths::new("TransactWriteItems").generated(body, check_decoding);
    // Requests succeed through the strict decoder too.
    assert!(
        succeeded > CASES / 20,
        "only {succeeded} of {CASES} succeeded"
    );
}

#[test]
fn leaves_errors_and_rare_shapes_to_the_tree() {
    let put = r#"{"Put": {"TableName": "tab", "Item": {"pk": {"S": "a"}, "sk": {"S": "b"}}}}"#;
    assert!(check_decoding(&format!(r#"{{"TransactItems": [{put}]}}"#)));
    assert!(check_decoding(r#"{"TransactItems": []}"#));
    let cases = [
        "{}".to_owned(),
        r#"{"TransactItems": null}"#.to_owned(),
        r#"{"TransactItems": [null]}"#.to_owned(),
        r#"{"TransactItems": [{"Put": null}]}"#.to_owned(),
        r#"{"TransactItems": [{"Put": {"TableName": "tab"}}]}"#.to_owned(),
        r#"{"TransactItems": [{"Put": {"Item": {"a": {"SS": []}}}}]}"#.to_owned(),
        r#"{"TransactItems": [{"Put": {"Item": {}, "Item": {}}}]}"#.to_owned(),
        r#"{"TransactItems": [{"Put": {"Item": {}, "X": 1, "X": 2}}]}"#.to_owned(),
        r#"{"TransactItems": [{"Get": {"Key": {}}}]}"#.to_owned(),
        format!(r#"{{"TransactItems": [{put}], "TransactItems": [{put}]}}"#),
        format!(r#"{{"TransactItems": [{put}], "X": 1e400}}"#),
    ];
    for body in cases {
        assert!(
            TransactWriteInput::decode(body.as_bytes()).is_none(),
            "decoded {body}"
        );
    }
}

#[test]
fn too_many_elements_answer_as_the_tree() {
    let both = BothPaths::new("TransactWriteItems");
    let put = |i: usize| {
        format!(
            r#"{{"Put": {{"TableName": "tab", "Item": {{"pk": {{"S": "p"}}, "sk": {{"S": "{i}"}}}}}}}}"#
        )
    };
    for n in [0, 1, 100, 101] {
        let elements: Vec<String> = (0..n).map(put).collect();
        let body = format!(r#"{{"TransactItems": [{}]}}"#, elements.join(", "));
        assert!(check_decoding(&body));
        both.same_answer(&body);
    }
}
