//! The boto3 and AWS CLI smoke scripts (tests/smoke/) against the real server. scripts/test.sh
//! installs both clients; when one is missing here the test fails rather than passing silently.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::TestServer;

fn run(program: &str, script: &str, url: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/smoke/");
    let out = Command::new(program)
        .arg(format!("{path}{script}"))
        .arg(url)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (scripts/test.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "{script} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn boto3_smoke() {
    let server = TestServer::start();
    run("python3", "boto3_smoke.py", &server.url());
}

#[test]
fn aws_cli_smoke() {
    let server = TestServer::start();
    run("bash", "cli_smoke.sh", &server.url());
}

#[test]
fn scp_scenario_with_boto3() {
    let server = TestServer::start();
    run("python3", "../e2e/scp_scenario.py", &server.url());
}
