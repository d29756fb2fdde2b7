//! Step one of verification: extracting the signature components from the Authorization header or
//! the presigned query string, with DynamoDB's checks in DynamoDB's order.

use std::borrow::Cow;
use std::sync::OnceLock;

use time::{Duration, OffsetDateTime};

use crate::canonical::{ALGORITHM, TERMINATOR, header_joined};
use crate::date::{format_amz_date, parse_amz_date};
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
#[derive(Clone)]
pub struct CredentialScope {
    /// `access-key-id/date/region/service/terminator`: the access key id shares the allocation.
    text: String,
    /// Byte offsets of the four slashes in `text`.
    slashes: [usize; 4],
}

impl PartialEq for CredentialScope {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for CredentialScope {}

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
    fn new(parts: [&str; 5]) -> CredentialScope {
        let mut text = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
        let mut slashes = [0; 4];
        for (i, part) in parts.into_iter().enumerate() {
            if let Some(slot) = i.checked_sub(1).and_then(|j| slashes.get_mut(j)) {
                *slot = text.len();
                text.push('/');
            }
            text.push_str(part);
        }
        CredentialScope { text, slashes }
    }
}

/// The request's texts that a parsed signature keeps, in one allocation: the date, the
/// signature, the signed-header list as sent (`;`-separated) and the security token.
#[derive(Clone)]
struct Texts {
    buf: String,
    /// Where the signature, the signed-header list and the token start in `buf`.
    starts: [usize; 3],
    has_token: bool,
}

impl Texts {
    fn new(date: &str, signature: &str, signed_headers: &str, token: Option<&str>) -> Texts {
        let token_text = token.unwrap_or_default();
        let parts = [date, signature, signed_headers, token_text];
        let mut buf = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        let mut starts = [0; 3];
        for (i, part) in parts.into_iter().enumerate() {
            if let Some(slot) = i.checked_sub(1).and_then(|j| starts.get_mut(j)) {
                *slot = buf.len();
            }
            buf.push_str(part);
        }
        Texts {
            buf,
            starts,
            has_token: token.is_some(),
        }
    }

    /// Text `i`: 0 date, 1 signature, 2 signed headers, 3 token.
    fn get(&self, i: usize) -> &str {
        let start = i
            .checked_sub(1)
            .and_then(|j| self.starts.get(j))
            .copied()
            .unwrap_or(0);
        let end = self.starts.get(i).copied().unwrap_or(self.buf.len());
        self.buf.get(start..end).unwrap_or_default()
    }
}

/// The signature components of a request, syntactically checked. Obtain with [`crate::parse`];
/// then call [`ParsedSignature::check`], look up the secret for [`ParsedSignature::access_key_id`]
/// and finish with [`crate::verify`]. `Debug` redacts the security token.
#[derive(Clone)]
pub struct ParsedSignature {
    pub(crate) location: AuthLocation,
    /// The access key id and the credential scope.
    scope: CredentialScope,
    pub(crate) timestamp: OffsetDateTime,
    /// The date, signature, signed headers and token.
    texts: Texts,
    /// The signed header names as owned strings, made on the first call of
    /// [`ParsedSignature::signed_headers`] (verification does not need them).
    signed_header_list: OnceLock<Vec<String>>,
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

impl ParsedSignature {
    /// The access key id (first element of the credential).
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        self.scope.access_key_id()
    }
    /// The `X-Amz-Security-Token` (header, or query parameter for a presigned URL), verbatim. The
    /// caller must validate it against the access key (UnrecognizedClient / ExpiredToken).
    #[must_use]
    pub fn security_token(&self) -> Option<&str> {
        self.texts.has_token.then(|| self.texts.get(3))
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
        self.signed_header_list
            .get_or_init(|| self.signed_header_names().map(str::to_owned).collect())
    }

    /// The signed header names as listed by the client, borrowed.
    pub(crate) fn signed_header_names(&self) -> std::str::Split<'_, char> {
        self.texts.get(2).split(';')
    }

    /// The request date as sent (`X-Amz-Date` or `Date`).
    pub(crate) fn amz_date(&self) -> &str {
        self.texts.get(0)
    }

    /// The signature as sent.
    pub(crate) fn signature(&self) -> &str {
        self.texts.get(1)
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
        let request_day = self.amz_date().get(..8).unwrap_or("");
        if s.date() != request_day {
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
    for part in split_ascii(rest, |b| b == b',' || b.is_ascii_whitespace()) {
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

/// The pieces of `text` between bytes matching `is_separator` (ASCII separators only, so every
/// piece is valid UTF-8), like `str::split` with a predicate but without decoding characters.
fn split_ascii(text: &str, is_separator: impl Fn(u8) -> bool) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        let rest = bytes.get(from..).unwrap_or_default();
        let end = rest.iter().position(|&b| is_separator(b)).map(|i| from + i);
        start = end.map(|e| e + 1);
        text.get(from..end.unwrap_or(bytes.len()))
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

    let host_signed = c
        .signed_headers
        .split(';')
        .any(|h| h.eq_ignore_ascii_case("host") || h == ":authority");
    let credential_parts = c.credential.bytes().filter(|&b| b == b'/').count() + 1;
    let mut expires = None;
    let deferred = if !host_signed {
        Some(AuthError::HostNotSigned)
    } else if c.algorithm != ALGORITHM {
        Some(AuthError::UnsupportedAlgorithm {
            algorithm: c.algorithm.to_owned(),
        })
    } else if credential_parts != 5 {
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
    let mut pieces = c.credential.split('/');
    let parts: [&str; 5] = std::array::from_fn(|_| pieces.next().unwrap_or_default());
    Ok(ParsedSignature {
        location: c.location,
        scope: CredentialScope::new(parts),
        timestamp,
        texts: Texts::new(
            &c.date,
            c.signature,
            c.signed_headers,
            c.security_token.as_deref(),
        ),
        signed_header_list: OnceLock::new(),
        expires,
        deferred,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_ascii_matches_str_split() {
        let sep = |c: char| c == ',' || c.is_ascii_whitespace();
        for text in [
            "",
            "a",
            ",",
            "Credential=a/b, SignedHeaders=host;x,Signature=ff",
            "  a,,b  ",
            "é,ü b",
        ] {
            let ours: Vec<&str> = split_ascii(text, |b| sep(char::from(b))).collect();
            let std: Vec<&str> = text.split(sep).collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn credential_scope_keeps_the_key_id_in_front() {
        let scope = CredentialScope::new(["AKID", "20150830", "us-east-1", "iam", "aws4_request"]);
        assert_eq!(scope.access_key_id(), "AKID");
        assert_eq!(scope.date(), "20150830");
        assert_eq!(scope.region(), "us-east-1");
        assert_eq!(scope.service(), "iam");
        assert_eq!(scope.terminator(), "aws4_request");
        assert_eq!(scope.as_str(), "20150830/us-east-1/iam/aws4_request");
        let other = CredentialScope::new(["OTHER", "20150830", "us-east-1", "iam", "aws4_request"]);
        assert_eq!(scope, other);
        let empty = CredentialScope::new(["", "", "", "", ""]);
        assert_eq!(empty.as_str(), "///");
        assert_eq!(empty.terminator(), "");
    }

    #[test]
    fn texts_share_one_buffer() {
        let t = Texts::new("20150830T123600Z", "abc", "host;x-amz-date", Some("tok"));
        assert_eq!(
            [t.get(0), t.get(1), t.get(2), t.get(3)],
            ["20150830T123600Z", "abc", "host;x-amz-date", "tok"]
        );
        assert!(t.has_token);
        let t = Texts::new("d", "", "", None);
        assert_eq!([t.get(0), t.get(1), t.get(2), t.get(3)], ["d", "", "", ""]);
        assert!(!t.has_token);
    }
}
