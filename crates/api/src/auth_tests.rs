//! Unit tests of signature parsing: DynamoDB's messages for each malformed form.

use http::{HeaderMap, HeaderValue};

use super::*;

const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd";

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    map
}

fn err(headers: &HeaderMap, query: Option<&str>) -> ApiError {
    parse_signature(headers, query).unwrap_err()
}

#[test]
fn well_formed_header_is_parsed() {
    let h = headers(&[("authorization", GOOD), ("x-amz-date", "20260101T000000Z")]);
    let parts = parse_signature(&h, None).unwrap();
    assert_eq!(parts.access_key_id, "AKIDEXAMPLE");
    assert_eq!(parts.scope_date, "20260101");
    assert_eq!(parts.scope_region, "us-east-1");
    assert_eq!(parts.scope_service, "dynamodb");
    assert_eq!(parts.scope_terminator, "aws4_request");
    assert_eq!(parts.signed_headers, vec!["host", "x-amz-date"]);
    assert_eq!(parts.signature, "abcd");
    assert_eq!(parts.location, SignatureLocation::Header);
}

#[test]
fn missing_or_foreign_scheme_is_missing_token() {
    for h in [
        headers(&[]),
        headers(&[("authorization", "AWS4")]),
        headers(&[("authorization", "Bearer x")]),
    ] {
        let e = err(&h, None);
        assert_eq!(e.kind, ErrorKind::MissingAuthenticationToken);
        assert_eq!(e.message, "Request is missing Authentication Token");
    }
}

#[test]
fn bare_prefix_lists_every_missing_part() {
    let e = err(&headers(&[("authorization", "AWS4-")]), None);
    assert_eq!(e.kind, ErrorKind::IncompleteSignature);
    assert_eq!(
        e.message,
        "Authorization header requires 'Credential' parameter. Authorization header requires \
         'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. \
         Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
         Authorization=AWS4-"
    );
}

#[test]
fn structural_errors_in_dynamodb_order() {
    let bad_date = headers(&[("authorization", GOOD), ("x-amz-date", "2026")]);
    let e = err(&bad_date, None);
    assert_eq!(e.kind, ErrorKind::IncompleteSignature);
    assert_eq!(
        e.message,
        "Date must be in ISO-8601 'basic format'. Got '2026'. See http://en.wikipedia.org/wiki/ISO_8601"
    );

    let no_host = GOOD.replace("host;x-amz-date", "x-amz-date");
    let e = err(
        &headers(&[
            ("authorization", &no_host),
            ("x-amz-date", "20260101T000000Z"),
        ]),
        None,
    );
    assert_eq!(e.kind, ErrorKind::InvalidSignature);
    assert_eq!(
        e.message,
        "'Host' must be a 'SignedHeader' in the AWS Authorization."
    );

    let algo = GOOD.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA25");
    let e = err(
        &headers(&[("authorization", &algo), ("x-amz-date", "20260101T000000Z")]),
        None,
    );
    assert_eq!(e.kind, ErrorKind::IncompleteSignature);
    assert_eq!(
        e.message,
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). "
    );

    let cred = GOOD.replace(
        "AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request",
        "a/b/c/d",
    );
    let e = err(
        &headers(&[("authorization", &cred), ("x-amz-date", "20260101T000000Z")]),
        None,
    );
    assert_eq!(e.kind, ErrorKind::IncompleteSignature);
    assert_eq!(
        e.message,
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'"
    );
}

#[test]
fn query_form_lists_missing_parameters() {
    let e = err(
        &headers(&[]),
        Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T000000Z"),
    );
    assert_eq!(e.kind, ErrorKind::IncompleteSignature);
    assert_eq!(
        e.message,
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters \
         must include 'X-Amz-Signature'. AWS query-string parameters must include \
         'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
    );
    let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ff";
    let parts = parse_signature(&headers(&[]), Some(q)).unwrap();
    assert_eq!(parts.access_key_id, "AKID");
    assert_eq!(parts.location, SignatureLocation::Query);
}

#[test]
fn header_and_query_together_is_invalid() {
    let e = err(
        &headers(&[("authorization", GOOD)]),
        Some("X-Amz-Algorithm=AWS4-HMAC-SHA256"),
    );
    assert_eq!(e.kind, ErrorKind::InvalidSignature);
    assert_eq!(
        e.message,
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    );
}
