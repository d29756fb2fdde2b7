//! `palisade serve --bootstrap FILE`: a declarative seed of the organization and the identities
//! of every account, applied at start and idempotent (applying it again changes nothing), for
//! tests and GitOps-style setups. AWS JSON policies are embedded verbatim.
//!
//! ```json
//! {
//!   "organization": {
//!     "service_control_policies": true,
//!     "organizational_units": [{"name": "production"}],
//!     "accounts": [{"id": "222233334444", "name": "prod", "email": "prod@example.com",
//!                   "parent": "production"}],
//!     "policies": [{"name": "vpc-only", "type": "SERVICE_CONTROL_POLICY",
//!                   "content": {"Version": "2012-10-17", "Statement": []},
//!                   "targets": ["production"]}]
//!   },
//!   "accounts": [{"account": "222233334444", "roles": [...], "users": [...]}]
//! }
//! ```
//! Targets and parents name an OU by name, an account by id, or `root`. The organization's
//! management account is the server's own account.

use std::path::Path;

use palisade_directory::{BootstrapSpec, Directory};
use palisade_organizations::{FeatureSet, OrgError, Organizations, PolicyKind};
use serde::Deserialize;
use serde_json::Value;

/// The whole bootstrap file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapFile {
    #[serde(default)]
    pub organization: Option<OrganizationSpec>,
    /// Identities (users, groups, roles, keys, policies) per account.
    #[serde(default)]
    pub accounts: Vec<BootstrapSpec>,
}

/// The organization of the server's account.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationSpec {
    #[serde(default)]
    pub service_control_policies: bool,
    #[serde(default)]
    pub resource_control_policies: bool,
    /// Created in order, so a parent comes before its children.
    #[serde(default)]
    pub organizational_units: Vec<OuSpec>,
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
    #[serde(default)]
    pub policies: Vec<PolicySpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OuSpec {
    pub name: String,
    /// An OU name, or `root` (the default).
    #[serde(default)]
    pub parent: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    pub id: String,
    pub name: String,
    pub email: String,
    /// An OU name, or `root` (the default).
    #[serde(default)]
    pub parent: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub name: String,
    /// `SERVICE_CONTROL_POLICY` or `RESOURCE_CONTROL_POLICY`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    /// The policy document, as AWS JSON.
    pub content: Value,
    /// OU names, account ids or `root`.
    #[serde(default)]
    pub targets: Vec<String>,
}

/// Reads a bootstrap file.
pub fn read(path: &Path) -> Result<BootstrapFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the bootstrap file {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("the bootstrap file {} is not valid: {e}", path.display()))
}

fn org_error(what: &str, e: OrgError) -> String {
    format!("bootstrap: cannot {what}: {e}")
}

/// Resolves a target or parent name (`root`, an OU name, an account id) to its id.
fn resolve(orgs: &Organizations, management: &str, name: &str) -> Result<String, String> {
    let org = orgs
        .organization(management)
        .map_err(|e| org_error("read the organization", e))?;
    if name == "root" {
        return Ok(org.root.id.clone());
    }
    if org.accounts.contains_key(name) {
        return Ok(name.to_string());
    }
    org.ous
        .values()
        .find(|ou| ou.name == name)
        .map(|ou| ou.id.clone())
        .ok_or_else(|| format!("bootstrap: no OU or account named {name}"))
}

/// Applies the organization part.
async fn apply_organization(
    orgs: &Organizations,
    management: &str,
    spec: &OrganizationSpec,
) -> Result<(), String> {
    if orgs.organization(management).is_err() {
        orgs.create_organization(
            management,
            management,
            &format!("{management}@palisade.invalid"),
            FeatureSet::All,
        )
        .await
        .map_err(|e| org_error("create the organization", e))?;
    }
    for (wanted, kind) in [
        (spec.service_control_policies, PolicyKind::Scp),
        (spec.resource_control_policies, PolicyKind::Rcp),
    ] {
        let org = orgs
            .organization(management)
            .map_err(|e| org_error("read the organization", e))?;
        if wanted && !org.root.enabled.contains(&kind) {
            let root = org.root.id.clone();
            orgs.enable_policy_type(management, &root, kind)
                .await
                .map_err(|e| org_error("enable a policy type", e))?;
        }
    }
    for ou in &spec.organizational_units {
        let parent = resolve(orgs, management, ou.parent.as_deref().unwrap_or("root"))?;
        let org = orgs
            .organization(management)
            .map_err(|e| org_error("read the organization", e))?;
        if !org
            .ous
            .values()
            .any(|o| o.name == ou.name && o.parent == parent)
        {
            orgs.create_organizational_unit(management, &parent, &ou.name)
                .await
                .map_err(|e| org_error(&format!("create the OU {}", ou.name), e))?;
        }
    }
    for account in &spec.accounts {
        let org = orgs
            .organization(management)
            .map_err(|e| org_error("read the organization", e))?;
        if !org.accounts.contains_key(&account.id) {
            orgs.add_existing_account(management, &account.id, &account.name, &account.email)
                .await
                .map_err(|e| org_error(&format!("add the account {}", account.id), e))?;
        }
        let wanted = resolve(
            orgs,
            management,
            account.parent.as_deref().unwrap_or("root"),
        )?;
        let org = orgs
            .organization(management)
            .map_err(|e| org_error("read the organization", e))?;
        let current = org
            .accounts
            .get(&account.id)
            .map(|a| a.parent.clone())
            .unwrap_or_default();
        if current != wanted {
            orgs.move_account(management, &account.id, &current, &wanted)
                .await
                .map_err(|e| org_error(&format!("move the account {}", account.id), e))?;
        }
    }
    for policy in &spec.policies {
        let kind = PolicyKind::from_wire(&policy.kind)
            .ok_or_else(|| format!("bootstrap: unknown policy type {}", policy.kind))?;
        let content = policy.content.to_string();
        let org = orgs
            .organization(management)
            .map_err(|e| org_error("read the organization", e))?;
        let id = match org
            .policies
            .values()
            .find(|p| p.name == policy.name && p.kind == kind)
        {
            Some(p) if p.content == content && p.description == policy.description => p.id.clone(),
            Some(p) => {
                let id = p.id.clone();
                orgs.update_policy(
                    management,
                    &id,
                    None,
                    Some(&policy.description),
                    Some(&content),
                )
                .await
                .map_err(|e| org_error(&format!("update the policy {}", policy.name), e))?;
                id
            }
            None => {
                orgs.create_policy(
                    management,
                    &policy.name,
                    &policy.description,
                    kind,
                    &content,
                )
                .await
                .map_err(|e| org_error(&format!("create the policy {}", policy.name), e))?
                .id
            }
        };
        for target in &policy.targets {
            let target_id = resolve(orgs, management, target)?;
            let org = orgs
                .organization(management)
                .map_err(|e| org_error("read the organization", e))?;
            let attached = if target_id == org.root.id {
                org.root.attached.contains(&id)
            } else if let Some(ou) = org.ous.get(&target_id) {
                ou.attached.contains(&id)
            } else {
                org.accounts
                    .get(&target_id)
                    .is_some_and(|a| a.attached.contains(&id))
            };
            if !attached {
                orgs.attach_policy(management, &id, &target_id)
                    .await
                    .map_err(|e| org_error(&format!("attach {} to {target}", policy.name), e))?;
            }
        }
    }
    Ok(())
}

/// Applies a bootstrap file with the server's account as the management account.
pub async fn apply(
    file: &BootstrapFile,
    directory: &Directory,
    orgs: &Organizations,
    management: &str,
) -> Result<(), String> {
    if let Some(spec) = &file.organization {
        apply_organization(orgs, management, spec).await?;
    }
    for spec in &file.accounts {
        directory
            .apply_bootstrap(spec)
            .await
            .map_err(|e| format!("bootstrap: account {}: {e}", spec.account))?;
    }
    Ok(())
}
