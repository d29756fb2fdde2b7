//! Helpers shared by the tests.

use palisade_iam::{
    CompiledPolicy, ContextValue, OwnedPolicySet, PolicyType, Principal, RequestContext,
};
use serde_json::{Value, json};

pub const ACCOUNT: &str = "111122223333";
pub const OTHER: &str = "444455556666";
pub const TABLE: &str = "arn:aws:dynamodb:us-east-1:111122223333:table/orders";
pub const USER: &str = "arn:aws:iam::111122223333:user/alice";
pub const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/app/s1";
pub const ROLE: &str = "arn:aws:iam::111122223333:role/app";

pub fn compile(v: Value, ty: PolicyType) -> CompiledPolicy {
    CompiledPolicy::parse(&v.to_string(), ty).unwrap()
}

pub fn identity(stmts: Value) -> CompiledPolicy {
    compile(
        json!({"Version": "2012-10-17", "Statement": stmts}),
        PolicyType::Identity,
    )
}

pub fn resource(stmts: Value) -> CompiledPolicy {
    compile(
        json!({"Version": "2012-10-17", "Statement": stmts}),
        PolicyType::Resource,
    )
}

pub fn scp(stmts: Value) -> CompiledPolicy {
    compile(
        json!({"Version": "2012-10-17", "Statement": stmts}),
        PolicyType::Scp,
    )
}

pub fn full_access_scp() -> CompiledPolicy {
    scp(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}))
}

pub fn allow_all() -> CompiledPolicy {
    identity(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}))
}

pub fn ctx(principal: &str, action: &str, resource: &str) -> RequestContext {
    RequestContext::new(Principal::parse(principal).unwrap(), action, resource)
}

/// A context for `dynamodb:GetItem` on `TABLE` by `USER` with extra keys.
pub fn ctx_with(keys: &[(&str, ContextValue)]) -> RequestContext {
    let mut c = ctx(USER, "dynamodb:GetItem", TABLE);
    for (k, v) in keys {
        c.insert(k, v.clone());
    }
    c
}

pub fn multi(v: &[&str]) -> ContextValue {
    ContextValue::Multi(v.iter().map(|s| (*s).to_owned()).collect())
}

pub fn single(v: &str) -> ContextValue {
    ContextValue::Single(v.to_owned())
}

/// Whether an identity policy `Allow *` with one condition allows the request.
pub fn condition_allows(condition: Value, c: &RequestContext) -> bool {
    let set = OwnedPolicySet {
        identity: vec![identity(
            json!({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}),
        )],
        ..OwnedPolicySet::default()
    };
    set.as_set().evaluate(c).is_allowed()
}
