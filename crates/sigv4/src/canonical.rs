//! Canonical request and string-to-sign construction, and SigV4 timestamps.

use std::borrow::Cow;

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::RequestParts;
use crate::encode::{PathMode, canonical_uri};
use crate::key::sha256_hex;

/// The only algorithm SigV4 verification supports.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The credential scope terminator.
pub const TERMINATOR: &str = "aws4_request";

/// Every value of header `name` (case-insensitive), in arrival order.
pub(crate) fn header_values<'a>(
    headers: &'a [(&'a str, &'a str)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// The values of header `name` joined with `,` (as a proxy would fold them), if present.
/// Borrowed when the header appears once (the usual case).
pub(crate) fn header_joined<'a>(
    headers: &'a [(&'a str, &'a str)],
    name: &'a str,
) -> Option<Cow<'a, str>> {
    let mut values = header_values(headers, name);
    let first = values.next()?.trim();
    let Some(second) = values.next() else {
        return Some(Cow::Borrowed(first));
    };
    let mut joined = format!("{first},{}", second.trim());
    for v in values {
        joined.push(',');
        joined.push_str(v.trim());
    }
    Some(Cow::Owned(joined))
}

/// Canonical form of one header value: trimmed, inner whitespace runs (including folded line
/// breaks) collapsed to one space.
fn canonical_value(value: &str, out: &mut String) {
    for (i, word) in value.split_ascii_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// Builds the canonical request.
///
/// `signed_headers` are the header names in the order they appear in `SignedHeaders` (lower-case,
/// sorted by any correct client); each one's values are canonicalised and joined with `,` in arrival
/// order. `canonical_query` comes from [`crate::canonical_query`], `payload_hash` is the lower-case
/// hex SHA-256 of the body.
#[must_use]
pub fn canonical_request(
    req: &RequestParts<'_>,
    signed_headers: &[&str],
    canonical_query: &str,
    payload_hash: &str,
    mode: PathMode,
) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path, mode));
    out.push('\n');
    out.push_str(canonical_query);
    out.push('\n');
    for name in signed_headers {
        out.push_str(&name.to_ascii_lowercase());
        out.push(':');
        for (i, value) in header_values(req.headers, name).enumerate() {
            if i > 0 {
                out.push(',');
            }
            canonical_value(value, &mut out);
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// Builds the string to sign: algorithm, `amz_date`, `scope`, hex SHA-256 of the canonical request.
#[must_use]
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Parses `YYYYMMDDTHHMMSSZ` strictly (ISO 8601 basic format, UTC).
#[must_use]
pub fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[9..15].iter().all(u8::is_ascii_digit);
    if !shape_ok {
        return None;
    }
    let fmt = format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(text, fmt)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Formats a time as `YYYYMMDDTHHMMSSZ` (converted to UTC).
#[must_use]
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trips_and_rejects_other_shapes() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        for bad in [
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20151330T123600Z",
            "Sun, 30 Aug 2015 12:36:00 GMT",
            "+0150830T123600Z",
        ] {
            assert!(parse_amz_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let headers = [
            ("Host", "h"),
            ("My-Header", "  a   b\n   c "),
            ("my-header", "d"),
        ];
        let req = RequestParts {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
        };
        let creq = canonical_request(&req, &["host", "my-header"], "", "x", PathMode::Normalized);
        assert_eq!(
            creq,
            "GET\n/\n\nhost:h\nmy-header:a b c,d\n\nhost;my-header\nx"
        );
    }
}
