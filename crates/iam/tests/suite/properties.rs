//! Property tests: monotonicity of explicit deny and identity allow, independence of
//! statement order, the context keys a policy set reads, and fuzzing of the parser and
//! evaluator (no panic on any input).

use palisade_iam::{
    CompiledPolicy, ContextValue, Outcome, OwnedPolicySet, Policy, PolicyType, Principal,
    RequestContext, validate,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "s3:GetObject",
];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "dynamodb:*",
    "dynamodb:Get*",
    "dynamodb:?utItem",
    "s3:*",
    "DynamoDB:query",
];
const RESOURCES: &[&str] = &[
    "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
    "arn:aws:dynamodb:us-east-1:111122223333:table/orders/index/byDate",
    "arn:aws:dynamodb:us-east-1:444455556666:table/orders",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:dynamodb:*:*:table/orders",
    "arn:aws:dynamodb:*:111122223333:table/*",
    "arn:aws:dynamodb:us-east-1:*:table/${aws:username}",
];
const PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:sts::111122223333:assumed-role/app/s1",
    "arn:aws:iam::444455556666:user/bob",
    "arn:aws:iam::111122223333:root",
];

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!({"StringEquals": {"aws:SourceVpc": "vpc-1"}}))),
        Just(Some(json!({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}))),
        Just(Some(
            json!({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["a"]}})
        )),
        Just(Some(
            json!({"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["b*"]}})
        )),
        Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        Just(Some(
            json!({"BoolIfExists": {"aws:SecureTransport": "true"}})
        )),
        Just(Some(json!({"Null": {"aws:SourceVpc": "true"}}))),
        Just(Some(
            json!({"StringEquals": {"aws:SourceVpc": "${aws:PrincipalTag/vpc}"}})
        )),
        Just(Some(
            json!({"DateLessThanIfExists": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
        )),
        Just(Some(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::${aws:username}-*"}})
        )),
    ]
}

fn statement(effect: &'static str) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(ACTION_PATTERNS),
        prop::sample::select(RESOURCE_PATTERNS),
        any::<bool>(),
        condition(),
    )
        .prop_map(move |(a, r, not_action, c)| {
            let mut s = json!({"Effect": effect, "Resource": r});
            s[if not_action { "NotAction" } else { "Action" }] = json!(a);
            if let Some(c) = c {
                s["Condition"] = c;
            }
            s
        })
}

fn any_statement() -> impl Strategy<Value = Value> {
    prop_oneof![statement("Allow"), statement("Deny")]
}

fn with_principal(mut s: Value, who: &str) -> Value {
    s["Principal"] = json!({"AWS": who});
    s
}

fn policy(stmts: Vec<Value>, ty: PolicyType) -> CompiledPolicy {
    let doc = json!({"Version": "2012-10-17", "Statement": stmts});
    CompiledPolicy::parse(&doc.to_string(), ty).unwrap()
}

fn request() -> impl Strategy<Value = RequestContext> {
    (
        prop::sample::select(PRINCIPALS),
        prop::sample::select(ACTIONS),
        prop::sample::select(RESOURCES),
        prop::option::of(Just("vpc-1")),
        prop::option::of(prop::collection::vec(
            prop::sample::select(&["a", "b", "bc"][..]),
            0..3,
        )),
        prop::option::of(prop::sample::select(
            &["10.1.2.3", "192.0.2.1", "2001:db8::1"][..],
        )),
    )
        .prop_map(|(p, a, r, vpc, lk, ip)| {
            let mut c = RequestContext::new(Principal::parse(p).unwrap(), a, r);
            if let Some(v) = vpc {
                c.insert("aws:SourceVpc", v);
            }
            if let Some(lk) = lk {
                c.insert(
                    "dynamodb:LeadingKeys",
                    ContextValue::Multi(lk.iter().map(|s| (*s).to_owned()).collect()),
                );
            }
            if let Some(ip) = ip {
                c.insert("aws:SourceIp", ip);
            }
            c
        })
}

#[derive(Debug, Clone)]
struct Scenario {
    identity: Vec<Value>,
    resource: Vec<Value>,
    scp: Vec<Value>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(any_statement(), 1..5),
        prop::collection::vec((any_statement(), prop::sample::select(PRINCIPALS)), 0..3),
        prop::collection::vec(any_statement(), 0..3),
    )
        .prop_map(|(identity, resource, scp)| Scenario {
            identity,
            resource: resource
                .into_iter()
                .map(|(s, p)| with_principal(s, p))
                .collect(),
            scp,
        })
}

/// The scenario without conditions and without policy variables in resources.
fn without_context(s: &Scenario) -> Scenario {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("Condition");
            if o.get("Resource")
                .and_then(Value::as_str)
                .is_some_and(|r| r.contains("${"))
            {
                o.insert(
                    "Resource".to_owned(),
                    json!("arn:aws:dynamodb:*:*:table/orders"),
                );
            }
        }
        v
    };
    Scenario {
        identity: s.identity.iter().map(strip).collect(),
        resource: s.resource.iter().map(strip).collect(),
        scp: s.scp.iter().map(strip).collect(),
    }
}

/// Whether any statement of the scenario has a condition or a policy variable.
fn uses_context(s: &Scenario) -> bool {
    s.identity.iter().chain(&s.resource).chain(&s.scp).any(|v| {
        v.get("Condition").is_some()
            || v.get("Resource")
                .and_then(Value::as_str)
                .is_some_and(|r| r.contains("${"))
    })
}

/// The keys a request may have, in the case a client might write them. Every key a
/// generated condition or variable reads is one of them.
const KEYS: &[&str] = &[
    "aws:SourceVpc",
    "dynamodb:LeadingKeys",
    "aws:SourceIp",
    "AWS:SecureTransport",
    "aws:PrincipalTag/vpc",
    "aws:CurrentTime",
    "aws:SourceArn",
    "aws:username",
];

/// Values for [`KEYS`], in order (`None`: the request does not set the key).
fn key_values() -> impl Strategy<Value = Vec<Option<ContextValue>>> {
    let value = prop_oneof![
        prop::sample::select(
            &[
                "vpc-1",
                "vpc-2",
                "10.1.2.3",
                "192.0.2.1",
                "true",
                "false",
                "2020-05-01T00:00:00Z",
                "2040-05-01T00:00:00Z",
                "arn:aws:s3:::alice-logs",
                "alice",
                "bob",
                "orders",
                "b",
            ][..]
        )
        .prop_map(|v| ContextValue::Single(v.to_owned())),
        prop::collection::vec(prop::sample::select(&["a", "b", "bc", "vpc-1"][..]), 0..3)
            .prop_map(|v| ContextValue::Multi(v.into_iter().map(str::to_owned).collect())),
    ];
    prop::collection::vec(prop::option::of(value), KEYS.len())
}

/// A request by `who` for `action` on `resource` with the given values of [`KEYS`].
fn request_with(
    who: &str,
    action: &str,
    resource: &str,
    values: &[Option<ContextValue>],
) -> RequestContext {
    let mut c = RequestContext::new(Principal::parse(who).unwrap(), action, resource);
    for (k, v) in KEYS.iter().zip(values) {
        if let Some(v) = v {
            c.insert(k, v.clone());
        }
    }
    c
}

/// The condition keys the scenario's statements name, in lower case.
fn condition_keys(s: &Scenario) -> Vec<String> {
    let mut keys = Vec::new();
    for st in s.identity.iter().chain(&s.resource).chain(&s.scp) {
        let Some(ops) = st.get("Condition").and_then(Value::as_object) else {
            continue;
        };
        for entries in ops.values().filter_map(Value::as_object) {
            keys.extend(entries.keys().map(|k| k.to_ascii_lowercase()));
        }
    }
    keys
}

fn build(s: &Scenario) -> OwnedPolicySet {
    let mut scp_level = vec![json!({"Effect": "Allow", "Action": "*", "Resource": "*"})];
    scp_level.extend(s.scp.iter().cloned());
    OwnedPolicySet {
        identity: vec![policy(s.identity.clone(), PolicyType::Identity)],
        resource_policy: (!s.resource.is_empty())
            .then(|| policy(s.resource.clone(), PolicyType::Resource)),
        scps: vec![vec![policy(scp_level, PolicyType::Scp)]],
        ..OwnedPolicySet::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// What lets the authorizer remember decisions: a set said to be context-free decides a
    /// request exactly as it decides the bare request (same caller, action and resource, no
    /// other keys); and a set is context-free exactly when no statement has a condition or a
    /// variable.
    #[test]
    fn context_free_sets_ignore_the_context(s in scenario(), c in request()) {
        prop_assert_eq!(build(&s).as_set().is_context_free(), !uses_context(&s));
        let free = build(&without_context(&s));
        prop_assert!(free.as_set().is_context_free());
        let bare = RequestContext::new(c.principal().clone(), c.action(), c.resource());
        prop_assert_eq!(
            free.as_set().evaluate(&c).outcome,
            free.as_set().evaluate(&bare).outcome
        );
    }

    /// What lets the authorizer remember decisions of sets with conditions: two requests by
    /// the same caller for the same action and resource that agree on every key the set
    /// lists get the same decision, whatever their other keys.
    #[test]
    fn sets_read_only_the_keys_they_list(
        s in scenario(), who in prop::sample::select(PRINCIPALS),
        action in prop::sample::select(ACTIONS), resource in prop::sample::select(RESOURCES),
        first in key_values(), second in key_values(),
    ) {
        let owned = build(&s);
        let set = owned.as_set();
        let keys = set.context_keys();
        prop_assert_eq!(set.is_context_free(), keys.is_empty());
        for k in condition_keys(&s) {
            prop_assert!(keys.contains(&k.as_str()), "{} not in {:?}", k, keys);
        }
        // The second request keeps its own values of the keys the set does not list.
        let listed = |k: &str| keys.contains(&k.to_ascii_lowercase().as_str());
        let mixed: Vec<Option<ContextValue>> = KEYS
            .iter()
            .zip(first.iter().zip(&second))
            .map(|(k, (a, b))| if listed(k) { a.clone() } else { b.clone() })
            .collect();
        let a = request_with(who, action, resource, &first);
        let b = request_with(who, action, resource, &mixed);
        prop_assert_eq!(set.evaluate(&a).outcome, set.evaluate(&b).outcome);
    }

    #[test]
    fn added_explicit_deny_never_allows(
        s in scenario(), extra in statement("Deny"), c in request(), place in 0..3u8,
        who in prop::sample::select(PRINCIPALS),
    ) {
        let before = build(&s).as_set().evaluate(&c).outcome;
        let mut more = s.clone();
        // The Deny goes into an identity policy, the resource policy or an SCP.
        match place {
            0 => more.identity.push(extra),
            1 => more.resource.push(with_principal(extra, who)),
            _ => more.scp.push(extra),
        }
        let after = build(&more).as_set().evaluate(&c).outcome;
        if before != Outcome::Allow {
            prop_assert_ne!(after, Outcome::Allow);
        }
        if before == Outcome::ExplicitDeny {
            prop_assert_eq!(after, Outcome::ExplicitDeny);
        }
    }

    #[test]
    fn added_identity_allow_never_denies(s in scenario(), extra in statement("Allow"), c in request()) {
        let before = build(&s).as_set().evaluate(&c).outcome;
        let mut more = s.clone();
        more.identity.push(extra);
        let after = build(&more).as_set().evaluate(&c).outcome;
        if before == Outcome::Allow {
            prop_assert_eq!(after, Outcome::Allow);
        }
    }

    #[test]
    fn statement_order_does_not_matter(s in scenario(), c in request(), seed in any::<u64>()) {
        let set_before = build(&s);
        let before = set_before.as_set().evaluate(&c);
        let mut shuffled = s.clone();
        let n = shuffled.identity.len();
        shuffled.identity.rotate_left((seed as usize) % n);
        shuffled.identity.reverse();
        shuffled.resource.reverse();
        shuffled.scp.reverse();
        let set_after = build(&shuffled);
        let after = set_after.as_set().evaluate(&c);
        prop_assert_eq!(before.outcome, after.outcome);
        prop_assert_eq!(before.deciding.map(|d| d.kind), after.deciding.map(|d| d.kind));
    }

    #[test]
    fn parser_never_panics_on_text(text in ".{0,400}") {
        for ty in [PolicyType::Identity, PolicyType::Resource, PolicyType::Scp, PolicyType::Rcp, PolicyType::Endpoint, PolicyType::Trust] {
            let _ = Policy::parse(&text, ty);
            let _ = validate(&text, ty);
        }
    }

    #[test]
    fn parser_and_evaluator_never_panic_on_json(doc in json_tree(), c in request(), keys in prop::collection::vec((key_name(), ".{0,12}"), 0..6)) {
        let text = doc.to_string();
        let mut c = c;
        for (k, v) in keys {
            c.insert(&k, v.as_str());
        }
        for ty in [PolicyType::Identity, PolicyType::Resource, PolicyType::Scp, PolicyType::Rcp] {
            let _ = validate(&text, ty);
            if let Ok(p) = CompiledPolicy::parse(&text, ty) {
                let set = OwnedPolicySet { identity: vec![p.clone()], resource_policy: Some(p), ..Default::default() };
                let d = set.as_set().evaluate(&c);
                let _ = d.message(&c);
            }
        }
    }

    #[test]
    fn evaluator_never_panics_on_arbitrary_context(
        action in ".{0,30}", resource in ".{0,60}",
        keys in prop::collection::vec((key_name(), prop::collection::vec(".{0,20}", 0..3)), 0..8),
    ) {
        let stmts = vec![
            json!({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:*:*:*:${aws:username}/*", "Condition": {
                "NumericLessThan": {"k:n": "5"}, "DateGreaterThanIfExists": {"k:d": "2020-01-01"},
                "BinaryEquals": {"k:b": "AAAA"}, "ArnLike": {"k:a": "arn:*:*:*:*:x${k:v}"}}}),
            json!({"Effect": "Deny", "NotAction": "x:*", "NotResource": "${k:v}*", "Condition": {
                "ForAnyValue:NotIpAddress": {"k:ip": ["10.0.0.0/8", "::1"]}, "Null": {"k:z": "false"}}}),
        ];
        let set = OwnedPolicySet { identity: vec![policy(stmts, PolicyType::Identity)], ..Default::default() };
        let mut c = RequestContext::new(Principal::parse("arn:aws:iam::111122223333:user/u").unwrap(), &action, &resource);
        for (k, v) in keys {
            c.insert(&k, ContextValue::Multi(v));
        }
        let d = set.as_set().evaluate(&c);
        let _ = d.message(&c);
    }
}

fn key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("k:n".to_owned()),
        Just("k:d".to_owned()),
        Just("k:b".to_owned()),
        Just("k:a".to_owned()),
        Just("k:v".to_owned()),
        Just("k:ip".to_owned()),
        Just("k:z".to_owned()),
        Just("aws:SourceVpc".to_owned()),
        "[a-z:/]{1,10}",
    ]
}

/// Arbitrary JSON trees biased towards policy-shaped documents.
fn json_tree() -> impl Strategy<Value = Value> {
    let word = prop_oneof![
        Just("Version"),
        Just("Statement"),
        Just("Effect"),
        Just("Allow"),
        Just("Deny"),
        Just("Action"),
        Just("NotAction"),
        Just("Resource"),
        Just("NotResource"),
        Just("Principal"),
        Just("NotPrincipal"),
        Just("Condition"),
        Just("AWS"),
        Just("Service"),
        Just("2012-10-17"),
        Just("*"),
        Just("StringLike"),
        Just("ForAllValues:StringEquals"),
        Just("NumericLessThanIfExists"),
        Just("Null"),
        Just("IpAddress"),
        Just("ArnLike"),
        Just("DateEquals"),
        Just("BinaryEquals"),
        Just("aws:SourceVpc"),
        Just("${aws:username}"),
        Just("arn:aws:dynamodb:*:*:table/*"),
        Just("dynamodb:Get*"),
        Just("Sid"),
    ]
    .prop_map(str::to_owned);
    let leaf = prop_oneof![
        word.clone().prop_map(Value::String),
        ".{0,10}".prop_map(Value::String),
        any::<i64>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(word.clone(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
