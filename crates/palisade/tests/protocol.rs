//! DynamoDB's JSON 1.0 framing, checked over real HTTP against the real binary: exact bodies,
//! statuses and headers for health, CORS, content types, targets, authentication shape, gzip in
//! both directions, the size limit and keep-alive; plus the AWS SDK accepting our framing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::RequestId;
use common::{AMZ_JSON, RawConnection, TestServer, assert_common_headers};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

const UNKNOWN_OPERATION: &str =
    r#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#;
const SERIALIZATION: &str = r#"{"__type":"com.amazon.coral.service#SerializationException"}"#;
const MISSING_TOKEN: &str = r#"{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"Request is missing Authentication Token"}"#;
const NOT_FOUND: &str = "<UnknownOperationException/>\n";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

#[tokio::test]
async fn get_answers_health_like_dynamodb() {
    let server = TestServer::start();
    for path in ["/", "/anything?x=1"] {
        let response = server.raw_unsigned("GET", path, &[], "").await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.text(),
            "healthy: dynamodb.us-east-1.amazonaws.com "
        );
        // The CRC DynamoDB sends for exactly this body.
        assert_eq!(response.header("x-amz-crc32"), "3128867991");
        assert!(response.headers.get("content-type").is_none());
        assert_common_headers(&response);
    }
}

#[tokio::test]
async fn health_names_the_configured_region() {
    let server = TestServer::start_with(&["--region", "eu-west-3"]);
    let response = server.raw_unsigned("GET", "/", &[], "").await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.text(),
        "healthy: dynamodb.eu-west-3.amazonaws.com "
    );
    assert_common_headers(&response);
}

#[tokio::test]
async fn other_methods_and_foreign_content_types_are_404() {
    let server = TestServer::start();
    // (method, headers, body)
    type Case = (
        &'static str,
        Vec<(&'static str, &'static str)>,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        ("PUT", vec![], ""),
        ("DELETE", vec![], ""),
        ("OPTIONS", vec![], ""),
        ("POST", vec![], "hi"),
        ("POST", vec![("content-type", "whatever")], "hi"),
        ("POST", vec![("content-type", "text/plain")], "{}"),
    ];
    for (method, headers, body) in cases {
        let response = server.raw_unsigned(method, "/", &headers, body).await;
        assert_eq!(response.status, 404, "{method} {headers:?}");
        assert_eq!(response.text(), NOT_FOUND);
        assert_eq!(response.header("x-amz-crc32"), "3552371480");
        assert_eq!(response.header("content-length"), "29");
        assert_common_headers(&response);
    }
}

#[tokio::test]
async fn cors_preflight_echoes_the_request() {
    let server = TestServer::start();
    let response = server
        .raw_unsigned(
            "OPTIONS",
            "/",
            &[
                ("origin", "https://app.example"),
                ("access-control-request-headers", "a, b, c"),
                ("access-control-request-method", "POST"),
            ],
            "",
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), 0);
    assert_eq!(response.header("access-control-allow-origin"), "*");
    assert_eq!(response.header("access-control-allow-headers"), "a, b, c");
    assert_eq!(response.header("access-control-allow-methods"), "POST");
    assert_eq!(response.header("access-control-max-age"), "172800");
    assert_eq!(response.header("content-length"), "0");
    assert_common_headers(&response);

    let bare = server
        .raw_unsigned("OPTIONS", "/", &[("origin", "https://app.example")], "")
        .await;
    assert_eq!(bare.status, 200);
    assert!(bare.headers.get("access-control-allow-headers").is_none());
    assert!(bare.headers.get("access-control-allow-methods").is_none());
    assert_eq!(bare.header("access-control-max-age"), "172800");
}

#[tokio::test]
async fn requests_with_origin_get_allow_origin() {
    let server = TestServer::start();
    let response = server
        .raw(None, "{}", &[("origin", "https://app.example")])
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.text(), UNKNOWN_OPERATION);
    assert_eq!(response.header("access-control-allow-origin"), "*");
    assert_common_headers(&response);

    let health = server
        .raw_unsigned("GET", "/", &[("origin", "https://app.example")], "")
        .await;
    assert_eq!(health.header("access-control-allow-origin"), "*");

    let plain = server.raw(None, "{}", &[]).await;
    assert!(plain.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn missing_or_unknown_targets_are_unknown_operation() {
    let server = TestServer::start();
    for target in [
        None,
        Some("whatever"),
        Some("DynamoDB_20120810.ListTable"),
        Some("DynamoDB_20120810.listtables"),
        Some("DynamoDB_20111205.ListTables"),
    ] {
        let response = server.raw(target, "{}", &[]).await;
        assert_eq!(response.status, 400, "{target:?}");
        assert_eq!(response.text(), UNKNOWN_OPERATION, "{target:?}");
        assert_eq!(response.header("content-type"), AMZ_JSON);
        // The CRC DynamoDB sends for exactly this body.
        assert_eq!(response.header("x-amz-crc32"), "1368724161");
        assert_common_headers(&response);
    }
    // The target is checked before authentication: no Authorization header needed to learn it.
    let unsigned = server
        .raw_unsigned("POST", "/", &[("content-type", "application/json")], "{}")
        .await;
    assert_eq!(unsigned.status, 400);
    assert_eq!(unsigned.text(), UNKNOWN_OPERATION);
    assert_eq!(unsigned.header("content-type"), "application/json");
}

#[tokio::test]
async fn response_content_type_follows_the_request() {
    let server = TestServer::start();
    let amz = server.raw(None, "{}", &[]).await;
    assert_eq!(amz.header("content-type"), AMZ_JSON);
    let json = server
        .raw(None, "{}", &[("content-type", "application/json")])
        .await;
    assert_eq!(json.header("content-type"), "application/json");
    let with_charset = server
        .raw(
            None,
            "{}",
            &[("content-type", "application/x-amz-json-1.0; charset=utf-8")],
        )
        .await;
    assert_eq!(with_charset.header("content-type"), AMZ_JSON);
    assert_eq!(with_charset.text(), UNKNOWN_OPERATION);
}

#[tokio::test]
async fn body_that_is_not_json_is_a_serialization_error() {
    let server = TestServer::start();
    for body in ["hi", "{", r#"{"TableName": }"#] {
        let response = server
            .raw(Some("DynamoDB_20120810.ListTables"), body, &[])
            .await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.text(), SERIALIZATION);
        assert_common_headers(&response);
    }
    let json = server
        .raw(None, "hi", &[("content-type", "application/json")])
        .await;
    assert_eq!(json.text(), SERIALIZATION);
    assert_eq!(json.header("x-amz-crc32"), "3948637019");
}

#[tokio::test]
async fn empty_body_with_a_valid_signature_is_a_serialization_error() {
    let server = TestServer::start();
    let response = server
        .raw(Some("DynamoDB_20120810.ListTables"), "", &[])
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.text(), SERIALIZATION);
    assert_common_headers(&response);
}

#[tokio::test]
async fn missing_authorization_is_missing_token() {
    let server = TestServer::start();
    let target = ("x-amz-target", "DynamoDB_20120810.ListTables");
    for extra in [
        None,
        Some(("authorization", "AWS4")),
        Some(("authorization", "Basic abc")),
    ] {
        let mut headers = vec![("content-type", AMZ_JSON), target];
        headers.extend(extra);
        let response = server.raw_unsigned("POST", "/", &headers, "{}").await;
        assert_eq!(response.status, 400, "{extra:?}");
        assert_eq!(response.text(), MISSING_TOKEN);
        assert_common_headers(&response);
    }
    let json = server
        .raw_unsigned(
            "POST",
            "/",
            &[("content-type", "application/json"), target],
            "{}",
        )
        .await;
    assert_eq!(json.header("x-amz-crc32"), "2088342776");
}

#[tokio::test]
async fn malformed_authorization_is_incomplete_signature() {
    let server = TestServer::start();
    let response = server
        .raw_unsigned(
            "POST",
            "/",
            &[
                ("content-type", AMZ_JSON),
                ("x-amz-target", "DynamoDB_20120810.ListTables"),
                ("authorization", "AWS4-"),
            ],
            "{}",
        )
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json(),
        serde_json::json!({
            "__type": "com.amazon.coral.service#IncompleteSignatureException",
            "message": "Authorization header requires 'Credential' parameter. Authorization header \
                        requires 'Signature' parameter. Authorization header requires \
                        'SignedHeaders' parameter. Authorization header requires existence of \
                        either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-"
        })
    );
    assert_common_headers(&response);

    let bad_credential =
        "AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host;x-amz-date, Signature=00";
    let date = common::amz_date();
    let response = server
        .raw_unsigned(
            "POST",
            "/",
            &[
                ("content-type", AMZ_JSON),
                ("x-amz-target", "DynamoDB_20120810.ListTables"),
                ("x-amz-date", &date),
                ("authorization", bad_credential),
            ],
            "{}",
        )
        .await;
    assert_eq!(
        response.json(),
        serde_json::json!({
            "__type": "com.amazon.coral.service#IncompleteSignatureException",
            "message": "Credential must have exactly 5 slash-delimited elements, e.g. \
                        keyid/date/region/service/term, got 'a/b/c/d'"
        })
    );
}

#[tokio::test]
async fn header_and_query_signatures_together_are_rejected() {
    let server = TestServer::start();
    let response = server
        .raw_unsigned(
            "POST",
            "/?X-Amz-Algorithm=AWS4-HMAC-SHA256",
            &[
                ("content-type", AMZ_JSON),
                ("x-amz-target", "DynamoDB_20120810.ListTables"),
                ("authorization", "AWS4-HMAC-SHA256 Credential=x"),
            ],
            "{}",
        )
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json(),
        serde_json::json!({
            "__type": "com.amazon.coral.service#InvalidSignatureException",
            "message": "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        })
    );
}

#[tokio::test]
async fn signed_requests_reach_the_operation() {
    let server = TestServer::start();
    let response = server
        .raw(Some("DynamoDB_20120810.ListTables"), "{}", &[])
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), AMZ_JSON);
    assert_eq!(response.json(), serde_json::json!({"TableNames": []}));
    assert_common_headers(&response);

    let json = server
        .raw(
            Some("DynamoDB_20120810.ListTables"),
            "{}",
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(json.status, 200);
    assert_eq!(json.header("content-type"), "application/json");
}

#[tokio::test]
async fn presigned_query_signatures_are_accepted() {
    let server = TestServer::start();
    let host = server.address().to_string();
    let query = common::presign("POST", &host, b"{}");
    let response = server
        .raw_unsigned(
            "POST",
            &format!("/?{query}"),
            &[
                ("content-type", AMZ_JSON),
                ("x-amz-target", "DynamoDB_20120810.ListTables"),
            ],
            "{}",
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json(), serde_json::json!({"TableNames": []}));

    let incomplete = server
        .raw_unsigned(
            "POST",
            "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host",
            &[
                ("content-type", AMZ_JSON),
                ("x-amz-target", "DynamoDB_20120810.ListTables"),
            ],
            "{}",
        )
        .await;
    assert_eq!(incomplete.status, 400);
    assert_eq!(
        incomplete.json(),
        serde_json::json!({
            "__type": "com.amazon.coral.service#IncompleteSignatureException",
            "message": "AWS query-string parameters must include 'X-Amz-Credential'. AWS \
                        query-string parameters must include 'X-Amz-Signature'. AWS query-string \
                        parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
        })
    );
}

#[tokio::test]
async fn large_items_come_back_gzip_compressed_when_accepted() {
    let server = TestServer::start();
    let target = |op: &str| format!("DynamoDB_20120810.{op}");
    let create = serde_json::json!({
        "TableName": "big",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
    });
    let response = server
        .raw(Some(&target("CreateTable")), create.to_string(), &[])
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let payload = "palisade ".repeat(1000);
    let put = serde_json::json!({
        "TableName": "big",
        "Item": {"pk": {"S": "k"}, "payload": {"S": payload}}
    });
    let response = server
        .raw(Some(&target("PutItem")), put.to_string(), &[])
        .await;
    assert_eq!(response.status, 200, "{}", response.text());

    let get = serde_json::json!({"TableName": "big", "Key": {"pk": {"S": "k"}}}).to_string();
    let compressed = server
        .raw(
            Some(&target("GetItem")),
            get.clone(),
            &[("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(compressed.status, 200);
    assert_eq!(compressed.header("content-encoding"), "gzip");
    assert_common_headers(&compressed);
    assert!(compressed.body.len() < payload.len() / 4);
    let body: serde_json::Value = serde_json::from_slice(&gunzip(&compressed.body)).unwrap();
    assert_eq!(body["Item"]["payload"]["S"], payload.as_str());

    let plain = server.raw(Some(&target("GetItem")), get, &[]).await;
    assert!(plain.headers.get("content-encoding").is_none());
    assert_common_headers(&plain);
    assert_eq!(plain.json(), body);
}

#[tokio::test]
async fn gzip_request_bodies_are_decoded() {
    let server = TestServer::start();
    // The compressed bytes are not JSON: getting past the JSON check to the target check proves
    // the body was decompressed first.
    let response = server
        .raw(None, gzip(b"{}"), &[("content-encoding", "gzip")])
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.text(), UNKNOWN_OPERATION);
    assert_common_headers(&response);

    let not_json = server
        .raw(None, gzip(b"nope"), &[("content-encoding", "gzip")])
        .await;
    assert_eq!(not_json.text(), SERIALIZATION);

    let broken = server
        .raw(
            None,
            &b"not gzip at all"[..],
            &[("content-encoding", "gzip")],
        )
        .await;
    assert_eq!(broken.status, 400);
    assert_eq!(
        broken.json(),
        serde_json::json!({
            "__type": "com.amazon.coral.service#SerializationException",
            "message": "the request body is not valid gzip"
        })
    );
}

#[tokio::test]
async fn gzip_responses_checksum_the_compressed_bytes() {
    let server = TestServer::start_with(&["--gzip-min-bytes", "0"]);
    let response = server.raw(None, "{}", &[("accept-encoding", "gzip")]).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.header("content-encoding"), "gzip");
    // x-amz-crc32 covers the bytes on the wire, as DynamoDB computes it.
    assert_common_headers(&response);
    assert_eq!(gunzip(&response.body), UNKNOWN_OPERATION.as_bytes());

    let identity = server.raw(None, "{}", &[]).await;
    assert!(identity.headers.get("content-encoding").is_none());
    assert_eq!(identity.text(), UNKNOWN_OPERATION);

    // Below the default threshold, bodies stay uncompressed even when gzip is accepted.
    let default = TestServer::start();
    let small = default
        .raw(None, "{}", &[("accept-encoding", "gzip")])
        .await;
    assert!(small.headers.get("content-encoding").is_none());
    assert_eq!(small.text(), UNKNOWN_OPERATION);
}

const LIMIT: usize = 16 * 1024 * 1024;

fn assert_too_large(response: &common::RawResponse) {
    assert_eq!(response.status, 413);
    let body = response.json();
    assert_eq!(
        body["__type"],
        "com.amazon.coral.service#RequestEntityTooLarge"
    );
    assert!(body["message"].as_str().unwrap().contains("16777216"));
    assert_common_headers(response);
}

#[tokio::test]
async fn bodies_over_16_mib_are_refused() {
    let server = TestServer::start();
    // A body that decompresses to one byte over the limit.
    let bomb = gzip(&vec![b' '; LIMIT + 1]);
    let response = server
        .raw(None, bomb, &[("content-encoding", "gzip")])
        .await;
    assert_too_large(&response);

    // Exactly at the limit is accepted (and parsed: whitespace is not JSON).
    let at_limit = gzip(&vec![b' '; LIMIT]);
    let response = server
        .raw(None, at_limit, &[("content-encoding", "gzip")])
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.text(), SERIALIZATION);

    // A declared length over the limit is refused before the body is read.
    let mut stream = std::net::TcpStream::connect(server.address()).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nhost: {}\r\ncontent-type: {AMZ_JSON}\r\ncontent-length: {}\r\n\r\n",
        server.address(),
        LIMIT + 1
    )
    .unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the response");
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("RequestEntityTooLarge"), "{text}");
}

#[tokio::test]
async fn connections_are_kept_alive() {
    let server = TestServer::start();
    let mut conn = RawConnection::open(server.address()).await;
    let host = vec![("host".to_string(), server.address().to_string())];
    for _ in 0..3 {
        let response = conn.send("GET", "/", &host, bytes::Bytes::new()).await;
        assert_eq!(response.status, 200);
        assert!(!conn.is_closed());
    }
}

#[tokio::test]
async fn sigterm_drains_idle_connections_and_restart_reuses_the_data_directory() {
    let mut server = TestServer::start();
    let dir = server.data_dir().to_path_buf();
    let create = serde_json::json!({
        "TableName": "kept",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
    });
    let response = server
        .raw(
            Some("DynamoDB_20120810.CreateTable"),
            create.to_string(),
            &[],
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let tables = serde_json::json!({"TableNames": ["kept"]});
    // An idle keep-alive connection must not hold up a graceful shutdown.
    let mut idle = RawConnection::open(server.address()).await;
    let host = vec![("host".to_string(), server.address().to_string())];
    let response = idle.send("GET", "/", &host, bytes::Bytes::new()).await;
    assert_eq!(response.status, 200);
    let started = std::time::Instant::now();
    server.restart();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "graceful restart took {:?}",
        started.elapsed()
    );
    assert_eq!(server.data_dir(), dir);
    assert!(dir.join("db").is_dir());
    let list = || server.raw(Some("DynamoDB_20120810.ListTables"), "{}", &[]);
    assert_eq!(list().await.json(), tables);
    server.crash_restart();
    let list = || server.raw(Some("DynamoDB_20120810.ListTables"), "{}", &[]);
    assert_eq!(list().await.json(), tables);
}

/// The AWS SDK for Rust accepts our framing: every outcome is either a parsed success or a
/// parsed DynamoDB service error carrying our request id, never a transport or parse failure.
#[tokio::test]
async fn the_rust_sdk_understands_our_responses() {
    let server = TestServer::start();
    let client = server.sdk_client();
    match client.list_tables().send().await {
        Ok(output) => {
            assert!(output.table_names().is_empty());
        }
        Err(SdkError::ServiceError(context)) => {
            let error = context.err();
            let code = error.code().unwrap_or_default();
            assert!(
                code.ends_with("Exception"),
                "unexpected error code {code:?}"
            );
            let request_id = error.request_id().unwrap();
            assert_eq!(request_id.len(), 52);
            assert_eq!(context.raw().status().as_u16(), 400);
        }
        Err(other) => panic!("the SDK could not use our response: {other:?}"),
    }
}

/// The harness's own signer agrees with `palisade-sigv4`, so these tests keep passing once the
/// server verifies signatures.
#[test]
fn harness_signatures_verify_with_palisade_sigv4() {
    use palisade_sigv4::{
        Duration, Expectations, OffsetDateTime, RequestParts, SigningKeyCache, parse, verify,
    };
    let server = TestServer::start();
    let expected = Expectations {
        region: common::REGION,
        service: "dynamodb",
        now: OffsetDateTime::now_utc(),
        max_skew: Duration::minutes(5),
    };
    let cache = SigningKeyCache::default();
    let body = br#"{"TableName":"t"}"#;

    let headers = server.signed_headers(Some("DynamoDB_20120810.GetItem"), body, &[]);
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &pairs,
    };
    let parsed = parse(&req).unwrap();
    verify(
        &parsed,
        &req,
        body,
        common::SECRET_ACCESS_KEY,
        &expected,
        &cache,
    )
    .unwrap();
    assert!(
        verify(
            &parsed,
            &req,
            b"{}",
            common::SECRET_ACCESS_KEY,
            &expected,
            &cache
        )
        .is_err()
    );

    let host = server.address().to_string();
    let query = common::presign("POST", &host, body);
    let pairs = [("host", host.as_str())];
    let req = RequestParts {
        method: "POST",
        path: "/",
        query: &query,
        headers: &pairs,
    };
    let parsed = parse(&req).unwrap();
    verify(
        &parsed,
        &req,
        body,
        common::SECRET_ACCESS_KEY,
        &expected,
        &cache,
    )
    .unwrap();
}
