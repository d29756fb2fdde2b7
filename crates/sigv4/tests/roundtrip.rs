//! Property tests: whatever we sign verifies, and tampering with the body, a signed header or the
//! path makes verification fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palisade_sigv4::{
    AuthError, Credentials, Duration, Expectations, OffsetDateTime, RequestParts, SigningKeyCache,
    encode_query_component, parse, presign, sign, verify,
};
use proptest::prelude::*;

const REGION: &str = "us-east-1";
const SERVICE: &str = "dynamodb";

#[derive(Debug, Clone)]
struct Case {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    creds: Credentials,
    now: OffsetDateTime,
}

fn case() -> impl Strategy<Value = Case> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]);
    let path = prop::collection::vec("[a-zA-Z0-9._~ %+-]{0,6}|\\.|\\.\\.|[é€ሴ]{1,2}", 0..5)
        .prop_map(|segs| format!("/{}", segs.join("/")));
    let query = prop::collection::vec(
        ("[a-zA-Z0-9 +=&%é_.~-]{1,6}", "[a-zA-Z0-9 +=&%é/_.~-]{0,6}"),
        0..4,
    )
    .prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    encode_query_component(k),
                    encode_query_component(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    let headers = prop::collection::vec(
        ("x-(meta|Custom|amz-target)-[a-z]{1,4}", "[ -~\t]{0,16}"),
        0..4,
    );
    let body = prop::collection::vec(any::<u8>(), 0..64);
    let token = prop::option::of("[A-Za-z0-9/+=]{8,24}");
    let secs = 1_400_000_000i64..2_000_000_000i64;
    (
        method,
        path,
        query,
        headers,
        body,
        "[A-Z0-9]{16,20}",
        "[A-Za-z0-9/+]{40}",
        token,
        secs,
    )
        .prop_map(
            |(method, path, query, mut headers, body, akid, secret, token, secs)| {
                headers.insert(
                    0,
                    (
                        "Host".to_owned(),
                        "dynamodb.us-east-1.amazonaws.com".to_owned(),
                    ),
                );
                Case {
                    method: method.to_owned(),
                    path,
                    query,
                    headers,
                    body,
                    creds: Credentials {
                        access_key_id: akid,
                        secret_access_key: secret,
                        session_token: token,
                    },
                    now: OffsetDateTime::from_unix_timestamp(secs).unwrap(),
                }
            },
        )
}

fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

/// Signs with the Authorization header and returns all request headers.
fn header_signed(c: &Case) -> Vec<(String, String)> {
    let plain = refs(&c.headers);
    let req = RequestParts {
        method: &c.method,
        path: &c.path,
        query: &c.query,
        headers: &plain,
    };
    let mut all = c.headers.clone();
    all.extend(sign(&req, &c.body, &c.creds, REGION, SERVICE, c.now));
    all
}

/// Server side: parse and verify.
fn server(
    c: &Case,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), AuthError> {
    let h = refs(headers);
    let req = RequestParts {
        method: &c.method,
        path,
        query,
        headers: &h,
    };
    let parsed = parse(&req)?;
    assert_eq!(parsed.access_key_id(), c.creds.access_key_id);
    assert_eq!(parsed.security_token(), c.creds.session_token.as_deref());
    let expected = Expectations {
        region: REGION,
        service: SERVICE,
        now: c.now,
        max_skew: Duration::minutes(5),
    };
    verify(
        &parsed,
        &req,
        body,
        &c.creds.secret_access_key,
        &expected,
        &SigningKeyCache::new(8),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn header_signing_round_trips(c in case()) {
        let headers = header_signed(&c);
        prop_assert_eq!(server(&c, &c.path, &c.query, &headers, &c.body), Ok(()));
    }

    #[test]
    fn header_signing_detects_tampering(c in case(), flip in any::<u8>(), which in 0usize..8) {
        let headers = header_signed(&c);
        // Body: flip bits of one byte, or append one.
        let mut body = c.body.clone();
        if body.is_empty() {
            body.push(flip);
        } else {
            let i = usize::from(flip) % body.len();
            body[i] ^= flip | 1;
        }
        prop_assert_eq!(server(&c, &c.path, &c.query, &headers, &body), Err(AuthError::SignatureMismatch));
        // A signed header's value.
        let mut tampered = headers.clone();
        let signed_custom: Vec<usize> = (0..c.headers.len()).collect();
        let idx = signed_custom[which % signed_custom.len()];
        tampered[idx].1.push('x');
        prop_assert_eq!(server(&c, &c.path, &c.query, &tampered, &c.body), Err(AuthError::SignatureMismatch));
        // The path.
        let path = format!("{}z", c.path);
        prop_assert_eq!(server(&c, &path, &c.query, &headers, &c.body), Err(AuthError::SignatureMismatch));
        // The query.
        let query = if c.query.is_empty() { "extra=1".to_owned() } else { format!("{}&extra=1", c.query) };
        prop_assert_eq!(server(&c, &c.path, &query, &headers, &c.body), Err(AuthError::SignatureMismatch));
    }

    #[test]
    fn presigning_round_trips_and_detects_tampering(c in case(), flip in any::<u8>()) {
        let plain = refs(&c.headers);
        let req = RequestParts { method: &c.method, path: &c.path, query: &c.query, headers: &plain };
        let query = presign(&req, &c.body, &c.creds, REGION, SERVICE, c.now, Duration::minutes(15));
        prop_assert_eq!(server(&c, &c.path, &query, &c.headers, &c.body), Ok(()));
        let mut body = c.body.clone();
        body.push(flip);
        prop_assert_eq!(server(&c, &c.path, &query, &c.headers, &body), Err(AuthError::SignatureMismatch));
        let path = format!("{}z", c.path);
        prop_assert_eq!(server(&c, &path, &query, &c.headers, &c.body), Err(AuthError::SignatureMismatch));
        let mut headers = c.headers.clone();
        headers[0].1.push('x');
        prop_assert_eq!(server(&c, &c.path, &query, &headers, &c.body), Err(AuthError::SignatureMismatch));
    }
}
