//! The rules of every change to an organization, as pure functions on [`OrgData`]: input
//! syntax, existence, limits (5 policies per type per target, OU depth 5, at least one SCP per
//! target), the automatic FullAWSAccess / RCPFullAWSAccess attachments, and policy documents
//! validated by `palisade_iam`. The caller persists the result.

use crate::error::{ErrorCode, OrgError};
use crate::model::{
    AccountRec, CreateAccountStatus, FeatureSet, JoinedMethod, MAX_ATTACHMENTS, MAX_OU_DEPTH,
    MAX_OUS, MAX_POLICIES_PER_TYPE, MAX_POLICY_CHARS, OrgData, OuRec, PolicyKind, PolicyRec,
    RootRec, TargetKind, builtin_policies, now_ms, random_alnum,
};

fn is_lower_alnum(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// `r-` + 4..32 lowercase letters or digits.
pub fn is_root_id(s: &str) -> bool {
    s.strip_prefix("r-")
        .is_some_and(|r| is_lower_alnum(r, 4, 32))
}

/// `ou-` + 4..32 + `-` + 8..32 lowercase letters or digits.
pub fn is_ou_id(s: &str) -> bool {
    s.strip_prefix("ou-")
        .and_then(|r| r.split_once('-'))
        .is_some_and(|(a, b)| is_lower_alnum(a, 4, 32) && is_lower_alnum(b, 8, 32))
}

/// Exactly 12 digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `p-` + 8..128 letters, digits or `_`.
pub fn is_policy_id(s: &str) -> bool {
    s.strip_prefix("p-").is_some_and(|r| {
        (8..=128).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

fn pattern(field: &str) -> OrgError {
    OrgError::invalid(
        "INVALID_PATTERN",
        format!("You specified a value for {field} that is not valid."),
    )
}

fn check_parent_syntax(id: &str, field: &str) -> Result<(), OrgError> {
    if is_root_id(id) || is_ou_id(id) {
        Ok(())
    } else {
        Err(pattern(field))
    }
}

fn check_name(name: &str, field: &str, max: usize) -> Result<(), OrgError> {
    let n = name.chars().count();
    if n == 0 {
        return Err(OrgError::invalid(
            "MIN_LENGTH_EXCEEDED",
            format!("You provided a string for {field} that is shorter than the minimum length 1."),
        ));
    }
    if n > max {
        return Err(OrgError::invalid(
            "MAX_LENGTH_EXCEEDED",
            format!(
                "You provided a string for {field} that is longer than the maximum length {max}."
            ),
        ));
    }
    Ok(())
}

/// Validates an SCP or RCP document: size, then the policy language.
pub fn validate_content(kind: PolicyKind, content: &str) -> Result<(), OrgError> {
    if content.chars().count() > MAX_POLICY_CHARS {
        return Err(OrgError::constraint("POLICY_CONTENT_LIMIT_EXCEEDED"));
    }
    match palisade_iam::Policy::parse(content, kind.iam_type()) {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::debug!(error = %e, "organizations: malformed policy document");
            Err(OrgError::new(ErrorCode::MalformedPolicyDocument))
        }
    }
}

/// A new organization with its root and the management account (`INVITED`).
pub fn new_org(
    management: &str,
    name: &str,
    email: &str,
    feature_set: FeatureSet,
) -> Result<OrgData, OrgError> {
    if !is_account_id(management) {
        return Err(pattern("AccountId"));
    }
    let root_id = format!("r-{}", random_alnum(4));
    let mut org = OrgData {
        version: 0,
        id: format!("o-{}", random_alnum(10)),
        management_account: management.to_string(),
        feature_set,
        root: RootRec {
            id: root_id.clone(),
            name: "Root".to_string(),
            enabled: Vec::new(),
            attached: Vec::new(),
        },
        ous: Default::default(),
        accounts: Default::default(),
        policies: Default::default(),
        create_requests: Default::default(),
    };
    org.accounts.insert(
        management.to_string(),
        AccountRec {
            id: management.to_string(),
            name: name.to_string(),
            email: email.to_string(),
            joined_method: JoinedMethod::Invited,
            joined_ms: now_ms(),
            parent: root_id,
            attached: Vec::new(),
        },
    );
    Ok(org)
}

/// The AWS-managed policies a new OU or account starts with.
fn default_attachments(org: &OrgData) -> Vec<String> {
    [PolicyKind::Scp, PolicyKind::Rcp]
        .into_iter()
        .filter(|k| org.enabled(*k))
        .map(|k| k.full_access_id().to_string())
        .collect()
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    (6..=64).contains(&email.len())
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
        && !domain.contains('@')
}

/// CreateAccount with the id chosen by the caller (unique across all organizations). A
/// duplicate email gives a FAILED status, as AWS reports it (`EMAIL_ALREADY_EXISTS`).
pub fn create_account(
    org: &mut OrgData,
    account_id: &str,
    name: &str,
    email: &str,
) -> Result<CreateAccountStatus, OrgError> {
    check_name(name, "AccountName", 50)?;
    if !valid_email(email) {
        return Err(OrgError::invalid(
            "INVALID_EMAIL_ADDRESS_TARGET",
            "You specified an invalid email address for the invited account owner.",
        ));
    }
    let now = now_ms();
    let mut status = CreateAccountStatus {
        id: format!("car-{}", random_alnum(32)),
        account_name: name.to_string(),
        state: "SUCCEEDED".to_string(),
        requested_ms: now,
        completed_ms: now,
        account_id: Some(account_id.to_string()),
        failure_reason: None,
    };
    if org
        .accounts
        .values()
        .any(|a| a.email.eq_ignore_ascii_case(email))
    {
        status.state = "FAILED".to_string();
        status.account_id = None;
        status.failure_reason = Some("EMAIL_ALREADY_EXISTS".to_string());
    } else {
        let attached = default_attachments(org);
        org.accounts.insert(
            account_id.to_string(),
            AccountRec {
                id: account_id.to_string(),
                name: name.to_string(),
                email: email.to_string(),
                joined_method: JoinedMethod::Created,
                joined_ms: now,
                parent: org.root.id.clone(),
                attached,
            },
        );
    }
    org.create_requests
        .insert(status.id.clone(), status.clone());
    Ok(status)
}

/// Adds an existing account to the organization under the root, as if it had accepted an
/// invitation (`INVITED`). The caller checks that it belongs to no other organization.
pub fn add_invited_account(
    org: &mut OrgData,
    account_id: &str,
    name: &str,
    email: &str,
) -> Result<AccountRec, OrgError> {
    if !is_account_id(account_id) {
        return Err(pattern("AccountId"));
    }
    check_name(name, "AccountName", 50)?;
    if !valid_email(email) {
        return Err(OrgError::invalid(
            "INVALID_EMAIL_ADDRESS_TARGET",
            "You specified an invalid email address for the invited account owner.",
        ));
    }
    if org.accounts.contains_key(account_id) {
        return Err(ErrorCode::AlreadyInOrganization.into());
    }
    let rec = AccountRec {
        id: account_id.to_string(),
        name: name.to_string(),
        email: email.to_string(),
        joined_method: JoinedMethod::Invited,
        joined_ms: now_ms(),
        parent: org.root.id.clone(),
        attached: default_attachments(org),
    };
    org.accounts.insert(account_id.to_string(), rec.clone());
    Ok(rec)
}

/// The number of OUs from the root down to `id` inclusive (the root itself is depth 0).
fn depth(org: &OrgData, id: &str) -> usize {
    if id == org.root.id {
        0
    } else {
        org.ancestors(id).len()
    }
}

/// CreateOrganizationalUnit.
pub fn create_ou(org: &mut OrgData, parent: &str, name: &str) -> Result<OuRec, OrgError> {
    check_parent_syntax(parent, "ParentId")?;
    check_name(name, "Name", 128)?;
    if !org.is_container(parent) {
        return Err(ErrorCode::ParentNotFound.into());
    }
    if depth(org, parent) + 1 > MAX_OU_DEPTH {
        return Err(OrgError::constraint("OU_DEPTH_LIMIT_EXCEEDED"));
    }
    if org.ous.len() >= MAX_OUS {
        return Err(OrgError::constraint("OU_NUMBER_LIMIT_EXCEEDED"));
    }
    if org
        .ous
        .values()
        .any(|o| o.parent == parent && o.name == name)
    {
        return Err(ErrorCode::DuplicateOrganizationalUnit.into());
    }
    let root_part = org.root.id.trim_start_matches("r-").to_string();
    let id = loop {
        let id = format!("ou-{root_part}-{}", random_alnum(8));
        if !org.ous.contains_key(&id) {
            break id;
        }
    };
    let ou = OuRec {
        id: id.clone(),
        name: name.to_string(),
        parent: parent.to_string(),
        attached: default_attachments(org),
    };
    org.ous.insert(id, ou.clone());
    Ok(ou)
}

/// DeleteOrganizationalUnit: only an empty OU; its attachments go with it.
pub fn delete_ou(org: &mut OrgData, ou: &str) -> Result<(), OrgError> {
    if !is_ou_id(ou) {
        return Err(pattern("OrganizationalUnitId"));
    }
    if !org.ous.contains_key(ou) {
        return Err(ErrorCode::OrganizationalUnitNotFound.into());
    }
    let has_children =
        org.ous.values().any(|o| o.parent == ou) || org.accounts.values().any(|a| a.parent == ou);
    if has_children {
        return Err(ErrorCode::OrganizationalUnitNotEmpty.into());
    }
    org.ous.remove(ou);
    Ok(())
}

/// MoveAccount.
pub fn move_account(
    org: &mut OrgData,
    account: &str,
    source: &str,
    destination: &str,
) -> Result<(), OrgError> {
    if !is_account_id(account) {
        return Err(pattern("AccountId"));
    }
    check_parent_syntax(source, "SourceParentId")?;
    check_parent_syntax(destination, "DestinationParentId")?;
    if !org.is_container(source) {
        return Err(ErrorCode::SourceParentNotFound.into());
    }
    if !org.is_container(destination) {
        return Err(ErrorCode::DestinationParentNotFound.into());
    }
    let Some(acct) = org.accounts.get_mut(account) else {
        return Err(ErrorCode::AccountNotFound.into());
    };
    if acct.parent != source {
        return Err(ErrorCode::AccountNotFound.into());
    }
    if acct.parent == destination {
        return Err(ErrorCode::DuplicateAccount.into());
    }
    acct.parent = destination.to_string();
    Ok(())
}

fn check_root(org: &OrgData, root: &str) -> Result<(), OrgError> {
    if !is_root_id(root) {
        return Err(pattern("RootId"));
    }
    if root != org.root.id {
        return Err(ErrorCode::RootNotFound.into());
    }
    Ok(())
}

/// EnablePolicyType: the type's AWS-managed policy is attached to the root, every OU and
/// every account.
pub fn enable_policy_type(org: &mut OrgData, root: &str, kind: PolicyKind) -> Result<(), OrgError> {
    check_root(org, root)?;
    if org.feature_set != FeatureSet::All {
        return Err(OrgError::constraint(
            "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE",
        ));
    }
    if org.enabled(kind) {
        return Err(ErrorCode::PolicyTypeAlreadyEnabled.into());
    }
    org.root.enabled.push(kind);
    org.root.enabled.sort();
    let full = kind.full_access_id();
    for target in org.all_targets() {
        if let Some(list) = org.attached_mut(&target)
            && !list.iter().any(|p| p == full)
        {
            list.push(full.to_string());
        }
    }
    Ok(())
}

/// DisablePolicyType: every policy of the type is detached from every target.
pub fn disable_policy_type(
    org: &mut OrgData,
    root: &str,
    kind: PolicyKind,
) -> Result<(), OrgError> {
    check_root(org, root)?;
    if !org.enabled(kind) {
        return Err(ErrorCode::PolicyTypeNotEnabled.into());
    }
    org.root.enabled.retain(|k| *k != kind);
    let of_kind: Vec<String> = org
        .attached_policy_ids()
        .into_iter()
        .filter(|p| org.policy(p).is_some_and(|v| v.kind == kind))
        .collect();
    for target in org.all_targets() {
        if let Some(list) = org.attached_mut(&target) {
            list.retain(|p| !of_kind.contains(p));
        }
    }
    Ok(())
}

impl OrgData {
    /// Every distinct policy id attached anywhere.
    fn attached_policy_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .all_targets()
            .iter()
            .filter_map(|t| self.attached(t))
            .flatten()
            .cloned()
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The targets a policy is attached to, in root / OU / account order.
    pub fn targets_of(&self, policy: &str) -> Vec<String> {
        self.all_targets()
            .into_iter()
            .filter(|t| {
                self.attached(t)
                    .is_some_and(|l| l.iter().any(|p| p == policy))
            })
            .collect()
    }
}

fn check_policy_fields(name: &str, description: &str) -> Result<(), OrgError> {
    check_name(name, "Name", 128)?;
    if description.chars().count() > 512 {
        return Err(OrgError::invalid(
            "MAX_LENGTH_EXCEEDED",
            "You provided a string for Description that is longer than the maximum length 512.",
        ));
    }
    Ok(())
}

fn name_taken(org: &OrgData, kind: PolicyKind, name: &str, except: Option<&str>) -> bool {
    builtin_policies()
        .iter()
        .any(|b| b.kind == kind && b.name == name)
        || org
            .policies
            .values()
            .any(|p| p.kind == kind && p.name == name && Some(p.id.as_str()) != except)
}

/// CreatePolicy (the type need not be enabled).
pub fn create_policy(
    org: &mut OrgData,
    name: &str,
    description: &str,
    kind: PolicyKind,
    content: &str,
) -> Result<PolicyRec, OrgError> {
    check_policy_fields(name, description)?;
    validate_content(kind, content)?;
    if name_taken(org, kind, name, None) {
        return Err(ErrorCode::DuplicatePolicy.into());
    }
    if org.policies.values().filter(|p| p.kind == kind).count() >= MAX_POLICIES_PER_TYPE {
        return Err(OrgError::constraint("POLICY_NUMBER_LIMIT_EXCEEDED"));
    }
    let id = loop {
        let id = format!("p-{}", random_alnum(8));
        if !org.policies.contains_key(&id) {
            break id;
        }
    };
    let rec = PolicyRec {
        id: id.clone(),
        name: name.to_string(),
        description: description.to_string(),
        kind,
        content: content.to_string(),
    };
    org.policies.insert(id, rec.clone());
    Ok(rec)
}

fn customer_policy<'a>(org: &'a mut OrgData, id: &str) -> Result<&'a mut PolicyRec, OrgError> {
    if !is_policy_id(id) {
        return Err(pattern("PolicyId"));
    }
    if org.policy(id).is_some_and(|p| p.aws_managed) {
        // AWS-managed policies cannot be changed or deleted.
        return Err(ErrorCode::AccessDenied.into());
    }
    org.policies
        .get_mut(id)
        .ok_or_else(|| ErrorCode::PolicyNotFound.into())
}

/// UpdatePolicy: any of name, description and content.
pub fn update_policy(
    org: &mut OrgData,
    id: &str,
    name: Option<&str>,
    description: Option<&str>,
    content: Option<&str>,
) -> Result<PolicyRec, OrgError> {
    let current = customer_policy(org, id)?.clone();
    let name = name.unwrap_or(&current.name);
    let description = description.unwrap_or(&current.description);
    check_policy_fields(name, description)?;
    if let Some(c) = content {
        validate_content(current.kind, c)?;
    }
    if name_taken(org, current.kind, name, Some(id)) {
        return Err(ErrorCode::DuplicatePolicy.into());
    }
    let rec = customer_policy(org, id)?;
    rec.name = name.to_string();
    rec.description = description.to_string();
    if let Some(c) = content {
        rec.content = c.to_string();
    }
    Ok(rec.clone())
}

/// DeletePolicy: only when attached nowhere.
pub fn delete_policy(org: &mut OrgData, id: &str) -> Result<(), OrgError> {
    customer_policy(org, id)?;
    if !org.targets_of(id).is_empty() {
        return Err(ErrorCode::PolicyInUse.into());
    }
    org.policies.remove(id);
    Ok(())
}

fn check_target_syntax(id: &str) -> Result<(), OrgError> {
    if is_root_id(id) || is_ou_id(id) || is_account_id(id) {
        Ok(())
    } else {
        Err(OrgError::invalid(
            "INVALID_PATTERN_TARGET_ID",
            "You specified a policy target ID that doesn't match the required pattern.",
        ))
    }
}

fn policy_and_target(org: &OrgData, policy: &str, target: &str) -> Result<PolicyKind, OrgError> {
    if !is_policy_id(policy) {
        return Err(pattern("PolicyId"));
    }
    check_target_syntax(target)?;
    let kind = org
        .policy(policy)
        .map(|p| p.kind)
        .ok_or_else(|| OrgError::new(ErrorCode::PolicyNotFound))?;
    if org.target_kind(target).is_none() {
        return Err(ErrorCode::TargetNotFound.into());
    }
    if !org.enabled(kind) {
        return Err(ErrorCode::PolicyTypeNotEnabled.into());
    }
    Ok(kind)
}

fn count_of_kind(org: &OrgData, list: &[String], kind: PolicyKind) -> usize {
    list.iter()
        .filter(|p| org.policy(p).is_some_and(|v| v.kind == kind))
        .count()
}

/// AttachPolicy: at most five policies of a type on one target.
pub fn attach_policy(org: &mut OrgData, policy: &str, target: &str) -> Result<(), OrgError> {
    let kind = policy_and_target(org, policy, target)?;
    let list = org.attached(target).cloned().unwrap_or_default();
    if list.iter().any(|p| p == policy) {
        return Err(ErrorCode::DuplicatePolicyAttachment.into());
    }
    if count_of_kind(org, &list, kind) >= MAX_ATTACHMENTS {
        return Err(OrgError::constraint(
            "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        ));
    }
    if let Some(l) = org.attached_mut(target) {
        l.push(policy.to_string());
    }
    Ok(())
}

/// DetachPolicy: a target keeps at least one SCP; RCPFullAWSAccess cannot be detached.
pub fn detach_policy(org: &mut OrgData, policy: &str, target: &str) -> Result<(), OrgError> {
    let kind = policy_and_target(org, policy, target)?;
    let list = org.attached(target).cloned().unwrap_or_default();
    if !list.iter().any(|p| p == policy) {
        return Err(ErrorCode::PolicyNotAttached.into());
    }
    let last_scp = kind == PolicyKind::Scp && count_of_kind(org, &list, kind) <= 1;
    let rcp_full = policy == PolicyKind::Rcp.full_access_id();
    if last_scp || rcp_full {
        return Err(OrgError::constraint(
            "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        ));
    }
    if let Some(l) = org.attached_mut(target) {
        l.retain(|p| p != policy);
    }
    Ok(())
}

/// The parent of a child (ListParents), with its kind.
pub fn parent_of(org: &OrgData, child: &str) -> Result<(String, TargetKind), OrgError> {
    if !(is_ou_id(child) || is_account_id(child)) {
        return Err(pattern("ChildId"));
    }
    let parent = org
        .parent_of(child)
        .ok_or_else(|| OrgError::new(ErrorCode::ChildNotFound))?;
    let kind = if parent == org.root.id {
        TargetKind::Root
    } else {
        TargetKind::OrganizationalUnit
    };
    Ok((parent.to_string(), kind))
}

/// Checks a ParentId of a listing call and that it exists.
pub fn check_parent(org: &OrgData, parent: &str) -> Result<(), OrgError> {
    check_parent_syntax(parent, "ParentId")?;
    if org.is_container(parent) {
        Ok(())
    } else {
        Err(ErrorCode::ParentNotFound.into())
    }
}

/// Checks a TargetId of ListPoliciesForTarget and that it exists.
pub fn check_target(org: &OrgData, target: &str) -> Result<(), OrgError> {
    check_target_syntax(target)?;
    if org.target_kind(target).is_some() {
        Ok(())
    } else {
        Err(ErrorCode::TargetNotFound.into())
    }
}
