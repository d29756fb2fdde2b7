//! Random requests against the real server: whatever a client sends (method, content type,
//! target, authorization, JSON-ish or binary body, gzip or not), the answer is framed like
//! DynamoDB's (request id, correct CRC-32, CORS when asked) and is never a server error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;

use bytes::Bytes;
use common::TestServer;
use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

const OPERATIONS: &[&str] = &[
    "BatchGetItem",
    "BatchWriteItem",
    "CreateTable",
    "DeleteItem",
    "DeleteTable",
    "DescribeTable",
    "GetItem",
    "ListTables",
    "PutItem",
    "Query",
    "Scan",
    "UpdateItem",
    "UpdateTable",
    "TransactGetItems",
    "TransactWriteItems",
    "DescribeTimeToLive",
    "UpdateTimeToLive",
    "TagResource",
    "ListTagsOfResource",
    "ExecuteStatement",
    "DescribeEndpoints",
    "DescribeLimits",
    "CreateBackup",
    "SearchVectors",
];

const MEMBERS: &[&str] = &[
    "TableName",
    "Key",
    "Item",
    "KeySchema",
    "AttributeDefinitions",
    "AttributeName",
    "AttributeType",
    "KeyType",
    "BillingMode",
    "S",
    "N",
    "B",
    "M",
    "L",
    "SS",
    "NULL",
    "BOOL",
    "Limit",
    "ExpressionAttributeValues",
    "ExpressionAttributeNames",
    "KeyConditionExpression",
    "UpdateExpression",
    "ConditionExpression",
    "ProjectionExpression",
    "RequestItems",
    "TransactItems",
    "Put",
    "Delete",
    "Update",
    "ExclusiveStartKey",
    "Select",
    "x",
];

/// Stands for a correct signature, computed by the harness over the final headers and body.
const SIGNED: &str = "<signed by the harness>";
/// Well-formed, but the key is unknown and the signature wrong.
const FORGED: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    content_type: Option<String>,
    target: Option<String>,
    authorization: Option<String>,
    body: Vec<u8>,
    compress: bool,
    accept_gzip: bool,
    origin: bool,
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>().prop_map(|n| serde_json::json!(n)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "tbl",
            "pk",
            "HASH",
            "RANGE",
            "S",
            "1e3",
            "-0",
            "PAY_PER_REQUEST"
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(MEMBERS.to_vec()).prop_map(str::to_string),
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn case() -> impl Strategy<Value = Case> {
    let method = prop_oneof![
        8 => Just("POST"),
        1 => prop::sample::select(vec!["GET", "PUT", "OPTIONS", "DELETE"]),
    ];
    let content_type = prop_oneof![
        3 => Just(Some("application/x-amz-json-1.0".to_string())),
        1 => Just(Some("application/json".to_string())),
        1 => Just(None),
        1 => "[a-z/.;= -]{0,30}".prop_map(Some),
    ];
    let target = prop_oneof![
        4 => prop::sample::select(OPERATIONS.to_vec())
            .prop_map(|op| Some(format!("DynamoDB_20120810.{op}"))),
        1 => Just(None),
        1 => "[ -~]{0,40}".prop_map(Some),
    ];
    let authorization = prop_oneof![
        6 => Just(Some(SIGNED.to_string())),
        1 => Just(Some(FORGED.to_string())),
        1 => Just(None),
        1 => "AWS4-[ -~]{0,60}".prop_map(Some),
        1 => "[ -~]{0,60}".prop_map(Some),
    ];
    let body = prop_oneof![
        5 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ];
    (
        method,
        content_type,
        target,
        authorization,
        body,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(method, content_type, target, authorization, body, compress, accept_gzip, origin)| {
                Case {
                    method,
                    content_type,
                    target,
                    authorization,
                    body,
                    compress: compress && method == "POST",
                    accept_gzip,
                    origin,
                }
            },
        )
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn random_requests_are_framed_and_never_server_errors() {
    let server = TestServer::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A table for the item operations to find.
    let create = serde_json::json!({
        "TableName": "tbl",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
    });
    let created = runtime.block_on(server.raw(
        Some("DynamoDB_20120810.CreateTable"),
        create.to_string(),
        &[],
    ));
    assert_eq!(created.status, 200, "{}", created.text());

    let mut runner = TestRunner::new(Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    });
    // How many answers came from the operations themselves, to show the cases reach them.
    let executed = std::cell::Cell::new(0u32);
    let result = runner.run(&case(), |case| {
        let mut headers = vec![
            ("host".to_string(), server.address().to_string()),
            ("x-amz-date".to_string(), common::amz_date()),
        ];
        let mut add = |name: &str, value: Option<&str>| {
            if let Some(value) = value {
                headers.push((name.to_string(), value.to_string()));
            }
        };
        add("content-type", case.content_type.as_deref());
        add("x-amz-target", case.target.as_deref());
        let authorization = case.authorization.as_deref().filter(|a| *a != SIGNED);
        add("authorization", authorization);
        add("accept-encoding", case.accept_gzip.then_some("gzip"));
        add("origin", case.origin.then_some("https://app.example"));
        let body = if case.compress {
            headers.push(("content-encoding".into(), "gzip".into()));
            gzip(&case.body)
        } else {
            case.body.clone()
        };
        if case.authorization.as_deref() == Some(SIGNED) {
            let signature = common::sign(case.method, "/", "", &headers, &body);
            headers.push(("authorization".into(), signature));
        }
        let response = runtime.block_on(server.send(case.method, "/", &headers, Bytes::from(body)));
        if !matches!(response.status, 200 | 400 | 404 | 413) {
            return Err(TestCaseError::fail(format!(
                "status {} for {case:?}: {:?}",
                response.status, response.body
            )));
        }
        let text = String::from_utf8_lossy(&response.body);
        // Protocol-level rejections never reach an operation; anything else did.
        let protocol_level = [
            "UnknownOperationException",
            "MissingAuthenticationTokenException",
            "IncompleteSignatureException",
            "InvalidSignatureException",
            "UnrecognizedClientException",
            r#"{"__type":"com.amazon.coral.service#SerializationException"}"#,
        ];
        if (response.status == 200 && case.method == "POST")
            || (response.status == 400 && !protocol_level.iter().any(|p| text.contains(p)))
        {
            executed.set(executed.get() + 1);
        }
        let id = response.header("x-amzn-requestid");
        prop_assert_eq!(id.len(), 52);
        prop_assert_eq!(
            response.header("x-amz-crc32"),
            crc32fast::hash(&response.body).to_string()
        );
        prop_assert_eq!(
            response.headers.contains_key("access-control-allow-origin"),
            case.origin
        );
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}\nserver log:\n{}", server.log());
    }
    assert!(
        executed.get() >= 50,
        "only {} of 1000 random requests reached an operation",
        executed.get()
    );
}
