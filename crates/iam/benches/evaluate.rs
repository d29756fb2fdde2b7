//! Evaluation cost of a realistic request: 10 identity statements, a permissions boundary,
//! a 3-level SCP chain, a resource policy, a VPC endpoint policy and 12 context keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use palisade_iam::{
    CompiledPolicy, ContextValue, OwnedPolicySet, PolicyType, Principal, RequestContext,
};
use serde_json::json;

const TABLE: &str = "arn:aws:dynamodb:us-east-1:111122223333:table/orders";

fn policy(stmts: serde_json::Value, ty: PolicyType) -> CompiledPolicy {
    CompiledPolicy::parse(
        &json!({"Version": "2012-10-17", "Statement": stmts}).to_string(),
        ty,
    )
    .unwrap()
}

fn set() -> OwnedPolicySet {
    let identity = policy(
        json!([
            {"Sid": "S3Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
            {"Sid": "Logs", "Effect": "Allow", "Action": "logs:*", "Resource": "*"},
            {"Sid": "Describe", "Effect": "Allow", "Action": ["dynamodb:Describe*", "dynamodb:List*"], "Resource": "*"},
            {"Sid": "OwnTables", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:*:111122223333:table/${aws:PrincipalTag/team}-*"},
            {"Sid": "Items", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"],
             "Resource": ["arn:aws:dynamodb:us-east-1:111122223333:table/orders", "arn:aws:dynamodb:us-east-1:111122223333:table/orders/index/*"],
             "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:userid}", "shared"]}, "Bool": {"aws:SecureTransport": "true"}}},
            {"Sid": "Writes", "Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"], "Resource": TABLE,
             "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
            {"Sid": "NoDelete", "Effect": "Deny", "Action": ["dynamodb:DeleteTable", "dynamodb:DeleteBackup"], "Resource": "*"},
            {"Sid": "Network", "Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpc": ["vpc-1", "vpc-2"]}, "NotIpAddressIfExists": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}, "BoolIfExists": {"aws:ViaAWSService": "false"}}},
            {"Sid": "Kms", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "arn:aws:kms:us-east-1:111122223333:key/*"},
            {"Sid": "Time", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}
        ]),
        PolicyType::Identity,
    );
    let boundary = policy(
        json!([{"Effect": "Allow", "Action": ["dynamodb:*", "s3:*", "logs:*", "kms:Decrypt"], "Resource": "*"}]),
        PolicyType::Identity,
    );
    let full = || {
        policy(
            json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            PolicyType::Scp,
        )
    };
    let region = policy(
        json!({"Effect": "Deny", "NotAction": ["iam:*", "sts:*", "organizations:*"], "Resource": "*",
               "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}),
        PolicyType::Scp,
    );
    let protect = policy(
        json!({"Effect": "Deny", "Action": ["dynamodb:DeleteTable", "dynamodb:UpdateTable"], "Resource": "*",
               "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}}}),
        PolicyType::Scp,
    );
    let resource = policy(
        json!([
            {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "dynamodb:*", "Resource": "*"},
            {"Sid": "Org", "Effect": "Deny", "Principal": "*", "Action": "dynamodb:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}}
        ]),
        PolicyType::Resource,
    );
    let endpoint = policy(
        json!({"Effect": "Allow", "Principal": "*", "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"], "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/*",
               "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}}),
        PolicyType::Endpoint,
    );
    OwnedPolicySet {
        identity: vec![identity],
        permissions_boundary: Some(boundary),
        resource_policy: Some(resource),
        endpoint_policies: vec![endpoint],
        scps: vec![vec![full()], vec![full(), region], vec![full(), protect]],
        ..OwnedPolicySet::default()
    }
}

fn request() -> RequestContext {
    let p = Principal::parse("arn:aws:sts::111122223333:assumed-role/app/s1").unwrap();
    let mut c = RequestContext::new(p, "dynamodb:GetItem", TABLE);
    c.insert("aws:userid", "AROAEXAMPLE:s1");
    c.insert("aws:PrincipalTag/team", "orders");
    c.insert("aws:PrincipalOrgID", "o-abc");
    c.insert("aws:SourceVpc", "vpc-1");
    c.insert("aws:SourceVpce", "vpce-0123");
    c.insert("aws:VpcSourceIp", "10.0.1.25");
    c.insert("aws:SecureTransport", "true");
    c.insert("aws:ViaAWSService", "false");
    c.insert("aws:RequestedRegion", "us-east-1");
    c.insert("aws:CurrentTime", "2026-11-29T12:00:00Z");
    c.insert(
        "dynamodb:LeadingKeys",
        ContextValue::Multi(vec!["AROAEXAMPLE:s1".to_owned()]),
    );
    c.insert("dynamodb:Select", "ALL_ATTRIBUTES");
    c
}

fn bench(c: &mut Criterion) {
    let set = set();
    let req = request();
    assert!(set.as_set().evaluate(&req).is_allowed());
    c.bench_function("evaluate_realistic_allow", |b| {
        b.iter(|| black_box(set.as_set().evaluate(black_box(&req))))
    });
    let mut denied = req.clone();
    denied.insert("aws:SourceVpc", "vpc-9");
    assert!(!set.as_set().evaluate(&denied).is_allowed());
    c.bench_function("evaluate_realistic_explicit_deny", |b| {
        b.iter(|| black_box(set.as_set().evaluate(black_box(&denied))))
    });
    c.bench_function("compile_identity_policy", |b| {
        let text = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["dynamodb:Get*", "dynamodb:Query"], "Resource": TABLE,
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:userid}"]}}}}).to_string();
        b.iter(|| black_box(CompiledPolicy::parse(black_box(&text), PolicyType::Identity)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
