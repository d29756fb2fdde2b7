//! Step two of verification: recomputing the signature over the request and its actual body.

use std::cell::RefCell;

use crate::canonical::{CanonicalParts, write_canonical_request, write_string_to_sign};
use crate::encode::{PathMode, canonical_query};
use crate::key::{HexDigest, SigningKeyCache, signature_digest};
use crate::parse::{AuthLocation, CredentialScope, ParsedSignature};
use crate::{AuthError, Expectations, RequestParts};

/// Query parameter carrying a presigned URL's signature (never part of the canonical query).
const SIGNATURE_PARAM: &str = "X-Amz-Signature";
/// Query parameter carrying a session token.
const TOKEN_PARAM: &str = "X-Amz-Security-Token";

/// Buffers kept above this capacity after use are dropped rather than kept for the thread.
const SCRATCH_KEEP: usize = 16 * 1024;

thread_local! {
    /// The text buffer of [`with_scratch`], one per thread.
    static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs `f` with an empty text buffer: the thread's reused one (no allocation per request), or a
/// new one if that is already in use.
fn with_scratch<R>(f: impl FnOnce(&mut String) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut text) => {
            text.clear();
            let result = f(&mut text);
            if text.capacity() > SCRATCH_KEEP {
                *text = String::new();
            }
            result
        }
        Err(_) => f(&mut String::new()),
    })
}

/// Verifies a parsed signature against the request, its body and the caller's secret.
///
/// Runs [`ParsedSignature::check`] first (skew, deferred syntax checks, scope), then recomputes the
/// signature with the payload hash taken from `body` itself (a client-sent `x-amz-content-sha256`
/// is only ever a signed header, never trusted as the hash, so `UNSIGNED-PAYLOAD` signatures do not
/// verify) and compares in constant time. The path is normalised and encoded as for every non-S3
/// service. For a presigned URL whose `X-Amz-Security-Token` was appended after signing, the
/// signature is also accepted without that parameter in the canonical query (as AWS's test suite
/// `post-sts-header-after` does).
///
/// # Errors
/// The check errors, or [`AuthError::SignatureMismatch`].
pub fn verify(
    parsed: &ParsedSignature<'_>,
    req: &RequestParts<'_>,
    body: &[u8],
    secret: &str,
    expected: &Expectations<'_>,
    cache: &SigningKeyCache,
) -> Result<(), AuthError> {
    let signing_key = |scope: &CredentialScope<'_>| {
        cache.signing_key(
            parsed.access_key_id(),
            secret,
            scope.date(),
            scope.region(),
            scope.service(),
        )
    };
    verify_with_key(parsed, req, body, signing_key, expected)
}

/// [`verify`] with the signing key supplied by the caller: `signing_key` is called once, after
/// the checks pass, with the request's credential scope and must return the key derived from the
/// caller's secret for that scope ([`crate::derive_signing_key`], possibly remembered from an
/// earlier request of the same key and scope).
///
/// # Errors
/// The check errors, or [`AuthError::SignatureMismatch`].
pub fn verify_with_key(
    parsed: &ParsedSignature<'_>,
    req: &RequestParts<'_>,
    body: &[u8],
    signing_key: impl FnOnce(&CredentialScope<'_>) -> [u8; 32],
    expected: &Expectations<'_>,
) -> Result<(), AuthError> {
    let lookup = |parsed: &ParsedSignature<'_>| Ok(((), signing_key(parsed.scope())));
    verify_with_lookup(parsed, req, body, lookup, expected)
}

/// The whole verification after [`crate::parse`], in DynamoDB's order, with the checks made
/// once: [`ParsedSignature::check`], then `lookup`, which finds the caller of
/// [`ParsedSignature::access_key_id`] (or fails, e.g. with [`AuthError::UnrecognizedClient`])
/// and returns it with the signing key of its secret for [`ParsedSignature::scope`], then the
/// signature as in [`verify`]. Returns what `lookup` found.
///
/// # Errors
/// The check errors, `lookup`'s error, or [`AuthError::SignatureMismatch`].
pub fn verify_with_lookup<T>(
    parsed: &ParsedSignature<'_>,
    req: &RequestParts<'_>,
    body: &[u8],
    lookup: impl FnOnce(&ParsedSignature<'_>) -> Result<(T, [u8; 32]), AuthError>,
    expected: &Expectations<'_>,
) -> Result<T, AuthError> {
    parsed.check(expected)?;
    let (found, key) = lookup(parsed)?;
    let scope = parsed.scope();
    let payload_hash = HexDigest::sha256(body);
    let scope_string = scope.as_str();
    let candidate = |exclude: &[&str]| {
        let query = canonical_query(req.query, exclude);
        let parts = CanonicalParts {
            canonical_query: &query,
            signed_header_list: parsed.signed_header_text(),
            payload_hash: payload_hash.as_str(),
            mode: PathMode::Normalized,
        };
        with_scratch(|text| {
            write_canonical_request(text, req, parsed.signed_header_names(), &parts);
            let creq_hash = HexDigest::sha256(text.as_bytes());
            text.clear();
            write_string_to_sign(text, parsed.amz_date(), scope_string, &creq_hash);
            signature_digest(&key, text.as_bytes())
        })
    };
    let provided = parsed.signature().as_bytes();
    let matches = match parsed.location {
        AuthLocation::Header => candidate(&[]).ct_eq_text(provided),
        AuthLocation::Query => {
            let with_token = candidate(&[SIGNATURE_PARAM]).ct_eq_text(provided);
            if parsed.security_token().is_some() {
                let without = candidate(&[SIGNATURE_PARAM, TOKEN_PARAM]).ct_eq_text(provided);
                with_token | without
            } else {
                with_token
            }
        }
    };
    if bool::from(matches) {
        Ok(found)
    } else {
        Err(AuthError::SignatureMismatch)
    }
}
