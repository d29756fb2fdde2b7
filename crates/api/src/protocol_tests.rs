//! Unit tests of the framing helpers, checked against CRC values captured from real DynamoDB.

use http::HeaderValue;

use super::*;
use crate::error::ErrorKind;

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.append(*k, HeaderValue::from_static(v));
    }
    map
}

fn crc_header(response: &Response<Bytes>) -> String {
    response.headers()[CRC32_HEADER]
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn captured_crcs_match() {
    // Values DynamoDB sent for these exact bodies.
    assert_eq!(crc_header(&not_found()), "3552371480");
    assert_eq!(crc_header(&health("us-east-1")), "3128867991");
    assert_eq!(health("us-east-1").body().len(), 42);
    let unknown = ApiError::new(ErrorKind::UnknownOperation, "");
    let response = error_response(&unknown, JsonFlavor::Json, false, 0);
    assert_eq!(crc_header(&response), "1368724161");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let missing = ApiError::new(
        ErrorKind::MissingAuthenticationToken,
        "Request is missing Authentication Token",
    );
    assert_eq!(
        crc_header(&error_response(&missing, JsonFlavor::Json, false, 0)),
        "2088342776"
    );
    let serialization = ApiError::new(ErrorKind::SerializationException, "");
    assert_eq!(
        crc_header(&error_response(&serialization, JsonFlavor::Json, false, 0)),
        "3948637019"
    );
}

#[test]
fn request_ids_look_like_dynamodbs() {
    let a = request_id();
    let b = request_id();
    assert_eq!(a.len(), 52);
    assert!(
        a.bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    );
    assert_ne!(a, b);
    // Every character of the alphabet turns up, at roughly its share (1/36 of 5,200).
    let mut counts = [0usize; 128];
    for c in (0..100).flat_map(|_| request_id().into_bytes()) {
        counts[usize::from(c)] += 1;
    }
    for c in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
        let n = counts[usize::from(*c)];
        assert!(
            (60..=300).contains(&n),
            "{} appeared {n} times",
            char::from(*c)
        );
    }
}

#[test]
fn content_types_are_classified() {
    assert_eq!(
        request_content_type(&headers(&[("content-type", "application/x-amz-json-1.0")])),
        RequestContentType::Json(JsonFlavor::AmzJson)
    );
    assert_eq!(
        request_content_type(&headers(&[(
            "content-type",
            "application/json; charset=utf-8"
        )])),
        RequestContentType::Json(JsonFlavor::Json)
    );
    assert_eq!(
        request_content_type(&headers(&[("content-type", "text/plain")])),
        RequestContentType::Other
    );
    assert_eq!(
        request_content_type(&headers(&[])),
        RequestContentType::Other
    );
}

#[test]
fn gzip_is_decoded_with_a_limit() {
    let body = br#"{"TableName":"t"}"#.repeat(100);
    let compressed = gzip_bytes(&body).unwrap();
    let h = headers(&[("content-encoding", "gzip")]);
    assert_eq!(
        decode_body(&h, compressed.clone(), 1 << 20).unwrap(),
        Bytes::from(body.clone())
    );
    assert_eq!(
        decode_body(&h, compressed, body.len() - 1),
        Err(BodyError::TooLarge)
    );
    assert!(matches!(
        decode_body(&h, Bytes::from_static(b"not gzip"), 1 << 20),
        Err(BodyError::BadEncoding(_))
    ));
    assert!(matches!(
        decode_body(&headers(&[("content-encoding", "br")]), Bytes::new(), 10),
        Err(BodyError::BadEncoding(_))
    ));
    assert_eq!(
        decode_body(&headers(&[]), Bytes::from_static(b"abc"), 2),
        Err(BodyError::TooLarge)
    );
}

#[test]
fn accept_encoding_is_parsed() {
    assert!(accepts_gzip(&headers(&[("accept-encoding", "gzip")])));
    assert!(accepts_gzip(&headers(&[(
        "accept-encoding",
        "deflate, gzip;q=0.5"
    )])));
    assert!(accepts_gzip(&headers(&[("accept-encoding", "*")])));
    assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
    assert!(!accepts_gzip(&headers(&[("accept-encoding", "identity")])));
    assert!(!accepts_gzip(&headers(&[])));
}

#[test]
fn compressed_responses_checksum_the_compressed_bytes() {
    let body = br#"{"Items":[]}"#.repeat(200);
    let response = json_response(
        StatusCode::OK,
        JsonFlavor::AmzJson,
        body.clone(),
        true,
        1024,
    );
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(
        crc_header(&response),
        crc32fast::hash(response.body()).to_string()
    );
    let mut decoded = Vec::new();
    GzDecoder::new(&response.body()[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, body);

    let small = json_response(
        StatusCode::OK,
        JsonFlavor::AmzJson,
        b"{}".to_vec(),
        true,
        1024,
    );
    assert!(small.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(small.body(), &Bytes::from_static(b"{}"));
}

#[test]
fn error_bodies_carry_extra_members() {
    let mut error = ApiError::new(
        ErrorKind::ConditionalCheckFailed,
        "The conditional request failed",
    );
    error
        .extra
        .insert("Item".to_string(), serde_json::json!({"pk": {"S": "a"}}));
    let body: serde_json::Value = serde_json::from_slice(&error_body(&error)).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
            "message": "The conditional request failed",
            "Item": {"pk": {"S": "a"}}
        })
    );
}
