//! The shape-only authentication and authorization of an [`crate::Api`] made without
//! identities ([`crate::Api::new`], for tests of the protocol layer).
//!
//! [`authenticate`] checks that a request carries a well-formed AWS Signature Version 4 (header
//! or presigned query), answering malformed ones with DynamoDB's exact errors, but does not
//! verify the signature: there is no directory to find the secret in. [`authorize`] allows
//! everything. An API with identities never calls either: it authenticates with
//! [`crate::authn`] (the signature verified with `palisade-sigv4` against the directory's
//! secret) and authorizes with [`crate::authorizer`] (the IAM engine).

use http::HeaderMap;

use crate::error::{ApiError, ErrorKind};
use crate::operation::Operation;

/// The only signing algorithm DynamoDB accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Where the signature of a request was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLocation {
    /// The `Authorization` header.
    Header,
    /// Presigned `X-Amz-*` query parameters.
    Query,
}

/// The parts of a SigV4 signature, as the client sent them (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParts {
    pub location: SignatureLocation,
    /// `AKID/YYYYMMDD/region/service/aws4_request` split at `/`.
    pub access_key_id: String,
    pub scope_date: String,
    pub scope_region: String,
    pub scope_service: String,
    pub scope_terminator: String,
    /// Lower-case header names, in the order given.
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// `X-Amz-Date` (or `Date`) as sent.
    pub date: String,
    /// `X-Amz-Security-Token`, if any.
    pub security_token: Option<String>,
}

/// Who made a request, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The access key id the request was signed with.
    pub access_key_id: String,
    /// The signature the caller was identified by.
    pub signature: SignatureParts,
}

/// Checks the shape of a request's signature from its headers and query string.
///
/// The signature is not verified: any well-formed `AWS4-HMAC-SHA256` signature is accepted
/// (see the module's documentation). `raw_body`, the payload as sent on the wire, is unused.
pub fn authenticate(
    headers: &HeaderMap,
    query: Option<&str>,
    raw_body: &[u8],
) -> Result<Caller, ApiError> {
    let _ = raw_body;
    let signature = parse_signature(headers, query)?;
    Ok(Caller {
        access_key_id: signature.access_key_id.clone(),
        signature,
    })
}

/// Allows `caller` to perform `op`, whatever they are (an API without identities has no
/// policies to evaluate; see the module's documentation).
pub fn authorize(caller: &Caller, op: Operation) -> Result<(), ApiError> {
    let _ = (caller, op);
    Ok(())
}

/// Extracts the SigV4 signature parts from the `Authorization` header or the presigned query,
/// with DynamoDB's errors, in DynamoDB's order, for missing or malformed parts.
pub fn parse_signature(
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<SignatureParts, ApiError> {
    let auth_header = headers
        .get(http::header::AUTHORIZATION)
        .map(|v| lossy(v.as_bytes()));
    let query_params = query.map(parse_query).unwrap_or_default();
    let has_query_auth = query_params.iter().any(|(k, _)| k == "X-Amz-Algorithm");

    if auth_header.is_some() && has_query_auth {
        return Err(ApiError::new(
            ErrorKind::InvalidSignature,
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
        ));
    }
    match auth_header {
        Some(header) if header.trim().starts_with("AWS4-") => parse_header(&header, headers),
        Some(_) => Err(missing_token()),
        None if has_query_auth => parse_query_signature(&query_params, headers),
        None => Err(missing_token()),
    }
}

fn missing_token() -> ApiError {
    ApiError::new(
        ErrorKind::MissingAuthenticationToken,
        "Request is missing Authentication Token",
    )
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::IncompleteSignature, message)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| lossy(v.as_bytes()))
}

fn parse_header(header: &str, headers: &HeaderMap) -> Result<SignatureParts, ApiError> {
    let trimmed = header.trim();
    let mut tokens = trimmed.split([',', ' ']).filter(|t| !t.is_empty());
    let algorithm = tokens.next().unwrap_or_default().to_string();
    let mut credential = None;
    let mut signature = None;
    let mut signed_headers = None;
    for token in tokens {
        let (key, value) = token.split_once('=').unwrap_or((token, ""));
        let slot = match key {
            "Credential" => &mut credential,
            "Signature" => &mut signature,
            "SignedHeaders" => &mut signed_headers,
            _ => continue,
        };
        if !value.is_empty() {
            *slot = Some(value.to_string());
        }
    }
    let date = header_str(headers, "x-amz-date").or_else(|| header_str(headers, "date"));

    let mut message = String::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !present {
            message.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if date.is_none() {
        message.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signature), Some(signed_headers), Some(date)) =
        (credential, signature, signed_headers, date)
    else {
        return Err(incomplete(format!("{message}Authorization={header}")));
    };
    let amz_date = header_str(headers, "x-amz-date");
    finish(
        SignatureLocation::Header,
        &algorithm,
        &credential,
        &signed_headers,
        signature,
        date,
        amz_date.is_some(),
        header_str(headers, "x-amz-security-token"),
    )
}

fn parse_query_signature(
    params: &[(String, String)],
    headers: &HeaderMap,
) -> Result<SignatureParts, ApiError> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    let required = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ];
    let mut message = String::new();
    for name in required {
        if get(name).is_none() {
            message.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    if !message.is_empty() {
        message.push_str("Re-examine the query-string parameters.");
        return Err(incomplete(message));
    }
    let value = |name: &str| get(name).unwrap_or_default();
    finish(
        SignatureLocation::Query,
        &value("X-Amz-Algorithm"),
        &value("X-Amz-Credential"),
        &value("X-Amz-SignedHeaders"),
        value("X-Amz-Signature"),
        value("X-Amz-Date"),
        true,
        get("X-Amz-Security-Token").or_else(|| header_str(headers, "x-amz-security-token")),
    )
}

/// The checks shared by both forms, in the order DynamoDB applies them: date format, `host`
/// signed, algorithm, credential shape.
#[allow(clippy::too_many_arguments)]
fn finish(
    location: SignatureLocation,
    algorithm: &str,
    credential: &str,
    signed_headers: &str,
    signature: String,
    date: String,
    date_is_iso: bool,
    security_token: Option<String>,
) -> Result<SignatureParts, ApiError> {
    if date_is_iso && !is_iso8601_basic(&date) {
        return Err(incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    }
    let signed: Vec<String> = signed_headers
        .split(';')
        .filter(|h| !h.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if !signed.iter().any(|h| h == "host" || h == ":authority") {
        return Err(ApiError::new(
            ErrorKind::InvalidSignature,
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
        )));
    }
    let parts: Vec<&str> = credential.trim_end_matches('/').split('/').collect();
    let [key, scope_date, region, service, terminator] = parts.as_slice() else {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    Ok(SignatureParts {
        location,
        access_key_id: (*key).to_string(),
        scope_date: (*scope_date).to_string(),
        scope_region: (*region).to_string(),
        scope_service: (*service).to_string(),
        scope_terminator: (*terminator).to_string(),
        signed_headers: signed,
        signature,
        date,
        security_token,
    })
}

/// `YYYYMMDDTHHMMSSZ`.
fn is_iso8601_basic(date: &str) -> bool {
    let b = date.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[9..15].iter().all(u8::is_ascii_digit)
}

/// Splits a query string into percent-decoded `(name, value)` pairs.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16)),
                bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16)),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(byte);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
