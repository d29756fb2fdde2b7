//! IAM's and STS's XML: the response envelope, the error document and URL-encoded policies
//! (elements are written with [`crate::query::Xml`]).

use std::fmt::Write as _;

use crate::query::escape;

/// Percent-encodes a policy document as IAM returns it (RFC 3986: all but `A-Za-z0-9-_.~`).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `<XResponse xmlns=ns><XResult>result</XResult><ResponseMetadata>...</XResponse>`; an
/// empty `result` gives no `XResult` element (as AWS does for actions without output).
pub fn envelope(action: &str, ns: &str, result: &str, request_id: &str) -> String {
    let mut s = format!("<{action}Response xmlns=\"{ns}\">");
    if !result.is_empty() {
        let _ = write!(s, "<{action}Result>{result}</{action}Result>");
    }
    let _ = write!(
        s,
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        escape(request_id)
    );
    s
}

/// The `ErrorResponse` document as IAM and STS send it: indented by two spaces, one element a
/// line, quotes left as they are in the text (a real IAM answer quoted in NixOS/nixops#328:
/// `<Message>1 validation error detected: Value 'charon-…' at 'roleName' …</Message>`).
pub fn error(ns: &str, sender: bool, code: &str, message: &str, request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{ns}\">\n  <Error>\n    <Type>{}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
        if sender { "Sender" } else { "Receiver" },
        escape_text(code),
        escape_text(message),
        escape_text(request_id)
    )
}

/// Escapes element text the way AWS's Query services do: `&`, `<` and `>` only.
fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_policies_and_errors() {
        assert_eq!(
            url_encode(r#"{"A": "b/c"}"#),
            "%7B%22A%22%3A%20%22b%2Fc%22%7D"
        );
        assert_eq!(
            error("ns", true, "C", "Value 'a<b' at \"x\"", "r"),
            "<ErrorResponse xmlns=\"ns\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>C</Code>\n    <Message>Value 'a&lt;b' at \"x\"</Message>\n  </Error>\n  <RequestId>r</RequestId>\n</ErrorResponse>\n"
        );
    }
}
