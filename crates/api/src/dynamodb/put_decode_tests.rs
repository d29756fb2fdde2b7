//! The strict PutItem decoder against the tree path: the same item and members when it
//! decodes, and the same answers (results, errors, authorization checks) through dispatch.

use proptest::prelude::*;

use super::tests::{BothPaths, CASES, item};
use super::*;

/// Checks that a strict decoding of `body`, if any, is what the tree holds; says whether the
/// strict decoder decoded it.
fn check_decoding(body: &str) -> bool {
    let Some(input) = PutItemInput::decode(body.as_bytes()) else {
        return false;
    };
    let mut top: Value = serde_json::from_str(body).expect("the strict decoder accepts non-JSON");
    let others = top.as_object_mut().unwrap();
    let whole = others.remove("Item").expect("decoded without an Item");
    assert_eq!(&input.others, others, "{body}");
    assert_eq!(
        palisade_model::item_from_json(&whole).unwrap(),
        input.item,
        "{body}"
    );
    true
}

/// A PutItem body; the larger `noise`, the more often invalid.
fn body(noise: u32) -> impl Strategy<Value = String> {
    let table = prop_oneof![
        8 => Just(r#""TableName": "tab""#),
        noise => Just(r#""TableName": "missing""#),
        noise => Just(r#""TableName": "x""#),
        noise => Just(r#""TableName": 5"#),
    ];
    let extra = proptest::collection::vec(
        prop_oneof![
            2 => Just(r##""ConditionExpression": "attribute_not_exists(#p)", "ExpressionAttributeNames": {"#p": "pk"}"##),
            1 => Just(r#""ReturnValues": "ALL_OLD""#),
            1 => Just(r#""ReturnConsumedCapacity": "TOTAL""#),
            noise => Just(r#""ReturnValues": "ALL_NEW""#),
            noise => Just(r#""ExpressionAttributeValues": {":v": {"S": "x"}}"#),
            noise => Just(r#""ConditionExpression": "attribute_not_exists(""#),
            noise => Just(r#""Expected": {"pk": {"Exists": false}}, "ConditionExpression": "attribute_exists(pk)""#),
            noise => Just(r#""Unknown": 1e400"#),
            noise => Just(r#""Item": null"#),
        ],
        0..3,
    );
    (table, item(noise), extra, 0..20u8 + 20 * (noise == 0) as u8).prop_map(
        |(table, item, extra, shape)| {
            let mut members = vec![table.to_owned(), format!(r#""Item": {item}"#)];
            members.extend(extra.into_iter().map(str::to_owned));
            match shape {
                0 => format!("{{{}}}", members[0]),
                1 => format!("{{{}", members.join(", ")),
                2 => format!(r#"{{{}, "Item": {{}}}}"#, members.join(", ")),
                3 => "[]".to_owned(),
                _ => format!("{{{}}}", members.join(", ")),
            }
        },
    )
}

#[test]
fn dispatch_answers_as_the_tree_path() {
    let succeeded = BothPaths::new("PutItem").generated(body, check_decoding);
    // Requests succeed through the strict decoder too.
    assert!(
        succeeded > CASES / 20,
        "only {succeeded} of {CASES} succeeded"
    );
}

#[test]
fn leaves_errors_and_rare_shapes_to_the_tree() {
    let item = r#"{"pk": {"S": "a"}, "sk": {"S": "b"}}"#;
    assert!(check_decoding(&format!(
        r#"{{"TableName": "tab", "Item": {item}}}"#
    )));
    let cases = [
        "{}".to_owned(),
        "[]".to_owned(),
        r#"{"TableName": "tab"}"#.to_owned(),
        r#"{"TableName": "tab", "Item": null}"#.to_owned(),
        r#"{"TableName": "tab", "Item": {"a": {"SS": []}}}"#.to_owned(),
        r#"{"TableName": "tab", "Item": {"a": {"S": "x", "N": "1"}}}"#.to_owned(),
        format!(r#"{{"TableName": "tab", "Item": {item}, "Item": {item}}}"#),
        format!(r#"{{"TableName": "tab", "TableName": "tab", "Item": {item}}}"#),
        format!(r#"{{"TableName": "tab", "Item": {item}, "X": 1e400}}"#),
    ];
    for body in cases {
        assert!(
            PutItemInput::decode(body.as_bytes()).is_none(),
            "decoded {body}"
        );
    }
}
