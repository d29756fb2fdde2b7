//! Authentication errors of the IAM and STS endpoints (Query protocol, XML bodies) and of the
//! Organizations endpoint (JSON 1.1), byte for byte, against the real server with raw HTTP.
//!
//! AWS's texts: `InvalidClientTokenId` / `SignatureDoesNotMatch` (403) and
//! `MissingAuthenticationToken` (403) from the reference (`/work/shared/reference`, section (e)
//! and (d)); the clock-skew messages of STS (`SignatureDoesNotMatch`, 403, `- 15 min.` /
//! `+ 15 min.`) as real STS answers them (aws/aws-cli#6676, a 2021 Terraform report quoting
//! `Signature not yet current: ... (... + 15 min.)` with `status code: 403`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{RawResponse, TestServer};
use palisade_sigv4::{Credentials, RequestParts};
use time::{Duration, OffsetDateTime};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Service {
    Iam,
    Sts,
    Organizations,
}

impl Service {
    /// The SigV4 service name.
    fn name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::Organizations => "organizations",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Service::Iam | Service::Sts => "application/x-www-form-urlencoded; charset=utf-8",
            Service::Organizations => "application/x-amz-json-1.1",
        }
    }

    fn body(self) -> &'static str {
        match self {
            Service::Iam => "Action=ListUsers&Version=2010-05-08",
            Service::Sts => "Action=GetCallerIdentity&Version=2011-06-15",
            Service::Organizations => "{}",
        }
    }

    fn target(self) -> Option<&'static str> {
        match self {
            Service::Organizations => Some("AWSOrganizationsV20161128.ListRoots"),
            Service::Iam | Service::Sts => None,
        }
    }

    /// The clock-skew window in minutes: STS's (and IAM's) 15; Organizations keeps the
    /// server's DynamoDB window.
    fn window(self) -> i64 {
        match self {
            Service::Iam | Service::Sts => 15,
            Service::Organizations => 5,
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
            Service::Organizations => "",
        }
    }
}

const ALL: [Service; 3] = [Service::Iam, Service::Sts, Service::Organizations];

fn admin() -> Credentials {
    Credentials {
        access_key_id: common::ACCESS_KEY_ID.into(),
        secret_access_key: common::SECRET_ACCESS_KEY.into(),
        session_token: None,
    }
}

/// The unsigned headers of a request for `service`.
fn base_headers(server: &TestServer, service: Service) -> Vec<(String, String)> {
    let mut h = vec![
        ("host".to_string(), server.address().to_string()),
        (
            "content-type".to_string(),
            service.content_type().to_string(),
        ),
    ];
    if let Some(t) = service.target() {
        h.push(("x-amz-target".into(), t.into()));
    }
    h
}

/// The headers of a request for `service` signed with `creds` for `region`/`scope_service` at
/// `at`.
fn signed(
    server: &TestServer,
    service: Service,
    creds: &Credentials,
    region: &str,
    scope_service: &str,
    at: OffsetDateTime,
) -> Vec<(String, String)> {
    let mut headers = base_headers(server, service);
    let view: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &view,
    };
    let added = palisade_sigv4::sign(
        &req,
        service.body().as_bytes(),
        creds,
        region,
        scope_service,
        at,
    );
    headers.extend(added);
    headers
}

fn correct(server: &TestServer, service: Service) -> Vec<(String, String)> {
    signed(
        server,
        service,
        &admin(),
        "us-east-1",
        service.name(),
        OffsetDateTime::now_utc(),
    )
}

async fn send(server: &TestServer, service: Service, headers: &[(String, String)]) -> RawResponse {
    server
        .send(
            "POST",
            "/",
            headers,
            service.body().as_bytes().to_vec().into(),
        )
        .await
}

fn set_header(headers: &mut [(String, String)], name: &str, value: String) {
    let h = headers.iter_mut().find(|(n, _)| n == name).unwrap();
    h.1 = value;
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    &headers.iter().find(|(n, _)| n == name).unwrap().1
}

/// The body with its request id replaced by `ID` (after checking there is one).
fn without_request_id(service: Service, r: &RawResponse) -> String {
    let text = r.text();
    match service {
        Service::Iam | Service::Sts => {
            let start = text.find("<RequestId>").expect("a RequestId element") + 11;
            let end = text.find("</RequestId>").expect("a RequestId element");
            assert!(end > start, "empty RequestId in {text}");
            format!("{}ID{}", &text[..start], &text[end..])
        }
        Service::Organizations => text,
    }
}

/// AWS's error body for `service`.
fn error_body(service: Service, code: &str, message: &str) -> String {
    match service {
        Service::Iam | Service::Sts => format!(
            "<ErrorResponse xmlns=\"{}\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{code}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>ID</RequestId>\n</ErrorResponse>\n",
            service.namespace(),
            xml_escape(message)
        ),
        Service::Organizations => {
            serde_json::json!({"__type": code, "message": message}).to_string()
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The JSON 1.1 name of a Query error code, and its status there.
fn json11(code: &str) -> (&'static str, u16) {
    match code {
        "InvalidClientTokenId" => ("UnrecognizedClientException", 400),
        "SignatureDoesNotMatch" => ("InvalidSignatureException", 400),
        "MissingAuthenticationToken" => ("MissingAuthenticationTokenException", 400),
        "IncompleteSignature" => ("IncompleteSignatureException", 400),
        "ExpiredToken" => ("ExpiredTokenException", 400),
        other => panic!("no JSON 1.1 name for {other}"),
    }
}

/// Asserts the whole answer: status, content type and body (request id aside). `code` and
/// `status` are the Query protocol's; Organizations gets the JSON 1.1 equivalents.
fn assert_error(service: Service, r: &RawResponse, status: u16, code: &str, message: &str) {
    let (code, status, content_type) = match service {
        Service::Iam | Service::Sts => (code, status, "text/xml"),
        Service::Organizations => {
            let (c, s) = json11(code);
            (c, s, "application/x-amz-json-1.1")
        }
    };
    let got = without_request_id(service, r);
    assert_eq!(
        (r.status, got.as_str()),
        (status, error_body(service, code, message).as_str()),
        "{service:?}"
    );
    assert_eq!(r.header("content-type"), content_type, "{service:?}");
}

fn amz(t: OffsetDateTime) -> String {
    t.format(time::macros::format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .unwrap()
}

fn parse_amz(s: &str) -> OffsetDateTime {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, format)
        .unwrap()
        .assume_utc()
}

#[tokio::test]
async fn a_correct_signature_is_accepted_by_every_service() {
    let server = TestServer::start();
    let mut create = correct(&server, Service::Organizations);
    set_header(
        &mut create,
        "x-amz-target",
        "AWSOrganizationsV20161128.CreateOrganization".into(),
    );
    // (same body `{}`, so the signature over the target must be redone)
    create.retain(|(n, _)| n == "host" || n == "content-type" || n == "x-amz-target");
    let view: Vec<(&str, &str)> = create
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &view,
    };
    let added = palisade_sigv4::sign(
        &req,
        b"{}",
        &admin(),
        "us-east-1",
        "organizations",
        OffsetDateTime::now_utc(),
    );
    create.extend(added);
    let r = send(&server, Service::Organizations, &create).await;
    assert_eq!(r.status, 200, "CreateOrganization: {}", r.text());
    for service in ALL {
        let r = send(&server, service, &correct(&server, service)).await;
        assert_eq!(r.status, 200, "{service:?}: {}", r.text());
    }
}

#[tokio::test]
async fn an_unknown_access_key_is_an_invalid_client_token() {
    let server = TestServer::start();
    let creds = Credentials {
        access_key_id: "AKIAUNKNOWNKEY000001".into(),
        ..admin()
    };
    for service in ALL {
        let h = signed(
            &server,
            service,
            &creds,
            "us-east-1",
            service.name(),
            OffsetDateTime::now_utc(),
        );
        let r = send(&server, service, &h).await;
        assert_error(
            service,
            &r,
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        );
    }
}

#[tokio::test]
async fn a_wrong_secret_does_not_match() {
    let server = TestServer::start();
    let creds = Credentials {
        secret_access_key: "not-the-secret".into(),
        ..admin()
    };
    for service in ALL {
        let h = signed(
            &server,
            service,
            &creds,
            "us-east-1",
            service.name(),
            OffsetDateTime::now_utc(),
        );
        let r = send(&server, service, &h).await;
        assert_error(
            service,
            &r,
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        );
    }
}

/// A request signed at `at`: the answer names the server's time, which must be close to ours;
/// the rest of the message is then fixed.
async fn skewed(server: &TestServer, service: Service, at: OffsetDateTime, past: bool) {
    let h = signed(server, service, &admin(), "us-east-1", service.name(), at);
    let r = send(server, service, &h).await;
    let text = r.text();
    let request = amz(at);
    let lead = if past {
        format!("Signature expired: {request} is now earlier than ")
    } else {
        format!("Signature not yet current: {request} is still later than ")
    };
    let start = text
        .find(&lead)
        .unwrap_or_else(|| panic!("{service:?}: no '{lead}' in {text}"))
        + lead.len();
    // `<bound> (<now> - 15 min.)`
    let now_text = &text[start + 18..start + 34];
    let now = parse_amz(now_text);
    assert!(
        (now - OffsetDateTime::now_utc()).abs() < Duration::minutes(1),
        "{service:?}: server time {now_text}"
    );
    let minutes = service.window();
    let window = Duration::minutes(minutes);
    let message = if past {
        format!("{lead}{} ({now_text} - {minutes} min.)", amz(now - window))
    } else {
        format!("{lead}{} ({now_text} + {minutes} min.)", amz(now + window))
    };
    assert_error(service, &r, 403, "SignatureDoesNotMatch", &message);
}

#[tokio::test]
async fn a_request_date_too_far_in_the_past_has_expired() {
    let server = TestServer::start();
    let at = time::macros::datetime!(2026-01-01 00:00:00 UTC);
    for service in ALL {
        skewed(&server, service, at, true).await;
    }
}

#[tokio::test]
async fn a_request_date_too_far_in_the_future_is_not_yet_current() {
    let server = TestServer::start();
    let at = OffsetDateTime::now_utc() + Duration::hours(2);
    let at = at.replace_nanosecond(0).unwrap();
    for service in ALL {
        skewed(&server, service, at, false).await;
    }
}

#[tokio::test]
async fn a_request_within_the_window_is_accepted() {
    let server = TestServer::start();
    for service in ALL {
        let inside = Duration::minutes(service.window() - 1);
        for offset in [-inside, inside] {
            let at = OffsetDateTime::now_utc() + offset;
            let h = signed(&server, service, &admin(), "us-east-1", service.name(), at);
            let r = send(&server, service, &h).await;
            if service == Service::Organizations {
                // Authenticated: the answer is about the (absent) organization.
                assert_eq!(
                    r.json()["__type"],
                    "AWSOrganizationsNotInUseException",
                    "{offset}: {}",
                    r.text()
                );
            } else {
                assert_eq!(r.status, 200, "{service:?} {offset}: {}", r.text());
            }
        }
    }
}

#[tokio::test]
async fn a_request_without_authorization_is_missing_its_token() {
    let server = TestServer::start();
    for service in ALL {
        let h = base_headers(&server, service);
        let r = send(&server, service, &h).await;
        assert_error(
            service,
            &r,
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        );
    }
}

#[tokio::test]
async fn an_authorization_header_without_a_part_is_incomplete() {
    let server = TestServer::start();
    for service in ALL {
        let good = correct(&server, service);
        let auth = header(&good, "authorization").to_string();
        let (scheme, rest) = auth.split_once(' ').unwrap();
        let parts: Vec<&str> = rest.split(", ").collect();
        for (missing, name) in [(0, "Credential"), (1, "SignedHeaders"), (2, "Signature")] {
            let kept: Vec<&str> = parts
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != missing)
                .map(|(_, p)| *p)
                .collect();
            let value = format!("{scheme} {}", kept.join(", "));
            let mut h = good.clone();
            set_header(&mut h, "authorization", value.clone());
            let r = send(&server, service, &h).await;
            assert_error(
                service,
                &r,
                400,
                "IncompleteSignature",
                &format!("Authorization header requires '{name}' parameter. Authorization={value}"),
            );
        }
    }
}

#[tokio::test]
async fn a_credential_scope_for_another_service_does_not_match() {
    let server = TestServer::start();
    for service in ALL {
        let h = signed(
            &server,
            service,
            &admin(),
            "us-east-1",
            "dynamodb",
            OffsetDateTime::now_utc(),
        );
        let r = send(&server, service, &h).await;
        assert_error(
            service,
            &r,
            403,
            "SignatureDoesNotMatch",
            &format!(
                "Credential should be scoped to correct service: '{}'.",
                service.name()
            ),
        );
    }
}

#[tokio::test]
async fn sts_refuses_a_credential_scoped_to_another_region() {
    let server = TestServer::start();
    let h = signed(
        &server,
        Service::Sts,
        &admin(),
        "eu-west-3",
        "sts",
        OffsetDateTime::now_utc(),
    );
    let r = send(&server, Service::Sts, &h).await;
    assert_error(
        Service::Sts,
        &r,
        403,
        "SignatureDoesNotMatch",
        "Credential should be scoped to a valid region, not 'eu-west-3'.",
    );
}

#[tokio::test]
async fn a_credential_date_other_than_the_request_date_does_not_match() {
    let server = TestServer::start();
    for service in ALL {
        let mut h = correct(&server, service);
        let date = header(&h, "x-amz-date").to_string();
        let day = &date[..8];
        let auth = header(&h, "authorization").replacen(&format!("/{day}/"), "/20200101/", 1);
        set_header(&mut h, "authorization", auth);
        let r = send(&server, service, &h).await;
        assert_error(
            service,
            &r,
            403,
            "SignatureDoesNotMatch",
            &format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20200101' != '{day}', from '{date}'."
            ),
        );
    }
}

/// The text of `<tag>…</tag>` in `xml`.
fn element<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {tag} in {xml}"))
        + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>")).unwrap();
    &xml[start..end]
}

#[tokio::test]
async fn temporary_credentials_need_their_own_session_token() {
    let server = TestServer::start();
    let body = "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900";
    let mut h = base_headers(&server, Service::Sts);
    let view: Vec<(&str, &str)> = h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let req = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &view,
    };
    let added = palisade_sigv4::sign(
        &req,
        body.as_bytes(),
        &admin(),
        "us-east-1",
        "sts",
        OffsetDateTime::now_utc(),
    );
    h.extend(added);
    let r = server
        .send("POST", "/", &h, body.as_bytes().to_vec().into())
        .await;
    let xml = r.text();
    assert_eq!(r.status, 200, "{xml}");
    let session = Credentials {
        access_key_id: element(&xml, "AccessKeyId").to_string(),
        secret_access_key: element(&xml, "SecretAccessKey").to_string(),
        session_token: Some(element(&xml, "SessionToken").to_string()),
    };
    for service in ALL {
        let now = OffsetDateTime::now_utc();
        let ok = signed(&server, service, &session, "us-east-1", service.name(), now);
        let r = send(&server, service, &ok).await;
        assert_ne!(r.status, 403, "{service:?}: {}", r.text());
        assert!(!r.text().contains("security token"), "{}", r.text());
        // Another token, or none at all: the token is invalid (AWS's text has no final period).
        for token in [Some("bm90LXRoZS10b2tlbg==".to_string()), None] {
            let creds = Credentials {
                session_token: token,
                ..session.clone()
            };
            let h = signed(&server, service, &creds, "us-east-1", service.name(), now);
            let r = send(&server, service, &h).await;
            assert_error(
                service,
                &r,
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid",
            );
        }
    }
}
