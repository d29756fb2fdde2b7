//! The admin user and declarative bootstrap: idempotence, ordering, limits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use palisade_directory::*;

#[tokio::test]
async fn admin_and_bootstrap_are_idempotent() {
    let (s, d) = fresh();
    let (id, secret) = d
        .ensure_admin(A, AdminKey::Generate)
        .await
        .unwrap()
        .unwrap();
    assert!(
        d.ensure_admin(A, AdminKey::Generate)
            .await
            .unwrap()
            .is_none()
    );
    let admin = d.lookup_access_key(&id).unwrap();
    assert_eq!(admin.secret.expose(), secret.expose());
    assert!(allows(&d, &admin.caller, "iam:CreateUser", "*"));
    let given = AdminKey::FromEnv {
        id: "AKIAADMINFROMENV0001".into(),
        secret: Secret::new("s3cr3t/with+chars"),
    };
    // A second key for the admin from the environment.
    assert!(d.ensure_admin(A, given.clone()).await.unwrap().is_none());
    assert!(d.ensure_admin(A, given).await.unwrap().is_none());
    assert_eq!(
        d.lookup_access_key("AKIAADMINFROMENV0001")
            .unwrap()
            .secret
            .expose(),
        "s3cr3t/with+chars"
    );

    let spec: BootstrapSpec = serde_json::from_value(serde_json::json!({
        "account": A,
        "policies": [{"name": "ReadT", "path": "/app/", "document":
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}}],
        "groups": [{"name": "readers", "managed_policies": ["ReadT"]}],
        "users": [{"name": "carol", "tags": {"team": "blue"}, "groups": ["readers"],
            "permissions_boundary": "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
            "inline_policies": {"extra": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*"}]}},
            "access_keys": [{"id": "AKIACAROL00000000001", "secret": "carolsecretcarolsecretcarolsecret0000000"}]}],
        "roles": [{"name": "app", "max_session_duration": 7200,
            "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/carol"}, "Action": "sts:AssumeRole"}]},
            "managed_policies": ["arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"]}]
    }))
    .unwrap();
    let first = d.apply_bootstrap(&spec).await.unwrap();
    assert!(first.len() >= 5, "{first:?}");
    let before = all_bytes(&s);
    assert!(d.apply_bootstrap(&spec).await.unwrap().is_empty());
    assert_eq!(all_bytes(&s), before, "a second apply changes nothing");
    let carol = d.lookup_access_key("AKIACAROL00000000001").unwrap().caller;
    assert!(allows(
        &d,
        &carol,
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/t"
    ));
    assert!(!allows(
        &d,
        &carol,
        "dynamodb:PutItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/t"
    ));
    let role = d.get_role(A, "app").unwrap();
    d.assume_role(
        &carol,
        &AssumeRoleInput {
            role_arn: role.arn(),
            role_session_name: "x1".into(),
            ..AssumeRoleInput::default()
        },
    )
    .await
    .unwrap();

    // A changed document updates the managed policy with a new default version.
    let mut spec2 = spec.clone();
    spec2.policies[0].document = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]});
    assert_eq!(d.apply_bootstrap(&spec2).await.unwrap().len(), 1);
    assert!(d.apply_bootstrap(&spec2).await.unwrap().is_empty());
}

#[tokio::test]
async fn bootstrap_roles_may_trust_each_other_and_big_inline_role_policies() {
    let (_s, d) = fresh();
    let role_trusting = |other: &str| {
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::111122223333:role/{other}")}, "Action": "sts:AssumeRole"}]})
    };
    let spec = BootstrapSpec {
        account: A.into(),
        roles: vec![
            BootstrapRole {
                name: "first".into(),
                trust_policy: role_trusting("second"),
                ..BootstrapRole::default()
            },
            BootstrapRole {
                name: "second".into(),
                trust_policy: serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}]}),
                ..BootstrapRole::default()
            },
        ],
        ..BootstrapSpec::default()
    };
    assert_eq!(d.apply_bootstrap(&spec).await.unwrap().len(), 2);
    assert!(d.apply_bootstrap(&spec).await.unwrap().is_empty());
    let bad = BootstrapSpec {
        account: A.into(),
        roles: vec![BootstrapRole {
            name: "third".into(),
            trust_policy: role_trusting("ghost"),
            ..BootstrapRole::default()
        }],
        ..BootstrapSpec::default()
    };
    assert_eq!(
        code(d.apply_bootstrap(&bad).await).0,
        ErrorCode::MalformedPolicyDocument
    );

    // Role inline policies may total 10,240 characters; one document may exceed 6,144.
    let resources: Vec<String> = (0..180)
        .map(|i| format!("\"arn:aws:dynamodb:us-east-1:111122223333:table/t{i:03}\""))
        .collect();
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":[{}]}}]}}"#,
        resources.join(",")
    );
    assert!(big.len() > 6_144 && big.len() < 10_240, "{}", big.len());
    d.put_inline_policy(PolicyOwner::Role, A, "first", "big", &big)
        .await
        .unwrap();
    let (c, _) = code(d.create_policy(A, "Big", None, &big, None).await);
    assert_eq!(c, ErrorCode::LimitExceeded);
}
