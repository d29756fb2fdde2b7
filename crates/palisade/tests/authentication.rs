//! SigV4 authentication against the identity directory, through the real server: DynamoDB's
//! exact errors for unknown keys, wrong secrets and unsigned requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestServer;

#[tokio::test]
async fn unknown_access_key_is_unrecognized() {
    let server = TestServer::start();
    let err = common::client_for(&server.url(), "AKIAUNKNOWNKEY000001", "whatever")
        .list_tables()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.meta().code(), Some("UnrecognizedClientException"));
    assert_eq!(
        err.meta().message(),
        Some("The security token included in the request is invalid.")
    );
}

#[tokio::test]
async fn wrong_secret_is_an_invalid_signature() {
    let server = TestServer::start();
    let err = common::client_for(&server.url(), common::ACCESS_KEY_ID, "not-the-secret")
        .list_tables()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.meta().code(), Some("InvalidSignatureException"));
    assert!(
        err.meta().message().unwrap().starts_with(
            "The request signature we calculated does not match the signature you provided."
        ),
        "{:?}",
        err.meta().message()
    );
}

#[tokio::test]
async fn the_administrator_key_works_and_unsigned_requests_do_not() {
    let server = TestServer::start();
    server.sdk_client().list_tables().send().await.unwrap();
    let resp = server
        .raw_unsigned(
            "POST",
            "/",
            &[
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", "DynamoDB_20120810.ListTables"),
            ],
            "{}",
        )
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json()["__type"],
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
    assert_eq!(
        resp.json()["message"],
        "Request is missing Authentication Token"
    );
}

#[tokio::test]
async fn a_stale_signature_is_refused() {
    let server = TestServer::start();
    let resp = server
        .raw(
            Some("DynamoDB_20120810.ListTables"),
            "{}",
            &[("x-amz-date", "20200101T000000Z")],
        )
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json()["__type"],
        "com.amazon.coral.service#InvalidSignatureException"
    );
    let message = resp.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.starts_with("Signature expired: 20200101T000000Z is now earlier than "),
        "{message}"
    );
}
