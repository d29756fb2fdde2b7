//! Roles: trust policies, session duration, tags.

use palisade_iam::PolicyType;

use crate::error::{Result, conflict, exists, invalid, malformed, no_such};
use crate::model::{Role, Tag, now};
use crate::store::{Change, State};
use crate::users::new_id;
use crate::{Directory, validate};

/// The parameters of CreateRole.
#[derive(Debug, Clone, Default)]
pub struct CreateRoleInput {
    pub name: String,
    pub path: Option<String>,
    /// The trust policy document (JSON text).
    pub trust_policy: String,
    pub description: Option<String>,
    /// Seconds, 3600..=43200; default 3600.
    pub max_session_duration: Option<u32>,
    pub tags: Vec<Tag>,
    pub permissions_boundary: Option<String>,
}

/// IAM resolves the users and roles a trust policy names when it is stored and rejects the
/// document if one does not exist (checked for the role's own account, the one Palisade
/// knows completely).
fn check_trust(st: &State, account: &str, role_name: &str, text: &str) -> Result<()> {
    let policy = validate::document(text, PolicyType::Trust)?;
    for arn in validate::local_principals(&policy, account) {
        let rest = arn.rsplit('/').next().unwrap_or_default();
        let found = if arn.contains(":user/") {
            st.user(account, rest).is_some_and(|u| u.arn() == arn)
        } else {
            rest.eq_ignore_ascii_case(role_name)
                || st.role(account, rest).is_some_and(|r| r.arn() == arn)
        };
        if !found {
            let p = format!("\"AWS\":\"{arn}\"");
            return Err(malformed(format!("Invalid principal in policy: {p}")));
        }
    }
    Ok(())
}

pub(crate) fn role_not_found(name: &str) -> crate::DirectoryError {
    no_such(format!("The role with name {name} cannot be found."))
}

pub(crate) fn get_role<'s>(st: &'s State, account: &str, name: &str) -> Result<&'s Role> {
    st.role(account, name).ok_or_else(|| role_not_found(name))
}

/// Checks a MaxSessionDuration value.
pub(crate) fn check_max_session(v: u32) -> Result<()> {
    let msg = |c: &str| {
        invalid(format!(
            "1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value {c}"
        ))
    };
    if v < 3600 {
        return Err(msg("greater than or equal to 3600"));
    }
    if v > 43200 {
        return Err(msg("less than or equal to 43200"));
    }
    Ok(())
}

impl Directory {
    /// CreateRole.
    pub async fn create_role(&self, account: &str, input: &CreateRoleInput) -> Result<Role> {
        validate::name("roleName", &input.name, 64)?;
        let path = input.path.clone().unwrap_or_else(|| "/".to_owned());
        validate::path(&path)?;
        if let Some(d) = &input.description {
            validate::length("description", d, 0, 1000)?;
        }
        let max = input.max_session_duration.unwrap_or(3600);
        check_max_session(max)?;
        validate::document(&input.trust_policy, PolicyType::Trust)?;
        let tags = validate::merge_tags(&[], &input.tags, "TagsPerRole")?;
        self.mutate(|st| {
            if st.role(account, &input.name).is_some() {
                return Err(exists(format!(
                    "Role with name {} already exists.",
                    input.name
                )));
            }
            if let Some(b) = &input.permissions_boundary {
                crate::policies::check_boundary(st, b)?;
            }
            check_trust(st, account, &input.name, &input.trust_policy)?;
            let role = Role {
                account: account.to_owned(),
                path,
                name: input.name.clone(),
                id: new_id("AROA"),
                created: now(),
                trust_policy: input.trust_policy.clone(),
                description: input.description.clone(),
                max_session_duration: max,
                tags,
                boundary: input.permissions_boundary.clone(),
                inline: Vec::new(),
                attached: Vec::new(),
            };
            Ok((vec![Change::role(&role)], role))
        })
        .await
    }

    /// GetRole.
    pub fn get_role(&self, account: &str, name: &str) -> Result<Role> {
        get_role(&self.state.read(), account, name).cloned()
    }

    /// ListRoles, sorted by name.
    pub fn list_roles(&self, account: &str, prefix: Option<&str>) -> Vec<Role> {
        let st = self.state.read();
        st.account(account)
            .map(|a| {
                a.roles
                    .values()
                    .filter(|r| prefix.is_none_or(|p| r.path.starts_with(p)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// UpdateAssumeRolePolicy.
    pub async fn update_assume_role_policy(
        &self,
        account: &str,
        name: &str,
        trust_policy: &str,
    ) -> Result<()> {
        validate::document(trust_policy, PolicyType::Trust)?;
        self.mutate(|st| {
            let mut r = get_role(st, account, name)?.clone();
            check_trust(st, account, &r.name, trust_policy)?;
            r.trust_policy = trust_policy.to_owned();
            Ok((vec![Change::role(&r)], ()))
        })
        .await
    }

    /// UpdateRole: description and maximum session duration.
    pub async fn update_role(
        &self,
        account: &str,
        name: &str,
        description: Option<&str>,
        max_session_duration: Option<u32>,
    ) -> Result<()> {
        if let Some(d) = description {
            validate::length("description", d, 0, 1000)?;
        }
        if let Some(m) = max_session_duration {
            check_max_session(m)?;
        }
        self.mutate(|st| {
            let mut r = get_role(st, account, name)?.clone();
            if let Some(d) = description {
                r.description = Some(d.to_owned());
            }
            if let Some(m) = max_session_duration {
                r.max_session_duration = m;
            }
            Ok((vec![Change::role(&r)], ()))
        })
        .await
    }

    /// DeleteRole: the role must have no policies. Its sessions stay valid until they expire
    /// but carry no permissions (as in AWS).
    pub async fn delete_role(&self, account: &str, name: &str) -> Result<()> {
        self.mutate(|st| {
            let r = get_role(st, account, name)?;
            if !r.inline.is_empty() {
                return Err(conflict(
                    "Cannot delete entity, must delete policies first.",
                ));
            }
            if !r.attached.is_empty() {
                return Err(conflict(
                    "Cannot delete entity, must detach all policies first.",
                ));
            }
            let c = Change::Role(account.to_owned(), r.name.to_ascii_lowercase(), None);
            Ok((vec![c], ()))
        })
        .await
    }

    /// TagRole.
    pub async fn tag_role(&self, account: &str, name: &str, tags: &[Tag]) -> Result<()> {
        self.mutate(|st| {
            let mut r = get_role(st, account, name)?.clone();
            r.tags = validate::merge_tags(&r.tags, tags, "TagsPerRole")?;
            Ok((vec![Change::role(&r)], ()))
        })
        .await
    }

    /// UntagRole.
    pub async fn untag_role(&self, account: &str, name: &str, keys: &[String]) -> Result<()> {
        self.mutate(|st| {
            let mut r = get_role(st, account, name)?.clone();
            r.tags
                .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok((vec![Change::role(&r)], ()))
        })
        .await
    }
}
