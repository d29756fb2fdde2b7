//! Inline policies of users, groups and roles; customer managed policies with versions;
//! attachments; permissions boundaries; the AWS managed policies Palisade knows.

use std::sync::OnceLock;

use crate::error::{DirectoryError, Result, conflict, exists, invalid, limit, no_such};
use crate::model::{Group, InlinePolicy, ManagedPolicy, PolicyVersion, Role, User, now};
use crate::roles::get_role;
use crate::store::{Change, State};
use crate::users::{get_group, get_user, new_id};
use crate::{Directory, validate};

/// The kind of entity a policy is put on or attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyOwner {
    User,
    Group,
    Role,
}

impl PolicyOwner {
    fn word(self) -> &'static str {
        match self {
            PolicyOwner::User => "user",
            PolicyOwner::Group => "group",
            PolicyOwner::Role => "role",
        }
    }

    fn quota_word(self) -> &'static str {
        match self {
            PolicyOwner::User => "User",
            PolicyOwner::Group => "Group",
            PolicyOwner::Role => "Role",
        }
    }

    /// The aggregate size limit of inline policies (non-whitespace characters).
    fn inline_limit(self) -> usize {
        match self {
            PolicyOwner::User => 2_048,
            PolicyOwner::Group => 5_120,
            PolicyOwner::Role => 10_240,
        }
    }
}

/// A managed policy attached to an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    pub name: String,
    pub arn: String,
}

/// A mutable copy of a user, group or role.
enum Entity {
    User(User),
    Group(Group),
    Role(Role),
}

impl Entity {
    fn load(st: &State, owner: PolicyOwner, account: &str, name: &str) -> Result<Entity> {
        Ok(match owner {
            PolicyOwner::User => Entity::User(get_user(st, account, name)?.clone()),
            PolicyOwner::Group => Entity::Group(get_group(st, account, name)?.clone()),
            PolicyOwner::Role => Entity::Role(get_role(st, account, name)?.clone()),
        })
    }

    fn name(&self) -> &str {
        match self {
            Entity::User(u) => &u.name,
            Entity::Group(g) => &g.name,
            Entity::Role(r) => &r.name,
        }
    }

    fn inline(&mut self) -> &mut Vec<InlinePolicy> {
        match self {
            Entity::User(u) => &mut u.inline,
            Entity::Group(g) => &mut g.inline,
            Entity::Role(r) => &mut r.inline,
        }
    }

    fn attached(&mut self) -> &mut Vec<String> {
        match self {
            Entity::User(u) => &mut u.attached,
            Entity::Group(g) => &mut g.attached,
            Entity::Role(r) => &mut r.attached,
        }
    }

    fn boundary(&mut self) -> Option<&mut Option<String>> {
        match self {
            Entity::User(u) => Some(&mut u.boundary),
            Entity::Group(_) => None,
            Entity::Role(r) => Some(&mut r.boundary),
        }
    }

    fn change(&self) -> Change {
        match self {
            Entity::User(u) => Change::user(u),
            Entity::Group(g) => Change::group(g),
            Entity::Role(r) => Change::role(r),
        }
    }
}

fn policy_not_found(arn: &str) -> DirectoryError {
    no_such(format!("Policy {arn} was not found."))
}

fn not_attachable(arn: &str) -> DirectoryError {
    no_such(format!("Policy {arn} does not exist or is not attachable."))
}

/// The AWS managed policies Palisade provides (simplified to their DynamoDB-relevant parts).
pub(crate) fn aws_managed() -> &'static [ManagedPolicy] {
    static CELL: OnceLock<Vec<ManagedPolicy>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mk = |name: &str, id: &str, doc: &str| ManagedPolicy {
            account: "aws".to_owned(),
            path: "/".to_owned(),
            name: name.to_owned(),
            id: id.to_owned(),
            description: None,
            created: 1_423_000_000,
            updated: 1_423_000_000,
            default_version: "v1".to_owned(),
            next_version: 2,
            versions: vec![PolicyVersion {
                version_id: "v1".to_owned(),
                document: doc.to_owned(),
                created: 1_423_000_000,
            }],
        };
        vec![
            mk(
                "AdministratorAccess",
                "ANPAIWMBCKSKIEE64ZLYK",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            ),
            mk(
                "AmazonDynamoDBFullAccess",
                "ANPAINUGF2JSOSUY76KYA",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}"#,
            ),
            mk(
                "AmazonDynamoDBReadOnlyAccess",
                "ANPAIY2XFNA232XJ6J7X2",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:BatchGetItem","dynamodb:ConditionCheckItem","dynamodb:Describe*","dynamodb:Get*","dynamodb:List*","dynamodb:PartiQLSelect","dynamodb:Query","dynamodb:Scan"],"Resource":"*"}]}"#,
            ),
        ]
    })
}

/// A managed policy by ARN: a customer managed one or an AWS managed one.
pub(crate) fn find_policy<'s>(st: &'s State, arn: &str) -> Option<&'s ManagedPolicy> {
    st.policy_by_arn(arn)
        .or_else(|| aws_managed().iter().find(|p| p.arn() == arn))
}

/// The default version's document of a managed policy.
pub(crate) fn default_document<'s>(st: &'s State, arn: &str) -> Option<&'s str> {
    find_policy(st, arn)
        .and_then(ManagedPolicy::default)
        .map(|v| v.document.as_str())
}

/// Checks that a permissions boundary ARN names an existing managed policy.
pub(crate) fn check_boundary(st: &State, arn: &str) -> Result<()> {
    validate::policy_arn("permissionsBoundary", arn)?;
    if find_policy(st, arn).is_none() {
        return Err(no_such(format!(
            "Scope ARN: {arn} does not exist or is not attachable."
        )));
    }
    Ok(())
}

/// How many entities the policy is attached to, and how many use it as a boundary.
fn usage(st: &State, p: &ManagedPolicy) -> (usize, usize) {
    attachments_in(st, &p.account, &p.arn())
}

fn check_version_id(v: &str) -> Result<()> {
    let ok = v
        .strip_prefix('v')
        .map(|n| n.split('.').next().unwrap_or(""))
        .is_some_and(|n| {
            !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())
        });
    if !ok {
        return Err(invalid(format!(
            "1 validation error detected: Value '{v}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"
        )));
    }
    Ok(())
}

fn local_policy<'s>(st: &'s State, arn: &str) -> Result<&'s ManagedPolicy> {
    validate::policy_arn("policyArn", arn)?;
    st.policy_by_arn(arn).ok_or_else(|| policy_not_found(arn))
}

impl Directory {
    /// Put{User,Group,Role}Policy: adds or replaces an inline policy.
    pub async fn put_inline_policy(
        &self,
        owner: PolicyOwner,
        account: &str,
        entity: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()> {
        validate::name("policyName", policy_name, 128)?;
        validate::inline_document(document)?;
        self.mutate(|st| {
            let mut e = Entity::load(st, owner, account, entity)?;
            let list = e.inline();
            match list.iter_mut().find(|p| p.name == policy_name) {
                Some(p) => p.document = document.to_owned(),
                None => list.push(InlinePolicy {
                    name: policy_name.to_owned(),
                    document: document.to_owned(),
                }),
            }
            let total: usize = list
                .iter()
                .map(|p| validate::counted_size(&p.document))
                .sum();
            if total > owner.inline_limit() {
                return Err(limit(format!(
                    "Maximum policy size of {} bytes exceeded for {} {}.",
                    owner.inline_limit(),
                    owner.word(),
                    e.name()
                )));
            }
            Ok((vec![e.change()], ()))
        })
        .await
    }

    /// Get{User,Group,Role}Policy: the document as stored.
    pub fn get_inline_policy(
        &self,
        owner: PolicyOwner,
        account: &str,
        entity: &str,
        policy_name: &str,
    ) -> Result<InlinePolicy> {
        let st = self.state.read();
        let mut e = Entity::load(&st, owner, account, entity)?;
        e.inline()
            .iter()
            .find(|p| p.name == policy_name)
            .cloned()
            .ok_or_else(|| {
                no_such(format!(
                    "The {} policy with name {policy_name} cannot be found.",
                    owner.word()
                ))
            })
    }

    /// List{User,Group,Role}Policies: inline policy names, sorted.
    pub fn list_inline_policies(
        &self,
        owner: PolicyOwner,
        account: &str,
        entity: &str,
    ) -> Result<Vec<String>> {
        let st = self.state.read();
        let mut e = Entity::load(&st, owner, account, entity)?;
        let mut names: Vec<String> = e.inline().iter().map(|p| p.name.clone()).collect();
        names.sort();
        Ok(names)
    }

    /// Delete{User,Group,Role}Policy.
    pub async fn delete_inline_policy(
        &self,
        owner: PolicyOwner,
        account: &str,
        entity: &str,
        policy_name: &str,
    ) -> Result<()> {
        self.mutate(|st| {
            let mut e = Entity::load(st, owner, account, entity)?;
            let list = e.inline();
            let before = list.len();
            list.retain(|p| p.name != policy_name);
            if list.len() == before {
                return Err(no_such(format!(
                    "The {} policy with name {policy_name} cannot be found.",
                    owner.word()
                )));
            }
            Ok((vec![e.change()], ()))
        })
        .await
    }

    /// CreatePolicy: a customer managed policy with version `v1` as default.
    pub async fn create_policy(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<&str>,
    ) -> Result<ManagedPolicy> {
        validate::name("policyName", name, 128)?;
        let path = path.unwrap_or("/");
        validate::path(path)?;
        if let Some(d) = description {
            validate::length("description", d, 0, 1000)?;
        }
        validate::identity_document(document)?;
        self.mutate(|st| {
            if st.policy(account, name).is_some() {
                return Err(exists(format!(
                    "A policy called {name} already exists. Duplicate names are not allowed."
                )));
            }
            let t = now();
            let p = ManagedPolicy {
                account: account.to_owned(),
                path: path.to_owned(),
                name: name.to_owned(),
                id: new_id("ANPA"),
                description: description.map(str::to_owned),
                created: t,
                updated: t,
                default_version: "v1".to_owned(),
                next_version: 2,
                versions: vec![PolicyVersion {
                    version_id: "v1".to_owned(),
                    document: document.to_owned(),
                    created: t,
                }],
            };
            Ok((vec![Change::policy(&p)], p))
        })
        .await
    }

    /// GetPolicy: the policy, its attachment count and boundary usage count.
    pub fn get_policy(&self, arn: &str) -> Result<(ManagedPolicy, usize, usize)> {
        validate::policy_arn("policyArn", arn)?;
        let st = self.state.read();
        let p = find_policy(&st, arn).ok_or_else(|| policy_not_found(arn))?;
        let (a, b) = usage(&st, p);
        Ok((p.clone(), a, b))
    }

    /// ListPolicies: `scope` is `All`, `AWS` or `Local`; with usage counts; sorted by name.
    pub fn list_policies(
        &self,
        account: &str,
        scope: &str,
        only_attached: bool,
        prefix: Option<&str>,
    ) -> Vec<(ManagedPolicy, usize, usize)> {
        let st = self.state.read();
        let mut out = Vec::new();
        if scope != "Local" {
            for p in aws_managed() {
                let (a, b) = attachments_in(&st, account, &p.arn());
                out.push((p.clone(), a, b));
            }
        }
        if scope != "AWS"
            && let Some(acct) = st.account(account)
        {
            for p in acct.policies.values() {
                let (a, b) = usage(&st, p);
                out.push((p.clone(), a, b));
            }
        }
        out.retain(|(p, a, _)| {
            (!only_attached || *a > 0) && prefix.is_none_or(|x| p.path.starts_with(x))
        });
        out.sort_by_key(|(p, _, _)| p.name.to_ascii_lowercase());
        out
    }

    /// DeletePolicy: not attached, not a boundary, and only the default version left.
    pub async fn delete_policy(&self, arn: &str) -> Result<()> {
        self.mutate(|st| {
            let p = local_policy(st, arn)?;
            let (a, b) = usage(st, p);
            if a + b > 0 {
                return Err(conflict("Cannot delete a policy attached to entities."));
            }
            if p.versions.len() > 1 {
                return Err(conflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
                ));
            }
            let c = Change::Policy(p.account.clone(), p.name.to_ascii_lowercase(), None);
            Ok((vec![c], ()))
        })
        .await
    }

    /// CreatePolicyVersion (at most 5 versions).
    pub async fn create_policy_version(
        &self,
        arn: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<PolicyVersion> {
        validate::identity_document(document)?;
        self.mutate(|st| {
            let mut p = local_policy(st, arn)?.clone();
            if p.versions.len() >= 5 {
                return Err(limit(
                    "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
                ));
            }
            let t = now();
            let v = PolicyVersion {
                version_id: format!("v{}", p.next_version),
                document: document.to_owned(),
                created: t,
            };
            p.next_version += 1;
            p.updated = t;
            if set_as_default {
                p.default_version = v.version_id.clone();
            }
            p.versions.push(v.clone());
            Ok((vec![Change::policy(&p)], v))
        })
        .await
    }

    /// GetPolicyVersion.
    pub fn get_policy_version(&self, arn: &str, version_id: &str) -> Result<(PolicyVersion, bool)> {
        check_version_id(version_id)?;
        let st = self.state.read();
        let p = find_policy(&st, arn).ok_or_else(|| policy_not_found(arn))?;
        let v = p
            .versions
            .iter()
            .find(|v| v.version_id == version_id)
            .ok_or_else(|| {
                no_such(format!(
                    "Policy {arn} version {version_id} does not exist or is not attachable."
                ))
            })?;
        Ok((v.clone(), v.version_id == p.default_version))
    }

    /// ListPolicyVersions, newest first, with the default flag.
    pub fn list_policy_versions(&self, arn: &str) -> Result<Vec<(PolicyVersion, bool)>> {
        validate::policy_arn("policyArn", arn)?;
        let st = self.state.read();
        let p = find_policy(&st, arn).ok_or_else(|| policy_not_found(arn))?;
        Ok(p.versions
            .iter()
            .rev()
            .map(|v| (v.clone(), v.version_id == p.default_version))
            .collect())
    }

    /// DeletePolicyVersion (not the default one).
    pub async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<()> {
        check_version_id(version_id)?;
        self.mutate(|st| {
            let mut p = local_policy(st, arn)?.clone();
            if p.default_version == version_id {
                return Err(conflict("Cannot delete the default version of a policy."));
            }
            let before = p.versions.len();
            p.versions.retain(|v| v.version_id != version_id);
            if p.versions.len() == before {
                return Err(no_such(format!(
                    "Policy {arn} version {version_id} does not exist or is not attachable."
                )));
            }
            Ok((vec![Change::policy(&p)], ()))
        })
        .await
    }

    /// SetDefaultPolicyVersion.
    pub async fn set_default_policy_version(&self, arn: &str, version_id: &str) -> Result<()> {
        check_version_id(version_id)?;
        self.mutate(|st| {
            let mut p = local_policy(st, arn)?.clone();
            if !p.versions.iter().any(|v| v.version_id == version_id) {
                return Err(no_such(format!(
                    "Policy {arn} version {version_id} does not exist or is not attachable."
                )));
            }
            p.default_version = version_id.to_owned();
            p.updated = now();
            Ok((vec![Change::policy(&p)], ()))
        })
        .await
    }

    /// Attach{User,Group,Role}Policy (attaching again changes nothing; at most 10).
    pub async fn attach_policy(
        &self,
        owner: PolicyOwner,
        account: &str,
        entity: &str,
        arn: &str,
    ) -> Result<()> {
        validate::policy_arn("policyArn", arn)?;
        self.mutate(|st| {
            let mut e = Entity::load(st, owner, account, entity)?;
            if find_policy(st, arn).is_none() {
                return Err(not_attachable(arn));
            }
            let list = e.attached();
            if list.iter().any(|a| a == arn) {
                return Ok((Vec::new(), ()));
            }
            if list.len() >= 10 {
                return Err(limit(format!(
                    "Cannot exceed quota for PoliciesPer{}: 10",
                    owner.quota_word()
                )));
            }
            list.push(arn.to_owned());
            Ok((vec![e.change()], ()))
        })
        .await
    }

    /// Detach{User,Group,Role}Policy.
    pub async fn detach_policy(
        &self,
        owner: PolicyOwner,
        account: &str,
        entity: &str,
        arn: &str,
    ) -> Result<()> {
        validate::policy_arn("policyArn", arn)?;
        self.mutate(|st| {
            let mut e = Entity::load(st, owner, account, entity)?;
            let list = e.attached();
            let before = list.len();
            list.retain(|a| a != arn);
            if list.len() == before {
                return Err(policy_not_found(arn));
            }
            Ok((vec![e.change()], ()))
        })
        .await
    }

    /// ListAttached{User,Group,Role}Policies, in attachment order.
    pub fn list_attached_policies(
        &self,
        owner: PolicyOwner,
        account: &str,
        entity: &str,
        prefix: Option<&str>,
    ) -> Result<Vec<AttachedPolicy>> {
        let st = self.state.read();
        let mut e = Entity::load(&st, owner, account, entity)?;
        Ok(e.attached()
            .iter()
            .filter_map(|arn| {
                let (_, path, name) = validate::parse_policy_arn(arn)?;
                prefix
                    .is_none_or(|p| path.starts_with(p))
                    .then(|| AttachedPolicy {
                        name: name.to_owned(),
                        arn: arn.clone(),
                    })
            })
            .collect())
    }

    /// Put{User,Role}PermissionsBoundary (`owner` must be User or Role).
    pub async fn put_permissions_boundary(
        &self,
        owner: PolicyOwner,
        account: &str,
        entity: &str,
        arn: &str,
    ) -> Result<()> {
        self.mutate(|st| {
            let mut e = Entity::load(st, owner, account, entity)?;
            check_boundary(st, arn)?;
            let Some(b) = e.boundary() else {
                return Err(invalid("Groups cannot have permissions boundaries."));
            };
            *b = Some(arn.to_owned());
            Ok((vec![e.change()], ()))
        })
        .await
    }

    /// Delete{User,Role}PermissionsBoundary.
    pub async fn delete_permissions_boundary(
        &self,
        owner: PolicyOwner,
        account: &str,
        entity: &str,
    ) -> Result<()> {
        self.mutate(|st| {
            let mut e = Entity::load(st, owner, account, entity)?;
            let Some(b) = e.boundary() else {
                return Err(invalid("Groups cannot have permissions boundaries."));
            };
            *b = None;
            Ok((vec![e.change()], ()))
        })
        .await
    }
}

/// Usage of an AWS managed policy within one account.
fn attachments_in(st: &State, account: &str, arn: &str) -> (usize, usize) {
    let Some(a) = st.account(account) else {
        return (0, 0);
    };
    let has = |v: &Vec<String>| v.iter().any(|x| x == arn);
    let attached = a.users.values().filter(|u| has(&u.attached)).count()
        + a.groups.values().filter(|g| has(&g.attached)).count()
        + a.roles.values().filter(|r| has(&r.attached)).count();
    let boundary = a
        .users
        .values()
        .filter(|u| u.boundary.as_deref() == Some(arn))
        .count()
        + a.roles
            .values()
            .filter(|r| r.boundary.as_deref() == Some(arn))
            .count();
    (attached, boundary)
}
