//! Roles and STS sessions: trust evaluation, durations, chaining, session policies and tags.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use palisade_directory::*;

#[tokio::test]
async fn roles_and_assume_role() {
    let (_s, d) = fresh();
    d.create_user(A, "bob", None, &[], None).await.unwrap();
    d.create_user(A, "eve", None, &[], None).await.unwrap();
    let (kb, _) = d.create_access_key(A, "bob").await.unwrap();
    let (ke, _) = d.create_access_key(A, "eve").await.unwrap();
    let bob = d.lookup_access_key(&kb.access_key_id).unwrap().caller;
    let eve = d.lookup_access_key(&ke.access_key_id).unwrap().caller;

    let input = CreateRoleInput {
        name: "app".into(),
        path: Some("/svc/".into()),
        trust_policy: trust(
            &bob.arn,
            r#","Condition":{"StringEquals":{"sts:ExternalId":"xyz"}}"#,
        ),
        max_session_duration: Some(7200),
        tags: vec![Tag {
            key: "team".into(),
            value: "blue".into(),
        }],
        ..CreateRoleInput::default()
    };
    let role = d.create_role(A, &input).await.unwrap();
    assert!(role.id.starts_with("AROA"));
    assert_eq!(role.arn(), "arn:aws:iam::111122223333:role/svc/app");
    assert_eq!(
        code(d.create_role(A, &input).await).1,
        "Role with name app already exists."
    );
    let bad = CreateRoleInput {
        name: "r2".into(),
        max_session_duration: Some(100),
        ..input.clone()
    };
    assert_eq!(
        code(d.create_role(A, &bad).await).0,
        ErrorCode::ValidationError
    );
    let bad = CreateRoleInput {
        name: "r2".into(),
        trust_policy: ALLOW_ALL.into(),
        ..input.clone()
    };
    assert_eq!(
        code(d.create_role(A, &bad).await).0,
        ErrorCode::MalformedPolicyDocument
    );
    d.put_inline_policy(PolicyOwner::Role, A, "app", "all", ALLOW_ALL)
        .await
        .unwrap();

    let mut ar = AssumeRoleInput {
        role_arn: role.arn(),
        role_session_name: "s1".into(),
        external_id: Some("xyz".into()),
        ..AssumeRoleInput::default()
    };
    // Not trusted / wrong external id.
    let (c, m) = code(d.assume_role(&eve, &ar).await);
    assert_eq!(c, ErrorCode::AccessDenied);
    assert_eq!(
        m,
        "User: arn:aws:iam::111122223333:user/eve is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/svc/app"
    );
    ar.external_id = Some("nope".into());
    assert_eq!(
        code(d.assume_role(&bob, &ar).await).0,
        ErrorCode::AccessDenied
    );
    ar.external_id = Some("xyz".into());
    ar.duration_seconds = Some(7201);
    assert_eq!(
        code(d.assume_role(&bob, &ar).await).1,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
    ar.duration_seconds = Some(899);
    assert_eq!(
        code(d.assume_role(&bob, &ar).await).0,
        ErrorCode::ValidationError
    );
    ar.duration_seconds = Some(7200);
    ar.policy = Some(ALLOW_GET.into());
    ar.tags = vec![Tag {
        key: "project".into(),
        value: "p1".into(),
    }];
    ar.transitive_tag_keys = vec!["project".into()];
    let s = d.assume_role(&bob, &ar).await.unwrap();
    assert!(s.credentials.access_key_id.starts_with("ASIA"));
    assert_eq!(
        s.assumed_role_arn.as_deref(),
        Some("arn:aws:sts::111122223333:assumed-role/app/s1")
    );
    assert_eq!(
        s.assumed_role_id.clone().unwrap(),
        format!("{}:s1", role.id)
    );
    assert!(s.credentials.expiration - now() > 7100);

    let id = d.lookup_access_key(&s.credentials.access_key_id).unwrap();
    assert_eq!(id.secret.expose(), s.credentials.secret_access_key.expose());
    assert_eq!(
        id.session_token.as_ref().unwrap().expose(),
        s.credentials.session_token.expose()
    );
    let sc = id.caller.clone();
    assert_eq!(sc.kind, PrincipalKind::AssumedRole);
    assert_eq!(sc.arn, "arn:aws:sts::111122223333:assumed-role/app/s1");
    assert_eq!(
        sc.role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/svc/app")
    );
    assert_eq!(sc.user_id, format!("{}:s1", role.id));
    assert!(sc.tags.iter().any(|t| t.key == "team"));
    assert!(sc.tags.iter().any(|t| t.key == "project"));
    assert_eq!(id.session_policies.len(), 1);
    let table = "arn:aws:dynamodb:us-east-1:111122223333:table/t";
    assert!(allows(&d, &sc, "dynamodb:GetItem", table));
    assert!(
        !allows(&d, &sc, "dynamodb:PutItem", table),
        "session policy caps the role"
    );

    // Role chaining: at most one hour; transitive tags flow on.
    d.update_assume_role_policy(A, "app", &trust(&role.arn(), ""))
        .await
        .unwrap();
    let mut chain = AssumeRoleInput {
        role_arn: role.arn(),
        role_session_name: "s2".into(),
        duration_seconds: Some(3601),
        ..AssumeRoleInput::default()
    };
    // The first session's session policy does not allow sts:AssumeRole, and a trust policy
    // naming the role ARN is limited by it.
    chain.duration_seconds = None;
    assert_eq!(
        code(d.assume_role(&sc, &chain).await).0,
        ErrorCode::AccessDenied
    );
    chain.duration_seconds = Some(3601);
    d.update_assume_role_policy(A, "app", &trust(&bob.arn, ""))
        .await
        .unwrap();
    ar.policy = None;
    ar.external_id = None;
    ar.role_arn = role.arn();
    let s1b = d.assume_role(&bob, &ar).await.unwrap();
    let sc = d
        .lookup_access_key(&s1b.credentials.access_key_id)
        .unwrap()
        .caller;
    d.update_assume_role_policy(A, "app", &trust(&role.arn(), ""))
        .await
        .unwrap();
    assert_eq!(
        code(d.assume_role(&sc, &chain).await).1,
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    );
    chain.duration_seconds = None;
    let s2 = d.assume_role(&sc, &chain).await.unwrap();
    let c2 = d
        .lookup_access_key(&s2.credentials.access_key_id)
        .unwrap()
        .caller;
    assert!(c2.session.as_ref().unwrap().chained);
    assert!(
        c2.tags
            .iter()
            .any(|t| t.key == "project" && t.value == "p1")
    );

    // Unknown role: AccessDenied.
    ar.role_arn = "arn:aws:iam::111122223333:role/ghost".into();
    assert_eq!(
        code(d.assume_role(&bob, &ar).await).0,
        ErrorCode::AccessDenied
    );

    // Deleting needs no policies.
    assert_eq!(
        code(d.delete_role(A, "app").await).1,
        "Cannot delete entity, must delete policies first."
    );
    d.delete_inline_policy(PolicyOwner::Role, A, "app", "all")
        .await
        .unwrap();
    d.delete_role(A, "app").await.unwrap();
    assert_eq!(
        code(d.get_role(A, "app")).1,
        "The role with name app cannot be found."
    );
}

#[tokio::test]
async fn trust_naming_the_account_needs_an_identity_policy() {
    let (_s, d) = fresh();
    d.create_user(A, "bob", None, &[], None).await.unwrap();
    let (k, _) = d.create_access_key(A, "bob").await.unwrap();
    let bob = d.lookup_access_key(&k.access_key_id).unwrap().caller;
    let input = CreateRoleInput {
        name: "r".into(),
        trust_policy: trust("arn:aws:iam::111122223333:root", ""),
        ..CreateRoleInput::default()
    };
    let role = d.create_role(A, &input).await.unwrap();
    let ar = AssumeRoleInput {
        role_arn: role.arn(),
        role_session_name: "s0".into(),
        ..AssumeRoleInput::default()
    };
    assert_eq!(
        code(d.assume_role(&bob, &ar).await).0,
        ErrorCode::AccessDenied
    );
    d.put_inline_policy(PolicyOwner::User, A, "bob", "assume", ALLOW_ALL)
        .await
        .unwrap();
    d.assume_role(&bob, &ar).await.unwrap();
    // A trust policy naming a user that does not exist is rejected, as IAM does.
    let (c, m) = code(
        d.update_assume_role_policy(A, "r", &trust("arn:aws:iam::111122223333:user/other", ""))
            .await,
    );
    assert_eq!(c, ErrorCode::MalformedPolicyDocument);
    assert_eq!(
        m,
        r#"Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/other""#
    );
    d.create_user(A, "other", None, &[], None).await.unwrap();
    // An identity policy alone is not enough when the trust policy names someone else.
    d.update_assume_role_policy(A, "r", &trust("arn:aws:iam::111122223333:user/other", ""))
        .await
        .unwrap();
    assert_eq!(
        code(d.assume_role(&bob, &ar).await).0,
        ErrorCode::AccessDenied
    );
}

#[tokio::test]
async fn cross_account_assume_role_needs_both_sides() {
    let (_s, d) = fresh();
    const B: &str = "444455556666";
    d.create_user(A, "bob", None, &[], None).await.unwrap();
    let (k, _) = d.create_access_key(A, "bob").await.unwrap();
    let bob = d.lookup_access_key(&k.access_key_id).unwrap().caller;
    let input = CreateRoleInput {
        name: "shared".into(),
        trust_policy: trust(&bob.arn, ""),
        ..CreateRoleInput::default()
    };
    let role = d.create_role(B, &input).await.unwrap();
    let ar = AssumeRoleInput {
        role_arn: role.arn(),
        role_session_name: "x1".into(),
        ..AssumeRoleInput::default()
    };
    // The trust policy names bob, but across accounts his own policies must allow too.
    assert_eq!(
        code(d.assume_role(&bob, &ar).await).0,
        ErrorCode::AccessDenied
    );
    let allow = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{}"}}]}}"#,
        role.arn()
    );
    d.put_inline_policy(PolicyOwner::User, A, "bob", "assume", &allow)
        .await
        .unwrap();
    let s = d.assume_role(&bob, &ar).await.unwrap();
    let c = d
        .lookup_access_key(&s.credentials.access_key_id)
        .unwrap()
        .caller;
    assert_eq!(c.account, B);
    assert_eq!(c.arn, "arn:aws:sts::444455556666:assumed-role/shared/x1");
}
