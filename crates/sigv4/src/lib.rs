//! AWS Signature Version 4: server-side verification and client-side signing.
//!
//! Role: authenticate requests to Palisade's DynamoDB-compatible endpoint exactly as DynamoDB does
//! (same checks, same order, same error types and messages) and sign requests for the load
//! generator and tests. It must not depend on DynamoDB types, an HTTP framework or any I/O: callers
//! pass plain strings and byte slices ([`RequestParts`]).
//!
//! Verification is two steps so the caller can look up the secret in between and never touches the
//! body of an unauthenticated request:
//!
//! 1. [`parse`] extracts the signature (header or presigned query form);
//! 2. [`ParsedSignature::check`] applies the clock-skew and credential-scope checks (optional; it is
//!    repeated by `verify`, but calling it before the key lookup keeps DynamoDB's error order);
//! 3. the caller looks up the secret of [`ParsedSignature::access_key_id`] (unknown key:
//!    [`AuthError::UnrecognizedClient`]) and validates the session token;
//! 4. [`verify`] recomputes the signature over the actual body and compares in constant time.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod canonical;
mod encode;
mod error;
mod key;
mod parse;
mod sign;
mod verify;

pub use canonical::{
    ALGORITHM, TERMINATOR, canonical_request, format_amz_date, parse_amz_date, string_to_sign,
};
pub use encode::{PathMode, canonical_query, canonical_uri, encode_query_component};
pub use error::AuthError;
pub use key::{
    DEFAULT_CACHE_CAPACITY, SigningKeyCache, derive_signing_key, sha256_hex, signature_hex,
};
pub use parse::{AuthLocation, CredentialScope, MAX_PRESIGN_EXPIRES_SECS, ParsedSignature, parse};
pub use sign::{
    Credentials, SignOptions, Signed, presign, presign_with_options, sign, sign_with_options,
};
pub use verify::verify;

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
