//! End-to-end tests of `palisade policy validate` and `palisade policy simulate`, running the
//! built binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn palisade(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn simulate(scenario: &Value) -> Value {
    let out = palisade(&["policy", "simulate", "-"], &scenario.to_string());
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/app/s1";
const TABLE: &str = "arn:aws:dynamodb:us-east-1:111122223333:table/orders";

fn base() -> Value {
    json!({
        "principal": SESSION,
        "action": "dynamodb:GetItem",
        "resource": TABLE,
        "context": {"aws:SourceVpc": "vpc-1", "aws:PrincipalTag/team": ["a"]},
        "identity_policies": [{"Version": "2012-10-17", "Statement": {"Sid": "Read", "Effect": "Allow", "Action": "dynamodb:Get*", "Resource": TABLE,
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a"}}}}],
        "permissions_boundary": null,
        "session_policy": null,
        "resource_policy": null,
        "endpoint_policies": [],
        "scps": [[{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}]],
        "rcps": [],
        "management_account": false
    })
}

#[test]
fn simulate_allow_names_the_statement() {
    let out = simulate(&base());
    assert_eq!(out["decision"], "Allow");
    assert_eq!(out["deciding"]["kind"], "identity");
    assert_eq!(out["deciding"]["sid"], "Read");
    assert_eq!(out["message"], Value::Null);
    assert_eq!(out["matched"].as_array().unwrap().len(), 2);
}

#[test]
fn simulate_scp_explicit_deny_with_policy_arn() {
    let mut s = base();
    let arn = "arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-1";
    s["scps"] = json!([
        [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}],
        [{"label": arn, "policy": {"Version": "2012-10-17", "Statement": {"Sid": "DenyOutsideVpc", "Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-2"}}}}}]
    ]);
    let out = simulate(&s);
    assert_eq!(out["decision"], "ExplicitDeny");
    assert_eq!(out["deciding"]["kind"], "scp");
    assert_eq!(out["deciding"]["policy"], arn);
    assert_eq!(out["deciding"]["sid"], "DenyOutsideVpc");
    assert_eq!(
        out["message"],
        format!(
            "User: {SESSION} is not authorized to perform: dynamodb:GetItem on resource: {TABLE} with an explicit deny in a service control policy, with policy ARN: {arn}"
        )
    );
}

#[test]
fn simulate_implicit_deny_from_file() {
    let mut s = base();
    s["identity_policies"] = json!([]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.json");
    std::fs::write(&path, s.to_string()).unwrap();
    let out = palisade(&["policy", "simulate", path.to_str().unwrap()], "");
    assert!(out.status.success());
    let out: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out["decision"], "ImplicitDeny");
    assert_eq!(out["deciding"]["kind"], "identity");
    assert_eq!(
        out["message"],
        format!(
            "User: {SESSION} is not authorized to perform: dynamodb:GetItem on resource: {TABLE} because no identity-based policy allows the dynamodb:GetItem action"
        )
    );
}

#[test]
fn simulate_rejects_invalid_scenarios() {
    let mut s = base();
    s["identity_policies"] = json!([{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}}]);
    let out = palisade(&["policy", "simulate", "-"], &s.to_string());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("identity_policies[0]"));
    let out = palisade(&["policy", "simulate", "-"], "not json");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn validate_reports_errors_with_exit_status_1() {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItems", "Resource": "table/orders"}]});
    let out = palisade(
        &["policy", "validate", "-", "--type", "identity", "--json"],
        &doc.to_string(),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["UNKNOWN_ACTION", "INVALID_ARN"]);
    assert_eq!(v["findings"][0]["path"], "Statement[0].Action[0]");
}

#[test]
fn validate_clean_and_warning_only_documents_succeed() {
    let doc = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "dynamodb:Query", "Resource": TABLE}});
    let out = palisade(
        &["policy", "validate", "-", "--type", "resource"],
        &doc.to_string(),
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "no findings");
    // The same document as an SCP: Principal is prohibited.
    let out = palisade(
        &["policy", "validate", "-", "--type", "scp"],
        &doc.to_string(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PROHIBITED_ELEMENT"));
    // Warnings alone do not fail.
    let warn =
        json!({"Statement": {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*"}});
    let out = palisade(&["policy", "validate", "-"], &warn.to_string());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("WARNING MISSING_VERSION"));
}

/// Every scenario in docs/policy-simulate.md produces the output printed after it.
#[test]
fn documented_examples_are_current() {
    let doc = include_str!("../../../docs/policy-simulate.md");
    let blocks: Vec<&str> = doc
        .split("```json\n")
        .skip(1)
        .map(|b| b.split("\n```").next().unwrap())
        .collect();
    let mut checked = 0;
    for pair in blocks.windows(2) {
        let Ok(scenario) = serde_json::from_str::<Value>(pair[0]) else {
            continue;
        };
        if scenario.get("principal").is_none() {
            continue;
        }
        let expected: Value = serde_json::from_str(pair[1]).unwrap();
        assert_eq!(simulate(&scenario), expected, "example:\n{}", pair[0]);
        checked += 1;
    }
    assert_eq!(checked, 2, "the two scenarios with their outputs");
}
