//! The strict decoder of PutItem's item and of GetItem's, UpdateItem's and DeleteItem's keys
//! against the tree path: the same item and members when it decodes, and the same answers
//! (results, errors, authorization checks) through dispatch.

use proptest::prelude::*;

use super::tests::{BothPaths, CASES, item};
use super::*;

/// Checks that a strict decoding of `body` for `op`, if any, is what the tree holds; says
/// whether the strict decoder decoded it.
fn check_decoding(op: ItemOp, body: &str) -> bool {
    let Some(input) = ItemInput::decode(op, body.as_bytes()) else {
        return false;
    };
    assert_eq!(input.op, op);
    let mut top: Value = serde_json::from_str(body).expect("the strict decoder accepts non-JSON");
    let others = top.as_object_mut().unwrap();
    let whole = others
        .remove(op.member())
        .expect("decoded without the member");
    assert_eq!(&input.others, others, "{body}");
    assert_eq!(
        palisade_model::item_from_json(&whole).unwrap(),
        input.item,
        "{body}"
    );
    true
}

/// A body of an item operation: `TableName`, the item or key as `member`, and up to three of
/// `extras`; the larger `noise`, the more often invalid.
fn body(
    noise: u32,
    member: &'static str,
    extras: Vec<(u32, &'static str)>,
) -> impl Strategy<Value = String> {
    let table = prop_oneof![
        8 => Just(r#""TableName": "tab""#),
        noise => Just(r#""TableName": "missing""#),
        noise => Just(r#""TableName": "x""#),
        noise => Just(r#""TableName": 5"#),
    ];
    let extras: Vec<_> = extras
        .into_iter()
        .filter(|(weight, _)| *weight > 0)
        .map(|(weight, text)| (weight, Just(text).boxed()))
        .collect();
    let extra = proptest::collection::vec(proptest::strategy::Union::new_weighted(extras), 0..3);
    (table, item(noise), extra, 0..20u8 + 20 * (noise == 0) as u8).prop_map(
        move |(table, item, extra, shape)| {
            let mut members = vec![table.to_owned(), format!(r#""{member}": {item}"#)];
            members.extend(extra.into_iter().map(str::to_owned));
            match shape {
                0 => format!("{{{}}}", members[0]),
                1 => format!("{{{}", members.join(", ")),
                2 => format!(r#"{{{}, "{member}": {{}}}}"#, members.join(", ")),
                3 => "[]".to_owned(),
                _ => format!("{{{}}}", members.join(", ")),
            }
        },
    )
}

/// Members every item operation may carry, right and (with weight `noise`) wrong.
fn common_extras(noise: u32) -> Vec<(u32, &'static str)> {
    vec![
        (1, r#""ReturnConsumedCapacity": "TOTAL""#),
        (noise, r#""ReturnConsumedCapacity": "ALL""#),
        (noise, r#""Unknown": 1e400"#),
        (noise, r#""Item": null"#),
        (noise, r#""Key": null"#),
    ]
}

fn put_body(noise: u32) -> impl Strategy<Value = String> {
    let mut extras = common_extras(noise);
    extras.extend([
        (2, r##""ConditionExpression": "attribute_not_exists(#p)", "ExpressionAttributeNames": {"#p": "pk"}"##),
        (1, r#""ReturnValues": "ALL_OLD""#),
        (noise, r#""ReturnValues": "ALL_NEW""#),
        (noise, r#""ExpressionAttributeValues": {":v": {"S": "x"}}"#),
        (noise, r#""ConditionExpression": "attribute_not_exists(""#),
        (noise, r#""Expected": {"pk": {"Exists": false}}, "ConditionExpression": "attribute_exists(pk)""#),
    ]);
    body(noise, "Item", extras)
}

fn get_body(noise: u32) -> impl Strategy<Value = String> {
    let mut extras = common_extras(noise);
    extras.extend([
        (
            2,
            r##""ProjectionExpression": "a, #p", "ExpressionAttributeNames": {"#p": "pk"}"##,
        ),
        (1, r#""ConsistentRead": true"#),
        (1, r#""AttributesToGet": ["a", "b"]"#),
        (noise, r#""ConsistentRead": "yes""#),
        (noise, r#""ProjectionExpression": """#),
        (
            noise,
            r#""ProjectionExpression": "a", "AttributesToGet": ["a"]"#,
        ),
        (noise, r##""ExpressionAttributeNames": {"#q": "x"}"##),
    ]);
    body(noise, "Key", extras)
}

fn update_body(noise: u32) -> impl Strategy<Value = String> {
    let mut extras = common_extras(noise);
    extras.extend([
        (3, r#""UpdateExpression": "SET n = if_not_exists(n, :zero) + :one", "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}}"#),
        (2, r#""ConditionExpression": "attribute_not_exists(locked)""#),
        (1, r#""ReturnValues": "ALL_NEW""#),
        (1, r#""ReturnValues": "UPDATED_OLD""#),
        (noise, r#""UpdateExpression": "SET pk = :one", "ExpressionAttributeValues": {":one": {"S": "1"}}"#),
        (noise, r#""UpdateExpression": "SET""#),
        (noise, r#""AttributeUpdates": {"a": {"Action": "PUT", "Value": {"S": "x"}}}"#),
        (noise, r#""ReturnValues": "ALL""#),
    ]);
    body(noise, "Key", extras)
}

fn delete_body(noise: u32) -> impl Strategy<Value = String> {
    let mut extras = common_extras(noise);
    extras.extend([
        (2, r#""ConditionExpression": "attribute_exists(a)""#),
        (1, r#""ReturnValues": "ALL_OLD""#),
        (noise, r#""ReturnValues": "ALL_NEW""#),
        (noise, r#""ConditionExpression": "a = :v""#),
    ]);
    body(noise, "Key", extras)
}

/// Sends generated bodies of `op` both ways; enough of them must succeed.
fn answers_as_the_tree_path<S: Strategy<Value = String>>(
    op: &'static str,
    bodies: impl Fn(u32) -> S,
) {
    let item_op = ItemOp::named(op).unwrap();
    let succeeded = BothPaths::new(op).generated(bodies, |body| check_decoding(item_op, body));
    // Requests succeed through the strict decoder too.
    assert!(
        succeeded > CASES / 20,
        "{op}: only {succeeded} of {CASES} succeeded"
    );
}

#[test]
fn put_item_answers_as_the_tree_path() {
    answers_as_the_tree_path("PutItem", put_body);
}

#[test]
fn get_item_answers_as_the_tree_path() {
    answers_as_the_tree_path("GetItem", get_body);
}

#[test]
fn update_item_answers_as_the_tree_path() {
    answers_as_the_tree_path("UpdateItem", update_body);
}

#[test]
fn delete_item_answers_as_the_tree_path() {
    answers_as_the_tree_path("DeleteItem", delete_body);
}

#[test]
fn only_the_item_operations_have_this_decoder() {
    for op in ["PutItem", "GetItem", "UpdateItem", "DeleteItem"] {
        assert!(ItemOp::named(op).is_some(), "{op}");
    }
    for op in ["Query", "BatchGetItem", "getitem", ""] {
        assert!(ItemOp::named(op).is_none(), "{op}");
    }
}

#[test]
fn leaves_errors_and_rare_shapes_to_the_tree() {
    let item = r#"{"pk": {"S": "a"}, "sk": {"S": "b"}}"#;
    for (op, member) in [
        (ItemOp::Put, "Item"),
        (ItemOp::Get, "Key"),
        (ItemOp::Update, "Key"),
        (ItemOp::Delete, "Key"),
    ] {
        assert!(check_decoding(
            op,
            &format!(r#"{{"TableName": "tab", "{member}": {item}}}"#)
        ));
        // The other operations' member is not this one's.
        let other = if member == "Item" { "Key" } else { "Item" };
        let cases = [
            "{}".to_owned(),
            "[]".to_owned(),
            r#"{"TableName": "tab"}"#.to_owned(),
            format!(r#"{{"TableName": "tab", "{other}": {item}}}"#),
            format!(r#"{{"TableName": "tab", "{member}": null}}"#),
            format!(r#"{{"TableName": "tab", "{member}": {{"a": {{"SS": []}}}}}}"#),
            format!(r#"{{"TableName": "tab", "{member}": {{"a": {{"S": "x", "N": "1"}}}}}}"#),
            format!(r#"{{"TableName": "tab", "{member}": {item}, "{member}": {item}}}"#),
            format!(r#"{{"TableName": "tab", "TableName": "tab", "{member}": {item}}}"#),
            format!(r#"{{"TableName": "tab", "{member}": {item}, "X": 1e400}}"#),
        ];
        for body in cases {
            assert!(
                ItemInput::decode(op, body.as_bytes()).is_none(),
                "{op:?} decoded {body}"
            );
        }
    }
}
