//! Step one of verification: extracting the signature components from the Authorization header or
//! the presigned query string, with DynamoDB's checks in DynamoDB's order.
//!
//! A header-signed request is parsed without allocating: the parsed signature borrows its texts
//! from the request (only repeated headers, joined with `,`, and presigned query parameters,
//! which are percent-decoded, are copied).

use std::borrow::Cow;
use std::sync::OnceLock;

use time::{Duration, OffsetDateTime};

use crate::canonical::{ALGORITHM, TERMINATOR, header_joined, same_header_name};
use crate::date::{format_amz_date, parse_amz_date};
use crate::encode::parse_query;
use crate::scan::{find_below, same_text, split_ascii, split_at_byte, trim};
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
#[derive(Clone)]
pub struct CredentialScope<'a> {
    /// `access-key-id/date/region/service/terminator`: the credential as sent when it has five
    /// parts, otherwise its first five parts (missing ones empty) joined again.
    text: Cow<'a, str>,
    /// Byte offsets of the four slashes in `text`.
    slashes: [usize; 4],
}

impl PartialEq for CredentialScope<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for CredentialScope<'_> {}

impl std::fmt::Debug for CredentialScope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialScope")
            .field("date", &self.date())
            .field("region", &self.region())
            .field("service", &self.service())
            .field("terminator", &self.terminator())
            .finish()
    }
}

impl<'a> CredentialScope<'a> {
    /// `YYYYMMDD`.
    #[must_use]
    pub fn date(&self) -> &str {
        self.part(0)
    }
    /// The region, e.g. `us-east-1`.
    #[must_use]
    pub fn region(&self) -> &str {
        self.part(1)
    }
    /// The service, e.g. `dynamodb`.
    #[must_use]
    pub fn service(&self) -> &str {
        self.part(2)
    }
    /// The terminator, normally `aws4_request`.
    #[must_use]
    pub fn terminator(&self) -> &str {
        self.part(3)
    }
    /// The scope string used in the string to sign.
    #[must_use]
    pub fn as_scope_string(&self) -> String {
        self.as_str().to_owned()
    }

    /// The scope string used in the string to sign, borrowed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.text.get(self.slashes[0] + 1..).unwrap_or_default()
    }

    /// The access key id stored in front of the scope.
    fn access_key_id(&self) -> &str {
        self.text.get(..self.slashes[0]).unwrap_or_default()
    }

    /// Scope part `i` (0 = date ... 3 = terminator).
    fn part(&self, i: usize) -> &str {
        let start = self.slashes[i] + 1;
        let end = self.slashes.get(i + 1).copied().unwrap_or(self.text.len());
        self.text.get(start..end).unwrap_or_default()
    }

    /// The access key id and the scope of four parts (none of the five contains `/`).
    fn new(parts: [&str; 5]) -> CredentialScope<'static> {
        let mut text = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
        let mut slashes = [0; 4];
        for (i, part) in parts.into_iter().enumerate() {
            if let Some(slot) = i.checked_sub(1).and_then(|j| slashes.get_mut(j)) {
                *slot = text.len();
                text.push('/');
            }
            text.push_str(part);
        }
        CredentialScope {
            text: Cow::Owned(text),
            slashes,
        }
    }

    /// The scope of `credential` (`access-key-id/date/region/service/terminator`) and the number
    /// of `/`-separated parts it has. With five parts the credential is kept as it is; otherwise
    /// the scope holds its first five parts, missing ones empty.
    fn from_credential(credential: Cow<'a, str>) -> (CredentialScope<'a>, usize) {
        let mut slashes = [0; 4];
        let mut found = 0;
        for (at, b) in credential.bytes().enumerate() {
            if b == b'/' {
                if let Some(slot) = slashes.get_mut(found) {
                    *slot = at;
                }
                found += 1;
            }
        }
        let parts = found + 1;
        if parts == 5 {
            let scope = CredentialScope {
                text: credential,
                slashes,
            };
            return (scope, parts);
        }
        let mut pieces = credential.split('/');
        let first_five: [&str; 5] = std::array::from_fn(|_| pieces.next().unwrap_or_default());
        (CredentialScope::new(first_five), parts)
    }
}

/// The signature components of a request, syntactically checked, borrowing from the request.
/// Obtain with [`crate::parse`]; then call [`ParsedSignature::check`], look up the secret for
/// [`ParsedSignature::access_key_id`] and finish with [`crate::verify`]. `Debug` redacts the
/// security token.
#[derive(Clone)]
pub struct ParsedSignature<'a> {
    pub(crate) location: AuthLocation,
    /// The access key id and the credential scope.
    scope: CredentialScope<'a>,
    pub(crate) timestamp: OffsetDateTime,
    /// The request date as sent (`X-Amz-Date` or `Date`).
    amz_date: Cow<'a, str>,
    /// The signature as sent.
    signature: Cow<'a, str>,
    /// The signed-header list as sent (`;`-separated).
    signed_header_text: Cow<'a, str>,
    /// The security token as sent.
    security_token: Option<Cow<'a, str>>,
    /// The signed header names as owned strings, made on the first call of
    /// [`ParsedSignature::signed_headers`] (verification does not need them).
    signed_header_list: OnceLock<Vec<String>>,
    pub(crate) expires: Option<Duration>,
    /// The first failure of the checks DynamoDB performs after the clock-skew check (Host signed,
    /// algorithm, credential shape, expiry value); reported by [`ParsedSignature::check`] after the
    /// skew check so the order of errors matches DynamoDB's.
    pub(crate) deferred: Option<AuthError>,
}

impl std::fmt::Debug for ParsedSignature<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedSignature")
            .field("location", &self.location)
            .field("access_key_id", &self.access_key_id())
            .field("scope", &self.scope)
            .field("amz_date", &self.amz_date())
            .field("signed_headers", &self.signed_headers())
            .field("signature", &self.signature())
            .field(
                "security_token",
                &self.security_token().map(|_| "<redacted>"),
            )
            .field("expires", &self.expires)
            .field("deferred", &self.deferred)
            .finish()
    }
}

impl<'a> ParsedSignature<'a> {
    /// The access key id (first element of the credential).
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        self.scope.access_key_id()
    }
    /// The `X-Amz-Security-Token` (header, or query parameter for a presigned URL), verbatim. The
    /// caller must validate it against the access key (UnrecognizedClient / ExpiredToken).
    #[must_use]
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }
    /// The credential scope.
    #[must_use]
    pub fn scope(&self) -> &CredentialScope<'a> {
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
        self.signed_header_list
            .get_or_init(|| self.signed_header_names().map(str::to_owned).collect())
    }

    /// The signed header names as listed by the client, borrowed.
    pub(crate) fn signed_header_names(&self) -> impl Iterator<Item = &str> + Clone {
        split_at_byte(&self.signed_header_text, b';')
    }

    /// The signed-header list as sent: the names of [`Self::signed_header_names`] joined with `;`.
    pub(crate) fn signed_header_text(&self) -> &str {
        &self.signed_header_text
    }

    /// The request date as sent (`X-Amz-Date` or `Date`).
    pub(crate) fn amz_date(&self) -> &str {
        &self.amz_date
    }

    /// The signature as sent.
    pub(crate) fn signature(&self) -> &str {
        &self.signature
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
        // Compared as nanoseconds since the epoch (no calendar arithmetic on the way); the same
        // order as comparing with the (saturated) date-times of the messages below.
        let request = self.timestamp.unix_timestamp_nanos();
        let now_nanos = now.unix_timestamp_nanos();
        if request > now_nanos.saturating_add(skew.whole_nanoseconds()) {
            let latest = now.saturating_add(skew);
            return Err(AuthError::SignatureNotYetCurrent {
                request: self.amz_date().to_owned(),
                latest: format_amz_date(latest),
                now: format_amz_date(now),
                window: window_text(skew),
            });
        }
        // A presigned URL is valid for its X-Amz-Expires; a header-signed request for the skew.
        let window = self.expires.unwrap_or(skew);
        if request < now_nanos.saturating_sub(window.whole_nanoseconds()) {
            let earliest = now.saturating_sub(window);
            return Err(AuthError::SignatureExpired {
                request: self.amz_date().to_owned(),
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
        if !same_text(s.region(), expected.region) {
            problems.push(format!(
                "Credential should be scoped to a valid region, not '{}'.",
                s.region()
            ));
        }
        if !same_text(s.service(), expected.service) {
            problems.push(format!(
                "Credential should be scoped to correct service: '{}'.",
                expected.service
            ));
        }
        if !same_text(s.terminator(), TERMINATOR) {
            problems.push(format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
                s.terminator()
            ));
        }
        let request_day = self.amz_date().get(..8).unwrap_or("");
        if !same_text(s.date(), request_day) {
            problems.push(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
                s.date(),
                request_day,
                self.amz_date()
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
fn query_value<'p>(params: &'p [crate::encode::QueryParam], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|p| p.name == name && !p.value.is_empty())
        .map(|p| p.value.as_str())
}

/// The headers parsing reads, each joined as [`header_joined`] does, found in one pass over the
/// request's headers.
struct SigningHeaders<'a> {
    authorization: Option<Cow<'a, str>>,
    amz_date: Option<Cow<'a, str>>,
    date: Option<Cow<'a, str>>,
    security_token: Option<Cow<'a, str>>,
}

/// The names of [`SigningHeaders`]' fields, in their order.
const SIGNING_HEADER_NAMES: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "date",
    "x-amz-security-token",
];

impl<'a> SigningHeaders<'a> {
    fn find(headers: &'a [(&'a str, &'a str)]) -> SigningHeaders<'a> {
        let mut first: [Option<&'a str>; 4] = [None; 4];
        let mut repeated = [false; 4];
        for &(name, value) in headers {
            // The four names differ in length: only one can match.
            let Some(i) = SIGNING_HEADER_NAMES
                .iter()
                .position(|known| known.len() == name.len())
            else {
                continue;
            };
            if !same_header_name(name, SIGNING_HEADER_NAMES[i]) {
                continue;
            }
            if first[i].is_some() {
                repeated[i] = true;
            } else {
                first[i] = Some(value);
            }
        }
        // Each value as `header_joined` gives it: trimmed, or all values joined when repeated.
        let mut values = SIGNING_HEADER_NAMES.iter().enumerate().map(|(i, name)| {
            if repeated[i] {
                header_joined(headers, name)
            } else {
                first[i].map(|v| Cow::Borrowed(trim(v)))
            }
        });
        SigningHeaders {
            authorization: values.next().flatten(),
            amz_date: values.next().flatten(),
            date: values.next().flatten(),
            security_token: values.next().flatten(),
        }
    }
}

/// The raw components before the common checks, borrowed from the request where possible.
struct Components<'a> {
    location: AuthLocation,
    algorithm: Cow<'a, str>,
    credential: Cow<'a, str>,
    signed_headers: Cow<'a, str>,
    signature: Cow<'a, str>,
    date: Cow<'a, str>,
    security_token: Option<Cow<'a, str>>,
    expires: Option<Cow<'a, str>>,
}

impl Components<'_> {
    /// The same components, copied out of what they borrow.
    fn into_owned(self) -> Components<'static> {
        let own = |text: Cow<'_, str>| Cow::Owned(text.into_owned());
        Components {
            location: self.location,
            algorithm: own(self.algorithm),
            credential: own(self.credential),
            signed_headers: own(self.signed_headers),
            signature: own(self.signature),
            date: own(self.date),
            security_token: self.security_token.map(own),
            expires: self.expires.map(own),
        }
    }
}

/// Whether `b` separates the parts of an Authorization header (`,` or ASCII whitespace).
fn is_part_separator(b: u8) -> bool {
    b == b',' || b.is_ascii_whitespace()
}

/// The components of the Authorization header `auth`, with the request's date and security token
/// headers.
fn header_components<'a>(
    auth: &'a str,
    date: Option<Cow<'a, str>>,
    security_token: Option<Cow<'a, str>>,
) -> Result<Components<'a>, AuthError> {
    let trimmed = auth.trim_start();
    let (scheme, rest) = match trimmed.bytes().position(|b| b.is_ascii_whitespace()) {
        Some(at) => (
            trimmed.get(..at).unwrap_or_default(),
            trimmed.get(at + 1..).unwrap_or_default(),
        ),
        None => (trimmed, ""),
    };
    if !scheme.starts_with("AWS4-") {
        return Err(AuthError::MissingAuthenticationToken);
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    // Every separator is below `-`: the bytes of most words of a value are not looked at one
    // by one.
    let find_separator = |bytes: &[u8]| find_below(bytes, b'-', is_part_separator);
    for part in split_ascii(rest, find_separator) {
        // `part` names a component when it starts with the name and `=` (the name is then all
        // of `part` up to its first `=`); the rest is the value, possibly empty.
        let (slot, value) = if let Some(v) = part.strip_prefix("Credential=") {
            (&mut credential, v)
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            (&mut signed_headers, v)
        } else if let Some(v) = part.strip_prefix("Signature=") {
            (&mut signature, v)
        } else {
            continue;
        };
        if slot.is_none() && !value.is_empty() {
            *slot = Some(value);
        }
    }
    let date = date.filter(|d| !d.is_empty());
    let has_date = date.is_some();
    let (Some(credential), Some(signed_headers), Some(signature), Some(date)) =
        (credential, signed_headers, signature, date)
    else {
        return Err(incomplete_header(
            auth,
            [
                ("Credential", credential.is_some()),
                ("Signature", signature.is_some()),
                ("SignedHeaders", signed_headers.is_some()),
            ],
            has_date,
        ));
    };
    Ok(Components {
        location: AuthLocation::Header,
        algorithm: Cow::Borrowed(scheme),
        credential: Cow::Borrowed(credential),
        signed_headers: Cow::Borrowed(signed_headers),
        signature: Cow::Borrowed(signature),
        date,
        security_token,
        expires: None,
    })
}

/// DynamoDB's `IncompleteSignatureException` for an Authorization header `auth` that lacks some
/// of the `components` (name, present) or a date header.
fn incomplete_header(auth: &str, components: [(&str, bool); 3], has_date: bool) -> AuthError {
    let mut msg = String::new();
    for (name, present) in components {
        if !present {
            msg.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !has_date {
        msg.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    msg.push_str("Authorization=");
    msg.push_str(auth);
    AuthError::IncompleteSignature { message: msg }
}

fn query_components(
    params: &[crate::encode::QueryParam],
) -> Result<Components<'static>, AuthError> {
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
    let get = |n: &str| Cow::Owned(query_value(params, n).unwrap_or_default().to_owned());
    let first = |n: &str| {
        params
            .iter()
            .find(|p| p.name == n)
            .map(|p| Cow::Owned(p.value.clone()))
    };
    Ok(Components {
        location: AuthLocation::Query,
        algorithm: get("X-Amz-Algorithm"),
        credential: get("X-Amz-Credential"),
        signed_headers: get("X-Amz-SignedHeaders"),
        signature: get("X-Amz-Signature"),
        date: get("X-Amz-Date"),
        security_token: first("X-Amz-Security-Token"),
        expires: first("X-Amz-Expires"),
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
pub fn parse<'a>(req: &RequestParts<'a>) -> Result<ParsedSignature<'a>, AuthError> {
    let params = if req.query.is_empty() {
        Vec::new()
    } else {
        parse_query(req.query)
    };
    let found = SigningHeaders::find(req.headers);
    let auth_header = found.authorization.filter(|a| !trim(a).is_empty());
    let query_auth = query_value(&params, "X-Amz-Algorithm").is_some();
    let date = found.amz_date.or(found.date);
    let c = match (auth_header, query_auth) {
        (Some(_), true) => return Err(AuthError::BothAuthenticationForms),
        (None, false) => return Err(AuthError::MissingAuthenticationToken),
        (Some(Cow::Borrowed(auth)), false) => header_components(auth, date, found.security_token)?,
        // Repeated Authorization headers, joined: the components are copied out of the join.
        (Some(Cow::Owned(auth)), false) => {
            header_components(&auth, date, found.security_token)?.into_owned()
        }
        (None, true) => query_components(&params)?,
    };
    let timestamp = parse_amz_date(&c.date).ok_or_else(|| AuthError::MalformedDate {
        date: c.date.to_string(),
    })?;

    let host_signed = split_at_byte(&c.signed_headers, b';')
        .any(|h| h.eq_ignore_ascii_case("host") || h == ":authority");
    let (scope, credential_parts) = CredentialScope::from_credential(c.credential.clone());
    let mut expires = None;
    let deferred = if !host_signed {
        Some(AuthError::HostNotSigned)
    } else if c.algorithm != ALGORITHM {
        Some(AuthError::UnsupportedAlgorithm {
            algorithm: c.algorithm.into_owned(),
        })
    } else if credential_parts != 5 {
        Some(AuthError::MalformedCredential {
            credential: c.credential.into_owned(),
        })
    } else {
        match c.expires.as_deref().map(parse_expires) {
            Some(Err(e)) => Some(e),
            Some(Ok(d)) => {
                expires = Some(d);
                None
            }
            None => None,
        }
    };
    Ok(ParsedSignature {
        location: c.location,
        scope,
        timestamp,
        amz_date: c.date,
        signature: c.signature,
        signed_header_text: c.signed_headers,
        security_token: c.security_token,
        signed_header_list: OnceLock::new(),
        expires,
        deferred,
    })
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
