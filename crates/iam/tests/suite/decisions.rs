//! The whole decision, following the IAM User Guide's "Policy evaluation logic",
//! "Cross-account policy evaluation logic", the SCP and RCP pages of the Organizations
//! User Guide, and the AccessDenied message formats ("Troubleshoot access denied errors").

use serde_json::json;

use crate::common::*;
use palisade_iam::{
    CompiledPolicy, Effect, Outcome, OwnedPolicySet, PolicyKind, PolicyType, Principal,
    RequestContext,
};

fn get(principal: &str) -> RequestContext {
    ctx(principal, "dynamodb:GetItem", TABLE)
}

fn allow_get() -> CompiledPolicy {
    identity(
        json!({"Sid": "Read", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE}),
    )
}

#[test]
fn default_is_implicit_deny_with_identity_message() {
    let set = OwnedPolicySet::default();
    let c = get(USER);
    let d = set.as_set().evaluate(&c);
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
    assert_eq!(d.deciding.unwrap().kind, PolicyKind::Identity);
    assert_eq!(
        d.message(&c).unwrap(),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:GetItem \
         on resource: arn:aws:dynamodb:us-east-1:111122223333:table/orders because no \
         identity-based policy allows the dynamodb:GetItem action"
    );
}

#[test]
fn identity_allow_with_sid_is_reported() {
    let set = OwnedPolicySet {
        identity: vec![allow_get().with_label("arn:aws:iam::111122223333:policy/read")],
        ..Default::default()
    };
    let c = get(USER);
    let d = set.as_set().evaluate(&c);
    assert!(d.is_allowed());
    let s = d.deciding.unwrap().statement.unwrap();
    assert_eq!(
        (s.kind, s.sid, s.policy),
        (
            PolicyKind::Identity,
            Some("Read"),
            Some("arn:aws:iam::111122223333:policy/read")
        )
    );
    assert_eq!(d.message(&c), None);
}

#[test]
fn actions_match_case_insensitively_resources_case_sensitively() {
    let set = OwnedPolicySet {
        identity: vec![identity(
            json!({"Effect": "Allow", "Action": "DynamoDB:get*", "Resource": TABLE}),
        )],
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&get(USER)).is_allowed());
    let upper = ctx(USER, "dynamodb:GetItem", &TABLE.replace("orders", "Orders"));
    assert!(!set.as_set().evaluate(&upper).is_allowed());
}

#[test]
fn explicit_deny_wins_everywhere() {
    let deny =
        identity(json!({"Sid": "No", "Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}));
    let set = OwnedPolicySet {
        identity: vec![allow_all(), deny],
        ..Default::default()
    };
    let c = get(USER);
    let d = set.as_set().evaluate(&c);
    assert_eq!(d.outcome, Outcome::ExplicitDeny);
    assert!(
        d.message(&c)
            .unwrap()
            .ends_with("with an explicit deny in an identity-based policy")
    );
    // A deny in the resource policy beats a direct grant in the same resource policy.
    let set = OwnedPolicySet {
        resource_policy: Some(resource(json!([
            {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "*"}
        ]))),
        ..Default::default()
    };
    let d = set.as_set().evaluate(&c);
    assert_eq!(d.outcome, Outcome::ExplicitDeny);
    assert!(
        d.message(&c)
            .unwrap()
            .ends_with("with an explicit deny in a resource-based policy")
    );
}

#[test]
fn not_action_and_not_resource() {
    let set = OwnedPolicySet {
        identity: vec![identity(
            json!({"Effect": "Allow", "NotAction": "dynamodb:Delete*", "NotResource": "arn:aws:dynamodb:*:*:table/secret"}),
        )],
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&get(USER)).is_allowed());
    assert!(
        !set.as_set()
            .evaluate(&ctx(USER, "dynamodb:DeleteItem", TABLE))
            .is_allowed()
    );
    let secret = TABLE.replace("orders", "secret");
    assert!(
        !set.as_set()
            .evaluate(&ctx(USER, "dynamodb:GetItem", &secret))
            .is_allowed()
    );
    // NotAction covers other services too.
    assert!(
        set.as_set()
            .evaluate(&ctx(USER, "s3:GetObject", "arn:aws:s3:::b/k"))
            .is_allowed()
    );
}

#[test]
fn resource_variables() {
    let p = identity(
        json!({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:*:*:table/${aws:username}-*"}),
    );
    let set = OwnedPolicySet {
        identity: vec![p],
        ..Default::default()
    };
    let mine = TABLE.replace("orders", "alice-data");
    assert!(
        set.as_set()
            .evaluate(&ctx(USER, "dynamodb:GetItem", &mine))
            .is_allowed()
    );
    assert!(!set.as_set().evaluate(&get(USER)).is_allowed());
    // Sessions have no aws:username: the entry matches nothing.
    assert!(
        !set.as_set()
            .evaluate(&ctx(SESSION, "dynamodb:GetItem", &mine))
            .is_allowed()
    );
    // Version 2008-10-17: ${...} is literal text.
    let old = compile(
        json!({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:dynamodb:*:*:table/${aws:username}"}}),
        PolicyType::Identity,
    );
    let set = OwnedPolicySet {
        identity: vec![old],
        ..Default::default()
    };
    assert!(
        !set.as_set()
            .evaluate(&ctx(
                USER,
                "dynamodb:GetItem",
                &TABLE.replace("orders", "alice")
            ))
            .is_allowed()
    );
    assert!(
        set.as_set()
            .evaluate(&ctx(
                USER,
                "dynamodb:GetItem",
                &TABLE.replace("orders", "${aws:username}")
            ))
            .is_allowed()
    );
}

#[test]
fn same_account_resource_policy_grants_by_principal_type() {
    let grant_to = |who: &str| {
        resource(
            json!({"Effect": "Allow", "Principal": {"AWS": who}, "Action": "dynamodb:GetItem", "Resource": TABLE}),
        )
    };
    let boundary = identity(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}));
    // User ARN: granted directly, no identity policy needed, the boundary's implicit deny
    // does not matter.
    let set = OwnedPolicySet {
        resource_policy: Some(grant_to(USER)),
        permissions_boundary: Some(boundary.clone()),
        ..Default::default()
    };
    let d = set.as_set().evaluate(&get(USER));
    assert!(d.is_allowed());
    assert_eq!(d.deciding.unwrap().kind, PolicyKind::Resource);
    // Session ARN: direct grant too.
    let set = OwnedPolicySet {
        resource_policy: Some(grant_to(SESSION)),
        permissions_boundary: Some(boundary.clone()),
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&get(SESSION)).is_allowed());
    // Role ARN: matches the session, but the boundary still applies.
    let set = OwnedPolicySet {
        resource_policy: Some(grant_to(ROLE)),
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&get(SESSION)).is_allowed());
    let set = OwnedPolicySet {
        resource_policy: Some(grant_to(ROLE)),
        permissions_boundary: Some(boundary.clone()),
        ..Default::default()
    };
    let c = get(SESSION);
    let d = set.as_set().evaluate(&c);
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
    assert!(
        d.message(&c)
            .unwrap()
            .ends_with("because no permissions boundary allows the dynamodb:GetItem action")
    );
    // Role ARN and a session policy that does not allow.
    let session = identity(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}));
    let set = OwnedPolicySet {
        resource_policy: Some(grant_to(ROLE)),
        session_policies: vec![session],
        ..Default::default()
    };
    let d = set.as_set().evaluate(&c);
    assert_eq!(d.deciding.unwrap().kind, PolicyKind::Session);
    // Account principal: delegation only, the identity policy must allow.
    for acct in [ACCOUNT.to_owned(), format!("arn:aws:iam::{ACCOUNT}:root")] {
        let set = OwnedPolicySet {
            resource_policy: Some(grant_to(&acct)),
            ..Default::default()
        };
        assert_eq!(
            set.as_set().evaluate(&get(USER)).outcome,
            Outcome::ImplicitDeny,
            "{acct}"
        );
        let set = OwnedPolicySet {
            resource_policy: Some(grant_to(&acct)),
            identity: vec![allow_get()],
            ..Default::default()
        };
        assert!(set.as_set().evaluate(&get(USER)).is_allowed());
    }
}

#[test]
fn cross_account_needs_both_sides() {
    let caller = format!("arn:aws:iam::{OTHER}:user/bob");
    let c = get(&caller);
    let grant = resource(
        json!({"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "dynamodb:GetItem", "Resource": TABLE}),
    );
    // Resource grant alone is not enough across accounts.
    let set = OwnedPolicySet {
        resource_policy: Some(grant.clone()),
        ..Default::default()
    };
    let d = set.as_set().evaluate(&c);
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
    // Different account, not the same organization: the generic message.
    assert!(
        d.message(&c)
            .unwrap()
            .ends_with("on resource: arn:aws:dynamodb:us-east-1:111122223333:table/orders")
    );
    // Identity alone is not enough either.
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        same_organization: true,
        ..Default::default()
    };
    let d = set.as_set().evaluate(&c);
    assert!(
        d.message(&c)
            .unwrap()
            .ends_with("because no resource-based policy allows the dynamodb:GetItem action")
    );
    // Both: allowed. An account grant also works across accounts.
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        resource_policy: Some(grant),
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&c).is_allowed());
    let acct = resource(
        json!({"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "*", "Resource": "*"}),
    );
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        resource_policy: Some(acct),
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&c).is_allowed());
}

#[test]
fn scp_every_level_must_allow() {
    let only_s3 = scp(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}));
    let chain =
        |mid: CompiledPolicy| vec![vec![full_access_scp()], vec![mid], vec![full_access_scp()]];
    let c = get(USER);
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        scps: chain(only_s3.clone()),
        ..Default::default()
    };
    let d = set.as_set().evaluate(&c);
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
    assert!(
        d.message(&c)
            .unwrap()
            .ends_with("because no service control policy allows the dynamodb:GetItem action")
    );
    // The middle level (1) is the first without an Allow.
    assert_eq!(d.deciding.unwrap().level, Some(1));
    // The management account is exempt.
    let set = OwnedPolicySet {
        principal_in_management_account: true,
        ..set
    };
    assert!(set.as_set().evaluate(&c).is_allowed());
    // Service-linked roles are exempt.
    let slr = Principal::parse(
        "arn:aws:iam::111122223333:role/aws-service-role/dynamodb.amazonaws.com/AWSServiceRoleForX",
    )
    .unwrap();
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        scps: chain(only_s3),
        ..Default::default()
    };
    assert!(
        set.as_set()
            .evaluate(&RequestContext::new(slr, "dynamodb:GetItem", TABLE))
            .is_allowed()
    );
    // All levels allow: allowed; SCPs do not grant on their own.
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        scps: chain(full_access_scp()),
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&c).is_allowed());
    let set = OwnedPolicySet {
        scps: chain(full_access_scp()),
        ..Default::default()
    };
    assert_eq!(
        set.as_set().evaluate(&c).deciding.unwrap().kind,
        PolicyKind::Identity
    );
}

#[test]
fn scp_explicit_deny_carries_policy_arn() {
    let arn = "arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-123";
    let deny = scp(
        json!({"Sid": "NoGet", "Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"}),
    )
    .with_label(arn);
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        scps: vec![vec![full_access_scp(), deny]],
        ..Default::default()
    };
    let c = get(USER);
    let d = set.as_set().evaluate(&c);
    assert_eq!(d.outcome, Outcome::ExplicitDeny);
    let s = d.deciding.unwrap().statement.unwrap();
    assert_eq!(
        (s.kind, s.sid, s.level, s.effect),
        (PolicyKind::Scp, Some("NoGet"), Some(0), Effect::Deny)
    );
    assert_eq!(
        d.message(&c).unwrap(),
        format!(
            "User: {USER} is not authorized to perform: dynamodb:GetItem on resource: {TABLE} with an explicit deny in a service control policy, with policy ARN: {arn}"
        )
    );
}

#[test]
fn rcp_denies_and_exemptions() {
    let rcp = compile(
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:*", "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}
        ]}),
        PolicyType::Rcp,
    );
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        rcps: vec![vec![rcp]],
        ..Default::default()
    };
    let mut c = get(USER);
    c.insert("aws:PrincipalOrgID", "o-other");
    let d = set.as_set().evaluate(&c);
    assert_eq!(d.outcome, Outcome::ExplicitDeny);
    assert!(
        d.message(&c)
            .unwrap()
            .ends_with("with an explicit deny in a resource control policy")
    );
    c.insert("aws:PrincipalOrgID", "o-abc");
    assert!(set.as_set().evaluate(&c).is_allowed());
    c.insert("aws:PrincipalOrgID", "o-other");
    let set = OwnedPolicySet {
        resource_in_management_account: true,
        ..set
    };
    assert!(set.as_set().evaluate(&c).is_allowed());
}

#[test]
fn vpc_endpoint_policy_caps() {
    let ep = compile(
        json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "dynamodb:Query", "Resource": "*"}}),
        PolicyType::Endpoint,
    );
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        endpoint_policies: vec![ep],
        ..Default::default()
    };
    let c = get(USER);
    let d = set.as_set().evaluate(&c);
    assert!(
        d.message(&c)
            .unwrap()
            .ends_with("because no VPC endpoint policy allows the dynamodb:GetItem action")
    );
    assert!(
        set.as_set()
            .evaluate(&ctx(USER, "dynamodb:Query", TABLE))
            .is_allowed()
    );
}

#[test]
fn deny_unless_through_vpc_endpoint() {
    // IAM User Guide: a negated operator on an absent key is true, so this denies every
    // request that did not come through the VPC.
    let deny = identity(
        json!({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}}),
    );
    let set = OwnedPolicySet {
        identity: vec![allow_all(), deny],
        ..Default::default()
    };
    assert_eq!(
        set.as_set().evaluate(&get(USER)).outcome,
        Outcome::ExplicitDeny
    );
    let mut c = get(USER);
    c.insert("aws:SourceVpc", "vpc-1");
    assert!(set.as_set().evaluate(&c).is_allowed());
}

#[test]
fn boundary_and_session_cap_identity_grants() {
    let boundary =
        identity(json!({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*"}));
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        permissions_boundary: Some(boundary),
        ..Default::default()
    };
    assert_eq!(
        set.as_set().evaluate(&get(USER)).deciding.unwrap().kind,
        PolicyKind::PermissionsBoundary
    );
    assert!(
        set.as_set()
            .evaluate(&ctx(USER, "dynamodb:Query", TABLE))
            .is_allowed()
    );
    let session = identity(json!({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*"}));
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        session_policies: vec![session],
        ..Default::default()
    };
    let c = get(SESSION);
    let d = set.as_set().evaluate(&c);
    assert!(
        d.message(&c)
            .unwrap()
            .ends_with("because no session policy allows the dynamodb:GetItem action")
    );
    assert!(
        d.message(&c)
            .unwrap()
            .starts_with("User: arn:aws:sts::111122223333:assumed-role/app/s1 is not")
    );
    // A federated-user session without a session policy has no permissions of its own.
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        ..Default::default()
    };
    let fed = format!("arn:aws:sts::{ACCOUNT}:federated-user/carol");
    assert_eq!(
        set.as_set().evaluate(&get(&fed)).deciding.unwrap().kind,
        PolicyKind::Session
    );
}

#[test]
fn not_principal_deny() {
    let deny_others = |listed: serde_json::Value| {
        resource(
            json!({"Effect": "Deny", "NotPrincipal": {"AWS": listed}, "Action": "*", "Resource": "*"}),
        )
    };
    let grant = identity(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    // Listing the user and its account excludes it.
    let set = OwnedPolicySet {
        identity: vec![grant.clone()],
        resource_policy: Some(deny_others(json!([USER, root]))),
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&get(USER)).is_allowed());
    // Without the account ARN the caller is still denied.
    let set = OwnedPolicySet {
        identity: vec![grant.clone()],
        resource_policy: Some(deny_others(json!([USER]))),
        ..Default::default()
    };
    assert_eq!(
        set.as_set().evaluate(&get(USER)).outcome,
        Outcome::ExplicitDeny
    );
    // With a permissions boundary, NotPrincipal + Deny always denies.
    let set = OwnedPolicySet {
        identity: vec![grant.clone()],
        permissions_boundary: Some(grant),
        resource_policy: Some(deny_others(json!([USER, root]))),
        ..Default::default()
    };
    assert_eq!(
        set.as_set().evaluate(&get(USER)).outcome,
        Outcome::ExplicitDeny
    );
}

#[test]
fn root_anonymous_and_get_caller_identity() {
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    let set = OwnedPolicySet::default();
    assert!(set.as_set().evaluate(&get(&root)).is_allowed());
    let scp_set = OwnedPolicySet {
        scps: vec![vec![scp(
            json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        )]],
        ..Default::default()
    };
    assert!(!scp_set.as_set().evaluate(&get(&root)).is_allowed());
    let anon = RequestContext::new(Principal::anonymous(), "dynamodb:GetItem", TABLE);
    assert!(!set.as_set().evaluate(&anon).is_allowed());
    let public = OwnedPolicySet {
        resource_policy: Some(resource(
            json!({"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "*"}),
        )),
        ..Default::default()
    };
    assert!(public.as_set().evaluate(&anon).is_allowed());
    let deny_all = OwnedPolicySet {
        identity: vec![identity(
            json!({"Effect": "Deny", "Action": "*", "Resource": "*"}),
        )],
        ..Default::default()
    };
    assert!(
        deny_all
            .as_set()
            .evaluate(&ctx(USER, "sts:GetCallerIdentity", "*"))
            .is_allowed()
    );
}

#[test]
fn traced_evaluation_lists_every_match() {
    let set = OwnedPolicySet {
        identity: vec![allow_get(), allow_all()],
        resource_policy: Some(resource(
            json!({"Sid": "R", "Effect": "Allow", "Principal": {"AWS": USER}, "Action": "*", "Resource": "*"}),
        )),
        ..Default::default()
    };
    let (d, matched) = set.as_set().evaluate_traced(&get(USER));
    assert!(d.is_allowed());
    assert_eq!(matched.len(), 3);
    assert!(
        matched
            .iter()
            .any(|m| m.kind == PolicyKind::Resource && m.sid == Some("R"))
    );
}

#[test]
fn wildcard_and_session_grants_are_direct() {
    let boundary = identity(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}));
    let session = identity(json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}));
    // Principal "*": a direct grant, not limited by an implicit deny in the boundary.
    let star = resource(
        json!({"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "*"}),
    );
    let set = OwnedPolicySet {
        resource_policy: Some(star),
        permissions_boundary: Some(boundary),
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&get(USER)).is_allowed());
    // IAM User Guide: a grant to the session ARN is not limited by the session policy
    // (disputed by iam-simulate; see docs/iam-evaluation.md).
    let to_session = resource(
        json!({"Effect": "Allow", "Principal": {"AWS": SESSION}, "Action": "dynamodb:GetItem", "Resource": "*"}),
    );
    let set = OwnedPolicySet {
        resource_policy: Some(to_session),
        session_policies: vec![session],
        ..Default::default()
    };
    let d = set.as_set().evaluate(&get(SESSION));
    assert!(d.is_allowed());
    assert_eq!(d.deciding.unwrap().kind, PolicyKind::Resource);
}

#[test]
fn management_account_ignores_even_scp_denies() {
    let deny = scp(json!({"Effect": "Deny", "Action": "*", "Resource": "*"}));
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        scps: vec![vec![full_access_scp(), deny]],
        ..Default::default()
    };
    assert_eq!(
        set.as_set().evaluate(&get(USER)).outcome,
        Outcome::ExplicitDeny
    );
    let set = OwnedPolicySet {
        principal_in_management_account: true,
        ..set
    };
    assert!(set.as_set().evaluate(&get(USER)).is_allowed());
}

#[test]
fn rcps_do_not_apply_to_service_linked_roles() {
    let rcp = compile(
        json!({"Statement": {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:*", "Resource": "*"}}),
        PolicyType::Rcp,
    );
    let set = OwnedPolicySet {
        identity: vec![allow_all()],
        rcps: vec![vec![rcp]],
        ..Default::default()
    };
    assert_eq!(
        set.as_set().evaluate(&get(SESSION)).outcome,
        Outcome::ExplicitDeny
    );
    let slr = Principal::parse("arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForX/s")
        .unwrap()
        .with_role_arn("arn:aws:iam::111122223333:role/aws-service-role/replication.dynamodb.amazonaws.com/AWSServiceRoleForX");
    assert!(
        set.as_set()
            .evaluate(&RequestContext::new(slr, "dynamodb:GetItem", TABLE))
            .is_allowed()
    );
}

#[test]
fn cross_account_messages_in_the_same_organization() {
    let caller = format!("arn:aws:iam::{OTHER}:user/bob");
    let c = get(&caller);
    let deny = identity(json!({"Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"}));
    let set = OwnedPolicySet {
        identity: vec![deny],
        ..Default::default()
    };
    let generic = set.as_set().evaluate(&c).message(&c).unwrap();
    assert_eq!(
        generic,
        format!(
            "User: {caller} is not authorized to perform: dynamodb:GetItem on resource: {TABLE}"
        )
    );
    let set = OwnedPolicySet {
        same_organization: true,
        ..set
    };
    let detailed = set.as_set().evaluate(&c).message(&c).unwrap();
    assert_eq!(
        detailed,
        format!("{generic} with an explicit deny in an identity-based policy")
    );
    // The resource account can be given when the resource is not an ARN of an account.
    let mut c = ctx(USER, "dynamodb:ListTables", "*");
    assert!(c.same_account());
    c.set_resource_account(Some(OTHER.to_owned()));
    assert!(!c.same_account());
}

#[test]
fn anonymous_and_service_callers() {
    let anon = RequestContext::new(Principal::anonymous(), "dynamodb:GetItem", TABLE);
    let empty = OwnedPolicySet::default();
    let d = empty.as_set().evaluate(&anon);
    assert_eq!(d.deciding.unwrap().kind, PolicyKind::Resource);
    assert!(
        d.message(&anon)
            .unwrap()
            .starts_with("User: anonymous is not authorized")
    );
    let svc = Principal::parse("dynamodb.amazonaws.com").unwrap();
    let c = RequestContext::new(svc, "dynamodb:GetItem", TABLE);
    let to_service = resource(
        json!({"Effect": "Allow", "Principal": {"Service": "dynamodb.amazonaws.com"}, "Action": "dynamodb:GetItem", "Resource": "*"}),
    );
    let set = OwnedPolicySet {
        resource_policy: Some(to_service),
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&c).is_allowed());
    // An account grant does not match callers without an account.
    let to_account = resource(
        json!({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "*", "Resource": "*"}),
    );
    let set = OwnedPolicySet {
        resource_policy: Some(to_account),
        ..Default::default()
    };
    assert!(!set.as_set().evaluate(&anon).is_allowed());
}

#[test]
fn derived_context_keys() {
    let p = Principal::parse(SESSION)
        .unwrap()
        .with_role_arn("arn:aws:iam::111122223333:role/team/app");
    let c = RequestContext::new(p, "dynamodb:GetItem", TABLE);
    // aws:PrincipalArn of a session is the role ARN with its path.
    let cond = json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/team/app"}, "StringEquals": {"aws:PrincipalType": "AssumedRole", "aws:PrincipalAccount": ACCOUNT}});
    assert!(condition_allows(cond, &c));
    // A role-ARN grant matches the role's path-qualified ARN.
    let grant = resource(
        json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/team/app"}, "Action": "*", "Resource": "*"}),
    );
    let set = OwnedPolicySet {
        resource_policy: Some(grant),
        ..Default::default()
    };
    assert!(set.as_set().evaluate(&c).is_allowed());
}

#[test]
fn compiled_policies_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<CompiledPolicy>();
    shared::<OwnedPolicySet>();
    shared::<RequestContext>();
}
