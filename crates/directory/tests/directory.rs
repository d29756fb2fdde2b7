//! Directory behaviour on the in-memory backend: entity rules and errors, persistence,
//! encryption at rest, STS sessions, policy compilation and bootstrap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::Bound;
use std::sync::Arc;

use palisade_directory::*;
use palisade_iam::{PolicySet, RequestContext};
use palisade_storage::Storage;
use palisade_storage::memory::MemoryStorage;

const A: &str = "111122223333";
const KEY: [u8; 32] = [9; 32];

fn open(storage: &Arc<MemoryStorage>) -> Directory {
    Directory::open(storage.clone() as Arc<dyn Storage>, KeyProvider::Bytes(KEY)).unwrap()
}

fn fresh() -> (Arc<MemoryStorage>, Directory) {
    let s = Arc::new(MemoryStorage::new());
    let d = open(&s);
    (s, d)
}

fn code<T: std::fmt::Debug>(r: Result<T>) -> (ErrorCode, String) {
    match r {
        Err(DirectoryError::Aws { code, message }) => (code, message),
        other => panic!("expected an AWS error, got {other:?}"),
    }
}

fn all_bytes(s: &MemoryStorage) -> Vec<u8> {
    let snap = s.snapshot().unwrap();
    let mut out = Vec::new();
    for e in snap.range(Bound::Unbounded, Bound::Unbounded, false) {
        let (k, v) = e.unwrap();
        out.extend(k);
        out.extend(v);
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn allows(d: &Directory, caller: &Caller, action: &str, resource: &str) -> bool {
    let pols = d.principal_policies(&caller.entity);
    let session = d.session_policy(&caller.access_key_id);
    let set = PolicySet {
        identity: &pols.identity,
        permissions_boundary: pols.boundary.as_ref(),
        session_policies: &session,
        ..PolicySet::default()
    };
    let ctx: RequestContext = caller.request_context(action, resource);
    set.evaluate(&ctx).is_allowed()
}

const ALLOW_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}"#;
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

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

fn trust(principal: &str, extra: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":["sts:AssumeRole","sts:TagSession"]{extra}}}]}}"#
    )
}

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
