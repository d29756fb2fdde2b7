//! Step one of verification: extracting the signature components from the Authorization header or
//! the presigned query string, with DynamoDB's checks in DynamoDB's order.

use std::borrow::Cow;

use time::{Duration, OffsetDateTime};

use crate::canonical::{ALGORITHM, TERMINATOR, format_amz_date, header_joined, parse_amz_date};
use crate::encode::parse_query;
use crate::{AuthError, Expectations, RequestParts};

/// Longest accepted `X-Amz-Expires` (seven days), as for every AWS presigned URL.
pub const MAX_PRESIGN_EXPIRES_SECS: i64 = 604_800;

/// Where the signature was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLocation {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    Header,
    /// Presigned URL: `X-Amz-Algorithm`, `X-Amz-Credential`, ... in the query string.
    Query,
}

/// The credential scope `date/region/service/terminator` as sent by the client.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `date/region/service/terminator`.
    text: String,
    /// Byte offsets of the three slashes in `text`.
    slashes: [usize; 3],
}

impl std::fmt::Debug for CredentialScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialScope")
            .field("date", &self.date())
            .field("region", &self.region())
            .field("service", &self.service())
            .field("terminator", &self.terminator())
            .finish()
    }
}

impl CredentialScope {
    /// `YYYYMMDD`.
    #[must_use]
    pub fn date(&self) -> &str {
        self.text.get(..self.slashes[0]).unwrap_or_default()
    }
    /// The region, e.g. `us-east-1`.
    #[must_use]
    pub fn region(&self) -> &str {
        self.text
            .get(self.slashes[0] + 1..self.slashes[1])
            .unwrap_or_default()
    }
    /// The service, e.g. `dynamodb`.
    #[must_use]
    pub fn service(&self) -> &str {
        self.text
            .get(self.slashes[1] + 1..self.slashes[2])
            .unwrap_or_default()
    }
    /// The terminator, normally `aws4_request`.
    #[must_use]
    pub fn terminator(&self) -> &str {
        self.text.get(self.slashes[2] + 1..).unwrap_or_default()
    }
    /// The scope string used in the string to sign.
    #[must_use]
    pub fn as_scope_string(&self) -> String {
        self.text.clone()
    }

    /// The scope string used in the string to sign, borrowed.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The scope of four parts (which contain no `/`).
    fn new(date: &str, region: &str, service: &str, terminator: &str) -> CredentialScope {
        let first = date.len();
        let second = first + 1 + region.len();
        let third = second + 1 + service.len();
        let mut text = String::with_capacity(third + 1 + terminator.len());
        for (i, part) in [date, region, service, terminator].into_iter().enumerate() {
            if i > 0 {
                text.push('/');
            }
            text.push_str(part);
        }
        CredentialScope {
            text,
            slashes: [first, second, third],
        }
    }
}

/// The signature components of a request, syntactically checked. Obtain with [`crate::parse`];
/// then call [`ParsedSignature::check`], look up the secret for [`ParsedSignature::access_key_id`]
/// and finish with [`crate::verify`]. `Debug` redacts the security token.
#[derive(Clone)]
pub struct ParsedSignature {
    pub(crate) location: AuthLocation,
    pub(crate) access_key_id: String,
    pub(crate) scope: CredentialScope,
    pub(crate) timestamp: OffsetDateTime,
    pub(crate) amz_date: String,
    pub(crate) signed_headers: Vec<String>,
    pub(crate) signature: String,
    pub(crate) security_token: Option<String>,
    pub(crate) expires: Option<Duration>,
    /// The first failure of the checks DynamoDB performs after the clock-skew check (Host signed,
    /// algorithm, credential shape, expiry value); reported by [`ParsedSignature::check`] after the
    /// skew check so the order of errors matches DynamoDB's.
    pub(crate) deferred: Option<AuthError>,
}

impl std::fmt::Debug for ParsedSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedSignature")
            .field("location", &self.location)
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("amz_date", &self.amz_date)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires", &self.expires)
            .field("deferred", &self.deferred)
            .finish()
    }
}

impl ParsedSignature {
    /// The access key id (first element of the credential).
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    /// The `X-Amz-Security-Token` (header, or query parameter for a presigned URL), verbatim. The
    /// caller must validate it against the access key (UnrecognizedClient / ExpiredToken).
    #[must_use]
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }
    /// The credential scope.
    #[must_use]
    pub fn scope(&self) -> &CredentialScope {
        &self.scope
    }
    /// The request timestamp (`X-Amz-Date`, or a `Date` header in basic format).
    #[must_use]
    pub fn timestamp(&self) -> OffsetDateTime {
        self.timestamp
    }
    /// Header or query authentication.
    #[must_use]
    pub fn location(&self) -> AuthLocation {
        self.location
    }
    /// The signed header names as listed by the client.
    #[must_use]
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }
    /// `X-Amz-Expires` of a presigned URL.
    #[must_use]
    pub fn expires(&self) -> Option<Duration> {
        self.expires
    }

    /// The checks that need the server's expectations, in DynamoDB's order: clock skew (and
    /// presigned expiry), then the deferred syntactic checks (Host signed, algorithm, credential
    /// shape), then the credential scope. Run it before looking up the secret so an unknown key is
    /// reported only for otherwise well-formed requests; [`crate::verify`] runs it again.
    ///
    /// # Errors
    /// `SignatureExpired`, `SignatureNotYetCurrent`, the deferred error, or `CredentialScope`.
    pub fn check(&self, expected: &Expectations<'_>) -> Result<(), AuthError> {
        self.check_time(expected)?;
        if let Some(err) = &self.deferred {
            return Err(err.clone());
        }
        self.check_scope(expected)
    }

    fn check_time(&self, expected: &Expectations<'_>) -> Result<(), AuthError> {
        let now = expected.now;
        let skew = expected.max_skew;
        let latest = now.saturating_add(skew);
        if self.timestamp > latest {
            return Err(AuthError::SignatureNotYetCurrent {
                request: self.amz_date.clone(),
                latest: format_amz_date(latest),
                now: format_amz_date(now),
                window: window_text(skew),
            });
        }
        // A presigned URL is valid for its X-Amz-Expires; a header-signed request for the skew.
        let window = self.expires.unwrap_or(skew);
        let earliest = now.saturating_sub(window);
        if self.timestamp < earliest {
            return Err(AuthError::SignatureExpired {
                request: self.amz_date.clone(),
                earliest: format_amz_date(earliest),
                now: format_amz_date(now),
                window: window_text(window),
            });
        }
        Ok(())
    }

    fn check_scope(&self, expected: &Expectations<'_>) -> Result<(), AuthError> {
        let s = &self.scope;
        let mut problems: Vec<String> = Vec::new();
        if s.region() != expected.region {
            problems.push(format!(
                "Credential should be scoped to a valid region, not '{}'.",
                s.region()
            ));
        }
        if s.service() != expected.service {
            problems.push(format!(
                "Credential should be scoped to correct service: '{}'.",
                expected.service
            ));
        }
        if s.terminator() != TERMINATOR {
            problems.push(format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
                s.terminator()
            ));
        }
        let request_day = self.amz_date.get(..8).unwrap_or("");
        if s.date() != request_day {
            problems.push(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
                s.date(),
                request_day,
                self.amz_date
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AuthError::CredentialScope {
                message: problems.join(" "),
            })
        }
    }
}

/// `5 min` for whole minutes, otherwise `N sec`.
fn window_text(d: Duration) -> String {
    let secs = d.whole_seconds();
    if secs % 60 == 0 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} sec")
    }
}

/// First non-empty value of a decoded query parameter.
fn query_value<'a>(params: &'a [crate::encode::QueryParam], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|p| p.name == name && !p.value.is_empty())
        .map(|p| p.value.as_str())
}

/// The raw components before the common checks, borrowed from the request where possible.
struct Components<'a> {
    location: AuthLocation,
    algorithm: &'a str,
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
    date: Cow<'a, str>,
    security_token: Option<Cow<'a, str>>,
    expires: Option<&'a str>,
}

fn header_components<'a>(
    auth: &'a str,
    req: &RequestParts<'a>,
) -> Result<Components<'a>, AuthError> {
    let trimmed = auth.trim_start();
    let (scheme, rest) = trimmed
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((trimmed, ""));
    if !scheme.starts_with("AWS4-") {
        return Err(AuthError::MissingAuthenticationToken);
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(|c: char| c == ',' || c.is_ascii_whitespace()) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let slot = match k {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() && !v.is_empty() {
            *slot = Some(v);
        }
    }
    let date = header_joined(req.headers, "x-amz-date")
        .or_else(|| header_joined(req.headers, "date"))
        .filter(|d| !d.is_empty());
    let mut msg = String::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !present {
            msg.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if date.is_none() {
        msg.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    if !msg.is_empty() {
        msg.push_str("Authorization=");
        msg.push_str(auth);
        return Err(AuthError::IncompleteSignature { message: msg });
    }
    Ok(Components {
        location: AuthLocation::Header,
        algorithm: scheme,
        credential: credential.unwrap_or_default(),
        signed_headers: signed_headers.unwrap_or_default(),
        signature: signature.unwrap_or_default(),
        date: date.unwrap_or_default(),
        security_token: header_joined(req.headers, "x-amz-security-token"),
        expires: None,
    })
}

fn query_components(params: &[crate::encode::QueryParam]) -> Result<Components<'_>, AuthError> {
    let mut msg = String::new();
    for name in [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ] {
        if query_value(params, name).is_none() {
            msg.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    if !msg.is_empty() {
        msg.push_str("Re-examine the query-string parameters.");
        return Err(AuthError::IncompleteSignature { message: msg });
    }
    let get = |n: &str| query_value(params, n).unwrap_or_default();
    Ok(Components {
        location: AuthLocation::Query,
        algorithm: get("X-Amz-Algorithm"),
        credential: get("X-Amz-Credential"),
        signed_headers: get("X-Amz-SignedHeaders"),
        signature: get("X-Amz-Signature"),
        date: Cow::Borrowed(get("X-Amz-Date")),
        security_token: params
            .iter()
            .find(|p| p.name == "X-Amz-Security-Token")
            .map(|p| Cow::Borrowed(p.value.as_str())),
        expires: params
            .iter()
            .find(|p| p.name == "X-Amz-Expires")
            .map(|p| p.value.as_str()),
    })
}

fn parse_expires(text: &str) -> Result<Duration, AuthError> {
    let secs: i64 = text.parse().map_err(|_| AuthError::IncompleteSignature {
        message: format!("X-Amz-Expires should be a number of seconds, got '{text}'."),
    })?;
    if secs < 1 {
        return Err(AuthError::IncompleteSignature {
            message: "X-Amz-Expires must be non-negative".to_owned(),
        });
    }
    if secs > MAX_PRESIGN_EXPIRES_SECS {
        return Err(AuthError::IncompleteSignature {
            message: format!(
                "X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_EXPIRES_SECS}"
            ),
        });
    }
    Ok(Duration::seconds(secs))
}

/// Parses the signature of a request without touching its body.
///
/// Checks, in DynamoDB's order: both forms present (`InvalidSignatureException`), missing or
/// non-SigV4 authentication (`MissingAuthenticationTokenException`), missing components and date
/// (`IncompleteSignatureException`), date format. The later checks (skew, Host signed, algorithm,
/// credential shape, scope) are reported by [`ParsedSignature::check`] / [`crate::verify`].
///
/// # Errors
/// The first failing check as an [`AuthError`].
pub fn parse(req: &RequestParts<'_>) -> Result<ParsedSignature, AuthError> {
    let params = parse_query(req.query);
    let auth_header = header_joined(req.headers, "authorization").filter(|a| !a.trim().is_empty());
    let query_auth = query_value(&params, "X-Amz-Algorithm").is_some();
    let c = match (auth_header.as_deref(), query_auth) {
        (Some(_), true) => return Err(AuthError::BothAuthenticationForms),
        (None, false) => return Err(AuthError::MissingAuthenticationToken),
        (Some(auth), false) => header_components(auth, req)?,
        (None, true) => query_components(&params)?,
    };
    let timestamp = parse_amz_date(&c.date).ok_or_else(|| AuthError::MalformedDate {
        date: c.date.to_string(),
    })?;

    let signed_headers: Vec<String> = c.signed_headers.split(';').map(str::to_owned).collect();
    let parts: Vec<&str> = c.credential.split('/').collect();
    let host_signed = signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("host") || h == ":authority");
    let mut expires = None;
    let deferred = if !host_signed {
        Some(AuthError::HostNotSigned)
    } else if c.algorithm != ALGORITHM {
        Some(AuthError::UnsupportedAlgorithm {
            algorithm: c.algorithm.to_owned(),
        })
    } else if parts.len() != 5 {
        Some(AuthError::MalformedCredential {
            credential: c.credential.to_owned(),
        })
    } else {
        match c.expires.map(parse_expires) {
            Some(Err(e)) => Some(e),
            Some(Ok(d)) => {
                expires = Some(d);
                None
            }
            None => None,
        }
    };
    let part = |i: usize| parts.get(i).copied().unwrap_or_default();
    Ok(ParsedSignature {
        location: c.location,
        access_key_id: part(0).to_owned(),
        scope: CredentialScope::new(part(1), part(2), part(3), part(4)),
        timestamp,
        amz_date: c.date.into_owned(),
        signed_headers,
        signature: c.signature.to_owned(),
        security_token: c.security_token.map(Cow::into_owned),
        expires,
        deferred,
    })
}
