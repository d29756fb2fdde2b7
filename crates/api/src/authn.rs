//! The authentication step: the request's SigV4 signature is parsed and checked in DynamoDB's
//! order, the access key is looked up in the directory, the signature is verified over the
//! bytes as sent, and the session token of temporary credentials is checked. The body is not
//! parsed before this step succeeds.

use std::sync::Arc;

use palisade_directory::{Directory, KeyIdentity};
use palisade_sigv4::{AuthError, Expectations, ParsedSignature, RequestParts, SigningKeyCache};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ErrorKind};

/// DynamoDB's clock-skew window.
pub const MAX_SKEW: time::Duration = time::Duration::minutes(5);

/// The clock-skew window of IAM and STS: real STS answers `Signature expired: … (… - 15 min.)`
/// and `Signature not yet current: … (… + 15 min.)` with `SignatureDoesNotMatch`, 403
/// (aws/aws-cli#6676; the reference's section (f) on time).
pub const QUERY_MAX_SKEW: time::Duration = time::Duration::minutes(15);

/// The wire error for a SigV4 failure.
pub fn auth_error(e: &AuthError) -> ApiError {
    let kind = match e.type_name() {
        "MissingAuthenticationTokenException" => ErrorKind::MissingAuthenticationToken,
        "IncompleteSignatureException" => ErrorKind::IncompleteSignature,
        "UnrecognizedClientException" => ErrorKind::UnrecognizedClient,
        "ExpiredTokenException" => ErrorKind::ExpiredToken,
        _ => ErrorKind::InvalidSignature,
    };
    ApiError::new(kind, e.to_string())
}

/// Authenticates a request for `service` (`dynamodb`, `iam`, `sts`, `organizations`) in
/// `region`, with DynamoDB's clock-skew window. `raw_body` is the payload as sent (what SigV4
/// hashes). The identity is shared with every other request signed with the same key.
pub fn authenticate(
    directory: &Directory,
    cache: &SigningKeyCache,
    parts: &http::request::Parts,
    raw_body: &[u8],
    region: &str,
    service: &str,
) -> Result<Arc<KeyIdentity>, ApiError> {
    authenticate_within(directory, cache, parts, raw_body, region, service, MAX_SKEW)
}

/// Requests with at most this many header values list them without allocating.
const STACK_HEADERS: usize = 24;

/// The header values that are text (`HeaderValue::to_str`: visible ASCII and tabs), as
/// name/value pairs in arrival order: in `on_stack` when they fit, else in `on_heap`.
fn text_headers<'a, 'b>(
    map: &'a http::HeaderMap,
    on_stack: &'b mut [(&'a str, &'a str); STACK_HEADERS],
    on_heap: &'b mut Vec<(&'a str, &'a str)>,
) -> &'b [(&'a str, &'a str)] {
    let texts = map
        .iter()
        .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v)));
    if map.len() <= STACK_HEADERS {
        let mut used = 0;
        for (slot, pair) in on_stack.iter_mut().zip(texts) {
            *slot = pair;
            used += 1;
        }
        return on_stack.get(..used).unwrap_or_default();
    }
    on_heap.extend(texts);
    on_heap
}

/// [`authenticate`] with the service's clock-skew window (`max_skew`).
pub fn authenticate_within(
    directory: &Directory,
    cache: &SigningKeyCache,
    parts: &http::request::Parts,
    raw_body: &[u8],
    region: &str,
    service: &str,
    max_skew: time::Duration,
) -> Result<Arc<KeyIdentity>, ApiError> {
    let mut on_stack = [("", ""); STACK_HEADERS];
    let mut on_heap = Vec::new();
    let headers = text_headers(&parts.headers, &mut on_stack, &mut on_heap);
    let req = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers,
    };
    let parsed = palisade_sigv4::parse(&req).map_err(|e| auth_error(&e))?;
    let expected = Expectations {
        region,
        service,
        now: time::OffsetDateTime::now_utc(),
        max_skew,
    };
    // The checks, then the key lookup (an unknown key is reported only for an otherwise
    // well-formed request, as DynamoDB does), then the signature.
    let lookup = |parsed: &ParsedSignature<'_>| {
        let identity = directory
            .lookup_access_key_shared(parsed.access_key_id())
            .ok_or(AuthError::UnrecognizedClient)?;
        let scope = parsed.scope();
        let key = identity.signing_key(scope.as_str(), || {
            cache.signing_key(
                parsed.access_key_id(),
                identity.secret.expose(),
                scope.date(),
                scope.region(),
                scope.service(),
            )
        });
        Ok((identity, key))
    };
    let identity = palisade_sigv4::verify_with_lookup(&parsed, &req, raw_body, lookup, &expected)
        .map_err(|e| auth_error(&e))?;
    match (&identity.session_token, parsed.security_token()) {
        (None, None) => {}
        (Some(expected), Some(given)) => {
            if !bool::from(expected.expose().as_bytes().ct_eq(given.as_bytes())) {
                return Err(auth_error(&AuthError::InvalidSecurityToken));
            }
        }
        (None, Some(_)) | (Some(_), None) => {
            return Err(auth_error(&AuthError::InvalidSecurityToken));
        }
    }
    if identity.is_expired(expected.now.unix_timestamp()) {
        return Err(auth_error(&AuthError::ExpiredToken));
    }
    Ok(identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_headers_keep_arrival_order_on_the_stack_and_the_heap() {
        let mut map = http::HeaderMap::new();
        map.append("host", http::HeaderValue::from_static("h"));
        map.append("x-a", http::HeaderValue::from_static("1"));
        map.append("x-a", http::HeaderValue::from_bytes(b"\xff").unwrap());
        map.append("x-a", http::HeaderValue::from_static("2"));
        let mut on_stack = [("", ""); STACK_HEADERS];
        let mut on_heap = Vec::new();
        let got = text_headers(&map, &mut on_stack, &mut on_heap).to_vec();
        assert_eq!(got, [("host", "h"), ("x-a", "1"), ("x-a", "2")]);
        assert!(on_heap.is_empty());

        for i in 0..STACK_HEADERS {
            map.append(
                http::HeaderName::from_bytes(format!("x-{i}").as_bytes()).unwrap(),
                http::HeaderValue::from_static("v"),
            );
        }
        let mut on_stack = [("", ""); STACK_HEADERS];
        let mut on_heap = Vec::new();
        let got = text_headers(&map, &mut on_stack, &mut on_heap).to_vec();
        let expected: Vec<(&str, &str)> = map
            .iter()
            .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v)))
            .collect();
        assert_eq!(got, expected);
        assert_eq!(got.len(), STACK_HEADERS + 3);
    }
}
