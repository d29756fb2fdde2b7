//! Canonical request and string-to-sign construction.

use std::borrow::Cow;

use crate::RequestParts;
use crate::encode::{PathMode, write_canonical_uri};
use crate::key::HexDigest;
use crate::scan::{find_below, same_text, trim};

/// The only algorithm SigV4 verification supports.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The credential scope terminator.
pub const TERMINATOR: &str = "aws4_request";

/// Whether header names `a` and `b` are the same, ignoring ASCII case; byte-equal names (the
/// usual case: HTTP stacks and clients send lower-case names) are not compared case by case.
pub(crate) fn same_header_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && (same_text(a, b) || a.eq_ignore_ascii_case(b))
}

/// Every value of header `name` (case-insensitive), in arrival order.
pub(crate) fn header_values<'a>(
    headers: &'a [(&'a str, &'a str)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| same_header_name(n, name))
        .map(|(_, v)| *v)
}

/// The values of header `name` joined with `,` (as a proxy would fold them), if present.
/// Borrowed when the header appears once (the usual case).
pub(crate) fn header_joined<'a>(
    headers: &'a [(&'a str, &'a str)],
    name: &'a str,
) -> Option<Cow<'a, str>> {
    let mut values = header_values(headers, name);
    let first = trim(values.next()?);
    let Some(second) = values.next() else {
        return Some(Cow::Borrowed(first));
    };
    let mut joined = format!("{first},{}", trim(second));
    for v in values {
        joined.push(',');
        joined.push_str(trim(v));
    }
    Some(Cow::Owned(joined))
}

/// Canonical form of one header value: trimmed, inner whitespace runs (including folded line
/// breaks) collapsed to one space.
fn canonical_value(value: &str, out: &mut String) {
    // ASCII whitespace is below `!`.
    if find_below(value.as_bytes(), b'!', |b| b.is_ascii_whitespace()).is_none() {
        out.push_str(value);
        return;
    }
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
    let signed_header_list = signed_headers.join(";");
    let parts = CanonicalParts {
        canonical_query,
        signed_header_list: &signed_header_list,
        payload_hash,
        mode,
    };
    write_canonical_request(&mut out, req, signed_headers.iter().copied(), &parts);
    out
}

/// The parts of a canonical request that do not come from [`RequestParts`].
pub(crate) struct CanonicalParts<'a> {
    /// From [`crate::canonical_query`].
    pub(crate) canonical_query: &'a str,
    /// The signed header names as listed in the request (joined with `;`).
    pub(crate) signed_header_list: &'a str,
    /// Lower-case hex SHA-256 of the body.
    pub(crate) payload_hash: &'a str,
    /// How the path is canonicalised.
    pub(crate) mode: PathMode,
}

/// Appends the canonical request to `out` (see [`canonical_request`]): a line for each of
/// `signed_headers` (the names of `parts.signed_header_list`), then that list as it is.
pub(crate) fn write_canonical_request<'h>(
    out: &mut String,
    req: &RequestParts<'_>,
    signed_headers: impl Iterator<Item = &'h str>,
    parts: &CanonicalParts<'_>,
) {
    out.push_str(req.method);
    out.push('\n');
    write_canonical_uri(req.path, parts.mode, out);
    out.push('\n');
    out.push_str(parts.canonical_query);
    out.push('\n');
    for name in signed_headers {
        let start = out.len();
        out.push_str(name);
        if name.bytes().any(|b| b.is_ascii_uppercase())
            && let Some(pushed) = out.get_mut(start..)
        {
            pushed.make_ascii_lowercase();
        }
        out.push(':');
        for (i, value) in header_values(req.headers, name).enumerate() {
            if i > 0 {
                out.push(',');
            }
            canonical_value(value, out);
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(parts.signed_header_list);
    out.push('\n');
    out.push_str(parts.payload_hash);
}

/// Builds the string to sign: algorithm, `amz_date`, `scope`, hex SHA-256 of the canonical request.
#[must_use]
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut out = String::new();
    let hash = HexDigest::sha256(canonical_request.as_bytes());
    write_string_to_sign(&mut out, amz_date, scope, &hash);
    out
}

/// Appends the string to sign of [`string_to_sign`] to `out`, given the canonical request's hash.
pub(crate) fn write_string_to_sign(
    out: &mut String,
    amz_date: &str,
    scope: &str,
    canonical_request_hash: &HexDigest,
) {
    let hash = canonical_request_hash.as_str();
    out.reserve(ALGORITHM.len() + amz_date.len() + scope.len() + hash.len() + 3);
    for (i, part) in [ALGORITHM, amz_date, scope, hash].into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // Signed names in upper case find the headers and are lower-cased in their lines, not
        // in the list.
        let creq = canonical_request(&req, &["HOST", "My-Header"], "", "x", PathMode::Normalized);
        assert_eq!(
            creq,
            "GET\n/\n\nhost:h\nmy-header:a b c,d\n\nHOST;My-Header\nx"
        );
    }

    #[test]
    fn header_names_are_the_same_in_any_ascii_case_only() {
        for (a, b, same) in [
            ("host", "host", true),
            ("Host", "hOST", true),
            ("x-amz-date", "X-Amz-Date", true),
            ("host", "hos", false),
            ("host", "date", false),
            ("é", "É", false),
            ("", "", true),
        ] {
            assert_eq!(same_header_name(a, b), same, "{a} {b}");
        }
    }
}
