//! The control plane (IAM, STS, Organizations) through the AWS CLI against the real server:
//! tests/smoke/control_plane_cli.sh, which checks every answer and stops at the first
//! difference. scripts/test.sh installs the CLI; when it is missing the test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::TestServer;

/// Runs one half of the script against its own server (the halves run in parallel).
fn control_plane_with_the_aws_cli(part: &str, expected: &[&str]) {
    let server = TestServer::start();
    let script = common::repo_path("tests/smoke/control_plane_cli.sh");
    // The CLI is often installed per user (pip --user).
    let path = match (std::env::var("HOME"), std::env::var("PATH")) {
        (Ok(home), Ok(path)) => format!("{home}/.local/bin:{path}"),
        (_, Ok(path)) => path,
        _ => String::new(),
    };
    let out = Command::new("bash")
        .arg(&script)
        .arg(server.url())
        .arg(part)
        .env("PATH", path)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "control_plane_cli.sh {part} failed:\nstdout:\n{stdout}\nstderr:\n{}\nserver log tail:\n{}",
        String::from_utf8_lossy(&out.stderr),
        tail(&server.log(), 40)
    );
    for line in expected {
        assert!(stdout.contains(line), "no '{line}' in:\n{stdout}");
    }
}

#[test]
fn iam_and_sts_with_the_aws_cli() {
    control_plane_with_the_aws_cli("iam-sts", &["IAM ok", "STS ok"]);
}

#[test]
fn organizations_with_the_aws_cli() {
    control_plane_with_the_aws_cli("organizations", &["Organizations ok"]);
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
