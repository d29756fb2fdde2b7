//! Directory entities on the in-memory backend: rules and errors, access keys, persistence, encryption at rest, compiled policies, concurrency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::ops::Bound;
use std::sync::Arc;

use common::*;
use palisade_directory::*;
use palisade_storage::Storage;

#[tokio::test]
async fn users_rules_and_errors() {
    let (_s, d) = fresh();
    let u = d
        .create_user(A, "Bob", Some("/team/"), &[], None)
        .await
        .unwrap();
    assert!(u.id.starts_with("AIDA") && u.id.len() == 21);
    assert_eq!(u.arn(), "arn:aws:iam::111122223333:user/team/Bob");
    let (c, m) = code(d.create_user(A, "bob", None, &[], None).await);
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::EntityAlreadyExists,
            "User with name bob already exists."
        )
    );
    assert_eq!(c.http_status(), 409);
    let (c, m) = code(d.get_user(A, "alice"));
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::NoSuchEntity,
            "The user with name alice cannot be found."
        )
    );
    let (c, m) = code(d.create_user(A, "bad name", None, &[], None).await);
    assert_eq!(c, ErrorCode::ValidationError);
    assert!(
        m.starts_with("1 validation error detected: Value 'bad name' at 'userName'"),
        "{m}"
    );
    assert_eq!(
        code(d.create_user(A, "x", Some("/nope"), &[], None).await).0,
        ErrorCode::ValidationError
    );
    assert_eq!(d.get_user(A, "BOB").unwrap().name, "Bob");
    assert_eq!(d.list_users(A, Some("/team/")).len(), 1);
    assert_eq!(d.list_users(A, Some("/other/")).len(), 0);

    let tag = |k: &str, v: &str| Tag {
        key: k.into(),
        value: v.into(),
    };
    d.tag_user(A, "Bob", &[tag("Env", "dev")]).await.unwrap();
    d.tag_user(A, "Bob", &[tag("env", "prod"), tag("team", "x")])
        .await
        .unwrap();
    let tags = d.get_user(A, "Bob").unwrap().tags;
    assert_eq!(tags, vec![tag("env", "prod"), tag("team", "x")]);
    d.untag_user(A, "Bob", &["TEAM".into()]).await.unwrap();
    assert_eq!(d.get_user(A, "Bob").unwrap().tags.len(), 1);

    // Delete conflicts: keys, inline policies, attached policies, groups.
    let (k, _) = d.create_access_key(A, "Bob").await.unwrap();
    let (c, m) = code(d.delete_user(A, "Bob").await);
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::DeleteConflict,
            "Cannot delete entity, must delete access keys first."
        )
    );
    d.delete_access_key(A, "Bob", &k.access_key_id)
        .await
        .unwrap();
    d.put_inline_policy(PolicyOwner::User, A, "Bob", "p", ALLOW_GET)
        .await
        .unwrap();
    assert_eq!(
        code(d.delete_user(A, "Bob").await).1,
        "Cannot delete entity, must delete policies first."
    );
    d.delete_inline_policy(PolicyOwner::User, A, "Bob", "p")
        .await
        .unwrap();
    d.create_group(A, "devs", None).await.unwrap();
    d.add_user_to_group(A, "devs", "Bob").await.unwrap();
    assert_eq!(
        code(d.delete_user(A, "Bob").await).0,
        ErrorCode::DeleteConflict
    );
    assert_eq!(
        code(d.delete_group(A, "devs").await).1,
        "Cannot delete entity, must remove users from group first."
    );
    d.remove_user_from_group(A, "devs", "Bob").await.unwrap();
    d.delete_user(A, "Bob").await.unwrap();
    d.delete_group(A, "devs").await.unwrap();
    assert!(d.list_users(A, None).is_empty());
}

#[tokio::test]
async fn access_keys_lookup_limits_and_status() {
    let (_s, d) = fresh();
    d.create_user(A, "bob", None, &[], None).await.unwrap();
    let (k1, s1) = d.create_access_key(A, "bob").await.unwrap();
    assert!(k1.access_key_id.starts_with("AKIA") && k1.access_key_id.len() == 20);
    assert_eq!(s1.expose().len(), 40);
    d.create_access_key(A, "bob").await.unwrap();
    let (c, m) = code(d.create_access_key(A, "bob").await);
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::LimitExceeded,
            "Cannot exceed quota for AccessKeysPerUser: 2"
        )
    );
    let id = d.lookup_access_key(&k1.access_key_id).unwrap();
    assert_eq!(id.secret.expose(), s1.expose());
    assert!(id.session_token.is_none());
    assert_eq!(id.caller.kind, PrincipalKind::User);
    assert_eq!(id.caller.arn, "arn:aws:iam::111122223333:user/bob");
    assert_eq!(id.caller.username.as_deref(), Some("bob"));
    assert!(
        !format!("{id:?}").contains(s1.expose()),
        "secret leaked in Debug"
    );
    d.update_access_key(A, "bob", &k1.access_key_id, KeyStatus::Inactive)
        .await
        .unwrap();
    assert!(d.lookup_access_key(&k1.access_key_id).is_none());
    let listed = d.list_access_keys(A, "bob").unwrap();
    let k1_listed = listed
        .iter()
        .find(|k| k.access_key_id == k1.access_key_id)
        .unwrap();
    assert_eq!(k1_listed.status, KeyStatus::Inactive);
    let (c, m) = code(d.delete_access_key(A, "bob", "AKIANOTAKEY000000000").await);
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::NoSuchEntity,
            "The Access Key with id AKIANOTAKEY000000000 cannot be found."
        )
    );
}

#[tokio::test]
async fn persistence_encryption_and_wrong_key() {
    let (s, d) = fresh();
    d.create_user(A, "bob", None, &[], None).await.unwrap();
    let (k, secret) = d.create_access_key(A, "bob").await.unwrap();
    d.put_inline_policy(PolicyOwner::User, A, "bob", "p", ALLOW_GET)
        .await
        .unwrap();
    let sess = d
        .get_session_token(
            &d.lookup_access_key(&k.access_key_id).unwrap().caller,
            Some(900),
        )
        .await
        .unwrap();
    drop(d);

    let bytes = all_bytes(&s);
    assert!(
        !contains(&bytes, secret.expose()),
        "secret stored in plaintext"
    );
    assert!(!contains(
        &bytes,
        sess.credentials.secret_access_key.expose()
    ));
    assert!(!contains(&bytes, sess.credentials.session_token.expose()));
    let snap = s.snapshot().unwrap();
    for e in snap.range(Bound::Unbounded, Bound::Unbounded, false) {
        assert_eq!(e.unwrap().0[0], 0x20, "directory keys start with 0x20");
    }

    let d = open(&s);
    let id = d.lookup_access_key(&k.access_key_id).unwrap();
    assert_eq!(id.secret.expose(), secret.expose());
    let t = d
        .lookup_access_key(&sess.credentials.access_key_id)
        .unwrap();
    assert_eq!(
        t.session_token.unwrap().expose(),
        sess.credentials.session_token.expose()
    );
    assert!(allows(
        &d,
        &id.caller,
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/t"
    ));
    drop(d);

    let wrong = Directory::open(s.clone() as Arc<dyn Storage>, KeyProvider::Bytes([1; 32]));
    let err = wrong.unwrap_err();
    assert!(
        matches!(err, DirectoryError::Crypto(CryptoError::UnknownKey { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("not among the configured key-encryption keys")
    );

    // Rotation: the old key opens, reseal moves everything to the new one.
    let d = Directory::open_with_previous_keys(
        s.clone() as Arc<dyn Storage>,
        KeyProvider::Bytes([1; 32]),
        &[KeyProvider::Bytes(KEY)],
    )
    .unwrap();
    assert_eq!(d.reseal_secrets().await.unwrap(), 2);
    drop(d);
    let d = Directory::open(s.clone() as Arc<dyn Storage>, KeyProvider::Bytes([1; 32])).unwrap();
    assert_eq!(
        d.lookup_access_key(&k.access_key_id)
            .unwrap()
            .secret
            .expose(),
        secret.expose()
    );
}

#[tokio::test]
async fn groups_managed_policies_and_compiled_policies() {
    let (_s, d) = fresh();
    d.create_user(A, "bob", None, &[], None).await.unwrap();
    let (k, _) = d.create_access_key(A, "bob").await.unwrap();
    let caller = d.lookup_access_key(&k.access_key_id).unwrap().caller;
    let table = "arn:aws:dynamodb:us-east-1:111122223333:table/t";
    assert!(!allows(&d, &caller, "dynamodb:GetItem", table));

    let p = d
        .create_policy(A, "Get", Some("/app/"), ALLOW_GET, Some("get"))
        .await
        .unwrap();
    assert_eq!(p.arn(), "arn:aws:iam::111122223333:policy/app/Get");
    assert!(p.id.starts_with("ANPA"));
    let (c, m) = code(d.create_policy(A, "get", None, ALLOW_GET, None).await);
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::EntityAlreadyExists,
            "A policy called get already exists. Duplicate names are not allowed."
        )
    );
    let (c, _) = code(
        d.create_policy(
            A,
            "Bad",
            None,
            r#"{"Statement":[{"Effect":"Allow"}]}"#,
            None,
        )
        .await,
    );
    assert_eq!(c, ErrorCode::MalformedPolicyDocument);
    assert_eq!(
        code(d.create_policy(A, "Bad", None, "{not json", None).await).1,
        "Syntax errors in policy."
    );

    d.create_group(A, "readers", None).await.unwrap();
    d.attach_policy(PolicyOwner::Group, A, "readers", &p.arn())
        .await
        .unwrap();
    d.add_user_to_group(A, "readers", "bob").await.unwrap();
    assert!(allows(&d, &caller, "dynamodb:GetItem", table));
    assert!(!allows(&d, &caller, "dynamodb:PutItem", table));

    // Versions: at most 5; the default cannot be deleted; a new default changes decisions.
    for _ in 0..4 {
        d.create_policy_version(&p.arn(), ALLOW_GET, false)
            .await
            .unwrap();
    }
    let (c, _) = code(d.create_policy_version(&p.arn(), ALLOW_GET, false).await);
    assert_eq!(c, ErrorCode::LimitExceeded);
    assert_eq!(
        code(d.delete_policy_version(&p.arn(), "v1").await).1,
        "Cannot delete the default version of a policy."
    );
    d.delete_policy_version(&p.arn(), "v5").await.unwrap();
    let v = d
        .create_policy_version(&p.arn(), ALLOW_ALL, true)
        .await
        .unwrap();
    assert_eq!(v.version_id, "v6");
    assert!(allows(&d, &caller, "dynamodb:PutItem", table));
    d.set_default_policy_version(&p.arn(), "v1").await.unwrap();
    assert!(!allows(&d, &caller, "dynamodb:PutItem", table));
    let versions = d.list_policy_versions(&p.arn()).unwrap();
    assert_eq!(versions.len(), 5);
    assert_eq!(versions[0].0.version_id, "v6");
    let (c, m) = code(d.get_policy_version(&p.arn(), "v9"));
    assert_eq!(c, ErrorCode::NoSuchEntity);
    assert!(m.ends_with("version v9 does not exist or is not attachable."));

    // Deleting needs no attachments and no extra versions.
    assert_eq!(
        code(d.delete_policy(&p.arn()).await).1,
        "Cannot delete a policy attached to entities."
    );
    d.detach_policy(PolicyOwner::Group, A, "readers", &p.arn())
        .await
        .unwrap();
    assert_eq!(
        code(
            d.detach_policy(PolicyOwner::Group, A, "readers", &p.arn())
                .await
        )
        .0,
        ErrorCode::NoSuchEntity
    );
    assert_eq!(
        code(d.delete_policy(&p.arn()).await).0,
        ErrorCode::DeleteConflict
    );
    for v in ["v2", "v3", "v4", "v6"] {
        d.delete_policy_version(&p.arn(), v).await.unwrap();
    }
    d.delete_policy(&p.arn()).await.unwrap();
    assert!(!allows(&d, &caller, "dynamodb:GetItem", table));
    let missing = "arn:aws:iam::111122223333:policy/Nope";
    assert_eq!(
        code(d.attach_policy(PolicyOwner::User, A, "bob", missing).await).1,
        "Policy arn:aws:iam::111122223333:policy/Nope does not exist or is not attachable."
    );

    // AWS managed policies and boundaries.
    d.attach_policy(
        PolicyOwner::User,
        A,
        "bob",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    )
    .await
    .unwrap();
    assert!(allows(&d, &caller, "dynamodb:DeleteTable", table));
    let b = d
        .create_policy(A, "Boundary", None, ALLOW_GET, None)
        .await
        .unwrap();
    d.put_permissions_boundary(PolicyOwner::User, A, "bob", &b.arn())
        .await
        .unwrap();
    assert!(d.permissions_boundary(&caller.entity).is_some());
    assert!(!allows(&d, &caller, "dynamodb:DeleteTable", table));
    assert!(allows(&d, &caller, "dynamodb:GetItem", table));
    assert_eq!(
        code(
            d.put_permissions_boundary(PolicyOwner::User, A, "bob", missing)
                .await
        )
        .0,
        ErrorCode::NoSuchEntity
    );
    d.delete_permissions_boundary(PolicyOwner::User, A, "bob")
        .await
        .unwrap();
    assert!(allows(&d, &caller, "dynamodb:DeleteTable", table));

    // Inline size limit per user (2,048 non-whitespace characters).
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":[{}]}}]}}"#,
        (0..40)
            .map(|i| format!("\"arn:aws:dynamodb:us-east-1:111122223333:table/t{i}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (c, m) = code(
        d.put_inline_policy(PolicyOwner::User, A, "bob", "big", &big)
            .await,
    );
    assert_eq!(
        (c, m.as_str()),
        (
            ErrorCode::LimitExceeded,
            "Maximum policy size of 2048 bytes exceeded for user bob."
        )
    );
    assert_eq!(
        code(d.get_inline_policy(PolicyOwner::Role, A, "r", "p")).1,
        "The role with name r cannot be found."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_are_serialised() {
    let (s, d) = fresh();
    let d = Arc::new(d);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let d = d.clone();
        // Half the tasks race for the same name.
        let name = if i % 2 == 0 {
            "same".to_owned()
        } else {
            format!("u{i}")
        };
        tasks.push(tokio::spawn(async move {
            d.create_user(A, &name, None, &[], None).await.is_ok()
        }));
    }
    let mut created = 0;
    for t in tasks {
        created += usize::from(t.await.unwrap());
    }
    assert_eq!(
        created, 9,
        "eight distinct names and one winner for the shared one"
    );
    assert_eq!(d.list_users(A, None).len(), 9);
    drop(d);
    assert_eq!(open(&s).list_users(A, None).len(), 9);
}
