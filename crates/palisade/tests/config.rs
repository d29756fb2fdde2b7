//! `palisade serve --config FILE`: settings from the file, overridden by the command line and
//! the environment; start-up refused with the file and line named when the file is wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::TestServer;

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("palisade.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn health(url: &str) -> String {
    let addr = url.split_once("://").unwrap().1.parse().unwrap();
    let mut conn = common::RawConnection::open(addr).await;
    let response = conn
        .send(
            "GET",
            "/",
            &[("host".into(), "localhost".into())],
            Default::default(),
        )
        .await;
    assert_eq!(response.status, 200);
    response.text()
}

#[tokio::test]
async fn the_file_sets_what_the_command_line_leaves_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        dir.path(),
        "region = \"eu-west-1\"\n\n[[listener]]\naddress = \"127.0.0.1:0\"\n\n[[listener]]\naddress = \"127.0.0.1:0\"\n",
    );
    let server = TestServer::start_with(&["--config", path.to_str().unwrap()]);
    assert_eq!(
        health(&server.url()).await,
        "healthy: dynamodb.eu-west-1.amazonaws.com "
    );
    // Both listeners serve; the second is announced after the first.
    let second = server.announced_url(1);
    assert_eq!(
        health(&second).await,
        "healthy: dynamodb.eu-west-1.amazonaws.com "
    );

    // The environment overrides the file.
    let server = TestServer::start_with_env(
        &["--config", path.to_str().unwrap()],
        &[("PALISADE_REGION", "sa-east-1")],
    );
    assert_eq!(
        health(&server.url()).await,
        "healthy: dynamodb.sa-east-1.amazonaws.com "
    );

    // A flag overrides the file.
    let server =
        TestServer::start_with(&["--config", path.to_str().unwrap(), "--region", "ap-south-2"]);
    assert_eq!(
        health(&server.url()).await,
        "healthy: dynamodb.ap-south-2.amazonaws.com "
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_vpc_endpoint_flag_adds_to_the_file_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let (file_port, flag_port) = (free_port(), free_port());
    let path = write_config(
        dir.path(),
        &format!(
            "[[vpc]]\nid = \"vpc-01\"\n\n[[vpc_endpoint]]\nid = \"vpce-0file\"\nvpc = \"vpc-01\"\naddresses = [\"127.0.0.1:{file_port}\"]\n"
        ),
    );
    // The flag's VPC is not in the file: it is declared implicitly.
    let flag = format!("vpce-0flag,vpc-02,127.0.0.1:{flag_port}");
    let server =
        TestServer::start_with(&["--config", path.to_str().unwrap(), "--vpc-endpoint", &flag]);
    let lines = server.announcements(3);
    assert_eq!(
        lines[1],
        format!("palisade vpc endpoint vpce-0file listening on http://127.0.0.1:{file_port}"),
        "{lines:?}"
    );
    assert_eq!(
        lines[2],
        format!("palisade vpc endpoint vpce-0flag listening on http://127.0.0.1:{flag_port}"),
        "{lines:?}"
    );
    drop(server);

    let failed = common::start_failure(&[
        "--config",
        path.to_str().unwrap(),
        "--vpc-endpoint",
        "vpce-0file,vpc-01,127.0.0.1:0",
    ]);
    assert!(
        failed.contains(
            "--vpc-endpoint vpce-0file: the configuration file declares this endpoint already"
        ),
        "{failed}"
    );
}

/// Starts with a file of `text` (and `key.pem` beside it) and returns the error, with the
/// directory replaced by `DIR`.
fn refused(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let path = write_config(dir.path(), text);
    common::start_failure(&["--config", path.to_str().unwrap()])
        .replace(&dir.path().display().to_string(), "DIR")
}

#[test]
fn a_wrong_file_stops_start_up_naming_the_file_and_the_line() {
    let unknown =
        refused("region = \"us-east-1\"\n[[listener]]\naddress = \"127.0.0.1:0\"\nport = 8000\n");
    assert!(
        unknown.contains("DIR/palisade.toml:4: unknown field `port`"),
        "{unknown}"
    );

    let cidr = refused(
        "[[listener]]\naddress = \"127.0.0.1:0\"\n\n[[listener]]\naddress = \"127.0.0.1:0\"\nproxy_protocol = { trusted = [\"10.0.0.0/40\"] }\n",
    );
    assert!(cidr.contains("DIR/palisade.toml:6: "), "{cidr}");

    let cert = refused(
        "[[listener]]\naddress = \"127.0.0.1:0\"\ntls = { cert = \"cert.pem\", key = \"key.pem\" }\n",
    );
    assert!(
        cert.contains("DIR/palisade.toml:3: TLS certificate file DIR/cert.pem does not exist"),
        "{cert}"
    );

    let missing = common::start_failure(&["--config", "/nonexistent/palisade.toml"]);
    assert!(
        missing.contains("cannot read the configuration file /nonexistent/palisade.toml"),
        "{missing}"
    );
}

#[test]
fn a_key_that_is_not_a_key_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let path = write_config(
        dir.path(),
        "[[listener]]\naddress = \"127.0.0.1:0\"\ntls = { cert = \"cert.pem\", key = \"key.pem\" }\n",
    );
    let failed = common::start_failure(&["--config", path.to_str().unwrap()])
        .replace(&dir.path().display().to_string(), "DIR");
    assert!(
        failed.contains("DIR/palisade.toml:3: no certificate in DIR/cert.pem"),
        "{failed}"
    );
}
