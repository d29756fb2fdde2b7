//! Parsing rules: the grammar of the IAM JSON policy reference and the per-type rules.

use palisade_iam::{
    ActionClause, Effect, OperatorKind, Policy, PolicyType, PrincipalClause, Principals,
    SetQualifier, Version,
};
use serde_json::json;

fn codes(v: serde_json::Value, ty: PolicyType) -> Vec<&'static str> {
    match Policy::parse(&v.to_string(), ty) {
        Ok(_) => Vec::new(),
        Err(e) => e.errors.iter().map(|f| f.code).collect(),
    }
}

#[test]
fn single_values_and_arrays() {
    let p = Policy::parse(
        &json!({"Version": "2012-10-17", "Id": "x", "Statement": {"Sid": "A1", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": ["*"],
            "Condition": {"ForAnyValue:StringLikeIfExists": {"dynamodb:LeadingKeys": ["a*", "b"]}}}})
        .to_string(),
        PolicyType::Identity,
    )
    .unwrap();
    assert_eq!(p.version, Version::V2012_10_17);
    assert_eq!(p.id.as_deref(), Some("x"));
    let s = &p.statements[0];
    assert_eq!(s.effect, Effect::Allow);
    assert_eq!(
        s.action,
        ActionClause::Action(vec!["dynamodb:GetItem".into()])
    );
    let c = &s.conditions[0];
    assert_eq!(c.operator.qualifier, Some(SetQualifier::ForAnyValue));
    assert_eq!(c.operator.kind, OperatorKind::StringLike);
    assert!(c.operator.if_exists);
    assert_eq!(c.values, vec!["a*", "b"]);
}

#[test]
fn versions() {
    assert_eq!(
        codes(
            json!({"Version": "2017-08-17", "Statement": []}),
            PolicyType::Identity
        ),
        vec!["INVALID_VERSION", "MISSING_STATEMENT"]
    );
    let p = Policy::parse(
        &json!({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}).to_string(),
        PolicyType::Identity,
    )
    .unwrap();
    assert_eq!(p.version, Version::V2008_10_17);
    assert!(!p.version_given);
}

#[test]
fn exclusive_elements() {
    let both = json!({"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}});
    assert_eq!(
        codes(both, PolicyType::Identity),
        vec!["ACTION_AND_NOT_ACTION"]
    );
    let none = json!({"Statement": {"Effect": "Allow", "Resource": "*"}});
    assert_eq!(codes(none, PolicyType::Identity), vec!["MISSING_ACTION"]);
    let res = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "x"}});
    assert_eq!(
        codes(res, PolicyType::Identity),
        vec!["RESOURCE_AND_NOT_RESOURCE"]
    );
    let effect = json!({"Statement": {"Effect": "allow", "Action": "*", "Resource": "*"}});
    assert_eq!(codes(effect, PolicyType::Identity), vec!["INVALID_EFFECT"]);
}

#[test]
fn per_type_principal_rules() {
    let with_principal =
        json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}});
    let without = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
    // Identity policies and SCPs name no principal; resource policies must.
    assert_eq!(
        codes(with_principal.clone(), PolicyType::Identity),
        vec!["PROHIBITED_ELEMENT"]
    );
    assert_eq!(
        codes(with_principal.clone(), PolicyType::Scp),
        vec!["PROHIBITED_ELEMENT"]
    );
    assert_eq!(
        codes(without.clone(), PolicyType::Resource),
        vec!["MISSING_PRINCIPAL"]
    );
    assert!(codes(with_principal, PolicyType::Resource).is_empty());
    assert!(codes(without, PolicyType::Scp).is_empty());
    // RCPs: Deny only (except RCPFullAWSAccess), Principal "*", no NotAction.
    let rcp_allow = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "dynamodb:*", "Resource": "*"}});
    assert_eq!(codes(rcp_allow, PolicyType::Rcp), vec!["RCP_ALLOW"]);
    let rcp_full =
        json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}});
    assert!(codes(rcp_full, PolicyType::Rcp).is_empty());
    let rcp_principal = json!({"Statement": {"Effect": "Deny", "Principal": {"AWS": "111122223333"}, "Action": "*", "Resource": "*"}});
    assert_eq!(codes(rcp_principal, PolicyType::Rcp), vec!["RCP_PRINCIPAL"]);
    let rcp_not_action = json!({"Statement": {"Effect": "Deny", "Principal": "*", "NotAction": "s3:*", "Resource": "*"}});
    assert_eq!(
        codes(rcp_not_action, PolicyType::Rcp),
        vec!["NOT_ACTION_NOT_ALLOWED"]
    );
    // Trust policies: Principal, no Resource.
    let trust = json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}});
    let p = Policy::parse(&trust.to_string(), PolicyType::Trust).unwrap();
    assert!(
        matches!(&p.statements[0].principal, Some(PrincipalClause::Principal(Principals::Listed(m))) if m.service == ["ec2.amazonaws.com"])
    );
    let trust_res = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}});
    assert_eq!(
        codes(trust_res, PolicyType::Trust),
        vec!["PROHIBITED_ELEMENT"]
    );
}

#[test]
fn sids_operators_and_limits() {
    let sid = json!({"Statement": {"Sid": "has space", "Effect": "Allow", "Action": "*", "Resource": "*"}});
    assert_eq!(
        codes(sid.clone(), PolicyType::Identity),
        vec!["INVALID_SID"]
    );
    let dup = json!({"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"}, {"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*"}]});
    assert_eq!(codes(dup, PolicyType::Identity), vec!["DUPLICATE_SID"]);
    let op = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a:b": "c"}}}});
    assert_eq!(codes(op, PolicyType::Identity), vec!["UNKNOWN_OPERATOR"]);
    let null_if = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NullIfExists": {"a:b": "true"}}}});
    assert_eq!(
        codes(null_if, PolicyType::Identity),
        vec!["UNKNOWN_OPERATOR"]
    );
    let big = format!(
        "{{\"Statement\": {{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": [{}]}}}}",
        vec!["\"arn:aws:dynamodb:us-east-1:111122223333:table/t\""; 200].join(",")
    );
    let errors = Policy::parse(&big, PolicyType::Identity)
        .unwrap_err()
        .errors;
    assert_eq!(errors[0].code, "POLICY_SIZE_EXCEEDED");
    // Whitespace does not count for identity policies but counts for SCPs.
    let padded = format!(
        "{{\"Statement\": {{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}}{}}}",
        " ".repeat(6000)
    );
    assert!(Policy::parse(&padded, PolicyType::Identity).is_ok());
    assert!(Policy::parse(&padded, PolicyType::Scp).is_err());
    assert_eq!(
        Policy::parse("{\"Statement\": \u{2603}}", PolicyType::Identity)
            .unwrap_err()
            .errors[0]
            .code,
        "INVALID_CHARACTER"
    );
    assert_eq!(
        Policy::parse("{", PolicyType::Identity).unwrap_err().errors[0].code,
        "JSON_SYNTAX"
    );
}

#[test]
fn error_paths() {
    let e = Policy::parse(&json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Allow", "Action": [1], "Resource": "*"}]}).to_string(), PolicyType::Identity).unwrap_err();
    assert_eq!(e.errors[0].path, "Statement[1].Action[0]");
    assert!(e.to_string().contains("Statement[1].Action[0]"));
}
