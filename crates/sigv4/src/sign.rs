//! Client-side signing (for the load generator and tests): Authorization header and presigned URL.

use time::{Duration, OffsetDateTime};

use crate::RequestParts;
use crate::canonical::{ALGORITHM, TERMINATOR, canonical_request, string_to_sign};
use crate::date::format_amz_date;
use crate::encode::{PathMode, canonical_query, encode_query_component};
use crate::key::{derive_signing_key, sha256_hex, signature_hex};

/// Long-term or temporary AWS credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id (`AKIA...` / `ASIA...`).
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token of temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Signing variations needed by the AWS test suite; [`SignOptions::default`] is what a DynamoDB
/// client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignOptions {
    /// Path handling (default: normalised, as every non-S3 service).
    pub path_mode: PathMode,
    /// Header form only: also add and sign `x-amz-content-sha256`.
    pub content_sha256_header: bool,
    /// Sign the session token (default); `false` adds it after signing.
    pub sign_session_token: bool,
}

impl Default for SignOptions {
    fn default() -> Self {
        Self {
            path_mode: PathMode::Normalized,
            content_sha256_header: false,
            sign_session_token: true,
        }
    }
}

/// Everything a signing produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The hex signature.
    pub signature: String,
    /// Headers to add to the request (lower-case names); empty for a presigned URL.
    pub headers: Vec<(String, String)>,
    /// The query string to send (unchanged for the header form; with the `X-Amz-*` parameters for
    /// a presigned URL).
    pub query: String,
}

/// Whether a caller header takes part in signing: all except those the signer itself produces.
fn is_caller_header(name: &str) -> bool {
    ![
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    ]
    .iter()
    .any(|own| name.eq_ignore_ascii_case(own))
}

/// Lower-case, sorted, de-duplicated names of the caller headers that get signed.
fn signable_names(req: &RequestParts<'_>) -> Vec<String> {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .filter(|(n, _)| is_caller_header(n))
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Signs `req` with an Authorization header, returning the details; see [`sign`].
#[must_use]
pub fn sign_with_options(
    req: &RequestParts<'_>,
    body: &[u8],
    creds: &Credentials,
    region: &str,
    service: &str,
    now: OffsetDateTime,
    options: &SignOptions,
) -> Signed {
    let amz_date = format_amz_date(now);
    let date = amz_date.get(..8).unwrap_or_default();
    let scope = format!("{date}/{region}/{service}/{TERMINATOR}");
    let payload_hash = sha256_hex(body);

    let mut added: Vec<(String, String)> = vec![("x-amz-date".to_owned(), amz_date.clone())];
    if options.content_sha256_header {
        added.push(("x-amz-content-sha256".to_owned(), payload_hash.clone()));
    }
    let mut names = signable_names(req);
    names.extend(added.iter().map(|(n, _)| n.clone()));
    if let Some(token) = &creds.session_token
        && options.sign_session_token
    {
        added.push(("x-amz-security-token".to_owned(), token.clone()));
        names.push("x-amz-security-token".to_owned());
    }
    names.sort();
    names.dedup();

    let mut all_headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .filter(|(n, _)| is_caller_header(n))
        .copied()
        .collect();
    all_headers.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let view = RequestParts {
        headers: &all_headers,
        ..*req
    };
    let signed: Vec<&str> = names.iter().map(String::as_str).collect();
    let creq = canonical_request(
        &view,
        &signed,
        &canonical_query(req.query, &[]),
        &payload_hash,
        options.path_mode,
    );
    let sts = string_to_sign(&amz_date, &scope, &creq);
    let key = derive_signing_key(&creds.secret_access_key, date, region, service);
    let signature = signature_hex(&key, &sts);

    let mut headers = added;
    if let Some(token) = &creds.session_token
        && !options.sign_session_token
    {
        headers.push(("x-amz-security-token".to_owned(), token.clone()));
    }
    headers.push((
        "authorization".to_owned(),
        format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            creds.access_key_id,
            signed.join(";")
        ),
    ));
    Signed {
        canonical_request: creq,
        string_to_sign: sts,
        signature,
        headers,
        query: req.query.to_owned(),
    }
}

/// Signs `req` (whose headers must include `Host`) for the Authorization-header form and returns
/// the headers to add: `x-amz-date`, `x-amz-security-token` when the credentials carry a token, and
/// `authorization`. Every header of `req` is signed, except `authorization`, `x-amz-date`,
/// `x-amz-security-token` and `x-amz-content-sha256`, which the caller must not send itself.
#[must_use]
pub fn sign(
    req: &RequestParts<'_>,
    body: &[u8],
    creds: &Credentials,
    region: &str,
    service: &str,
    now: OffsetDateTime,
) -> Vec<(String, String)> {
    sign_with_options(
        req,
        body,
        creds,
        region,
        service,
        now,
        &SignOptions::default(),
    )
    .headers
}

/// Presigns `req`, returning the details; see [`presign`].
#[must_use]
#[allow(clippy::too_many_arguments)]
pub fn presign_with_options(
    req: &RequestParts<'_>,
    body: &[u8],
    creds: &Credentials,
    region: &str,
    service: &str,
    now: OffsetDateTime,
    expires: Duration,
    options: &SignOptions,
) -> Signed {
    let amz_date = format_amz_date(now);
    let date = amz_date.get(..8).unwrap_or_default();
    let scope = format!("{date}/{region}/{service}/{TERMINATOR}");
    let names = signable_names(req);
    let signed: Vec<&str> = names.iter().map(String::as_str).collect();

    let mut query = req.query.to_owned();
    let mut push = |name: &str, value: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&encode_query_component(value));
    };
    push("X-Amz-Algorithm", ALGORITHM);
    push(
        "X-Amz-Credential",
        &format!("{}/{scope}", creds.access_key_id),
    );
    push("X-Amz-Date", &amz_date);
    push("X-Amz-Expires", &expires.whole_seconds().to_string());
    push("X-Amz-SignedHeaders", &signed.join(";"));
    if let Some(token) = &creds.session_token
        && options.sign_session_token
    {
        push("X-Amz-Security-Token", token);
    }

    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .filter(|(n, _)| is_caller_header(n))
        .copied()
        .collect();
    let view = RequestParts {
        query: &query,
        headers: &headers,
        ..*req
    };
    let creq = canonical_request(
        &view,
        &signed,
        &canonical_query(&query, &[]),
        &sha256_hex(body),
        options.path_mode,
    );
    let sts = string_to_sign(&amz_date, &scope, &creq);
    let key = derive_signing_key(&creds.secret_access_key, date, region, service);
    let signature = signature_hex(&key, &sts);

    if let Some(token) = &creds.session_token
        && !options.sign_session_token
    {
        query.push_str("&X-Amz-Security-Token=");
        query.push_str(&encode_query_component(token));
    }
    query.push_str("&X-Amz-Signature=");
    query.push_str(&signature);
    Signed {
        canonical_request: creq,
        string_to_sign: sts,
        signature,
        headers: Vec::new(),
        query,
    }
}

/// Presigns `req` (whose headers must include `Host`; all its headers are signed) and returns the
/// complete query string to send: the original query followed by `X-Amz-Algorithm`,
/// `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
/// `X-Amz-Security-Token` (when present) and `X-Amz-Signature`. The payload hash is that of `body`.
#[must_use]
pub fn presign(
    req: &RequestParts<'_>,
    body: &[u8],
    creds: &Credentials,
    region: &str,
    service: &str,
    now: OffsetDateTime,
    expires: Duration,
) -> String {
    presign_with_options(
        req,
        body,
        creds,
        region,
        service,
        now,
        expires,
        &SignOptions::default(),
    )
    .query
}
