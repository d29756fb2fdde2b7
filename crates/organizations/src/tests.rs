//! Rules of the model, through [`Organizations`] on a memory backend.

use std::sync::Arc;

use palisade_storage::Storage;
use palisade_storage::memory::MemoryStorage;

use crate::model::{FULL_AWS_ACCESS_ID, RCP_FULL_AWS_ACCESS_ID};
use crate::{ErrorCode, FeatureSet, JoinedMethod, OrgData, OrgError, Organizations, PolicyKind};

pub(crate) const MGMT: &str = "111111111111";
pub(crate) const OUTSIDER: &str = "999999999999";
pub(crate) const DENY_DELETE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*"}]}"#;
pub(crate) const ALLOW_DYNAMO: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}"#;
pub(crate) const RCP_DENY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"dynamodb:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;

pub(crate) async fn setup() -> (Arc<dyn Storage>, Organizations, Arc<OrgData>) {
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let orgs = Organizations::open(Arc::clone(&storage)).unwrap();
    let org = orgs
        .create_organization(MGMT, "Management", "mgmt@example.com", FeatureSet::All)
        .await
        .unwrap();
    (storage, orgs, org)
}

pub(crate) async fn new_account(orgs: &Organizations, name: &str) -> String {
    let email = format!("{name}@example.com");
    let s = orgs.create_account(MGMT, name, &email).await.unwrap();
    assert_eq!(s.state, "SUCCEEDED");
    s.account_id.unwrap()
}

fn code(r: Result<impl std::fmt::Debug, OrgError>) -> ErrorCode {
    r.unwrap_err().code
}

fn reason(r: Result<impl std::fmt::Debug, OrgError>) -> (ErrorCode, Option<&'static str>) {
    let e = r.unwrap_err();
    (e.code, e.reason)
}

fn lower_alnum(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[tokio::test]
async fn create_organization_shapes() {
    let (_, orgs, org) = setup().await;
    let suffix = org.id.strip_prefix("o-").unwrap();
    assert_eq!(suffix.len(), 10);
    assert!(lower_alnum(suffix));
    assert_eq!(
        org.arn(),
        format!("arn:aws:organizations::{MGMT}:organization/{}", org.id)
    );
    let root = org.root.id.strip_prefix("r-").unwrap();
    assert_eq!(root.len(), 4);
    assert!(lower_alnum(root));
    assert_eq!(org.feature_set, FeatureSet::All);
    let m = &org.accounts[MGMT];
    assert_eq!(m.joined_method, JoinedMethod::Invited);
    assert_eq!(m.parent, org.root.id);
    assert_eq!(
        org.account_arn(MGMT),
        format!("arn:aws:organizations::{MGMT}:account/{}/{MGMT}", org.id)
    );
    assert!(org.root.enabled.is_empty());
    assert!(orgs.is_management_account(MGMT));
    assert_eq!(orgs.principal_org_id(MGMT), Some(org.id.clone()));
}

#[tokio::test]
async fn one_organization_per_account() {
    let (_, orgs, _) = setup().await;
    let r = orgs
        .create_organization(MGMT, "x", "x@example.com", FeatureSet::All)
        .await;
    assert_eq!(code(r), ErrorCode::AlreadyInOrganization);
    let member = new_account(&orgs, "dev").await;
    let r = orgs
        .create_organization(&member, "x", "y@example.com", FeatureSet::All)
        .await;
    assert_eq!(code(r), ErrorCode::AlreadyInOrganization);
    // Another account can found its own organization.
    let other = orgs
        .create_organization(OUTSIDER, "o", "o@example.com", FeatureSet::All)
        .await
        .unwrap();
    assert_ne!(other.id, orgs.organization(MGMT).unwrap().id);
}

#[tokio::test]
async fn callers_outside_or_not_management() {
    let (_, orgs, org) = setup().await;
    assert_eq!(code(orgs.organization(OUTSIDER)), ErrorCode::NotInUse);
    let r = orgs.create_account(OUTSIDER, "a", "a@example.com").await;
    assert_eq!(code(r), ErrorCode::NotInUse);
    let member = new_account(&orgs, "dev").await;
    assert_eq!(orgs.organization(&member).unwrap().id, org.id);
    assert_eq!(
        code(orgs.managed_organization(&member)),
        ErrorCode::AccessDenied
    );
    let r = orgs
        .create_organizational_unit(&member, &org.root.id, "x")
        .await;
    assert_eq!(code(r), ErrorCode::AccessDenied);
    let r = orgs.delete_organization(&member).await;
    assert_eq!(code(r), ErrorCode::AccessDenied);
}

#[tokio::test]
async fn create_account_and_duplicate_email() {
    let (_, orgs, org) = setup().await;
    let s = orgs
        .create_account(MGMT, "Dev", "dev@example.com")
        .await
        .unwrap();
    assert!(s.id.starts_with("car-"));
    let id = s.account_id.clone().unwrap();
    assert_eq!(id.len(), 12);
    assert!(id.bytes().all(|b| b.is_ascii_digit()));
    let org2 = orgs.organization(MGMT).unwrap();
    let a = &org2.accounts[&id];
    assert_eq!(a.joined_method, JoinedMethod::Created);
    assert_eq!(a.parent, org.root.id);
    assert_eq!(a.email, "dev@example.com");
    assert_eq!(org2.create_requests[&s.id], s);

    let dup = orgs
        .create_account(MGMT, "Dev2", "DEV@example.com")
        .await
        .unwrap();
    assert_eq!(dup.state, "FAILED");
    assert_eq!(dup.failure_reason.as_deref(), Some("EMAIL_ALREADY_EXISTS"));
    assert_eq!(dup.account_id, None);
    assert_eq!(orgs.organization(MGMT).unwrap().accounts.len(), 2);

    let r = orgs.create_account(MGMT, "x", "not-an-email").await;
    assert_eq!(
        reason(r),
        (
            ErrorCode::InvalidInput,
            Some("INVALID_EMAIL_ADDRESS_TARGET")
        )
    );
    let r = orgs.create_account(MGMT, "", "e@example.com").await;
    assert_eq!(reason(r).1, Some("MIN_LENGTH_EXCEEDED"));
}

#[tokio::test]
async fn organizational_units_nesting_and_names() {
    let (_, orgs, org) = setup().await;
    let root = org.root.id.clone();
    let mut parent = root.clone();
    for depth in 1..=5 {
        let ou = orgs
            .create_organizational_unit(MGMT, &parent, &format!("level{depth}"))
            .await
            .unwrap();
        let rest = ou.id.strip_prefix("ou-").unwrap();
        let (root_part, tail) = rest.split_once('-').unwrap();
        assert_eq!(root_part, root.strip_prefix("r-").unwrap());
        assert_eq!(tail.len(), 8);
        assert!(lower_alnum(tail));
        assert_eq!(ou.parent, parent);
        parent = ou.id;
    }
    let r = orgs.create_organizational_unit(MGMT, &parent, "six").await;
    assert_eq!(
        reason(r),
        (
            ErrorCode::ConstraintViolation,
            Some("OU_DEPTH_LIMIT_EXCEEDED")
        )
    );
    let r = orgs.create_organizational_unit(MGMT, &root, "level1").await;
    assert_eq!(code(r), ErrorCode::DuplicateOrganizationalUnit);
    let r = orgs
        .create_organizational_unit(MGMT, "ou-abcd-zzzzzzzz", "x")
        .await;
    assert_eq!(code(r), ErrorCode::ParentNotFound);
    let r = orgs.create_organizational_unit(MGMT, "bogus", "x").await;
    assert_eq!(
        reason(r),
        (ErrorCode::InvalidInput, Some("INVALID_PATTERN"))
    );
}

#[tokio::test]
async fn same_ou_name_under_different_parents() {
    let (_, orgs, org) = setup().await;
    let a = orgs
        .create_organizational_unit(MGMT, &org.root.id, "A")
        .await
        .unwrap();
    orgs.create_organizational_unit(MGMT, &a.id, "A")
        .await
        .unwrap();
}

#[tokio::test]
async fn delete_ou_only_when_empty() {
    let (_, orgs, org) = setup().await;
    let root = org.root.id.clone();
    let ou = orgs
        .create_organizational_unit(MGMT, &root, "prod")
        .await
        .unwrap();
    let child = orgs
        .create_organizational_unit(MGMT, &ou.id, "inner")
        .await
        .unwrap();
    let acct = new_account(&orgs, "app").await;
    orgs.move_account(MGMT, &acct, &root, &child.id)
        .await
        .unwrap();
    let r = orgs.delete_organizational_unit(MGMT, &ou.id).await;
    assert_eq!(code(r), ErrorCode::OrganizationalUnitNotEmpty);
    let r = orgs.delete_organizational_unit(MGMT, &child.id).await;
    assert_eq!(code(r), ErrorCode::OrganizationalUnitNotEmpty);
    orgs.move_account(MGMT, &acct, &child.id, &root)
        .await
        .unwrap();
    orgs.delete_organizational_unit(MGMT, &child.id)
        .await
        .unwrap();
    orgs.delete_organizational_unit(MGMT, &ou.id).await.unwrap();
    let r = orgs.delete_organizational_unit(MGMT, &ou.id).await;
    assert_eq!(code(r), ErrorCode::OrganizationalUnitNotFound);
    assert!(orgs.organization(MGMT).unwrap().ous.is_empty());
}

#[tokio::test]
async fn move_account_rules() {
    let (_, orgs, org) = setup().await;
    let root = org.root.id.clone();
    let ou = orgs
        .create_organizational_unit(MGMT, &root, "prod")
        .await
        .unwrap();
    let acct = new_account(&orgs, "app").await;
    let r = orgs.move_account(MGMT, &acct, &ou.id, &root).await;
    assert_eq!(code(r), ErrorCode::AccountNotFound);
    let r = orgs.move_account(MGMT, &acct, &root, &root).await;
    assert_eq!(code(r), ErrorCode::DuplicateAccount);
    let r = orgs
        .move_account(MGMT, &acct, &root, "ou-abcd-zzzzzzzz")
        .await;
    assert_eq!(code(r), ErrorCode::DestinationParentNotFound);
    let r = orgs
        .move_account(MGMT, &acct, "ou-abcd-zzzzzzzz", &root)
        .await;
    assert_eq!(code(r), ErrorCode::SourceParentNotFound);
    let r = orgs.move_account(MGMT, "123456789012", &root, &ou.id).await;
    assert_eq!(code(r), ErrorCode::AccountNotFound);
    orgs.move_account(MGMT, &acct, &root, &ou.id).await.unwrap();
    assert_eq!(
        orgs.organization(MGMT).unwrap().accounts[&acct].parent,
        ou.id
    );
}

#[tokio::test]
async fn enabling_scps_attaches_full_aws_access_everywhere() {
    let (_, orgs, org) = setup().await;
    let root = org.root.id.clone();
    let ou = orgs
        .create_organizational_unit(MGMT, &root, "prod")
        .await
        .unwrap();
    assert!(ou.attached.is_empty());
    let acct = new_account(&orgs, "app").await;
    let r = orgs
        .enable_policy_type(MGMT, &root, PolicyKind::Scp)
        .await
        .unwrap();
    assert_eq!(r.enabled, vec![PolicyKind::Scp]);
    let o = orgs.organization(MGMT).unwrap();
    for t in [root.as_str(), ou.id.as_str(), acct.as_str(), MGMT] {
        assert_eq!(
            o.attached(t).unwrap(),
            &vec![FULL_AWS_ACCESS_ID.to_string()]
        );
    }
    // New OUs and accounts get it too.
    let ou2 = orgs
        .create_organizational_unit(MGMT, &ou.id, "inner")
        .await
        .unwrap();
    assert_eq!(ou2.attached, vec![FULL_AWS_ACCESS_ID.to_string()]);
    let acct2 = new_account(&orgs, "app2").await;
    let o = orgs.organization(MGMT).unwrap();
    assert_eq!(
        o.accounts[&acct2].attached,
        vec![FULL_AWS_ACCESS_ID.to_string()]
    );
    let r = orgs.enable_policy_type(MGMT, &root, PolicyKind::Scp).await;
    assert_eq!(code(r), ErrorCode::PolicyTypeAlreadyEnabled);
    let r = orgs
        .enable_policy_type(MGMT, "r-zzzz", PolicyKind::Scp)
        .await;
    assert_eq!(code(r), ErrorCode::RootNotFound);

    // RCPs likewise, independently.
    orgs.enable_policy_type(MGMT, &root, PolicyKind::Rcp)
        .await
        .unwrap();
    let o = orgs.organization(MGMT).unwrap();
    assert_eq!(
        o.accounts[&acct].attached,
        vec![
            FULL_AWS_ACCESS_ID.to_string(),
            RCP_FULL_AWS_ACCESS_ID.to_string()
        ]
    );
}

#[tokio::test]
async fn disabling_detaches_every_policy_of_the_type() {
    let (_, orgs, org) = setup().await;
    let root = org.root.id.clone();
    orgs.enable_policy_type(MGMT, &root, PolicyKind::Scp)
        .await
        .unwrap();
    orgs.enable_policy_type(MGMT, &root, PolicyKind::Rcp)
        .await
        .unwrap();
    let acct = new_account(&orgs, "app").await;
    let p = orgs
        .create_policy(MGMT, "deny", "", PolicyKind::Scp, DENY_DELETE)
        .await
        .unwrap();
    orgs.attach_policy(MGMT, &p.id, &acct).await.unwrap();
    let r = orgs
        .disable_policy_type(MGMT, &root, PolicyKind::Scp)
        .await
        .unwrap();
    assert_eq!(r.enabled, vec![PolicyKind::Rcp]);
    let o = orgs.organization(MGMT).unwrap();
    assert_eq!(
        o.accounts[&acct].attached,
        vec![RCP_FULL_AWS_ACCESS_ID.to_string()]
    );
    assert!(o.policies.contains_key(&p.id), "the policy itself stays");
    let r = orgs.attach_policy(MGMT, &p.id, &acct).await;
    assert_eq!(code(r), ErrorCode::PolicyTypeNotEnabled);
    let r = orgs.disable_policy_type(MGMT, &root, PolicyKind::Scp).await;
    assert_eq!(code(r), ErrorCode::PolicyTypeNotEnabled);
}

#[tokio::test]
async fn policy_documents_are_validated() {
    let (_, orgs, _) = setup().await;
    let p = orgs
        .create_policy(MGMT, "deny", "no deletes", PolicyKind::Scp, DENY_DELETE)
        .await
        .unwrap();
    let suffix = p.id.strip_prefix("p-").unwrap();
    assert_eq!(suffix.len(), 8);
    assert!(lower_alnum(suffix));
    for bad in [
        "not json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
    ] {
        let r = orgs
            .create_policy(MGMT, "bad", "", PolicyKind::Scp, bad)
            .await;
        assert_eq!(code(r), ErrorCode::MalformedPolicyDocument, "{bad}");
    }
    // RCPs: Deny with Principal "*" only; an Allow other than RCPFullAWSAccess is refused.
    orgs.create_policy(MGMT, "tls", "", PolicyKind::Rcp, RCP_DENY)
        .await
        .unwrap();
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:*","Resource":"*"}]}"#;
    let r = orgs
        .create_policy(MGMT, "allow", "", PolicyKind::Rcp, allow)
        .await;
    assert_eq!(code(r), ErrorCode::MalformedPolicyDocument);
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Deny","Action":"*","Resource":"*"}}]}}"#,
        "a".repeat(5200)
    );
    let r = orgs
        .create_policy(MGMT, "big", "", PolicyKind::Scp, &big)
        .await;
    assert_eq!(
        reason(r),
        (
            ErrorCode::ConstraintViolation,
            Some("POLICY_CONTENT_LIMIT_EXCEEDED")
        )
    );
    let r = orgs
        .create_policy(MGMT, "deny", "", PolicyKind::Scp, DENY_DELETE)
        .await;
    assert_eq!(code(r), ErrorCode::DuplicatePolicy);
    let r = orgs
        .create_policy(MGMT, "FullAWSAccess", "", PolicyKind::Scp, DENY_DELETE)
        .await;
    assert_eq!(code(r), ErrorCode::DuplicatePolicy);
    // The same name is fine for another type.
    orgs.create_policy(MGMT, "deny", "", PolicyKind::Rcp, RCP_DENY)
        .await
        .unwrap();
}

#[tokio::test]
async fn update_and_delete_policy() {
    let (_, orgs, org) = setup().await;
    orgs.enable_policy_type(MGMT, &org.root.id, PolicyKind::Scp)
        .await
        .unwrap();
    let p = orgs
        .create_policy(MGMT, "deny", "d", PolicyKind::Scp, DENY_DELETE)
        .await
        .unwrap();
    let u = orgs
        .update_policy(MGMT, &p.id, Some("deny2"), None, Some(ALLOW_DYNAMO))
        .await
        .unwrap();
    assert_eq!((u.name.as_str(), u.description.as_str()), ("deny2", "d"));
    assert_eq!(u.content, ALLOW_DYNAMO);
    let r = orgs
        .update_policy(MGMT, &p.id, None, None, Some("{}"))
        .await;
    assert_eq!(code(r), ErrorCode::MalformedPolicyDocument);
    let r = orgs
        .update_policy(MGMT, FULL_AWS_ACCESS_ID, Some("x"), None, None)
        .await;
    assert_eq!(code(r), ErrorCode::AccessDenied);
    let r = orgs
        .update_policy(MGMT, "p-zzzzzzzz", None, None, None)
        .await;
    assert_eq!(code(r), ErrorCode::PolicyNotFound);
    orgs.attach_policy(MGMT, &p.id, &org.root.id).await.unwrap();
    let r = orgs.delete_policy(MGMT, &p.id).await;
    assert_eq!(code(r), ErrorCode::PolicyInUse);
    orgs.detach_policy(MGMT, &p.id, &org.root.id).await.unwrap();
    orgs.delete_policy(MGMT, &p.id).await.unwrap();
    let r = orgs.delete_policy(MGMT, &p.id).await;
    assert_eq!(code(r), ErrorCode::PolicyNotFound);
    let r = orgs.delete_policy(MGMT, FULL_AWS_ACCESS_ID).await;
    assert_eq!(code(r), ErrorCode::AccessDenied);
}

#[tokio::test]
async fn attachment_limits() {
    let (_, orgs, org) = setup().await;
    let root = org.root.id.clone();
    orgs.enable_policy_type(MGMT, &root, PolicyKind::Scp)
        .await
        .unwrap();
    let acct = new_account(&orgs, "app").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let p = orgs
            .create_policy(MGMT, &format!("p{i}"), "", PolicyKind::Scp, DENY_DELETE)
            .await
            .unwrap();
        ids.push(p.id);
    }
    for id in &ids[..4] {
        orgs.attach_policy(MGMT, id, &acct).await.unwrap();
    }
    let r = orgs.attach_policy(MGMT, &ids[4], &acct).await;
    let e = r.unwrap_err();
    assert_eq!(
        (e.code, e.reason),
        (
            ErrorCode::ConstraintViolation,
            Some("MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
        )
    );
    assert_eq!(
        e.message,
        "You have attached the maximum number of policies to the specified target."
    );
    let r = orgs.attach_policy(MGMT, &ids[0], &acct).await;
    assert_eq!(code(r), ErrorCode::DuplicatePolicyAttachment);
    let r = orgs.attach_policy(MGMT, "p-zzzzzzzz", &acct).await;
    assert_eq!(code(r), ErrorCode::PolicyNotFound);
    let r = orgs.attach_policy(MGMT, &ids[0], "123456789012").await;
    assert_eq!(code(r), ErrorCode::TargetNotFound);
    let r = orgs.attach_policy(MGMT, &ids[0], "nope").await;
    assert_eq!(reason(r).1, Some("INVALID_PATTERN_TARGET_ID"));
}

#[tokio::test]
async fn a_target_keeps_at_least_one_scp() {
    let (_, orgs, org) = setup().await;
    let root = org.root.id.clone();
    orgs.enable_policy_type(MGMT, &root, PolicyKind::Scp)
        .await
        .unwrap();
    orgs.enable_policy_type(MGMT, &root, PolicyKind::Rcp)
        .await
        .unwrap();
    let r = orgs.detach_policy(MGMT, FULL_AWS_ACCESS_ID, &root).await;
    assert_eq!(
        reason(r),
        (
            ErrorCode::ConstraintViolation,
            Some("MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
        )
    );
    let p = orgs
        .create_policy(MGMT, "allow", "", PolicyKind::Scp, ALLOW_DYNAMO)
        .await
        .unwrap();
    orgs.attach_policy(MGMT, &p.id, &root).await.unwrap();
    orgs.detach_policy(MGMT, FULL_AWS_ACCESS_ID, &root)
        .await
        .unwrap();
    let r = orgs.detach_policy(MGMT, &p.id, &root).await;
    assert_eq!(code(r), ErrorCode::ConstraintViolation);
    let r = orgs.detach_policy(MGMT, FULL_AWS_ACCESS_ID, &root).await;
    assert_eq!(code(r), ErrorCode::PolicyNotAttached);
    // RCPFullAWSAccess cannot be detached at all.
    let rcp = orgs
        .create_policy(MGMT, "tls", "", PolicyKind::Rcp, RCP_DENY)
        .await
        .unwrap();
    orgs.attach_policy(MGMT, &rcp.id, &root).await.unwrap();
    let r = orgs
        .detach_policy(MGMT, RCP_FULL_AWS_ACCESS_ID, &root)
        .await;
    assert_eq!(code(r), ErrorCode::ConstraintViolation);
    orgs.detach_policy(MGMT, &rcp.id, &root).await.unwrap();
}

#[tokio::test]
async fn delete_organization_only_when_alone() {
    let (_, orgs, _) = setup().await;
    new_account(&orgs, "app").await;
    let r = orgs.delete_organization(MGMT).await;
    assert_eq!(code(r), ErrorCode::OrganizationNotEmpty);
    let (_, orgs2, _) = setup().await;
    orgs2.delete_organization(MGMT).await.unwrap();
    assert_eq!(code(orgs2.organization(MGMT)), ErrorCode::NotInUse);
    // A new one can be created afterwards.
    orgs2
        .create_organization(MGMT, "m", "m@example.com", FeatureSet::All)
        .await
        .unwrap();
}

#[tokio::test]
async fn consolidated_billing_has_no_policies() {
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let orgs = Organizations::open(storage).unwrap();
    let org = orgs
        .create_organization(MGMT, "m", "m@example.com", FeatureSet::ConsolidatedBilling)
        .await
        .unwrap();
    let r = orgs
        .enable_policy_type(MGMT, &org.root.id, PolicyKind::Scp)
        .await;
    assert_eq!(
        reason(r),
        (
            ErrorCode::ConstraintViolation,
            Some("ORGANIZATION_NOT_IN_ALL_FEATURES_MODE")
        )
    );
}

#[tokio::test]
async fn existing_accounts_join_as_invited() {
    let (_, orgs, org) = setup().await;
    orgs.enable_policy_type(MGMT, &org.root.id, PolicyKind::Scp)
        .await
        .unwrap();
    let rec = orgs
        .add_existing_account(MGMT, "222222222222", "Legacy", "legacy@example.com")
        .await
        .unwrap();
    assert_eq!(rec.joined_method, JoinedMethod::Invited);
    assert_eq!(rec.attached, vec![FULL_AWS_ACCESS_ID.to_string()]);
    assert_eq!(orgs.principal_org_id("222222222222"), Some(org.id.clone()));
    assert!(orgs.scp_chain("222222222222").is_some());
    let r = orgs
        .add_existing_account(MGMT, "222222222222", "Again", "again@example.com")
        .await;
    assert_eq!(code(r), ErrorCode::AlreadyInOrganization);
    // An account in another organization cannot join.
    orgs.create_organization(OUTSIDER, "o", "o@example.com", FeatureSet::All)
        .await
        .unwrap();
    let r = orgs
        .add_existing_account(MGMT, OUTSIDER, "Other", "other@example.com")
        .await;
    assert_eq!(code(r), ErrorCode::AlreadyInOrganization);
    let r = orgs
        .add_existing_account(MGMT, "12", "Bad", "bad@example.com")
        .await;
    assert_eq!(reason(r).1, Some("INVALID_PATTERN"));
}
