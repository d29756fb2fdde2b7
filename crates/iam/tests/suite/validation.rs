//! Validation findings in the manner of IAM Access Analyzer's policy checks.

use palisade_iam::{PolicyType, Severity, validate};
use serde_json::{Value, json};

fn findings(doc: Value, ty: PolicyType) -> Vec<(Severity, &'static str, String)> {
    validate(&doc.to_string(), ty)
        .items
        .into_iter()
        .map(|f| (f.severity, f.code, f.path))
        .collect()
}

fn has(doc: Value, ty: PolicyType, severity: Severity, code: &str, path: &str) {
    let got = findings(doc, ty);
    assert!(
        got.iter()
            .any(|(s, c, p)| *s == severity && *c == code && p == path),
        "expected {severity:?} {code} at {path}, got {got:?}"
    );
}

fn stmt(s: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [s]})
}

#[test]
fn clean_policy_has_no_findings() {
    let doc = stmt(
        json!({"Sid": "Read", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
        "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:userid}"]}, "Null": {"dynamodb:LeadingKeys": "false"}}}),
    );
    // The Null guard makes the ForAllValues condition safe in an Allow.
    assert_eq!(findings(doc, PolicyType::Identity), vec![]);
}

#[test]
fn for_all_values_in_allow_without_null_guard() {
    let doc = stmt(
        json!({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "a"]}}}),
    );
    has(
        doc,
        PolicyType::Identity,
        Severity::Warning,
        "FOR_ALL_VALUES_IN_ALLOW",
        "Statement[0].Condition.ForAllValues:StringEquals.dynamodb:Attributes",
    );
}

#[test]
fn unknown_actions_for_checked_services() {
    let doc = stmt(
        json!({"Effect": "Allow", "Action": ["dynamodb:GetItems", "sts:AssumeRole", "iam:PassRole", "organizations:ListAccounts", "s3:Anything", "dynamodb:Fly*", "DynamoDB:getitem"], "Resource": "*"}),
    );
    has(
        doc.clone(),
        PolicyType::Identity,
        Severity::Error,
        "UNKNOWN_ACTION",
        "Statement[0].Action[0]",
    );
    has(
        doc.clone(),
        PolicyType::Identity,
        Severity::Warning,
        "UNKNOWN_ACTION",
        "Statement[0].Action[5]",
    );
    let f = findings(doc, PolicyType::Identity);
    assert_eq!(
        f.iter().filter(|x| x.1 == "UNKNOWN_ACTION").count(),
        2,
        "{f:?}"
    );
    has(
        stmt(json!({"Effect": "Allow", "Action": "GetItem", "Resource": "*"})),
        PolicyType::Identity,
        Severity::Error,
        "INVALID_ACTION",
        "Statement[0].Action[0]",
    );
}

#[test]
fn invalid_arns() {
    let doc = stmt(
        json!({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": ["table/orders", "arn:aws:dynamodb:us-east-1:12345:table/t", "arn:aws:*:us-east-1:111122223333:table/t", "arn:aws:dynamodb:${aws:username}:111122223333:table/t"]}),
    );
    for i in 0..4 {
        has(
            doc.clone(),
            PolicyType::Identity,
            Severity::Error,
            "INVALID_ARN",
            &format!("Statement[0].Resource[{i}]"),
        );
    }
}

#[test]
fn condition_values_and_key_types() {
    let doc = stmt(
        json!({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {
            "NumericLessThan": {"aws:MultiFactorAuthAge": "soon"},
            "DateGreaterThan": {"aws:CurrentTime": "yesterday"},
            "IpAddress": {"aws:SourceIp": "10.0.0.0/33"},
            "Bool": {"aws:SecureTransport": "yes"},
            "StringEquals": {"aws:SourceIp": "10.0.0.1"},
            "ArnLike": {"aws:SourceVpc": "arn:aws:ec2:*:*:vpc/*"},
            "BinaryEquals": {"k:b": "%%%"}
        }}),
    );
    let c = "Statement[0].Condition";
    has(
        doc.clone(),
        PolicyType::Identity,
        Severity::Error,
        "INVALID_CONDITION_VALUE",
        &format!("{c}.NumericLessThan.aws:MultiFactorAuthAge"),
    );
    has(
        doc.clone(),
        PolicyType::Identity,
        Severity::Error,
        "INVALID_CONDITION_VALUE",
        &format!("{c}.DateGreaterThan.aws:CurrentTime"),
    );
    has(
        doc.clone(),
        PolicyType::Identity,
        Severity::Error,
        "INVALID_CONDITION_VALUE",
        &format!("{c}.IpAddress.aws:SourceIp"),
    );
    has(
        doc.clone(),
        PolicyType::Identity,
        Severity::Error,
        "INVALID_CONDITION_VALUE",
        &format!("{c}.Bool.aws:SecureTransport"),
    );
    has(
        doc.clone(),
        PolicyType::Identity,
        Severity::Error,
        "INVALID_CONDITION_VALUE",
        &format!("{c}.BinaryEquals.k:b"),
    );
    has(
        doc.clone(),
        PolicyType::Identity,
        Severity::Error,
        "TYPE_MISMATCH",
        &format!("{c}.StringEquals.aws:SourceIp"),
    );
    has(
        doc,
        PolicyType::Identity,
        Severity::Error,
        "TYPE_MISMATCH",
        &format!("{c}.ArnLike.aws:SourceVpc"),
    );
}

#[test]
fn set_operator_warnings() {
    let doc = stmt(
        json!({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {
        "StringEquals": {"aws:TagKeys": "a"}, "ForAnyValue:StringEquals": {"aws:SourceVpc": "vpc-1"}}}),
    );
    has(
        doc.clone(),
        PolicyType::Identity,
        Severity::Warning,
        "MISSING_SET_OPERATOR",
        "Statement[0].Condition.StringEquals.aws:TagKeys",
    );
    has(
        doc,
        PolicyType::Identity,
        Severity::Warning,
        "SET_OPERATOR_ON_SINGLE_VALUE",
        "Statement[0].Condition.ForAnyValue:StringEquals.aws:SourceVpc",
    );
}

#[test]
fn variables_in_2008_policies() {
    let doc = json!({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:dynamodb:*:*:table/${aws:username}"}});
    has(
        doc,
        PolicyType::Identity,
        Severity::Warning,
        "VARIABLE_IN_2008_POLICY",
        "Statement",
    );
}

#[test]
fn redundant_and_never_matching_statements() {
    let s =
        json!({"Effect": "Allow", "Action": ["dynamodb:*", "dynamodb:GetItem"], "Resource": "*"});
    let doc = json!({"Version": "2012-10-17", "Statement": [s, s]});
    has(
        doc.clone(),
        PolicyType::Identity,
        Severity::Warning,
        "REDUNDANT_STATEMENT",
        "Statement[1]",
    );
    has(
        doc,
        PolicyType::Identity,
        Severity::Warning,
        "REDUNDANT_ACTION",
        "Statement[0].Action[1]",
    );
    let never = stmt(json!({"Effect": "Deny", "NotAction": "*", "Resource": "*"}));
    has(
        never,
        PolicyType::Identity,
        Severity::Warning,
        "NEVER_MATCHES",
        "Statement[0].NotAction[0]",
    );
    let exclusive = stmt(
        json!({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {
        "StringEquals": {"aws:SourceVpc": "vpc-1"}, "StringNotEquals": {"aws:sourcevpc": ["vpc-1", "vpc-2"]}}}),
    );
    has(
        exclusive,
        PolicyType::Identity,
        Severity::Warning,
        "NEVER_MATCHES",
        "Statement[0].Condition",
    );
}

#[test]
fn principals() {
    let allow_not = stmt(
        json!({"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"}, "Action": "dynamodb:*", "Resource": "*"}),
    );
    has(
        allow_not,
        PolicyType::Resource,
        Severity::Warning,
        "ALLOW_WITH_NOT_PRINCIPAL",
        "Statement[0].NotPrincipal",
    );
    let bad = stmt(
        json!({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:user/*", "bob", "arn:aws:iam::111122223333:role/app"]}, "Action": "dynamodb:*", "Resource": "*"}),
    );
    has(
        bad.clone(),
        PolicyType::Resource,
        Severity::Error,
        "INVALID_PRINCIPAL",
        "Statement[0].Principal.AWS[0]",
    );
    has(
        bad.clone(),
        PolicyType::Resource,
        Severity::Error,
        "INVALID_PRINCIPAL",
        "Statement[0].Principal.AWS[1]",
    );
    assert_eq!(findings(bad, PolicyType::Resource).len(), 2);
}

#[test]
fn parse_errors_are_findings() {
    has(
        json!({"Statement": {"Effect": "Allow", "Action": "*"}}),
        PolicyType::Identity,
        Severity::Error,
        "MISSING_RESOURCE",
        "Statement",
    );
    has(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}]}),
        PolicyType::Scp,
        Severity::Error,
        "PROHIBITED_ELEMENT",
        "Statement[0].Principal",
    );
}
