//! AWS Signature Version 4: server-side verification and client-side signing.
//!
//! Role: authenticate requests to Palisade's DynamoDB-compatible endpoint exactly as DynamoDB does
//! (same checks, same order, same error types and messages) and sign requests for the load
//! generator and tests. It must not depend on DynamoDB types, an HTTP framework or any I/O: callers
//! pass plain strings and byte slices ([`RequestParts`]).
//!
//! Verification is two steps so the caller can look up the secret in between and never touches the
//! body of an unauthenticated request. DynamoDB's order of checks is kept when the caller does:
//!
//! 1. [`parse`]: both forms present, missing/unknown scheme, missing components, date format;
//! 2. [`ParsedSignature::check`]: clock skew (presigned expiry), Host signed, algorithm,
//!    credential shape, credential scope (repeated inside `verify`, so skipping it is safe, but
//!    calling it before the key lookup keeps DynamoDB's error order);
//! 3. the caller looks up the secret of [`ParsedSignature::access_key_id`] (unknown key:
//!    [`AuthError::UnrecognizedClient`]);
//! 4. [`verify`] recomputes the signature over the actual body and compares in constant time;
//!    [`verify_with_lookup`] runs steps 2 to 4 with the caller's lookup in between, checking once;
//! 5. the caller validates [`ParsedSignature::security_token`] ([`AuthError::InvalidSecurityToken`],
//!    [`AuthError::ExpiredToken`]), then parses the body.
//!
//! ```
//! use palisade_sigv4::*;
//! use time::macros::datetime;
//!
//! let now = datetime!(2015-08-30 12:36:00 UTC);
//! let creds = Credentials {
//!     access_key_id: "AKIDEXAMPLE".into(),
//!     secret_access_key: "secret".into(),
//!     session_token: None,
//! };
//! let body = br#"{"TableName":"t"}"#;
//! let plain = [("Host", "localhost:8000")];
//! let req = RequestParts { method: "POST", path: "/", query: "", headers: &plain };
//! let added = sign(&req, body, &creds, "us-east-1", "dynamodb", now);
//!
//! // Server side: the request now carries Host plus the added headers.
//! let mut all: Vec<(&str, &str)> = plain.to_vec();
//! all.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_str())));
//! let req = RequestParts { headers: &all, ..req };
//! let expected = Expectations {
//!     region: "us-east-1",
//!     service: "dynamodb",
//!     now,
//!     max_skew: Duration::minutes(5),
//! };
//! let cache = SigningKeyCache::default();
//! let parsed = parse(&req)?;
//! parsed.check(&expected)?;
//! assert_eq!(parsed.access_key_id(), "AKIDEXAMPLE");
//! verify(&parsed, &req, body, "secret", &expected, &cache)?;
//! assert_eq!(
//!     verify(&parsed, &req, b"{}", "secret", &expected, &cache),
//!     Err(AuthError::SignatureMismatch)
//! );
//! # Ok::<(), AuthError>(())
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod canonical;
mod date;
mod encode;
mod error;
mod key;
mod parse;
mod scan;
mod sign;
mod verify;

pub use canonical::{ALGORITHM, TERMINATOR, canonical_request, string_to_sign};
pub use date::{format_amz_date, parse_amz_date};
pub use encode::{PathMode, canonical_query, canonical_uri, encode_query_component};
pub use error::AuthError;
pub use key::{
    DEFAULT_CACHE_CAPACITY, SigningKeyCache, derive_signing_key, sha256_hex, signature_hex,
};
pub use parse::{AuthLocation, CredentialScope, MAX_PRESIGN_EXPIRES_SECS, ParsedSignature, parse};
pub use sign::{
    Credentials, SignOptions, Signed, presign, presign_with_options, sign, sign_with_options,
};
pub use verify::{verify, verify_with_key, verify_with_lookup};

/// Re-exported so callers can build [`Expectations`] without naming the `time` crate version.
pub use time::{Duration, OffsetDateTime};

/// The parts of an HTTP request that SigV4 covers, as plain strings.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The raw path exactly as on the wire (percent-encoded), without the query.
    pub path: &'a str,
    /// The raw query string without `?` (empty when there is none).
    pub query: &'a str,
    /// Headers in arrival order; names in any case, possibly repeated.
    pub headers: &'a [(&'a str, &'a str)],
}

/// What the server expects of a request's signature.
#[derive(Debug, Clone, Copy)]
pub struct Expectations<'a> {
    /// The server's region; the credential scope must name it.
    pub region: &'a str,
    /// The signing service name, `dynamodb` for Palisade.
    pub service: &'a str,
    /// The server's current time.
    pub now: OffsetDateTime,
    /// Accepted clock skew in both directions (DynamoDB today: 5 minutes).
    pub max_skew: Duration,
}
