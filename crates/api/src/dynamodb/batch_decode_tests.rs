//! The strict BatchWriteItem decoder against the tree path: the same writes when it decodes,
//! and the same answers (results, errors, authorization checks) through dispatch.

use std::sync::{Arc, Mutex};

use palisade_engine::{Engine, EngineConfig};
use palisade_storage::memory::MemoryStorage;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

use super::*;
use crate::dynamodb::authz::{Authorizer, Check};
use crate::dynamodb::{Params, batch, dispatch_parsed, dispatch_with};
use crate::error::ApiError;

const ACCOUNT: &str = "111122223333";

/// The writes the tree path decodes from `body`, or its error.
fn tree_requests(body: &str) -> Result<Vec<(String, Vec<BatchWrite>)>, ApiError> {
    let value = Params::parse(body.as_bytes())?;
    batch::batch_write_requests(&Params::new(&value)?)
}

/// Checks that a strict decoding of `body`, if any, is what the tree decodes; says whether
/// the strict decoder decoded it.
fn check_decoding(body: &str) -> bool {
    let Some(input) = BatchWriteInput::decode(body.as_bytes()) else {
        return false;
    };
    let tree = tree_requests(body).expect("the tree refuses what the strict decoder accepts");
    assert_eq!(
        format!("{:?}", input.requests),
        format!("{tree:?}"),
        "{body}"
    );
    let mut top: Value = serde_json::from_str(body).unwrap();
    let others = top.as_object_mut().unwrap();
    others.remove("RequestItems");
    assert_eq!(&input.others, others, "{body}");
    true
}

const PUT: &str =
    r#"{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1.50"}}}}"#;
const DELETE: &str = r#"{"DeleteRequest": {"Key": {"pk": {"S": "a"}, "sk": {"S": "2"}}}}"#;

#[test]
fn decodes_puts_and_deletes_as_the_tree() {
    let body = format!(
        r#"{{"RequestItems": {{"u": [{PUT}], "tab": [{PUT}, {DELETE}]}}, "ReturnConsumedCapacity": "TOTAL", "X": [1, {{"y": null}}]}}"#
    );
    assert!(check_decoding(&body));
    let input = BatchWriteInput::decode(body.as_bytes()).unwrap();
    // Tables in the order of their names, as the tree's map gives them.
    let tables: Vec<&str> = input.requests.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tables, ["tab", "u"]);
    for body in [
        r#"{"RequestItems": {}}"#,
        r#"{"RequestItems": {"tab": []}}"#,
        r#"{"RequestItems": {"tab": [{"PutRequest": {"Item": {}}}]}}"#,
    ] {
        assert!(check_decoding(body), "{body}");
    }
}

#[test]
fn leaves_errors_and_rare_shapes_to_the_tree() {
    let cases = [
        // Not JSON, or not the request's shape.
        String::new(),
        "{".into(),
        "[]".into(),
        "{}".into(),
        r#"{"RequestItems": null}"#.into(),
        r#"{"RequestItems": []}"#.into(),
        r#"{"RequestItems": {"tab": {}}}"#.into(),
        r#"{"RequestItems": {"tab": [5]}}"#.into(),
        r#"{"RequestItems": {"tab": [{}]}}"#.into(),
        r#"{"RequestItems": {"tab": [{"PutRequest": null}]}}"#.into(),
        r#"{"RequestItems": {"tab": [{"PutRequest": {}}]}}"#.into(),
        r#"{"RequestItems": {"tab": [{"PutRequest": {"Item": null}}]}}"#.into(),
        r#"{"RequestItems": {"tab": [{"PutRequest": {"Key": {}}}]}}"#.into(),
        r#"{"RequestItems": {"tab": [{"DeleteRequest": {"Item": {}}}]}}"#.into(),
        r#"{"RequestItems": {"tab": [{"PutRequest": {"Item": {"a": {"S": 1}}}}]}}"#.into(),
        r#"{"RequestItems": {"tab": [{"PutRequest": {"Item": {"a": {"SS": []}}}}]}}"#.into(),
        r#"{"RequestItems": {"tab": [{"PutRequest": {"Item": {"a": {"N": "1e400"}}}}]}}"#.into(),
        // What the tree accepts, left to it.
        format!(r#"{{"RequestItems": {{"tab": [{PUT}], "tab": [{DELETE}]}}}}"#),
        format!(r#"{{"RequestItems": {{"tab": [{PUT}]}}, "RequestItems": {{"tab": [{DELETE}]}}}}"#),
        format!(
            r#"{{"RequestItems": {{"tab": [{PUT}]}}, "ReturnConsumedCapacity": "TOTAL", "ReturnConsumedCapacity": 5}}"#
        ),
        r#"{"RequestItems": {"tab": [{"PutRequest": {"Item": {}}, "DeleteRequest": 5}]}}"#.into(),
        r#"{"RequestItems": {"tab": [{"PutRequest": {"Item": {}, "X": 1}}]}}"#.into(),
        r#"{"RequestItems": {"tab": [{"X": 1, "PutRequest": {"Item": {}}}]}}"#.into(),
        format!(r#"{{"RequestItems": {{"tab": [{PUT}]}}, "X": 1e400}}"#),
    ];
    for body in cases {
        assert!(
            BatchWriteInput::decode(body.as_bytes()).is_none(),
            "decoded {body}"
        );
    }
    assert!(BatchWriteInput::decode(b"{\"RequestItems\": {\"\xff\": []}}").is_none());
}

/// Records every check and allows everything.
#[derive(Default)]
struct Recorder {
    checks: Mutex<Vec<Check>>,
}

impl Authorizer for Recorder {
    fn authorize(&self, checks: &[Check]) -> Result<(), ApiError> {
        self.checks.lock().unwrap().extend_from_slice(checks);
        Ok(())
    }
}

/// An engine with table `tab` (`pk`, `sk` strings).
async fn engine() -> Engine {
    let engine = Engine::open(
        Arc::new(MemoryStorage::new()),
        EngineConfig {
            region: "us-east-1".into(),
            account: ACCOUNT.into(),
        },
    )
    .unwrap();
    let create = r#"{"TableName": "tab", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}"#;
    dispatch_with(
        &engine,
        &Recorder::default(),
        ACCOUNT,
        "CreateTable",
        create.as_bytes(),
    )
    .await
    .unwrap();
    engine
}

type Answer = (Result<Vec<u8>, ApiError>, Vec<Check>);

/// `op` through the tree path only.
async fn by_tree(engine: &Engine, op: &str, body: &str) -> Answer {
    let authz = Recorder::default();
    let out = match Params::parse(body.as_bytes()) {
        Ok(value) => dispatch_parsed(engine, &authz, ACCOUNT, op, &value, body.as_bytes()).await,
        Err(e) => Err(e),
    };
    (out, authz.checks.into_inner().unwrap())
}

/// `op` as requests are dispatched (strict decoder first).
async fn dispatched(engine: &Engine, op: &str, body: &str) -> Answer {
    let authz = Recorder::default();
    let out = dispatch_with(engine, &authz, ACCOUNT, op, body.as_bytes()).await;
    (out, authz.checks.into_inner().unwrap())
}

/// How many generated bodies [`BothPaths::generated`] sends.
pub(super) const CASES: u32 = 1000;

/// Two engines with table `tab`: one answers an operation as requests are dispatched (strict
/// decoder first), the other through the tree path only.
pub(super) struct BothPaths {
    rt: tokio::runtime::Runtime,
    fast: Engine,
    tree: Engine,
    op: &'static str,
}

impl BothPaths {
    pub(super) fn new(op: &'static str) -> BothPaths {
        let rt = runtime();
        let (fast, tree) = rt.block_on(async { (engine().await, engine().await) });
        BothPaths { rt, fast, tree, op }
    }

    /// Sends `body` both ways and checks that the answers and the authorization checks are
    /// the same; says whether the request succeeded.
    pub(super) fn same_answer(&self, body: &str) -> bool {
        let (fast, tree) = self.rt.block_on(async {
            (
                dispatched(&self.fast, self.op, body).await,
                by_tree(&self.tree, self.op, body).await,
            )
        });
        assert_eq!(fast.0, tree.0, "{body}");
        assert_eq!(fast.1, tree.1, "{body}");
        fast.0.is_ok()
    }

    /// [`CASES`] bodies from `body(noise)`, noise alternating between 0 and 1, each with
    /// [`BothPaths::same_answer`]; more than a tenth must be ones `decodes` accepts (the strict
    /// decoder is the usual path, not an exception). Returns how many succeeded.
    pub(super) fn generated<S: Strategy<Value = String>>(
        &self,
        body: impl Fn(u32) -> S,
        decodes: impl Fn(&str) -> bool,
    ) -> u32 {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut decoded, mut succeeded) = (0, 0);
        for case in 0..CASES {
            let body = body(case % 2).new_tree(&mut runner).unwrap().current();
            decoded += u32::from(decodes(&body));
            succeeded += u32::from(self.same_answer(&body));
        }
        assert!(decoded > CASES / 10, "decoded only {decoded} of {CASES}");
        succeeded
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Attribute values: right ones, and wrong ones with weight `noise`.
fn attribute_value(noise: u32) -> impl Strategy<Value = String> {
    let right = prop_oneof![
        Just(r#"{"N": "1"}"#),
        Just(r#"{"N": "-1.50"}"#),
        Just(r#"{"N": "1E+3"}"#),
        Just(r#"{"B": "AQ=="}"#),
        Just(r#"{"B": ""}"#),
        Just(r#"{"SS": ["a", "b"]}"#),
        Just(r#"{"NS": ["1", "2"]}"#),
        Just(r#"{"BS": ["AQ=="]}"#),
        Just(r#"{"NULL": true}"#),
        Just(r#"{"BOOL": false}"#),
        Just(r#"{"M": {"a": {"S": "b"}, "c": {"L": [{"N": "1"}]}}}"#),
        Just(r#"{"L": []}"#),
    ];
    let wrong = prop_oneof![
        Just(r#"{"N": "x"}"#),
        Just(r#"{"N": "1e200"}"#),
        Just(r#"{"N": ""}"#),
        Just(r#"{"B": "AB=="}"#),
        Just(r#"{"B": "A"}"#),
        Just(r#"{"SS": ["a", "a"]}"#),
        Just(r#"{"SS": []}"#),
        Just(r#"{"NS": ["1", "1.0"]}"#),
        Just(r#"{"BS": ["AQ==", null]}"#),
        Just(r#"{"NULL": false}"#),
        Just(r#"{"BOOL": "x"}"#),
        Just(r#"{"M": {"a": {"S": "b"}, "a": {"N": "1"}}}"#),
        Just(r#"{"L": [{"S": "x"}, null]}"#),
        Just(r#"{"S": "x", "N": null}"#),
        Just(r#"{"S": "x", "N": "1"}"#),
        Just(r#"{"S": "x", "Z": 1e400}"#),
        Just(r#"{}"#),
        Just("null"),
        Just("5"),
        Just("[]"),
    ];
    prop_oneof![
        4 => "[a-z0-9]{0,3}".prop_map(|s| format!(r#"{{"S": "{s}"}}"#)),
        3 => right.prop_map(str::to_owned),
        noise => wrong.prop_map(str::to_owned),
    ]
}

/// An item: usually the key attributes, and a few others (names may repeat).
pub(super) fn item(noise: u32) -> impl Strategy<Value = String> {
    let key = prop_oneof![
        6 => "[a-z]{1,3}".prop_map(|v| format!(r#""pk": {{"S": "{v}"}}, "sk": {{"S": "{v}"}}"#)),
        noise => Just(r#""pk": {"S": "a"}"#.to_owned()),
        noise => Just(r#""pk": {"N": "1"}, "sk": {"S": "a"}"#.to_owned()),
        noise => Just(String::new()),
    ];
    let others = proptest::collection::vec(
        (
            prop_oneof![Just("a"), Just("b"), Just("pk")],
            attribute_value(noise),
        ),
        0..3,
    );
    (key, others).prop_map(|(key, others)| {
        let mut members: Vec<String> = Vec::new();
        if !key.is_empty() {
            members.push(key);
        }
        members.extend(others.into_iter().map(|(n, v)| format!(r#""{n}": {v}"#)));
        format!("{{{}}}", members.join(", "))
    })
}

/// One element of a table's list of writes.
fn write_request(noise: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        8 => item(noise).prop_map(|i| format!(r#"{{"PutRequest": {{"Item": {i}}}}}"#)),
        3 => item(noise).prop_map(|i| format!(r#"{{"DeleteRequest": {{"Key": {i}}}}}"#)),
        noise => item(noise).prop_map(|i| format!(r#"{{"PutRequest": {{"Item": {i}}}, "DeleteRequest": 5}}"#)),
        noise => prop_oneof![
            Just(r#"{}"#),
            Just(r#"{"PutRequest": null}"#),
            Just(r#"{"PutRequest": {}}"#),
            Just(r#"{"PutRequest": []}"#),
            Just(r#"{"DeleteRequest": {"Key": null}}"#),
            Just(r#"{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"S": "a"}}, "X": 1}}"#),
            Just("null"),
            Just("5"),
        ]
        .prop_map(str::to_owned),
    ]
}

/// A BatchWriteItem body; the larger `noise`, the more often invalid.
fn body(noise: u32) -> impl Strategy<Value = String> {
    let table = prop_oneof![
        8 => Just("tab"),
        noise => Just("missing"),
        noise => Just("no way!"),
        1 => Just("arn:aws:dynamodb:us-east-1:111122223333:table/tab"),
    ];
    let list = prop_oneof![
        12 => proptest::collection::vec(write_request(noise), 1..10)
            .prop_map(|w| format!("[{}]", w.join(", "))),
        noise => Just("[]".to_owned()),
        noise => Just("{}".to_owned()),
        noise => Just("null".to_owned()),
    ];
    let tables =
        proptest::collection::vec((table, list), usize::from(noise == 0)..2 + noise as usize)
            .prop_map(|tables| {
                let members: Vec<String> = tables
                    .into_iter()
                    .map(|(t, l)| format!(r#""{t}": {l}"#))
                    .collect();
                format!("{{{}}}", members.join(", "))
            });
    let others = proptest::collection::vec(
        prop_oneof![
            1 => Just(r#""ReturnConsumedCapacity": "TOTAL""#),
            1 => Just(r#""ReturnConsumedCapacity": "INDEXES""#),
            1 => Just(r#""ReturnConsumedCapacity": "NONE""#),
            noise => Just(r#""ReturnConsumedCapacity": "SOME""#),
            noise => Just(r#""ReturnConsumedCapacity": 5"#),
            1 => Just(r#""ReturnItemCollectionMetrics": "SIZE""#),
            1 => Just(r#""Unknown": [1, 2.5, {"a": null}]"#),
            noise => Just(r#""Unknown": 1e400"#),
        ],
        0..2,
    );
    (tables, others, 0..20u8 + 20 * (noise == 0) as u8).prop_map(|(tables, others, shape)| {
        let mut members = vec![format!(r#""RequestItems": {tables}"#)];
        members.extend(others.into_iter().map(str::to_owned));
        match shape {
            0 => members.remove(0).replace(r#""RequestItems": "#, ""),
            1 => format!("{{{}", members.join(", ")),
            _ => format!("{{{}}}", members.join(", ")),
        }
    })
}

#[test]
fn dispatch_answers_as_the_tree_path() {
    BothPaths::new("BatchWriteItem").generated(body, check_decoding);
}

#[test]
fn too_many_items_and_duplicate_keys_answer_as_the_tree() {
    let both = BothPaths::new("BatchWriteItem");
    let put = |i: usize| {
        format!(r#"{{"PutRequest": {{"Item": {{"pk": {{"S": "p"}}, "sk": {{"S": "{i}"}}}}}}}}"#)
    };
    let many: Vec<String> = (0..26).map(put).collect();
    let bodies = [
        format!(r#"{{"RequestItems": {{"tab": [{}]}}}}"#, many.join(", ")),
        format!(
            r#"{{"RequestItems": {{"tab": [{}]}}}}"#,
            many[..25].join(", ")
        ),
        format!(r#"{{"RequestItems": {{"tab": [{}, {}]}}}}"#, put(1), put(1)),
        format!(r#"{{"RequestItems": {{"tab": [{PUT}, {DELETE}, {DELETE}]}}}}"#),
        r#"{"RequestItems": {"tab": []}}"#.to_owned(),
        r#"{"RequestItems": {}}"#.to_owned(),
    ];
    for body in bodies {
        assert!(check_decoding(&body), "{body}");
        both.same_answer(&body);
    }
}

/// A BatchWriteItem request through the whole pipeline of an API without identities (any
/// well-formed signature passes): the error type (after the `#` of `__type`) and message.
fn through_pipeline(
    rt: &tokio::runtime::Runtime,
    api: &crate::Api,
    target: &str,
    signed: bool,
    body: &[u8],
) -> (String, String) {
    let mut req = http::Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", target)
        .header("x-amz-date", "20250101T000000Z");
    if signed {
        req = req.header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=0123456789abcdef",
        );
    }
    let req = req.body(bytes::Bytes::copy_from_slice(body)).unwrap();
    let response = rt.block_on(api.handle(req));
    let answer: Value = serde_json::from_slice(response.body()).unwrap();
    let field = |name: &str| answer[name].as_str().unwrap_or_default().to_owned();
    let error_type = field("__type");
    let error_type = error_type.rsplit('#').next().unwrap_or_default().to_owned();
    (error_type, field("message"))
}

#[test]
fn the_pipeline_checks_json_then_target_then_signature_then_the_request() {
    let rt = runtime();
    let api = crate::Api::new(Arc::new(rt.block_on(engine())), crate::ApiConfig::default());
    let target = "DynamoDB_20120810.BatchWriteItem";
    let ty = str::to_owned;
    let valid = format!(r#"{{"RequestItems": {{"tab": [{PUT}]}}}}"#);
    let invalid_value =
        r#"{"RequestItems": {"tab": [{"PutRequest": {"Item": {"pk": {"SS": []}}}}]}}"#;
    type Case<'a> = (&'a str, bool, &'a [u8], (String, &'a str));
    let cases: [Case<'_>; 8] = [
        // Not JSON: refused before the target and the signature are looked at.
        (target, false, b"{", (ty("SerializationException"), "")),
        (
            "Nope",
            false,
            b"{\"RequestItems\": \xff}",
            (ty("SerializationException"), ""),
        ),
        (
            "Nope",
            false,
            valid.as_bytes(),
            (ty("UnknownOperationException"), ""),
        ),
        // The signature before anything in the request.
        (
            target,
            false,
            invalid_value.as_bytes(),
            (
                ty("MissingAuthenticationTokenException"),
                "Request is missing Authentication Token",
            ),
        ),
        (
            target,
            false,
            valid.as_bytes(),
            (
                ty("MissingAuthenticationTokenException"),
                "Request is missing Authentication Token",
            ),
        ),
        (
            target,
            true,
            invalid_value.as_bytes(),
            (
                ty("ValidationException"),
                "One or more parameter values were invalid: An string set  may not be empty",
            ),
        ),
        (
            target,
            true,
            b"[1]",
            (
                ty("SerializationException"),
                "Start of structure or map found where not expected.",
            ),
        ),
        (target, true, valid.as_bytes(), (String::new(), "")),
    ];
    for (target, signed, body, (error_type, message)) in cases {
        let (got_type, got_message) = through_pipeline(&rt, &api, target, signed, body);
        assert_eq!(
            (got_type.as_str(), got_message.as_str()),
            (error_type.as_str(), message),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}
