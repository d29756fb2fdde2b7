//! STS: AssumeRole (trust policy evaluated with the policy engine) and GetSessionToken.

use std::sync::Arc;

use palisade_iam::{CompiledPolicy, Effect, PolicyKind, PolicySet, PolicyType};

use crate::crypto::{SECRET_ALPHABET, Secret, random_string};
use crate::error::{DirectoryError, ErrorCode, Result, invalid};
use crate::identity::{Caller, PrincipalKind};
use crate::model::{SessionOwner, SessionRecord, Tag, now};
use crate::policies::default_document;
use crate::store::{Change, SessionEntry, State, token_context};
use crate::users::{new_access_key_id, new_secret};
use crate::{Directory, validate};

/// The parameters of AssumeRole.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    pub role_arn: String,
    pub role_session_name: String,
    pub duration_seconds: Option<u32>,
    /// Inline session policy (JSON text).
    pub policy: Option<String>,
    /// Managed session policy ARNs.
    pub policy_arns: Vec<String>,
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub external_id: Option<String>,
    pub source_identity: Option<String>,
}

/// Temporary credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Unix seconds.
    pub expiration: i64,
}

/// The result of AssumeRole or GetSessionToken.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub credentials: Credentials,
    /// `arn:aws:sts::A:assumed-role/ROLE/SESSION` (AssumeRole only).
    pub assumed_role_arn: Option<String>,
    /// `AROA...:SESSION` (AssumeRole only).
    pub assumed_role_id: Option<String>,
    /// Percentage of the packed session policy and tag allowance used, when either was given.
    pub packed_policy_size: Option<u32>,
    pub source_identity: Option<String>,
}

fn range(field: &str, v: u32, min: u32, max: u32) -> Result<()> {
    let msg = |c: String| {
        invalid(format!(
            "1 validation error detected: Value '{v}' at '{field}' failed to satisfy constraint: Member must have value {c}"
        ))
    };
    if v < min {
        return Err(msg(format!("greater than or equal to {min}")));
    }
    if v > max {
        return Err(msg(format!("less than or equal to {max}")));
    }
    Ok(())
}

fn denied(caller: &Caller, action: &str, resource: &str) -> DirectoryError {
    DirectoryError::aws(
        ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {action} on resource: {resource}",
            caller.arn
        ),
    )
}

/// Splits `arn:aws:iam::ACCT:role/path/NAME` into (account, name).
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, res) = rest.split_once(':')?;
    let res = res.strip_prefix("role/")?;
    let name = res.rsplit('/').next()?;
    (!name.is_empty()).then_some((account, name))
}

/// Compiles the session policies of a session record from the current directory state.
pub(crate) fn compile_session_policies(st: &State, rec: &SessionRecord) -> Arc<[CompiledPolicy]> {
    let mut out = Vec::new();
    if let Some(text) = &rec.policy
        && let Ok(p) = CompiledPolicy::parse(text, PolicyType::Identity)
    {
        out.push(p.with_label("session policy"));
    }
    for arn in &rec.policy_arns {
        if let Some(doc) = default_document(st, arn)
            && let Ok(p) = CompiledPolicy::parse(doc, PolicyType::Identity)
        {
            out.push(p.with_label(arn.clone()));
        }
    }
    Arc::from(out)
}

fn new_token() -> Secret {
    Secret::new(random_string(SECRET_ALPHABET, 356))
}

/// Expired sessions to drop while writing (bounded, so one write stays small).
fn expired(st: &State, now: i64) -> Vec<Change> {
    st.sessions
        .iter()
        .filter(|(_, s)| s.rec.expires <= now - crate::store::EXPIRED_GRACE)
        .take(100)
        .map(|(id, _)| Change::Session(id.clone(), None))
        .collect()
}

impl Directory {
    /// AssumeRole by `caller`: checks the input, evaluates the role's trust policy together
    /// with the caller's identity policies, boundary and session policies, and issues
    /// temporary credentials. SCPs are not part of this evaluation.
    pub async fn assume_role(
        &self,
        caller: &Caller,
        input: &AssumeRoleInput,
    ) -> Result<IssuedSession> {
        validate::length("roleArn", &input.role_arn, 20, 2048)?;
        validate::session_name(&input.role_session_name)?;
        let duration = input.duration_seconds.unwrap_or(3600);
        range("durationSeconds", duration, 900, 43200)?;
        if let Some(x) = &input.external_id {
            validate::length("externalId", x, 2, 1224)?;
        }
        if let Some(x) = &input.source_identity {
            validate::length("sourceIdentity", x, 2, 64)?;
        }
        if let Some(p) = &input.policy {
            validate::length("policy", p, 1, 2048)?;
            validate::identity_document(p)?;
        }
        if input.policy_arns.len() > 10 {
            return Err(invalid(format!(
                "1 validation error detected: Value '{}' at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10",
                input.policy_arns.len()
            )));
        }
        if input.tags.len() > 50 {
            return Err(invalid(format!(
                "1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
                input.tags.len()
            )));
        }
        let new_tags = validate::merge_tags(&[], &input.tags, "SessionTags")?;
        let chained = caller.kind == PrincipalKind::AssumedRole;
        if chained && duration > 3600 {
            return Err(invalid(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        let Some((role_account, role_name)) = parse_role_arn(&input.role_arn) else {
            return Err(invalid(format!(
                "1 validation error detected: Value '{}' at 'roleArn' failed to satisfy constraint: Member must be a valid ARN",
                input.role_arn
            )));
        };
        // Transitive tags of the calling session flow on and cannot be overridden.
        let mut session_tags = new_tags;
        let mut transitive: Vec<String> = input
            .transitive_tag_keys
            .iter()
            .map(|k| k.to_ascii_lowercase())
            .collect();
        if let Some(s) = &caller.session {
            for t in &s.session_tags {
                let k = t.key.to_ascii_lowercase();
                if s.transitive_tag_keys.contains(&k) {
                    if input
                        .tags
                        .iter()
                        .any(|x| x.key.eq_ignore_ascii_case(&t.key))
                    {
                        return Err(DirectoryError::aws(
                            ErrorCode::InvalidInput,
                            format!("Cannot override transitive session tag {}.", t.key),
                        ));
                    }
                    session_tags.push(t.clone());
                    if !transitive.contains(&k) {
                        transitive.push(k);
                    }
                }
            }
        }
        let inherited_source = caller
            .session
            .as_ref()
            .and_then(|s| s.source_identity.clone());
        if let (Some(old), Some(new)) = (&inherited_source, &input.source_identity)
            && old != new
        {
            return Err(denied(caller, "sts:SetSourceIdentity", &input.role_arn));
        }
        let source_identity = inherited_source.or_else(|| input.source_identity.clone());

        // Authorization against the trust policy.
        let caller_policies = self.principal_policies(&caller.entity);
        let caller_session = self.session_policy(&caller.access_key_id);
        let (role, trust) = {
            let st = self.state.read();
            let role = st
                .role(role_account, role_name)
                .filter(|r| r.arn() == input.role_arn)
                .cloned()
                .ok_or_else(|| denied(caller, "sts:AssumeRole", &input.role_arn))?;
            let trust = CompiledPolicy::parse(&role.trust_policy, PolicyType::Trust)
                .map_err(|_| denied(caller, "sts:AssumeRole", &input.role_arn))?
                .with_label(format!("{} trust policy", role.arn()));
            (role, trust)
        };
        if !chained && duration > role.max_session_duration {
            return Err(invalid(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        let set = PolicySet {
            identity: &caller_policies.identity,
            permissions_boundary: caller_policies.boundary.as_ref(),
            session_policies: &caller_session,
            resource_policy: Some(&trust),
            ..PolicySet::default()
        };
        let mut actions = vec!["sts:AssumeRole"];
        if !input.tags.is_empty() || !input.transitive_tag_keys.is_empty() {
            actions.push("sts:TagSession");
        }
        if input.source_identity.is_some() {
            actions.push("sts:SetSourceIdentity");
        }
        for action in actions {
            let mut ctx = caller.request_context(action, &input.role_arn);
            ctx.insert("sts:RoleSessionName", input.role_session_name.as_str());
            if let Some(x) = &input.external_id {
                ctx.insert("sts:ExternalId", x.as_str());
            }
            if let Some(x) = &input.source_identity {
                ctx.insert("sts:SourceIdentity", x.as_str());
            }
            if !input.tags.is_empty() {
                for t in &input.tags {
                    ctx.insert(&format!("aws:RequestTag/{}", t.key), t.value.as_str());
                }
                ctx.insert(
                    "aws:TagKeys",
                    input.tags.iter().map(|t| t.key.clone()).collect::<Vec<_>>(),
                );
            }
            if !input.transitive_tag_keys.is_empty() {
                ctx.insert("sts:TransitiveTagKeys", input.transitive_tag_keys.clone());
            }
            for t in &role.tags {
                ctx.insert(&format!("aws:ResourceTag/{}", t.key), t.value.as_str());
                ctx.insert(&format!("iam:ResourceTag/{}", t.key), t.value.as_str());
            }
            let (d, trace) = set.evaluate_traced(&ctx);
            let trusted = trace
                .iter()
                .any(|s| s.kind == PolicyKind::Resource && s.effect == Effect::Allow);
            if !d.is_allowed() || !trusted {
                return Err(denied(caller, action, &input.role_arn));
            }
        }

        let packed =
            (input.policy.is_some() || !input.policy_arns.is_empty() || !session_tags.is_empty())
                .then(|| {
                    let chars = input.policy.as_deref().map_or(0, validate::counted_size)
                        + input.policy_arns.iter().map(String::len).sum::<usize>()
                        + session_tags
                            .iter()
                            .map(|t| t.key.len() + t.value.len())
                            .sum::<usize>();
                    u32::try_from(chars * 100 / 2048).unwrap_or(u32::MAX).max(1)
                });
        if packed.is_some_and(|p| p > 100) {
            return Err(DirectoryError::aws(
                ErrorCode::PackedPolicyTooLarge,
                format!(
                    "Packed size of session policies and session tags exceeds the limit ({}%).",
                    packed.unwrap_or(0)
                ),
            ));
        }
        let owner = SessionOwner::Role {
            role_name: role.name.clone(),
            role_arn: role.arn(),
            role_id: role.id.clone(),
            session_name: input.role_session_name.clone(),
        };
        let mut issued = self
            .issue(
                &role.account,
                owner,
                duration,
                input.policy.clone(),
                input.policy_arns.clone(),
                session_tags,
                transitive,
                source_identity.clone(),
                chained,
            )
            .await?;
        issued.assumed_role_arn = Some(format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            role.account, role.name, input.role_session_name
        ));
        issued.assumed_role_id = Some(format!("{}:{}", role.id, input.role_session_name));
        issued.packed_policy_size = packed;
        issued.source_identity = source_identity;
        Ok(issued)
    }

    /// GetSessionToken by an IAM user with long-term credentials (900..=129600 s, default
    /// 43200).
    pub async fn get_session_token(
        &self,
        caller: &Caller,
        duration: Option<u32>,
    ) -> Result<IssuedSession> {
        let duration = duration.unwrap_or(43200);
        let max = if caller.kind == PrincipalKind::Root {
            3600
        } else {
            129_600
        };
        range("durationSeconds", duration, 900, max)?;
        if caller.session.is_some() {
            return Err(DirectoryError::aws(
                ErrorCode::AccessDenied,
                "Cannot call GetSessionToken with session credentials",
            ));
        }
        let Some(user) = caller
            .username
            .clone()
            .filter(|_| caller.kind == PrincipalKind::User)
        else {
            return Err(denied(caller, "sts:GetSessionToken", "*"));
        };
        self.issue(
            &caller.account,
            SessionOwner::User { user_name: user },
            duration,
            None,
            Vec::new(),
            Vec::new(),
            Vec::new(),
            None,
            false,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn issue(
        &self,
        account: &str,
        owner: SessionOwner,
        duration: u32,
        policy: Option<String>,
        policy_arns: Vec<String>,
        session_tags: Vec<Tag>,
        transitive_tag_keys: Vec<String>,
        source_identity: Option<String>,
        chained: bool,
    ) -> Result<IssuedSession> {
        let akid = new_access_key_id("ASIA");
        let secret = new_secret();
        let token = new_token();
        let t = now();
        let rec = SessionRecord {
            access_key_id: akid.clone(),
            account: account.to_owned(),
            owner,
            secret: self.keyring.seal(&akid, secret.expose())?,
            token: self.keyring.seal(&token_context(&akid), token.expose())?,
            created: t,
            expires: t + i64::from(duration),
            policy,
            policy_arns,
            session_tags,
            transitive_tag_keys,
            source_identity,
            chained,
        };
        let expiration = rec.expires;
        self.mutate(|st| {
            let policies = compile_session_policies(st, &rec);
            let mut changes = expired(st, t);
            changes.push(Change::Session(
                akid.clone(),
                Some(Box::new(SessionEntry {
                    rec,
                    secret: secret.clone(),
                    token: token.clone(),
                    policies,
                })),
            ));
            Ok((changes, ()))
        })
        .await?;
        Ok(IssuedSession {
            credentials: Credentials {
                access_key_id: akid,
                secret_access_key: secret,
                session_token: token,
                expiration,
            },
            assumed_role_arn: None,
            assumed_role_id: None,
            packed_policy_size: None,
            source_identity: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AdminKey;
    use crate::store::EXPIRED_GRACE;

    #[tokio::test]
    async fn expired_sessions_are_reported_then_purged() {
        let d = Directory::in_memory();
        let (id, _) = d
            .ensure_admin("111122223333", AdminKey::Generate)
            .await
            .unwrap()
            .unwrap();
        let caller = d.lookup_access_key(&id).unwrap().caller;
        let owner = SessionOwner::User {
            user_name: "admin".into(),
        };
        let s = d
            .issue(
                "111122223333",
                owner,
                0,
                None,
                vec![],
                vec![],
                vec![],
                None,
                false,
            )
            .await
            .unwrap();
        let akid = s.credentials.access_key_id.clone();
        // Expired, but still known, so the caller can answer ExpiredToken.
        let k = d.lookup_access_key(&akid).unwrap();
        assert!(k.is_expired(now()));
        assert_eq!(k.caller.kind, PrincipalKind::User);
        assert!(k.caller.session.is_some());
        d.get_session_token(&caller, None).await.unwrap();
        assert!(
            d.lookup_access_key(&akid).is_some(),
            "kept during the grace period"
        );
        // Past the grace period the next issued session purges it.
        d.state.write().sessions.get_mut(&akid).unwrap().rec.expires = now() - EXPIRED_GRACE - 1;
        d.get_session_token(&caller, Some(900)).await.unwrap();
        assert!(d.lookup_access_key(&akid).is_none());
    }
}
