//! Percent-encoding, path normalisation and query canonicalisation (RFC 3986 rules used by SigV4).

use std::fmt::Write as _;

/// How the canonical URI treats the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PathMode {
    /// Every service except S3 (and so DynamoDB): remove `.`/`..` segments, collapse repeated
    /// slashes, then percent-encode the path as received (a wire path `/a%20b` becomes
    /// `/a%2520b`).
    #[default]
    Normalized,
    /// S3 style, used only to check the `normalize: false` test vectors: no normalisation, the
    /// path is percent-encoded once as given.
    Unnormalized,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Percent-encodes every byte except `A-Za-z0-9-._~` (and `/` when `keep_slash`), upper-case hex.
pub(crate) fn uri_encode(input: &[u8], keep_slash: bool, out: &mut String) {
    for &b in input {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            // Writing into a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` sequences; a `%` not followed by two hex digits is kept literally and `+` stays
/// `+` (SigV4 clients encode a space as `%20`).
pub(crate) fn percent_decode(input: &str) -> Vec<u8> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Removes `.` and `..` segments and empty segments (collapsing `//`), keeping a trailing slash.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in path.split('/') {
        match segment {
            "" | "." => trailing_slash = true,
            ".." => {
                segments.pop();
                trailing_slash = true;
            }
            s => {
                segments.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if trailing_slash || segments.is_empty() {
        out.push('/');
    }
    out
}

/// The canonical URI of `path` (the raw path as received, without query).
#[must_use]
pub fn canonical_uri(path: &str, mode: PathMode) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    write_canonical_uri(path, mode, &mut out);
    out
}

/// Appends the canonical URI of `path` to `out` (see [`canonical_uri`]).
pub(crate) fn write_canonical_uri(path: &str, mode: PathMode, out: &mut String) {
    match mode {
        // The root path (every DynamoDB request) is its own normal, encoded form.
        PathMode::Normalized if path == "/" => out.push('/'),
        PathMode::Normalized => uri_encode(normalize_path(path).as_bytes(), true, out),
        PathMode::Unnormalized => {
            if !path.starts_with('/') {
                out.push('/');
            }
            uri_encode(path.as_bytes(), true, out);
        }
    }
}

/// One decoded query parameter.
#[derive(Debug, Clone)]
pub(crate) struct QueryParam {
    pub(crate) name: String,
    pub(crate) value: String,
}

/// Splits a raw query string into decoded parameters (lossy UTF-8 for the convenience accessors).
pub(crate) fn parse_query(query: &str) -> Vec<QueryParam> {
    query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            QueryParam {
                name: String::from_utf8_lossy(&percent_decode(name)).into_owned(),
                value: String::from_utf8_lossy(&percent_decode(value)).into_owned(),
            }
        })
        .collect()
}

/// The canonical query string: each name and value decoded then re-encoded, sorted by encoded name
/// then value, `name=value` joined with `&`. Parameters named in `exclude` are left out.
#[must_use]
pub fn canonical_query(query: &str, exclude: &[&str]) -> String {
    if query.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|s| !s.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name_bytes = percent_decode(name);
            if exclude
                .iter()
                .any(|e| e.as_bytes() == name_bytes.as_slice())
            {
                return None;
            }
            let mut n = String::new();
            uri_encode(&name_bytes, false, &mut n);
            let mut v = String::new();
            uri_encode(&percent_decode(value), false, &mut v);
            Some((n, v))
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(n);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Encodes one query component for building a URL (everything but unreserved characters).
#[must_use]
pub fn encode_query_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    uri_encode(s.as_bytes(), false, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dot_segments_and_slashes() {
        assert_eq!(normalize_path(""), "/");
        assert_eq!(normalize_path("/"), "/");
        assert_eq!(normalize_path("//"), "/");
        assert_eq!(normalize_path("/example/.."), "/");
        assert_eq!(normalize_path("/a/b/.."), "/a/");
        assert_eq!(normalize_path("/a/./b"), "/a/b");
        assert_eq!(normalize_path("//example//"), "/example/");
        assert_eq!(normalize_path("/../x"), "/x");
        assert_eq!(normalize_path("a/b"), "/a/b");
    }

    #[test]
    fn double_encodes_a_wire_path() {
        assert_eq!(canonical_uri("/a%20b", PathMode::Normalized), "/a%2520b");
        assert_eq!(canonical_uri("/a b", PathMode::Normalized), "/a%20b");
        assert_eq!(canonical_uri("", PathMode::Normalized), "/");
    }

    #[test]
    fn decodes_and_reencodes_query() {
        assert_eq!(canonical_query("b=2&a=1&a", &[]), "a=&a=1&b=2");
        assert_eq!(canonical_query("k=a+b%20c", &[]), "k=a%2Bb%20c");
        assert_eq!(canonical_query("k=%zz", &[]), "k=%25zz");
        assert_eq!(
            canonical_query("X-Amz-Signature=x&k=v", &["X-Amz-Signature"]),
            "k=v"
        );
    }
}
