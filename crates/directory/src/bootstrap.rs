//! Bootstrap: the `admin` user of the management account, and a declarative spec of users,
//! groups, roles, managed policies, attachments and access keys applied idempotently.
//! Applying a spec only adds or updates what it names; it never deletes anything.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::crypto::Secret;
use crate::error::{DirectoryError, ErrorCode, Result, invalid};
use crate::model::{KeyStatus, Tag};
use crate::policies::PolicyOwner;
use crate::roles::CreateRoleInput;
use crate::store::{Change, KeyEntry};
use crate::users::{new_access_key_id, new_secret};
use crate::{Directory, validate};

/// The admin user's access key.
#[derive(Debug, Clone)]
pub enum AdminKey {
    /// A key given by the operator (e.g. from environment variables).
    FromEnv { id: String, secret: Secret },
    /// Generate a key the first time (returned once, for `<data-dir>/admin-credentials`).
    Generate,
}

/// The name of the bootstrap administrator.
pub const ADMIN_USER: &str = "admin";
const ADMIN_POLICY_NAME: &str = "AdministratorAccess";
const ADMIN_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// A declarative set of identities for one account. As JSON:
///
/// ```json
/// {
///   "account": "111122223333",
///   "policies": [{"name": "ReadOrders", "path": "/app/", "document":
///     {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
///      "Action": ["dynamodb:GetItem", "dynamodb:Query"],
///      "Resource": "arn:aws:dynamodb:*:111122223333:table/orders"}]}}],
///   "groups": [{"name": "readers", "managed_policies": ["ReadOrders"]}],
///   "users": [{"name": "svc", "groups": ["readers"], "tags": {"team": "blue"},
///     "permissions_boundary": "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
///     "access_keys": [{"id": "AKIASVC0000000000001", "secret": "..."}]}],
///   "roles": [{"name": "app", "max_session_duration": 7200,
///     "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
///       "Principal": {"AWS": "arn:aws:iam::111122223333:user/svc"},
///       "Action": "sts:AssumeRole"}]},
///     "inline_policies": {"all": {"Version": "2012-10-17", "Statement":
///       [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}}}]
/// }
/// ```
///
/// `managed_policies` and `permissions_boundary` take ARNs or names of `policies` in the
/// spec. Unknown fields are rejected.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapSpec {
    /// The 12-digit account id.
    pub account: String,
    #[serde(default)]
    pub policies: Vec<BootstrapPolicy>,
    #[serde(default)]
    pub groups: Vec<BootstrapGroup>,
    #[serde(default)]
    pub users: Vec<BootstrapUser>,
    #[serde(default)]
    pub roles: Vec<BootstrapRole>,
}

/// A customer managed policy; the document is AWS policy JSON, embedded as is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapPolicy {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub document: Value,
}

/// A group with its policies. `managed_policies` entries are ARNs or names of policies in
/// the spec.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapGroup {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, Value>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
}

/// An access key with a given id and secret.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapAccessKey {
    pub id: String,
    pub secret: String,
    /// `Active` (default) or `Inactive`.
    #[serde(default)]
    pub status: Option<String>,
}

/// A user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapUser {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, Value>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub access_keys: Vec<BootstrapAccessKey>,
}

/// A role with its trust policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapRole {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub max_session_duration: Option<u32>,
    pub trust_policy: Value,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, Value>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
}

fn text(v: &Value) -> String {
    v.to_string()
}

fn same_doc(stored: &str, spec: &Value) -> bool {
    serde_json::from_str::<Value>(stored).is_ok_and(|s| s == *spec)
}

fn tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

fn is_invalid_principal(e: &DirectoryError) -> bool {
    e.code() == Some(ErrorCode::MalformedPolicyDocument)
        && e.aws_message()
            .is_some_and(|m| m.starts_with("Invalid principal"))
}

fn tags_match(have: &[Tag], want: &BTreeMap<String, String>) -> bool {
    want.iter()
        .all(|(k, v)| have.iter().any(|t| t.key == *k && t.value == *v))
}

impl Directory {
    /// Creates (idempotently) the `admin` user of `account` with an inline policy allowing
    /// everything, and its access key. Returns the key only when it was generated now.
    pub async fn ensure_admin(
        &self,
        account: &str,
        key: AdminKey,
    ) -> Result<Option<(String, Secret)>> {
        if !validate::is_account_id(account) {
            return Err(invalid(format!("{account} is not a 12-digit account id")));
        }
        if self.get_user(account, ADMIN_USER).is_err() {
            self.create_user(account, ADMIN_USER, None, &[], None)
                .await?;
        }
        let has_policy = self
            .get_inline_policy(PolicyOwner::User, account, ADMIN_USER, ADMIN_POLICY_NAME)
            .is_ok_and(|p| p.document == ADMIN_POLICY);
        if !has_policy {
            self.put_inline_policy(
                PolicyOwner::User,
                account,
                ADMIN_USER,
                ADMIN_POLICY_NAME,
                ADMIN_POLICY,
            )
            .await?;
        }
        match key {
            AdminKey::FromEnv { id, secret } => {
                self.ensure_key(account, ADMIN_USER, &id, &secret, KeyStatus::Active)
                    .await?;
                Ok(None)
            }
            AdminKey::Generate => {
                if !self.list_access_keys(account, ADMIN_USER)?.is_empty() {
                    return Ok(None);
                }
                let id = new_access_key_id("AKIA");
                let secret = new_secret();
                self.add_access_key(
                    account,
                    ADMIN_USER,
                    id.clone(),
                    secret.clone(),
                    KeyStatus::Active,
                )
                .await?;
                Ok(Some((id, secret)))
            }
        }
    }

    /// Makes sure `user` owns access key `id` with `secret` and `status`.
    async fn ensure_key(
        &self,
        account: &str,
        user: &str,
        id: &str,
        secret: &Secret,
        status: KeyStatus,
    ) -> Result<bool> {
        if id.len() < 16 || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid(format!(
                "access key id {id} must be 16 to 128 letters or digits"
            )));
        }
        if secret.expose().is_empty() {
            return Err(invalid(format!("the secret of access key {id} is empty")));
        }
        let existing = {
            let st = self.state.read();
            st.keys
                .get(id)
                .map(|k| (k.rec.clone(), k.secret == *secret))
        };
        match existing {
            None => {
                self.add_access_key(account, user, id.to_owned(), secret.clone(), status)
                    .await?;
                Ok(true)
            }
            Some((rec, same)) => {
                if rec.account != account || !rec.user_name.eq_ignore_ascii_case(user) {
                    return Err(DirectoryError::aws(
                        ErrorCode::EntityAlreadyExists,
                        format!("Access key {id} belongs to another user."),
                    ));
                }
                if same && rec.status == status {
                    return Ok(false);
                }
                let mut rec = rec;
                rec.status = status;
                rec.secret = self.keyring.seal(id, secret.expose())?;
                let entry = KeyEntry {
                    rec,
                    secret: secret.clone(),
                };
                self.mutate(|_| Ok((vec![Change::Key(id.to_owned(), Some(entry))], ())))
                    .await?;
                Ok(true)
            }
        }
    }

    /// Applies a bootstrap spec: creates what is missing and updates what differs. Returns
    /// a description of each change made (empty when the spec was already applied).
    pub async fn apply_bootstrap(&self, spec: &BootstrapSpec) -> Result<Vec<String>> {
        let acct = spec.account.as_str();
        if !validate::is_account_id(acct) {
            return Err(invalid(format!("{acct} is not a 12-digit account id")));
        }
        let mut log = Vec::new();
        // Managed policies first: everything else may refer to them.
        let mut arns: BTreeMap<String, String> = BTreeMap::new();
        for p in &spec.policies {
            let doc = text(&p.document);
            let arn = self.state.read().policy(acct, &p.name).map(|existing| {
                (
                    existing.arn(),
                    existing
                        .default()
                        .is_some_and(|v| same_doc(&v.document, &p.document)),
                    existing.versions.clone(),
                    existing.default_version.clone(),
                )
            });
            match arn {
                None => {
                    let created = self
                        .create_policy(
                            acct,
                            &p.name,
                            p.path.as_deref(),
                            &doc,
                            p.description.as_deref(),
                        )
                        .await?;
                    log.push(format!("created policy {}", created.arn()));
                    arns.insert(p.name.clone(), created.arn());
                }
                Some((arn, true, _, _)) => {
                    arns.insert(p.name.clone(), arn);
                }
                Some((arn, false, versions, default)) => {
                    if versions.len() >= 5
                        && let Some(old) = versions.iter().find(|v| v.version_id != default)
                    {
                        self.delete_policy_version(&arn, &old.version_id).await?;
                    }
                    self.create_policy_version(&arn, &doc, true).await?;
                    log.push(format!("updated policy {arn}"));
                    arns.insert(p.name.clone(), arn);
                }
            }
        }
        let resolve = |r: &str| -> String {
            if r.starts_with("arn:") {
                r.to_owned()
            } else {
                arns.get(r)
                    .cloned()
                    .unwrap_or_else(|| format!("arn:aws:iam::{acct}:policy/{r}"))
            }
        };

        for g in &spec.groups {
            if self.get_group(acct, &g.name).is_err() {
                self.create_group(acct, &g.name, g.path.as_deref()).await?;
                log.push(format!("created group {}", g.name));
            }
            self.sync_policies(
                PolicyOwner::Group,
                acct,
                &g.name,
                &g.inline_policies,
                &g.managed_policies,
                &resolve,
                &mut log,
            )
            .await?;
        }

        for u in &spec.users {
            let boundary = u.permissions_boundary.as_deref().map(&resolve);
            match self.get_user(acct, &u.name) {
                Err(_) => {
                    self.create_user(
                        acct,
                        &u.name,
                        u.path.as_deref(),
                        &tags(&u.tags),
                        boundary.as_deref(),
                    )
                    .await?;
                    log.push(format!("created user {}", u.name));
                }
                Ok(have) => {
                    if !tags_match(&have.tags, &u.tags) {
                        self.tag_user(acct, &u.name, &tags(&u.tags)).await?;
                        log.push(format!("tagged user {}", u.name));
                    }
                    if let Some(b) = &boundary
                        && have.boundary.as_deref() != Some(b.as_str())
                    {
                        self.put_permissions_boundary(PolicyOwner::User, acct, &u.name, b)
                            .await?;
                        log.push(format!("set the boundary of user {}", u.name));
                    }
                }
            }
            self.sync_policies(
                PolicyOwner::User,
                acct,
                &u.name,
                &u.inline_policies,
                &u.managed_policies,
                &resolve,
                &mut log,
            )
            .await?;
            let member_of = self.list_groups_for_user(acct, &u.name)?;
            for g in &u.groups {
                if !member_of.iter().any(|x| x.name.eq_ignore_ascii_case(g)) {
                    self.add_user_to_group(acct, g, &u.name).await?;
                    log.push(format!("added user {} to group {g}", u.name));
                }
            }
            for k in &u.access_keys {
                let status = match k.status.as_deref() {
                    None => KeyStatus::Active,
                    Some(s) => crate::users::parse_status(s)?,
                };
                if self
                    .ensure_key(acct, &u.name, &k.id, &Secret::new(k.secret.clone()), status)
                    .await?
                {
                    log.push(format!("set access key {} of user {}", k.id, u.name));
                }
            }
        }

        // Roles may trust each other: retry those whose trust policy names a role not created
        // yet until no pass makes progress.
        let mut pending: Vec<&BootstrapRole> = spec.roles.iter().collect();
        while !pending.is_empty() {
            let mut next = Vec::new();
            let mut last_err = None;
            for r in pending.iter().copied() {
                match self.apply_role(acct, r, &resolve, &mut log).await {
                    Ok(()) => {}
                    Err(e) if is_invalid_principal(&e) => {
                        next.push(r);
                        last_err = Some(e);
                    }
                    Err(e) => return Err(e),
                }
            }
            if next.len() == pending.len()
                && let Some(e) = last_err
            {
                return Err(e);
            }
            pending = next;
        }
        Ok(log)
    }

    async fn apply_role(
        &self,
        acct: &str,
        r: &BootstrapRole,
        resolve: &(dyn Fn(&str) -> String + Sync),
        log: &mut Vec<String>,
    ) -> Result<()> {
        let boundary = r.permissions_boundary.as_deref().map(resolve);
        match self.get_role(acct, &r.name) {
            Err(_) => {
                let input = CreateRoleInput {
                    name: r.name.clone(),
                    path: r.path.clone(),
                    trust_policy: text(&r.trust_policy),
                    description: r.description.clone(),
                    max_session_duration: r.max_session_duration,
                    tags: tags(&r.tags),
                    permissions_boundary: boundary,
                };
                self.create_role(acct, &input).await?;
                log.push(format!("created role {}", r.name));
            }
            Ok(have) => {
                if !same_doc(&have.trust_policy, &r.trust_policy) {
                    self.update_assume_role_policy(acct, &r.name, &text(&r.trust_policy))
                        .await?;
                    log.push(format!("updated the trust policy of role {}", r.name));
                }
                let max = r.max_session_duration.unwrap_or(have.max_session_duration);
                let desc_differs = r.description.is_some() && r.description != have.description;
                if max != have.max_session_duration || desc_differs {
                    self.update_role(acct, &r.name, r.description.as_deref(), Some(max))
                        .await?;
                    log.push(format!("updated role {}", r.name));
                }
                if !tags_match(&have.tags, &r.tags) {
                    self.tag_role(acct, &r.name, &tags(&r.tags)).await?;
                    log.push(format!("tagged role {}", r.name));
                }
                if let Some(b) = &boundary
                    && have.boundary.as_deref() != Some(b.as_str())
                {
                    self.put_permissions_boundary(PolicyOwner::Role, acct, &r.name, b)
                        .await?;
                    log.push(format!("set the boundary of role {}", r.name));
                }
            }
        }
        self.sync_policies(
            PolicyOwner::Role,
            acct,
            &r.name,
            &r.inline_policies,
            &r.managed_policies,
            resolve,
            log,
        )
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn sync_policies(
        &self,
        owner: PolicyOwner,
        acct: &str,
        name: &str,
        inline: &BTreeMap<String, Value>,
        managed: &[String],
        resolve: &(dyn Fn(&str) -> String + Sync),
        log: &mut Vec<String>,
    ) -> Result<()> {
        for (pname, doc) in inline {
            let same = self
                .get_inline_policy(owner, acct, name, pname)
                .is_ok_and(|p| same_doc(&p.document, doc));
            if !same {
                self.put_inline_policy(owner, acct, name, pname, &text(doc))
                    .await?;
                log.push(format!("put inline policy {pname} on {name}"));
            }
        }
        let attached = self.list_attached_policies(owner, acct, name, None)?;
        for m in managed {
            let arn = resolve(m);
            if !attached.iter().any(|a| a.arn == arn) {
                self.attach_policy(owner, acct, name, &arn).await?;
                log.push(format!("attached {arn} to {name}"));
            }
        }
        Ok(())
    }
}
