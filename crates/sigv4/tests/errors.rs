//! One test per DynamoDB authentication error, asserting the exact type and message, plus the
//! ordering of checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palisade_sigv4::{
    AuthError, Credentials, Duration, Expectations, OffsetDateTime, RequestParts, SigningKeyCache,
    parse, presign, sign, verify,
};
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2015-08-30 12:36:00 UTC);
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = br#"{"TableName":"t"}"#;

fn creds() -> Credentials {
    Credentials {
        access_key_id: "AKIDEXAMPLE".to_owned(),
        secret_access_key: SECRET.to_owned(),
        session_token: None,
    }
}

fn expect(now: OffsetDateTime) -> Expectations<'static> {
    Expectations {
        region: "us-east-1",
        service: "dynamodb",
        now,
        max_skew: Duration::minutes(5),
    }
}

const BASE: &[(&str, &str)] = &[
    ("Host", "dynamodb.us-east-1.amazonaws.com"),
    ("Content-Type", "application/x-amz-json-1.0"),
    ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
];

fn req<'a>(headers: &'a [(&'a str, &'a str)]) -> RequestParts<'a> {
    RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers,
    }
}

/// Signs the base request at `at` with `region`/`service` and returns its headers.
fn signed_headers(at: OffsetDateTime, region: &str, service: &str) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = BASE
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    all.extend(sign(&req(BASE), BODY, &creds(), region, service, at));
    all
}

fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

/// Full server flow: parse, check, verify.
fn authenticate(
    headers: &[(&str, &str)],
    query: &str,
    now: OffsetDateTime,
) -> Result<(), AuthError> {
    let r = RequestParts {
        method: "POST",
        path: "/",
        query,
        headers,
    };
    let parsed = parse(&r)?;
    parsed.check(&expect(now))?;
    verify(
        &parsed,
        &r,
        BODY,
        SECRET,
        &expect(now),
        &SigningKeyCache::default(),
    )
}

fn with_authorization(value: &str, date: Option<&str>) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = BASE
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    if let Some(d) = date {
        h.push(("X-Amz-Date".to_owned(), d.to_owned()));
    }
    h.push(("Authorization".to_owned(), value.to_owned()));
    h
}

#[test]
fn valid_request_is_accepted() {
    let h = signed_headers(NOW, "us-east-1", "dynamodb");
    assert_eq!(authenticate(&refs(&h), "", NOW), Ok(()));
}

#[test]
fn missing_authentication_token() {
    for h in [
        BASE.to_vec(),
        refs(&with_authorization("Bearer abc", Some("20150830T123600Z"))),
        refs(&with_authorization("   ", Some("20150830T123600Z"))),
    ] {
        let err = authenticate(&h, "", NOW).unwrap_err();
        assert_eq!(err.type_name(), "MissingAuthenticationTokenException");
        assert_eq!(err.to_string(), "Request is missing Authentication Token");
    }
    // Query parameters other than X-Amz-Algorithm do not select query authentication.
    let err = authenticate(BASE, "X-Amz-Credential=x", NOW).unwrap_err();
    assert_eq!(err, AuthError::MissingAuthenticationToken);
}

#[test]
fn incomplete_signature_header_components() {
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request";
    let h = with_authorization(auth, None);
    let err = authenticate(&refs(&h), "", NOW).unwrap_err();
    assert_eq!(err.type_name(), "IncompleteSignatureException");
    assert_eq!(
        err.to_string(),
        format!(
            "Authorization header requires 'Signature' parameter. Authorization header requires \
             'SignedHeaders' parameter. Authorization header requires existence of either a \
             'X-Amz-Date' or a 'Date' header. Authorization={auth}"
        )
    );
    let h = with_authorization("AWS4-HMAC-SHA256 ", Some("20150830T123600Z"));
    assert_eq!(
        authenticate(&refs(&h), "", NOW).unwrap_err().to_string(),
        "Authorization header requires 'Credential' parameter. Authorization header requires \
         'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. \
         Authorization=AWS4-HMAC-SHA256"
    );
}

#[test]
fn incomplete_signature_query_components() {
    let err = authenticate(
        BASE,
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z",
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.type_name(), "IncompleteSignatureException");
    assert_eq!(
        err.to_string(),
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters \
         must include 'X-Amz-Signature'. AWS query-string parameters must include \
         'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
    );
}

#[test]
fn malformed_credential() {
    let h = with_authorization(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb, SignedHeaders=host;x-amz-date, Signature=00",
        Some("20150830T123600Z"),
    );
    let err = authenticate(&refs(&h), "", NOW).unwrap_err();
    assert_eq!(err.type_name(), "IncompleteSignatureException");
    assert_eq!(
        err.to_string(),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/dynamodb'"
    );
}

#[test]
fn malformed_date() {
    let h = with_authorization(
        "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
        Some("2015-08-30T12:36:00Z"),
    );
    let err = authenticate(&refs(&h), "", NOW).unwrap_err();
    assert_eq!(err.type_name(), "IncompleteSignatureException");
    assert_eq!(
        err.to_string(),
        "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
    // A `Date` header is used when X-Amz-Date is absent; an RFC 1123 date is rejected the same way.
    let mut h = with_authorization(
        "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
        None,
    );
    h.push((
        "Date".to_owned(),
        "Sun, 30 Aug 2015 12:36:00 GMT".to_owned(),
    ));
    assert_eq!(
        authenticate(&refs(&h), "", NOW).unwrap_err(),
        AuthError::MalformedDate {
            date: "Sun, 30 Aug 2015 12:36:00 GMT".to_owned()
        }
    );
}

#[test]
fn unsupported_algorithm() {
    let h = with_authorization(
        "AWS4-HMAC-SHA512 Credential=A/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
        Some("20150830T123600Z"),
    );
    let err = authenticate(&refs(&h), "", NOW).unwrap_err();
    assert_eq!(err.type_name(), "IncompleteSignatureException");
    assert_eq!(
        err.to_string(),
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "
    );
}

#[test]
fn both_authentication_forms() {
    let h = signed_headers(NOW, "us-east-1", "dynamodb");
    let err = authenticate(&refs(&h), "X-Amz-Algorithm=AWS4-HMAC-SHA256", NOW).unwrap_err();
    assert_eq!(err.type_name(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    );
}

#[test]
fn signature_mismatch_with_wrong_secret() {
    let h = signed_headers(NOW, "us-east-1", "dynamodb");
    let r = req(&[]);
    let hr = refs(&h);
    let r = RequestParts { headers: &hr, ..r };
    let parsed = parse(&r).unwrap();
    let err = verify(
        &parsed,
        &r,
        BODY,
        "wrong",
        &expect(NOW),
        &SigningKeyCache::default(),
    )
    .unwrap_err();
    assert_eq!(err.type_name(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "The request signature we calculated does not match the signature you provided. Check your \
         AWS Secret Access Key and signing method. Consult the service documentation for details."
    );
}

#[test]
fn expired_timestamp() {
    let h = signed_headers(NOW, "us-east-1", "dynamodb");
    let later = NOW + Duration::minutes(5) + Duration::seconds(1);
    let err = authenticate(&refs(&h), "", later).unwrap_err();
    assert_eq!(err.type_name(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)"
    );
    // Exactly at the edge of the window is still accepted.
    assert_eq!(
        authenticate(&refs(&h), "", NOW + Duration::minutes(5)),
        Ok(())
    );
}

#[test]
fn future_timestamp() {
    let h = signed_headers(NOW, "us-east-1", "dynamodb");
    let earlier = NOW - Duration::minutes(6);
    let err = authenticate(&refs(&h), "", earlier).unwrap_err();
    assert_eq!(err.type_name(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T123000Z + 5 min.)"
    );
    assert_eq!(
        authenticate(&refs(&h), "", NOW - Duration::minutes(5)),
        Ok(())
    );
}

#[test]
fn host_not_signed() {
    let headers = [("Content-Type", "application/x-amz-json-1.0")];
    let mut h: Vec<(String, String)> =
        vec![("Content-Type".into(), "application/x-amz-json-1.0".into())];
    h.extend(sign(
        &req(&headers),
        BODY,
        &creds(),
        "us-east-1",
        "dynamodb",
        NOW,
    ));
    let err = authenticate(&refs(&h), "", NOW).unwrap_err();
    assert_eq!(err.type_name(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "'Host' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[test]
fn scope_errors_are_joined() {
    let h = signed_headers(NOW, "eu-west-1", "s3");
    let err = authenticate(&refs(&h), "", NOW).unwrap_err();
    assert_eq!(err.type_name(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Credential should be scoped to a valid region, not 'eu-west-1'. Credential should be \
         scoped to correct service: 'dynamodb'."
    );
    let h = with_authorization(
        "AWS4-HMAC-SHA256 Credential=A/20150829/us-east-1/dynamodb/aws4_reqest, SignedHeaders=host;x-amz-date, Signature=00",
        Some("20150830T123600Z"),
    );
    assert_eq!(
        authenticate(&refs(&h), "", NOW).unwrap_err().to_string(),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'. \
         Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
         HTTP: '20150829' != '20150830', from '20150830T123600Z'."
    );
}

#[test]
fn caller_reported_errors() {
    let cases = [
        (
            AuthError::UnrecognizedClient,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        (
            AuthError::InvalidSecurityToken,
            "UnrecognizedClientException",
            "The security token included in the request is invalid",
        ),
        (
            AuthError::ExpiredToken,
            "ExpiredTokenException",
            "The security token included in the request is expired",
        ),
    ];
    for (err, ty, msg) in cases {
        assert_eq!(err.type_name(), ty);
        assert_eq!(err.to_string(), msg);
    }
}

#[test]
fn check_order_skew_before_host_and_credential_shape() {
    // Unsigned host, four-part credential and an old date: the skew error wins.
    let h = with_authorization(
        "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/dynamodb, SignedHeaders=x-amz-date, Signature=00",
        Some("20150830T120000Z"),
    );
    let err = authenticate(&refs(&h), "", NOW).unwrap_err();
    assert!(matches!(err, AuthError::SignatureExpired { .. }), "{err}");
    // In time: Host comes before the credential shape.
    let h = with_authorization(
        "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/dynamodb, SignedHeaders=x-amz-date, Signature=00",
        Some("20150830T123600Z"),
    );
    assert_eq!(
        authenticate(&refs(&h), "", NOW),
        Err(AuthError::HostNotSigned)
    );
    // Components are checked before the date format.
    let h = with_authorization("AWS4-HMAC-SHA256 Credential=A/b", Some("bad"));
    assert!(matches!(
        authenticate(&refs(&h), "", NOW),
        Err(AuthError::IncompleteSignature { .. })
    ));
}

#[test]
fn tampered_body_is_rejected_and_content_sha256_is_not_trusted() {
    let mut h = signed_headers(NOW, "us-east-1", "dynamodb");
    let r = |h: &[(&str, &str)], body: &[u8]| {
        let r = RequestParts {
            method: "POST",
            path: "/",
            query: "",
            headers: h,
        };
        let parsed = parse(&r)?;
        verify(
            &parsed,
            &r,
            body,
            SECRET,
            &expect(NOW),
            &SigningKeyCache::default(),
        )
    };
    assert_eq!(r(&refs(&h), BODY), Ok(()));
    assert_eq!(r(&refs(&h), b"{}"), Err(AuthError::SignatureMismatch));
    // An unsigned x-amz-content-sha256 claiming another body changes nothing.
    h.push(("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
    assert_eq!(r(&refs(&h), b"{}"), Err(AuthError::SignatureMismatch));
    assert_eq!(r(&refs(&h), BODY), Ok(()));
}

#[test]
fn presigned_url_expiry_and_session_token() {
    let c = Credentials {
        session_token: Some("tok/en+=".to_owned()),
        ..creds()
    };
    let query = presign(
        &req(BASE),
        BODY,
        &c,
        "us-east-1",
        "dynamodb",
        NOW,
        Duration::seconds(900),
    );
    let parsed = parse(&RequestParts {
        query: &query,
        ..req(BASE)
    })
    .unwrap();
    assert_eq!(parsed.security_token(), Some("tok/en+="));
    assert_eq!(parsed.expires(), Some(Duration::seconds(900)));
    assert_eq!(
        authenticate(BASE, &query, NOW + Duration::seconds(900)),
        Ok(())
    );
    let err = authenticate(BASE, &query, NOW + Duration::seconds(901)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)"
    );
    // A forged token parameter appended to a URL that signed the token is rejected.
    let forged = query.replace("tok%2Fen%2B%3D", "other");
    assert_eq!(
        authenticate(BASE, &forged, NOW),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn parsed_accessors() {
    let c = Credentials {
        session_token: Some("session".to_owned()),
        ..creds()
    };
    let mut h: Vec<(String, String)> = BASE
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    h.extend(sign(&req(BASE), BODY, &c, "us-east-1", "dynamodb", NOW));
    let hr = refs(&h);
    let parsed = parse(&req(&hr)).unwrap();
    assert_eq!(parsed.access_key_id(), "AKIDEXAMPLE");
    assert_eq!(parsed.security_token(), Some("session"));
    assert_eq!(parsed.scope().date(), "20150830");
    assert_eq!(parsed.scope().region(), "us-east-1");
    assert_eq!(parsed.scope().service(), "dynamodb");
    assert_eq!(parsed.timestamp(), NOW);
    assert!(
        parsed
            .signed_headers()
            .iter()
            .any(|s| s == "x-amz-security-token")
    );
    assert_eq!(authenticate(&hr, "", NOW), Ok(()));
}

#[test]
fn date_header_in_basic_format_is_accepted() {
    use palisade_sigv4::{
        PathMode, canonical_query, canonical_request, derive_signing_key, sha256_hex,
        signature_hex, string_to_sign,
    };
    let headers = [("Host", "h"), ("Date", "20150830T123600Z")];
    let r = req(&headers);
    let creq = canonical_request(
        &r,
        &["date", "host"],
        &canonical_query("", &[]),
        &sha256_hex(BODY),
        PathMode::Normalized,
    );
    let sts = string_to_sign(
        "20150830T123600Z",
        "20150830/us-east-1/dynamodb/aws4_request",
        &creq,
    );
    let sig = signature_hex(
        &derive_signing_key(SECRET, "20150830", "us-east-1", "dynamodb"),
        &sts,
    );
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request,SignedHeaders=date;host,Signature={sig}"
    );
    let mut h = headers.to_vec();
    h.push(("Authorization", &auth));
    // Components separated by commas without spaces are accepted too.
    assert_eq!(authenticate(&h, "", NOW), Ok(()));
}

#[test]
fn presigned_expires_must_be_valid() {
    let query = presign(
        &req(BASE),
        BODY,
        &creds(),
        "us-east-1",
        "dynamodb",
        NOW,
        Duration::seconds(60),
    );
    for (value, message) in [
        (
            "abc",
            "X-Amz-Expires should be a number of seconds, got 'abc'.",
        ),
        ("0", "X-Amz-Expires must be non-negative"),
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
    ] {
        let q = query.replace("X-Amz-Expires=60", &format!("X-Amz-Expires={value}"));
        let err = authenticate(BASE, &q, NOW).unwrap_err();
        assert_eq!(err.type_name(), "IncompleteSignatureException");
        assert_eq!(err.to_string(), message);
    }
    // Within the window: valid; the signature covers X-Amz-Expires, so widening it is detected.
    assert_eq!(
        authenticate(BASE, &query, NOW + Duration::seconds(60)),
        Ok(())
    );
    let widened = query.replace("X-Amz-Expires=60", "X-Amz-Expires=3600");
    assert_eq!(
        authenticate(BASE, &widened, NOW + Duration::seconds(600)),
        Err(AuthError::SignatureMismatch)
    );
}

#[test]
fn verify_fills_and_reuses_the_key_cache() {
    let cache = SigningKeyCache::new(4);
    let h = signed_headers(NOW, "us-east-1", "dynamodb");
    let hr = refs(&h);
    let r = req(&hr);
    let parsed = parse(&r).unwrap();
    assert!(cache.is_empty());
    verify(&parsed, &r, BODY, SECRET, &expect(NOW), &cache).unwrap();
    assert_eq!(cache.len(), 1);
    verify(&parsed, &r, BODY, SECRET, &expect(NOW), &cache).unwrap();
    assert_eq!(cache.len(), 1);
    // A different secret for the same key id is a different cache entry and fails.
    assert_eq!(
        verify(&parsed, &r, BODY, "rotated", &expect(NOW), &cache),
        Err(AuthError::SignatureMismatch)
    );
    assert_eq!(cache.len(), 2);
}

#[test]
fn verify_with_key_uses_the_supplied_key_after_the_checks() {
    use palisade_sigv4::{derive_signing_key, verify_with_key};
    let h = signed_headers(NOW, "us-east-1", "dynamodb");
    let hr = refs(&h);
    let r = req(&hr);
    let parsed = parse(&r).unwrap();
    let right = |scope: &palisade_sigv4::CredentialScope| {
        assert_eq!(scope.as_str(), "20150830/us-east-1/dynamodb/aws4_request");
        derive_signing_key(SECRET, scope.date(), scope.region(), scope.service())
    };
    assert_eq!(
        verify_with_key(&parsed, &r, BODY, right, &expect(NOW)),
        Ok(())
    );
    assert_eq!(
        verify_with_key(&parsed, &r, BODY, |_| [0; 32], &expect(NOW)),
        Err(AuthError::SignatureMismatch)
    );
    // The checks run first: a failing one is reported without asking for the key.
    let late = NOW + Duration::hours(1);
    let err = verify_with_key(&parsed, &r, BODY, |_| panic!("key asked"), &expect(late));
    assert!(matches!(err, Err(AuthError::SignatureExpired { .. })));
}

#[test]
fn verify_with_lookup_checks_then_looks_up_then_verifies() {
    use palisade_sigv4::{ParsedSignature, derive_signing_key, verify_with_lookup};
    let h = signed_headers(NOW, "us-east-1", "dynamodb");
    let hr = refs(&h);
    let r = req(&hr);
    let parsed = parse(&r).unwrap();
    let found = |parsed: &ParsedSignature<'_>| {
        assert_eq!(parsed.access_key_id(), "AKIDEXAMPLE");
        let scope = parsed.scope();
        let key = derive_signing_key(SECRET, scope.date(), scope.region(), scope.service());
        Ok(("the caller", key))
    };
    assert_eq!(
        verify_with_lookup(&parsed, &r, BODY, found, &expect(NOW)),
        Ok("the caller")
    );
    let wrong_key = |_: &ParsedSignature<'_>| Ok(((), [0; 32]));
    assert_eq!(
        verify_with_lookup(&parsed, &r, BODY, wrong_key, &expect(NOW)),
        Err(AuthError::SignatureMismatch)
    );
    let unknown = |_: &ParsedSignature<'_>| Err::<((), [u8; 32]), _>(AuthError::UnrecognizedClient);
    assert_eq!(
        verify_with_lookup(&parsed, &r, BODY, unknown, &expect(NOW)),
        Err(AuthError::UnrecognizedClient)
    );
    // The checks come first: a failing one is reported without a lookup.
    let late = NOW + Duration::hours(1);
    let asked =
        |_: &ParsedSignature<'_>| -> Result<((), [u8; 32]), AuthError> { panic!("looked up") };
    let err = verify_with_lookup(&parsed, &r, BODY, asked, &expect(late));
    assert!(matches!(err, Err(AuthError::SignatureExpired { .. })));
    let elsewhere = Expectations {
        region: "eu-west-1",
        ..expect(NOW)
    };
    let err = verify_with_lookup(&parsed, &r, BODY, asked, &elsewhere);
    assert!(matches!(err, Err(AuthError::CredentialScope { .. })));
}

#[test]
fn skew_boundaries_are_inclusive() {
    let h = signed_headers(NOW, "us-east-1", "dynamodb");
    let hr = refs(&h);
    let five = Duration::minutes(5);
    let nano = Duration::nanoseconds(1);
    assert_eq!(authenticate(&hr, "", NOW + five), Ok(()));
    assert_eq!(authenticate(&hr, "", NOW - five), Ok(()));
    let err = authenticate(&hr, "", NOW + five + nano).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123600Z (20150830T124100Z - 5 min.)"
    );
    let err = authenticate(&hr, "", NOW - five - nano).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T123059Z + 5 min.)"
    );
}
