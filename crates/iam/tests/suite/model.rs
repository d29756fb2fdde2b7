//! Differential test: the evaluator against an independent, naive model of AWS's documented
//! decision procedure, on generated policies without conditions or variables.

use palisade_iam::{
    CompiledPolicy, ContextValue, Outcome, OwnedPolicySet, PolicyType, Principal, RequestContext,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const ACTIONS: &[&str] = &["dynamodb:GetItem", "dynamodb:PutItem", "s3:GetObject"];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "dynamodb:*",
    "DynamoDB:get*",
    "dynamodb:?utItem",
    "s3:*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
    "arn:aws:dynamodb:us-east-1:444455556666:table/orders",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:dynamodb:*:*:table/orders",
    "arn:aws:dynamodb:*:111122223333:table/*",
];
const CALLERS: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:sts::111122223333:assumed-role/app/s1",
    "arn:aws:iam::444455556666:user/bob",
    "arn:aws:iam::111122223333:root",
];
const GRANTEES: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:sts::111122223333:assumed-role/app/s1",
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:iam::444455556666:user/bob",
    "111122223333",
    "444455556666",
    "*",
];

#[derive(Debug, Clone)]
struct St {
    allow: bool,
    not_action: bool,
    action: &'static str,
    resource: &'static str,
    grantee: &'static str,
    condition: u8,
}

/// The conditions a generated statement may carry (index 0: none).
const CONDITIONS: usize = 6;

fn condition_json(c: u8) -> Option<Value> {
    Some(match c {
        1 => json!({"StringEquals": {"aws:SourceVpc": "vpc-1"}}),
        2 => json!({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}),
        3 => json!({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-2"}}),
        4 => json!({"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": "a"}}),
        5 => json!({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": "a"}}),
        _ => return None,
    })
}

/// The request keys: `aws:SourceVpc` and `dynamodb:LeadingKeys` (None = absent).
#[derive(Debug, Clone)]
struct Keys {
    vpc: Option<&'static str>,
    leading: Option<Vec<&'static str>>,
}

/// The documented condition rules: absent key -> positive false, negated true, IfExists
/// true, ForAllValues true, ForAnyValue false.
fn holds(c: u8, k: &Keys) -> bool {
    let leading = k.leading.as_ref().filter(|v| !v.is_empty());
    match c {
        1 => k.vpc == Some("vpc-1"),
        2 => k.vpc != Some("vpc-1"),
        3 => k.vpc.is_none_or(|v| v == "vpc-2"),
        4 => leading.is_some_and(|v| v.contains(&"a")),
        5 => leading.is_none_or(|v| v.iter().all(|x| *x == "a")),
        _ => true,
    }
}

fn keys() -> impl Strategy<Value = Keys> {
    (
        prop::option::of(prop::sample::select(&["vpc-1", "vpc-2"][..])),
        prop::option::of(prop::sample::select(vec![
            vec![],
            vec!["a"],
            vec!["a", "b"],
            vec!["b"],
        ])),
    )
        .prop_map(|(vpc, leading)| Keys { vpc, leading })
}

fn st() -> impl Strategy<Value = St> {
    (
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop::sample::select(ACTION_PATTERNS),
        prop::sample::select(RESOURCE_PATTERNS),
        prop::sample::select(GRANTEES),
        0..CONDITIONS as u8,
    )
        .prop_map(
            |(allow, not_action, action, resource, grantee, condition)| St {
                allow,
                not_action,
                action,
                resource,
                grantee,
                condition,
            },
        )
}

fn json_of(s: &St, with_principal: bool) -> Value {
    let mut v = json!({"Effect": if s.allow { "Allow" } else { "Deny" }, "Resource": s.resource});
    v[if s.not_action { "NotAction" } else { "Action" }] = json!(s.action);
    if let Some(c) = condition_json(s.condition) {
        v["Condition"] = c;
    }
    if with_principal {
        v["Principal"] = if s.grantee == "*" {
            json!("*")
        } else {
            json!({"AWS": s.grantee})
        };
    }
    v
}

/// Naive glob over characters.
fn glob(p: &[char], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => (0..=t.len()).any(|i| glob(rest, &t[i..])),
        Some(('?', rest)) => !t.is_empty() && glob(rest, &t[1..]),
        Some((c, rest)) => t.first() == Some(c) && glob(rest, &t[1..]),
    }
}

fn like(p: &str, t: &str) -> bool {
    glob(
        &p.chars().collect::<Vec<_>>(),
        &t.chars().collect::<Vec<_>>(),
    )
}

fn covers(s: &St, action: &str, resource: &str, k: &Keys) -> bool {
    let a = like(&s.action.to_lowercase(), &action.to_lowercase());
    a != s.not_action && like(s.resource, resource) && holds(s.condition, k)
}

fn account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap()
}

/// How a grantee names the caller: 0 none, 1 account, 2 role ARN, 3 the caller itself.
fn names(grantee: &str, caller: &str) -> u8 {
    let role_of_session = caller
        .strip_prefix("arn:aws:sts::111122223333:assumed-role/")
        .map(|r| {
            format!(
                "arn:aws:iam::111122223333:role/{}",
                r.split('/').next().unwrap()
            )
        });
    if grantee == "*" || grantee == caller {
        3
    } else if role_of_session.as_deref() == Some(grantee) {
        2
    } else if grantee == account(caller)
        || grantee == format!("arn:aws:iam::{}:root", account(caller))
    {
        1
    } else {
        0
    }
}

/// The documented procedure, written independently of the crate.
fn model(
    k: &Keys,
    identity: &[St],
    resource: &[St],
    scp: &[St],
    caller: &str,
    action: &str,
    res: &str,
) -> Outcome {
    let id = identity.iter().filter(|s| covers(s, action, res, k));
    let rp = resource
        .iter()
        .filter(|s| covers(s, action, res, k) && names(s.grantee, caller) > 0);
    let sc = scp.iter().filter(|s| covers(s, action, res, k));
    if id
        .clone()
        .chain(rp.clone())
        .chain(sc.clone())
        .any(|s| !s.allow)
    {
        return Outcome::ExplicitDeny;
    }
    // The SCP level always holds FullAWSAccess in this test.
    let root = caller.ends_with(":root");
    let identity_allows = root || id.clone().any(|s| s.allow);
    let best_grant = rp
        .filter(|s| s.allow)
        .map(|s| names(s.grantee, caller))
        .max()
        .unwrap_or(0);
    let allowed = if account(caller) == account(res) {
        best_grant >= 2 || identity_allows
    } else {
        identity_allows && best_grant >= 1
    };
    if allowed {
        Outcome::Allow
    } else {
        Outcome::ImplicitDeny
    }
}

fn compile(stmts: Vec<Value>, ty: PolicyType) -> CompiledPolicy {
    CompiledPolicy::parse(
        &json!({"Version": "2012-10-17", "Statement": stmts}).to_string(),
        ty,
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn evaluator_agrees_with_the_documented_procedure(
        identity in prop::collection::vec(st(), 0..3),
        resource in prop::collection::vec(st(), 0..4),
        scp in prop::collection::vec(st(), 0..2),
        caller in prop::sample::select(CALLERS),
        action in prop::sample::select(ACTIONS),
        res in prop::sample::select(RESOURCES),
        k in keys(),
    ) {
        let mut scp_level = vec![json!({"Effect": "Allow", "Action": "*", "Resource": "*"})];
        scp_level.extend(scp.iter().map(|s| json_of(s, false)));
        let set = OwnedPolicySet {
            identity: (!identity.is_empty())
                .then(|| compile(identity.iter().map(|s| json_of(s, false)).collect(), PolicyType::Identity))
                .into_iter()
                .collect(),
            resource_policy: (!resource.is_empty())
                .then(|| compile(resource.iter().map(|s| json_of(s, true)).collect(), PolicyType::Resource)),
            scps: vec![vec![compile(scp_level, PolicyType::Scp)]],
            ..OwnedPolicySet::default()
        };
        let mut ctx = RequestContext::new(Principal::parse(caller).unwrap(), action, res);
        if let Some(v) = k.vpc {
            ctx.insert("aws:SourceVpc", v);
        }
        if let Some(l) = &k.leading {
            ctx.insert("dynamodb:LeadingKeys", ContextValue::Multi(l.iter().map(|x| (*x).to_owned()).collect()));
        }
        let got = set.as_set().evaluate(&ctx).outcome;
        prop_assert_eq!(got, model(&k, &identity, &resource, &scp, caller, action, res));
    }
}
