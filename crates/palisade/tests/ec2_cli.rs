//! The EC2 VPC and VPC endpoint operations through the AWS CLI (tests/smoke/ec2_cli.sh)
//! against the real server, across a restart: what was created is still there afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::TestServer;

fn run(url: &str, phase: &str, state: &std::path::Path) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/smoke/ec2_cli.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(url)
        .arg(phase)
        .arg(state)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run bash with the AWS CLI (scripts/test.sh installs it): {e}")
        });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ec2_cli.sh {phase} failed:\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn vpcs_and_endpoints_through_the_aws_cli_survive_a_restart() {
    let mut server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("ids");
    let out = run(&server.url(), "create", &state);
    assert!(out.contains("ec2 cli: create OK"), "{out}");
    let ids = std::fs::read_to_string(&state).unwrap();
    let mut ids = ids.split_whitespace();
    let (vpc, vpce) = (ids.next().unwrap(), ids.next().unwrap());
    assert!(
        vpc.starts_with("vpc-") && vpce.starts_with("vpce-"),
        "{vpc} {vpce}"
    );

    server.restart();
    let out = run(&server.url(), "after-restart", &state);
    assert!(out.contains("ec2 cli: after-restart OK"), "{out}");
}
