use proptest::prelude::*;

use super::*;
use crate::encode::QueryParam;

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/aws4_request, \
                    SignedHeaders=host;x-amz-date, Signature=abcdef";

fn request<'a>(headers: &'a [(&'a str, &'a str)], query: &'a str) -> RequestParts<'a> {
    RequestParts {
        method: "POST",
        path: "/",
        query,
        headers,
    }
}

/// Everything a parsed signature tells, as plain values.
#[derive(Debug, PartialEq)]
struct Seen {
    location: AuthLocation,
    access_key_id: String,
    scope: String,
    scope_parts: [String; 4],
    timestamp: OffsetDateTime,
    amz_date: String,
    signed_headers: Vec<String>,
    signed_header_text: String,
    signature: String,
    security_token: Option<String>,
    expires: Option<Duration>,
    deferred: Option<AuthError>,
}

fn seen(p: &ParsedSignature<'_>) -> Seen {
    let s = p.scope();
    Seen {
        location: p.location(),
        access_key_id: p.access_key_id().to_owned(),
        scope: s.as_str().to_owned(),
        scope_parts: [s.date(), s.region(), s.service(), s.terminator()].map(str::to_owned),
        timestamp: p.timestamp(),
        amz_date: p.amz_date().to_owned(),
        signed_headers: p.signed_headers().to_vec(),
        signed_header_text: p.signed_header_text().to_owned(),
        signature: p.signature().to_owned(),
        security_token: p.security_token().map(str::to_owned),
        expires: p.expires(),
        deferred: p.deferred.clone(),
    }
}

/// The parser this module replaced (several passes over the headers, `str::split`, owned
/// copies): the reference every input must agree with.
mod reference {
    use super::*;

    fn joined(headers: &[(&str, &str)], name: &str) -> Option<String> {
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    }

    fn query_value<'a>(params: &'a [QueryParam], name: &str) -> Option<&'a str> {
        params
            .iter()
            .find(|p| p.name == name && !p.value.is_empty())
            .map(|p| p.value.as_str())
    }

    pub(super) fn parse(req: &RequestParts<'_>) -> Result<Seen, AuthError> {
        let params = parse_query(req.query);
        let auth = joined(req.headers, "authorization").filter(|a| !a.trim().is_empty());
        let query_auth = query_value(&params, "X-Amz-Algorithm").is_some();
        let (location, algorithm, credential, signed, signature, date, token, expires) = match (
            auth, query_auth,
        ) {
            (Some(_), true) => return Err(AuthError::BothAuthenticationForms),
            (None, false) => return Err(AuthError::MissingAuthenticationToken),
            (Some(auth), false) => {
                let trimmed = auth.trim_start();
                let (scheme, rest) = match trimmed.bytes().position(|b| b.is_ascii_whitespace()) {
                    Some(at) => (&trimmed[..at], &trimmed[at + 1..]),
                    None => (trimmed, ""),
                };
                if !scheme.starts_with("AWS4-") {
                    return Err(AuthError::MissingAuthenticationToken);
                }
                let mut found: [Option<&str>; 3] = [None; 3];
                for part in rest.split(|c: char| c == ',' || c.is_ascii_whitespace()) {
                    let Some((k, v)) = part.split_once('=') else {
                        continue;
                    };
                    let i = match k {
                        "Credential" => 0,
                        "SignedHeaders" => 1,
                        "Signature" => 2,
                        _ => continue,
                    };
                    if found[i].is_none() && !v.is_empty() {
                        found[i] = Some(v);
                    }
                }
                let date = joined(req.headers, "x-amz-date")
                    .or_else(|| joined(req.headers, "date"))
                    .filter(|d| !d.is_empty());
                let mut msg = String::new();
                for (name, i) in [("Credential", 0), ("Signature", 2), ("SignedHeaders", 1)] {
                    if found[i].is_none() {
                        msg += &format!("Authorization header requires '{name}' parameter. ");
                    }
                }
                if date.is_none() {
                    msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
                }
                if !msg.is_empty() {
                    let message = format!("{msg}Authorization={auth}");
                    return Err(AuthError::IncompleteSignature { message });
                }
                let [c, s, sig] = found.map(|f| f.unwrap_or_default().to_owned());
                let token = joined(req.headers, "x-amz-security-token");
                let date = date.unwrap_or_default();
                let location = AuthLocation::Header;
                (location, scheme.to_owned(), c, s, sig, date, token, None)
            }
            (None, true) => {
                let mut msg = String::new();
                for name in [
                    "X-Amz-Algorithm",
                    "X-Amz-Credential",
                    "X-Amz-Signature",
                    "X-Amz-SignedHeaders",
                    "X-Amz-Date",
                ] {
                    if query_value(&params, name).is_none() {
                        msg += &format!("AWS query-string parameters must include '{name}'. ");
                    }
                }
                if !msg.is_empty() {
                    msg += "Re-examine the query-string parameters.";
                    return Err(AuthError::IncompleteSignature { message: msg });
                }
                let get = |n: &str| query_value(&params, n).unwrap_or_default().to_owned();
                let first = |n: &str| params.iter().find(|p| p.name == n).map(|p| p.value.clone());
                (
                    AuthLocation::Query,
                    get("X-Amz-Algorithm"),
                    get("X-Amz-Credential"),
                    get("X-Amz-SignedHeaders"),
                    get("X-Amz-Signature"),
                    get("X-Amz-Date"),
                    first("X-Amz-Security-Token"),
                    first("X-Amz-Expires"),
                )
            }
        };
        let timestamp =
            parse_amz_date(&date).ok_or_else(|| AuthError::MalformedDate { date: date.clone() })?;
        let host_signed = signed
            .split(';')
            .any(|h| h.eq_ignore_ascii_case("host") || h == ":authority");
        let parts: Vec<&str> = credential.split('/').collect();
        let mut expires_value = None;
        let deferred = if !host_signed {
            Some(AuthError::HostNotSigned)
        } else if algorithm != ALGORITHM {
            Some(AuthError::UnsupportedAlgorithm { algorithm })
        } else if parts.len() != 5 {
            Some(AuthError::MalformedCredential {
                credential: credential.clone(),
            })
        } else {
            match expires.as_deref().map(parse_expires) {
                Some(Err(e)) => Some(e),
                Some(Ok(d)) => {
                    expires_value = Some(d);
                    None
                }
                None => None,
            }
        };
        let part = |i: usize| parts.get(i).copied().unwrap_or_default().to_owned();
        Ok(Seen {
            location,
            access_key_id: part(0),
            scope: [1, 2, 3, 4].map(part).join("/"),
            scope_parts: [1, 2, 3, 4].map(part),
            timestamp,
            amz_date: date,
            signed_headers: signed.split(';').map(str::to_owned).collect(),
            signed_header_text: signed,
            signature,
            security_token: token,
            expires: expires_value,
            deferred,
        })
    }
}

/// Parses `req` with both parsers and checks that they agree.
fn agree(req: &RequestParts<'_>) -> Result<Seen, AuthError> {
    let ours = parse(req).map(|p| seen(&p));
    assert_eq!(ours, reference::parse(req), "{req:?}");
    ours
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
fn a_credential_of_five_parts_is_borrowed_and_others_are_cut_or_padded() {
    let text = "AKID/20150830/us-east-1/iam/aws4_request";
    let (scope, parts) = CredentialScope::from_credential(Cow::Borrowed(text));
    assert_eq!(parts, 5);
    assert!(matches!(scope.text, Cow::Borrowed(t) if t == text));
    assert_eq!(scope.as_str(), "20150830/us-east-1/iam/aws4_request");
    for (credential, parts, key, scope_text) in [
        ("", 1, "", "///"),
        ("AKID", 1, "AKID", "///"),
        ("AKID/20150830/us-east-1", 3, "AKID", "20150830/us-east-1//"),
        ("a/b/c/d/e/", 6, "a", "b/c/d/e"),
        ("a/b/c/d/e/f/g", 7, "a", "b/c/d/e"),
        ("//////", 7, "", "///"),
        ("é/ü/ß/ø/å", 5, "é", "ü/ß/ø/å"),
    ] {
        let (scope, n) = CredentialScope::from_credential(Cow::Borrowed(credential));
        assert_eq!(
            (n, scope.access_key_id(), scope.as_str()),
            (parts, key, scope_text),
            "{credential:?}"
        );
    }
}

#[test]
fn a_header_signed_request_borrows_every_text() {
    let headers = [
        ("Host", "h"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", AUTH),
        ("X-Amz-Security-Token", " tok "),
    ];
    let parsed = parse(&request(&headers, "")).unwrap();
    assert!(matches!(parsed.scope.text, Cow::Borrowed(_)));
    for text in [
        &parsed.amz_date,
        &parsed.signature,
        &parsed.signed_header_text,
    ] {
        assert!(matches!(text, Cow::Borrowed(_)));
    }
    assert!(matches!(parsed.security_token, Some(Cow::Borrowed("tok"))));
    assert_eq!(parsed.signed_headers(), ["host", "x-amz-date"]);
    assert_eq!(agree(&request(&headers, "")).unwrap().signature, "abcdef");
}

#[test]
fn repeated_headers_are_joined_in_arrival_order() {
    let headers = [
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/aws4_request",
        ),
        ("x-amz-date", "20150830T123600Z"),
        ("AUTHORIZATION", " SignedHeaders=host, Signature=ff "),
        ("x-amz-security-token", "a"),
        ("X-Amz-Security-Token", "b "),
    ];
    let seen = agree(&request(&headers, "")).unwrap();
    assert_eq!(seen.access_key_id, "AKID");
    assert_eq!(seen.signature, "ff");
    assert_eq!(seen.security_token.as_deref(), Some("a,b"));

    // A repeated date is joined too, and so no longer a date.
    let headers = [
        ("Authorization", AUTH),
        ("X-Amz-Date", "20150830T123600Z"),
        ("x-amz-date", "20150830T123600Z"),
    ];
    let err = agree(&request(&headers, "")).unwrap_err();
    assert!(matches!(err, AuthError::MalformedDate { date } if date.contains(',')));
}

#[test]
fn header_names_match_in_any_case_and_values_are_trimmed() {
    let headers = [
        ("HOST", "h"),
        ("x-AMZ-date", "\t20150830T123600Z "),
        ("aUtHoRiZaTiOn", &*format!("  {AUTH}\t")),
    ];
    let seen = agree(&request(&headers, "")).unwrap();
    assert_eq!(seen.amz_date, "20150830T123600Z");
    assert_eq!(seen.location, AuthLocation::Header);
}

#[test]
fn whitespace_and_commas_separate_the_components() {
    for auth in [
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/aws4_request,SignedHeaders=host,Signature=ff",
        "AWS4-HMAC-SHA256\tCredential=AKID/20150830/us-east-1/dynamodb/aws4_request ,\n SignedHeaders=host  Signature=ff,",
        "AWS4-HMAC-SHA256 Signature= Signature=ff Credential=AKID/20150830/us-east-1/dynamodb/aws4_request SignedHeaders=host Signature=00",
        "AWS4-HMAC-SHA256 Credential==AKID/x Credential=AKID/20150830/us-east-1/dynamodb/aws4_request SignedHeaders=host=x Signature=ff",
        "AWS4-HMAC-SHA256 credential=AKID SignedHeader=host Signature=ff",
        "AWS4-HMAC-SHA256",
        "AWS4-X",
        "AWS3 Credential=a",
        "Bearer token",
    ] {
        let headers = [("x-amz-date", "20150830T123600Z"), ("authorization", auth)];
        let _ = agree(&request(&headers, ""));
    }
}

#[test]
fn missing_parts_are_listed_in_dynamodbs_order() {
    let headers = [("Authorization", "AWS4-HMAC-SHA256 Credential=AKID")];
    let err = agree(&request(&headers, "")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Authorization header requires 'Signature' parameter. Authorization header requires \
         'SignedHeaders' parameter. Authorization header requires existence of either a \
         'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=AKID"
    );
    // An empty X-Amz-Date hides a Date header, as before.
    let headers = [
        ("Authorization", AUTH),
        ("X-Amz-Date", " "),
        ("Date", "20150830T123600Z"),
    ];
    assert!(matches!(
        agree(&request(&headers, "")),
        Err(AuthError::IncompleteSignature { .. })
    ));
    let headers = [("Authorization", AUTH), ("Date", "20150830T123600Z")];
    assert_eq!(
        agree(&request(&headers, "")).unwrap().amz_date,
        "20150830T123600Z"
    );
}

#[test]
fn non_ascii_bytes_are_kept_as_sent() {
    let auth = "AWS4-HMAC-SHA256 Credential=ÄKID/20150830/us-east-1/dynamodb/aws4_request, \
                SignedHeaders=host;é, Signature=ß";
    let headers = [("x-amz-date", "20150830T123600Z"), ("authorization", auth)];
    let seen = agree(&request(&headers, "")).unwrap();
    assert_eq!(seen.access_key_id, "ÄKID");
    assert_eq!(seen.signed_headers, ["host", "é"]);
    assert_eq!(seen.signature, "ß");
    // A non-breaking space is not an ASCII separator: `\u{a0}SignedHeaders=…` names nothing.
    let auth = auth.replace(", SignedHeaders", ",\u{a0}SignedHeaders");
    let headers = [
        ("x-amz-date", "20150830T123600Z"),
        ("authorization", &*auth),
    ];
    let err = agree(&request(&headers, "")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Authorization header requires 'SignedHeaders'")
    );
    // Unicode whitespace around a value is trimmed, as `str::trim` does.
    let headers = [
        ("x-amz-date", "\u{2003}20150830T123600Z\u{2003}"),
        ("authorization", AUTH),
    ];
    assert_eq!(
        agree(&request(&headers, "")).unwrap().amz_date,
        "20150830T123600Z"
    );
}

#[test]
fn presigned_queries_parse_as_before() {
    let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ff";
    let headers = [("Host", "h")];
    for query in [
        base.to_owned(),
        format!("{base}&X-Amz-Expires=300&X-Amz-Security-Token=t%2B"),
        format!("{base}&X-Amz-Expires=0"),
        format!("{base}&X-Amz-Expires=x"),
        format!("{base}&X-Amz-Security-Token="),
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=".to_owned(),
        "X-Amz-Algorithm=&X-Amz-Credential=x".to_owned(),
    ] {
        let _ = agree(&request(&headers, &query));
    }
    let query = format!("{base}&X-Amz-Expires=300&X-Amz-Security-Token=t%2B");
    let seen = agree(&request(&headers, &query)).unwrap();
    assert_eq!(seen.location, AuthLocation::Query);
    assert_eq!(seen.security_token.as_deref(), Some("t+"));
    assert_eq!(seen.expires, Some(Duration::seconds(300)));
    let both = [("Host", "h"), ("Authorization", AUTH)];
    assert_eq!(
        agree(&request(&both, base)),
        Err(AuthError::BothAuthenticationForms)
    );
}

/// Authorization values: a scheme and components, plausible and broken, with separators.
fn authorization_value() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        6 => Just("AWS4-HMAC-SHA256 ".to_owned()),
        1 => Just(" AWS4-HMAC-SHA256\t".to_owned()),
        1 => Just("AWS4-HMAC-SHA1 ".to_owned()),
        1 => Just("AWS4-HMAC-SHA256".to_owned()),
        1 => Just("Bearer ".to_owned()),
        1 => Just(String::new()),
    ];
    let piece = prop_oneof![
        4 => Just("Credential=AKID/20150830/us-east-1/dynamodb/aws4_request".to_owned()),
        1 => Just("Credential=AKID/20150830/us-east-1".to_owned()),
        1 => Just("Credential=".to_owned()),
        4 => Just("SignedHeaders=host;x-amz-date".to_owned()),
        1 => Just("SignedHeaders=x-amz-date;HOST".to_owned()),
        1 => Just("SignedHeaders=:authority".to_owned()),
        1 => Just("SignedHeaders=content-type".to_owned()),
        4 => Just("Signature=00ff".to_owned()),
        1 => Just("Signature=".to_owned()),
        2 => "[ ,\t=;/a-zA-Z0-9é\u{a0}]{0,12}",
    ];
    let sep = prop_oneof![
        Just(" ".to_owned()),
        Just(", ".to_owned()),
        Just(",".to_owned()),
        Just("\t".to_owned()),
        Just(String::new()),
    ];
    (scheme, prop::collection::vec((piece, sep), 0..6)).prop_map(|(scheme, pieces)| {
        let parts: String = pieces.into_iter().map(|(p, s)| p + &s).collect();
        scheme + &parts
    })
}

/// One header: a name parsing looks at, in various cases, with a value of its kind, or another.
fn header() -> impl Strategy<Value = (String, String)> {
    let auth_name = prop_oneof![Just("authorization"), Just("Authorization")];
    let date_name = prop_oneof![Just("x-amz-date"), Just("X-AMZ-DATE"), Just("date")];
    let date = prop_oneof![
        4 => Just("20150830T123600Z".to_owned()),
        1 => Just(" 20150830T123600Z ".to_owned()),
        1 => Just("Sun, 30 Aug 2015 12:36:00 GMT".to_owned()),
        1 => Just(String::new()),
        1 => "[0-9TZ ]{0,17}",
    ];
    let other_name = prop_oneof![
        Just("x-amz-security-token".to_owned()),
        Just("host".to_owned()),
        "[a-zA-Z-]{1,21}",
    ];
    let text = "[ ,\t=;/a-zA-Z0-9é]{0,12}";
    prop_oneof![
        3 => (auth_name, authorization_value()).prop_map(|(n, v)| (n.to_owned(), v)),
        3 => (date_name, date).prop_map(|(n, v)| (n.to_owned(), v)),
        2 => (other_name, text),
    ]
}

fn query_text() -> impl Strategy<Value = String> {
    let param = prop_oneof![
        Just("X-Amz-Algorithm=AWS4-HMAC-SHA256".to_owned()),
        Just("X-Amz-Algorithm=".to_owned()),
        Just("X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fdynamodb%2Faws4_request".to_owned()),
        Just("X-Amz-Date=20150830T123600Z".to_owned()),
        Just("X-Amz-SignedHeaders=host".to_owned()),
        Just("X-Amz-Signature=ff".to_owned()),
        Just("X-Amz-Expires=60".to_owned()),
        Just("X-Amz-Security-Token=t".to_owned()),
        "[a-zA-Z%=0-9-]{0,10}",
    ];
    prop::collection::vec(param, 0..8).prop_map(|p| p.join("&"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn agrees_with_the_parser_it_replaced(
        headers in prop::collection::vec(header(), 1..6),
        query in prop_oneof![3 => Just(String::new()), 1 => query_text()],
    ) {
        let pairs: Vec<(&str, &str)> =
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let req = request(&pairs, &query);
        prop_assert_eq!(parse(&req).map(|p| seen(&p)), reference::parse(&req));
    }
}
