//! Every condition operator, with the semantics of the IAM User Guide ("IAM JSON policy
//! elements: Condition operators", "Single-valued vs. multivalued context keys").

use serde_json::json;

use crate::common::{condition_allows, ctx_with, multi, single};
use palisade_iam::ContextValue;

struct Case {
    name: &'static str,
    condition: serde_json::Value,
    keys: Vec<(&'static str, ContextValue)>,
    expect: bool,
}

fn case(
    name: &'static str,
    condition: serde_json::Value,
    keys: Vec<(&'static str, ContextValue)>,
    expect: bool,
) -> Case {
    Case {
        name,
        condition,
        keys,
        expect,
    }
}

fn run(cases: Vec<Case>) {
    let mut failures = Vec::new();
    for c in &cases {
        let got = condition_allows(c.condition.clone(), &ctx_with(&c.keys));
        if got != c.expect {
            failures.push(format!("{}: expected {}, got {}", c.name, c.expect, got));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn string_operators() {
    let vpc = || vec![("aws:SourceVpc", single("vpc-111"))];
    run(vec![
        case(
            "StringEquals match",
            json!({"StringEquals": {"aws:SourceVpc": "vpc-111"}}),
            vpc(),
            true,
        ),
        case(
            "StringEquals is case-sensitive",
            json!({"StringEquals": {"aws:SourceVpc": "VPC-111"}}),
            vpc(),
            false,
        ),
        case(
            "condition key names are case-insensitive",
            json!({"StringEquals": {"AWS:SOURCEVPC": "vpc-111"}}),
            vpc(),
            true,
        ),
        case(
            "values are OR'd",
            json!({"StringEquals": {"aws:SourceVpc": ["vpc-0", "vpc-111"]}}),
            vpc(),
            true,
        ),
        case(
            "StringEquals has no wildcards",
            json!({"StringEquals": {"aws:SourceVpc": "vpc-*"}}),
            vpc(),
            false,
        ),
        case(
            "StringNotEquals",
            json!({"StringNotEquals": {"aws:SourceVpc": "vpc-222"}}),
            vpc(),
            true,
        ),
        case(
            "StringNotEquals requires no value to match",
            json!({"StringNotEquals": {"aws:SourceVpc": ["vpc-222", "vpc-111"]}}),
            vpc(),
            false,
        ),
        case(
            "StringEqualsIgnoreCase",
            json!({"StringEqualsIgnoreCase": {"aws:SourceVpc": "VPC-111"}}),
            vpc(),
            true,
        ),
        case(
            "StringNotEqualsIgnoreCase",
            json!({"StringNotEqualsIgnoreCase": {"aws:SourceVpc": "VPC-111"}}),
            vpc(),
            false,
        ),
        case(
            "StringLike star",
            json!({"StringLike": {"aws:SourceVpc": "vpc-1*"}}),
            vpc(),
            true,
        ),
        case(
            "StringLike question mark",
            json!({"StringLike": {"aws:SourceVpc": "vpc-1?1"}}),
            vpc(),
            true,
        ),
        case(
            "StringLike is case-sensitive",
            json!({"StringLike": {"aws:SourceVpc": "VPC-*"}}),
            vpc(),
            false,
        ),
        case(
            "StringNotLike",
            json!({"StringNotLike": {"aws:SourceVpc": "vpc-2*"}}),
            vpc(),
            true,
        ),
        case(
            "StringLike star crosses slashes and colons",
            json!({"StringLike": {"aws:PrincipalArn": "arn:aws:*"}}),
            vec![],
            true,
        ),
        case(
            "absent key: positive false",
            json!({"StringEquals": {"aws:SourceVpc": "vpc-111"}}),
            vec![],
            false,
        ),
        case(
            "absent key: StringNotEquals true",
            json!({"StringNotEquals": {"aws:SourceVpc": "vpc-111"}}),
            vec![],
            true,
        ),
        case(
            "absent key: StringNotLike true",
            json!({"StringNotLike": {"aws:SourceVpc": "vpc-*"}}),
            vec![],
            true,
        ),
        case(
            "absent key: StringNotEqualsIgnoreCase true",
            json!({"StringNotEqualsIgnoreCase": {"aws:SourceVpc": "x"}}),
            vec![],
            true,
        ),
        case(
            "IfExists absent -> true",
            json!({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-9"}}),
            vec![],
            true,
        ),
        case(
            "IfExists present -> evaluated",
            json!({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-9"}}),
            vpc(),
            false,
        ),
        case(
            "keys under one operator are AND'd",
            json!({"StringEquals": {"aws:SourceVpc": "vpc-111", "aws:SourceVpce": "vpce-1"}}),
            vpc(),
            false,
        ),
        case(
            "operators are AND'd",
            json!({"StringEquals": {"aws:SourceVpc": "vpc-111"}, "StringLike": {"aws:username": "bob"}}),
            vpc(),
            false,
        ),
        case(
            "JSON numbers are compared as text",
            json!({"StringEquals": {"aws:PrincipalAccount": 111122223333_u64}}),
            vec![],
            true,
        ),
    ]);
}

#[test]
fn policy_variables_in_conditions() {
    run(vec![
        case(
            "variable resolves",
            json!({"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}),
            vec![("aws:PrincipalTag/owner", single("alice"))],
            true,
        ),
        case(
            "variable mismatch",
            json!({"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}}),
            vec![("aws:PrincipalTag/owner", single("bob"))],
            false,
        ),
        case(
            "unresolved variable: positive false",
            json!({"StringEquals": {"aws:SourceVpc": "${aws:PrincipalTag/vpc}"}}),
            vec![("aws:SourceVpc", single("vpc-1"))],
            false,
        ),
        case(
            "unresolved variable: negated true",
            json!({"StringNotEquals": {"aws:SourceVpc": "${aws:PrincipalTag/vpc}"}}),
            vec![("aws:SourceVpc", single("vpc-1"))],
            true,
        ),
        case(
            "default value used",
            json!({"StringEquals": {"aws:SourceVpc": "${aws:PrincipalTag/vpc, 'vpc-1'}"}}),
            vec![("aws:SourceVpc", single("vpc-1"))],
            true,
        ),
        case(
            "tag key in variable is case-insensitive",
            json!({"StringEquals": {"aws:SourceVpc": "${aws:principaltag/VPC}"}}),
            vec![
                ("aws:SourceVpc", single("vpc-1")),
                ("aws:PrincipalTag/vpc", single("vpc-1")),
            ],
            true,
        ),
        case(
            "${*} is a literal star in StringLike",
            json!({"StringLike": {"aws:SourceVpc": "a${*}"}}),
            vec![("aws:SourceVpc", single("ab"))],
            false,
        ),
    ]);
}

#[test]
fn numeric_operators() {
    let age = |v: &str| vec![("aws:MultiFactorAuthAge", single(v))];
    run(vec![
        case(
            "NumericEquals",
            json!({"NumericEquals": {"aws:MultiFactorAuthAge": "300"}}),
            age("300"),
            true,
        ),
        case(
            "NumericEquals decimal",
            json!({"NumericEquals": {"aws:MultiFactorAuthAge": "300.0"}}),
            age("300"),
            true,
        ),
        case(
            "NumericNotEquals",
            json!({"NumericNotEquals": {"aws:MultiFactorAuthAge": "300"}}),
            age("301"),
            true,
        ),
        case(
            "NumericLessThan",
            json!({"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}}),
            age("300"),
            true,
        ),
        case(
            "NumericLessThan equal is false",
            json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}),
            age("300"),
            false,
        ),
        case(
            "NumericLessThanEquals",
            json!({"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "300"}}),
            age("300"),
            true,
        ),
        case(
            "NumericGreaterThan",
            json!({"NumericGreaterThan": {"aws:MultiFactorAuthAge": "10"}}),
            age("300"),
            true,
        ),
        case(
            "NumericGreaterThanEquals",
            json!({"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "301"}}),
            age("300"),
            false,
        ),
        case(
            "non-numeric request value",
            json!({"NumericEquals": {"aws:MultiFactorAuthAge": "300"}}),
            age("abc"),
            false,
        ),
        case(
            "absent: NumericNotEquals true",
            json!({"NumericNotEquals": {"aws:MultiFactorAuthAge": "300"}}),
            vec![],
            true,
        ),
        case(
            "absent: NumericLessThan false",
            json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}),
            vec![],
            false,
        ),
        case(
            "NumericLessThanIfExists absent",
            json!({"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "300"}}),
            vec![],
            true,
        ),
    ]);
}

#[test]
fn date_operators() {
    let now = |v: &str| vec![("aws:CurrentTime", single(v))];
    run(vec![
        case(
            "DateLessThan ISO",
            json!({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}),
            now("2026-11-29T12:00:00Z"),
            true,
        ),
        case(
            "DateLessThan date only",
            json!({"DateLessThan": {"aws:CurrentTime": "2026-01-01"}}),
            now("2026-11-29T12:00:00Z"),
            false,
        ),
        case(
            "DateGreaterThan with offset",
            json!({"DateGreaterThan": {"aws:CurrentTime": "2026-11-29T13:00:00+02:00"}}),
            now("2026-11-29T12:00:00Z"),
            true,
        ),
        case(
            "DateEquals epoch vs ISO",
            json!({"DateEquals": {"aws:CurrentTime": "1764417600"}}),
            now("2025-11-29T12:00:00Z"),
            true,
        ),
        case(
            "DateNotEquals",
            json!({"DateNotEquals": {"aws:CurrentTime": "2026-11-29T12:00:00Z"}}),
            now("2026-11-29T12:00:00Z"),
            false,
        ),
        case(
            "DateLessThanEquals",
            json!({"DateLessThanEquals": {"aws:CurrentTime": "2026-11-29T12:00:00Z"}}),
            now("2026-11-29T12:00:00Z"),
            true,
        ),
        case(
            "DateGreaterThanEquals",
            json!({"DateGreaterThanEquals": {"aws:CurrentTime": "2026-11-29T12:00:01Z"}}),
            now("2026-11-29T12:00:00Z"),
            false,
        ),
        case(
            "absent: DateNotEquals true",
            json!({"DateNotEquals": {"aws:CurrentTime": "2026-01-01"}}),
            vec![],
            true,
        ),
    ]);
}

#[test]
fn bool_binary_null() {
    run(vec![
        case(
            "Bool true",
            json!({"Bool": {"aws:SecureTransport": "true"}}),
            vec![("aws:SecureTransport", single("true"))],
            true,
        ),
        case(
            "Bool JSON boolean",
            json!({"Bool": {"aws:SecureTransport": false}}),
            vec![("aws:SecureTransport", single("true"))],
            false,
        ),
        case(
            "Bool is case-insensitive",
            json!({"Bool": {"aws:SecureTransport": "True"}}),
            vec![("aws:SecureTransport", single("TRUE"))],
            true,
        ),
        case(
            "Bool absent false",
            json!({"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
            vec![],
            false,
        ),
        case(
            "BoolIfExists absent true",
            json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
            vec![],
            true,
        ),
        case(
            "BinaryEquals",
            json!({"BinaryEquals": {"k:bin": "QmluYXJ5VmFsdWU="}}),
            vec![("k:bin", single("QmluYXJ5VmFsdWU="))],
            true,
        ),
        case(
            "BinaryEquals differs",
            json!({"BinaryEquals": {"k:bin": "QmluYXJ5VmFsdWU="}}),
            vec![("k:bin", single("AAAA"))],
            false,
        ),
        case(
            "Null true on absent key",
            json!({"Null": {"aws:TokenIssueTime": "true"}}),
            vec![],
            true,
        ),
        case(
            "Null true on present key",
            json!({"Null": {"aws:TokenIssueTime": "true"}}),
            vec![("aws:TokenIssueTime", single("x"))],
            false,
        ),
        case(
            "Null false on present key",
            json!({"Null": {"aws:TokenIssueTime": "false"}}),
            vec![("aws:TokenIssueTime", single("x"))],
            true,
        ),
        case(
            "Null true on empty multi-valued key",
            json!({"Null": {"aws:TagKeys": "true"}}),
            vec![("aws:TagKeys", multi(&[]))],
            true,
        ),
    ]);
}

#[test]
fn ip_operators() {
    let ip = |v: &str| vec![("aws:SourceIp", single(v))];
    run(vec![
        case(
            "IpAddress IPv4 CIDR",
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            ip("203.0.113.7"),
            true,
        ),
        case(
            "IpAddress outside",
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            ip("203.0.114.7"),
            false,
        ),
        case(
            "bare address is /32",
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}),
            ip("203.0.113.7"),
            true,
        ),
        case(
            "IPv6 CIDR",
            json!({"IpAddress": {"aws:SourceIp": "2001:DB8::/32"}}),
            ip("2001:db8:1::5"),
            true,
        ),
        case(
            "IPv6 vs IPv4",
            json!({"IpAddress": {"aws:SourceIp": "2001:DB8::/32"}}),
            ip("203.0.113.7"),
            false,
        ),
        case(
            "NotIpAddress",
            json!({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}}),
            ip("198.51.100.1"),
            true,
        ),
        case(
            "NotIpAddress inside",
            json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            ip("203.0.113.9"),
            false,
        ),
        case(
            "absent: NotIpAddress true",
            json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            vec![],
            true,
        ),
        case(
            "absent: NotIpAddressIfExists true",
            json!({"NotIpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}),
            vec![],
            true,
        ),
    ]);
}

#[test]
fn arn_operators() {
    let src = |v: &str| vec![("aws:SourceArn", single(v))];
    run(vec![
        case(
            "ArnEquals exact",
            json!({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}}),
            src("arn:aws:sns:us-east-1:111122223333:topic"),
            true,
        ),
        case(
            "ArnEquals takes wildcards",
            json!({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}),
            src("arn:aws:sns:us-east-1:111122223333:topic"),
            true,
        ),
        case(
            "ArnLike segment-wise: * does not span colons",
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:topic"}}),
            src("arn:aws:sns:us-east-1:111122223333:topic"),
            true,
        ),
        case(
            "ArnLike account segment",
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:4444*:*"}}),
            src("arn:aws:sns:us-east-1:111122223333:topic"),
            false,
        ),
        case(
            "ArnLike is case-sensitive",
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:Topic"}}),
            src("arn:aws:sns:us-east-1:111122223333:topic"),
            false,
        ),
        case(
            "ArnLike resource segment spans colons",
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:*:function:*"}}),
            src("arn:aws:lambda:us-east-1:111122223333:function:f:1"),
            true,
        ),
        case(
            "ArnNotEquals",
            json!({"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:*:*:other"}}),
            src("arn:aws:sns:us-east-1:111122223333:topic"),
            true,
        ),
        case(
            "ArnNotLike",
            json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}),
            src("arn:aws:sns:us-east-1:111122223333:topic"),
            false,
        ),
        case(
            "ArnLike \"*\" matches any value",
            json!({"ArnLike": {"aws:SourceArn": "*"}}),
            src("not-an-arn"),
            true,
        ),
        case(
            "non-ARN request value vs ARN pattern",
            json!({"ArnLike": {"aws:SourceArn": "arn:*:*:*:*:*"}}),
            src("not-an-arn"),
            false,
        ),
        case(
            "absent: ArnNotLike true",
            json!({"ArnNotLike": {"aws:SourceArn": "arn:*:*:*:*:*"}}),
            vec![],
            true,
        ),
        case(
            "ARN with variable",
            json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/alice"}}),
            vec![],
            true,
        ),
    ]);
}

#[test]
fn set_operators() {
    let lk = |v: &[&str]| vec![("dynamodb:LeadingKeys", multi(v))];
    run(vec![
        case(
            "ForAllValues every value in list",
            json!({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["a", "b"]}}),
            lk(&["a", "b"]),
            true,
        ),
        case(
            "ForAllValues one outside",
            json!({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["a"]}}),
            lk(&["a", "c"]),
            false,
        ),
        case(
            "ForAllValues absent is true",
            json!({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["a"]}}),
            vec![],
            true,
        ),
        case(
            "ForAllValues empty is true",
            json!({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["a"]}}),
            lk(&[]),
            true,
        ),
        case(
            "ForAnyValue one inside",
            json!({"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["a"]}}),
            lk(&["z", "a"]),
            true,
        ),
        case(
            "ForAnyValue none inside",
            json!({"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["a"]}}),
            lk(&["z"]),
            false,
        ),
        case(
            "ForAnyValue absent is false",
            json!({"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["a"]}}),
            vec![],
            false,
        ),
        case(
            "ForAnyValue IfExists absent is true",
            json!({"ForAnyValue:StringEqualsIfExists": {"dynamodb:LeadingKeys": ["a"]}}),
            vec![],
            true,
        ),
        case(
            "ForAllValues:StringNotEquals: no value in list",
            json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}),
            vec![("aws:TagKeys", multi(&["a", "b"]))],
            true,
        ),
        case(
            "ForAllValues:StringNotEquals: one in list",
            json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}),
            vec![("aws:TagKeys", multi(&["a", "secret"]))],
            false,
        ),
        case(
            "ForAnyValue:StringNotEquals: some value not in list",
            json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a"]}}),
            vec![("aws:TagKeys", multi(&["a", "b"]))],
            true,
        ),
        case(
            "ForAllValues:StringLike",
            json!({"ForAllValues:StringLike": {"dynamodb:Attributes": ["pk", "data*"]}}),
            vec![("dynamodb:Attributes", multi(&["pk", "data1"]))],
            true,
        ),
        case(
            "single value under a set operator is a one-element set",
            json!({"ForAnyValue:StringEquals": {"aws:SourceVpc": "vpc-1"}}),
            vec![("aws:SourceVpc", single("vpc-1"))],
            true,
        ),
        case(
            "multi-valued key without set operator never matches",
            json!({"StringEquals": {"aws:TagKeys": ["a", "b"]}}),
            vec![("aws:TagKeys", multi(&["a", "b"]))],
            false,
        ),
        case(
            "multi-valued key without set operator, negated, never matches",
            json!({"StringNotEquals": {"aws:TagKeys": ["x"]}}),
            vec![("aws:TagKeys", multi(&["a", "b"]))],
            false,
        ),
        case(
            "one-element list is a single value",
            json!({"StringEquals": {"aws:PrincipalTag/team": "a"}}),
            vec![("aws:PrincipalTag/team", multi(&["a"]))],
            true,
        ),
        case(
            "ForAnyValue:NumericLessThan",
            json!({"ForAnyValue:NumericLessThan": {"k:n": "5"}}),
            vec![("k:n", multi(&["9", "3"]))],
            true,
        ),
        case(
            "ForAllValues:IpAddress",
            json!({"ForAllValues:IpAddress": {"k:ips": "10.0.0.0/8"}}),
            vec![("k:ips", multi(&["10.1.1.1", "11.0.0.1"]))],
            false,
        ),
    ]);
}
