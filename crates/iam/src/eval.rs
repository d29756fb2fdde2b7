//! The whole decision: every policy type, explicit deny first, then the required allows
//! (IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic").

use crate::compile::{CompiledPolicy, Grant};
use crate::context::{PrincipalType, RequestContextOf};
use crate::decision::{Deciding, Decision, Outcome, PolicyKind, StatementRef};
use crate::model::Effect;

/// The policies that take part in one request, borrowed from where the server caches them.
/// Building one costs nothing; every policy inside is already compiled.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// Identity-based policies: the user's, its groups', or the role's (inline and managed).
    pub identity: &'a [CompiledPolicy],
    /// The permissions boundary of the user or role, if any.
    pub permissions_boundary: Option<&'a CompiledPolicy>,
    /// The session policies passed when the session was created; empty = none.
    pub session_policies: &'a [CompiledPolicy],
    /// The resource-based policy of the resource, if any.
    pub resource_policy: Option<&'a CompiledPolicy>,
    /// The policy documents of the VPC endpoint the request came through; empty = the
    /// request did not come through an endpoint.
    pub endpoint_policies: &'a [CompiledPolicy],
    /// The SCPs of the caller's account, one list per level, root first; empty = no
    /// organization.
    pub scps: &'a [Vec<CompiledPolicy>],
    /// The RCPs of the resource's account, one list per level, root first; empty = none.
    pub rcps: &'a [Vec<CompiledPolicy>],
    /// The caller's account is the organization's management account (SCPs do not apply).
    pub principal_in_management_account: bool,
    /// The resource is in the management account (RCPs do not apply).
    pub resource_in_management_account: bool,
    /// Caller and resource are in the same organization (AWS then gives the reason in the
    /// AccessDenied message even across accounts).
    pub same_organization: bool,
}

/// An owned set of compiled policies, for callers that build a set once and evaluate many
/// requests against it (the simulator, tests, benchmarks).
#[derive(Debug, Clone, Default)]
pub struct OwnedPolicySet {
    /// See [`PolicySet::identity`].
    pub identity: Vec<CompiledPolicy>,
    /// See [`PolicySet::permissions_boundary`].
    pub permissions_boundary: Option<CompiledPolicy>,
    /// See [`PolicySet::session_policies`].
    pub session_policies: Vec<CompiledPolicy>,
    /// See [`PolicySet::resource_policy`].
    pub resource_policy: Option<CompiledPolicy>,
    /// See [`PolicySet::endpoint_policies`].
    pub endpoint_policies: Vec<CompiledPolicy>,
    /// See [`PolicySet::scps`].
    pub scps: Vec<Vec<CompiledPolicy>>,
    /// See [`PolicySet::rcps`].
    pub rcps: Vec<Vec<CompiledPolicy>>,
    /// See [`PolicySet::principal_in_management_account`].
    pub principal_in_management_account: bool,
    /// See [`PolicySet::resource_in_management_account`].
    pub resource_in_management_account: bool,
    /// See [`PolicySet::same_organization`].
    pub same_organization: bool,
}

impl OwnedPolicySet {
    /// Borrows the set for evaluation.
    pub fn as_set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: &self.identity,
            permissions_boundary: self.permissions_boundary.as_ref(),
            session_policies: &self.session_policies,
            resource_policy: self.resource_policy.as_ref(),
            endpoint_policies: &self.endpoint_policies,
            scps: &self.scps,
            rcps: &self.rcps,
            principal_in_management_account: self.principal_in_management_account,
            resource_in_management_account: self.resource_in_management_account,
            same_organization: self.same_organization,
        }
    }
}

/// What the policies of one kind said about the request.
#[derive(Clone, Copy, Default)]
struct Verdict<'a> {
    deny: Option<StatementRef<'a>>,
    allow: Option<(StatementRef<'a>, Grant)>,
}

/// Evaluates a list of policies of one kind.
fn judge<'a>(
    policies: &'a [CompiledPolicy],
    kind: PolicyKind,
    level: Option<usize>,
    ctx: &RequestContextOf<'_>,
    has_boundary: bool,
    mut trace: Option<&mut Vec<StatementRef<'a>>>,
) -> Verdict<'a> {
    let mut v = Verdict::default();
    let parts = ctx.resource_parts();
    for policy in policies {
        for i in policy.candidates(ctx.service_lower()) {
            let Some(st) = policy.statements.get(i) else {
                continue;
            };
            // Once a deny is known, further allows cannot change this kind's verdict.
            if trace.is_none() && v.deny.is_some() {
                return v;
            }
            let Some(grant) = st.applies(ctx, parts, has_boundary) else {
                continue;
            };
            let r = StatementRef {
                kind,
                policy: policy.label(),
                sid: st.sid.as_deref(),
                index: i,
                level,
                effect: st.effect,
            };
            if let Some(t) = trace.as_deref_mut() {
                t.push(r);
            }
            match st.effect {
                Effect::Deny => {
                    if v.deny.is_none() {
                        v.deny = Some(r);
                    }
                }
                Effect::Allow => {
                    if v.allow.is_none_or(|(_, g)| grant > g) {
                        v.allow = Some((r, grant));
                    }
                }
            }
        }
    }
    v
}

impl<'a> PolicySet<'a> {
    /// Whether every policy of the set is context-free
    /// ([`CompiledPolicy::is_context_free`]): the set then decides every request with the same
    /// action, resource and caller the same way.
    pub fn is_context_free(&self) -> bool {
        self.policies().all(CompiledPolicy::is_context_free)
    }

    /// The request-context keys any policy of the set reads
    /// ([`CompiledPolicy::context_keys`]), in lower case, sorted, each once. Two requests with
    /// the same caller, action and resource whose contexts agree on every one of these keys
    /// get the same decision from the set.
    pub fn context_keys(&self) -> Vec<&'a str> {
        let mut keys: Vec<&'a str> = self
            .policies()
            .flat_map(|p| p.context_keys().iter().map(|k| &**k))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Every policy of the set, of every kind.
    fn policies(&self) -> impl Iterator<Item = &'a CompiledPolicy> {
        self.identity
            .iter()
            .chain(self.permissions_boundary)
            .chain(self.session_policies)
            .chain(self.resource_policy)
            .chain(self.endpoint_policies)
            .chain(self.scps.iter().flatten())
            .chain(self.rcps.iter().flatten())
    }

    /// Decides one request.
    pub fn evaluate(&self, ctx: &RequestContextOf<'_>) -> Decision<'a> {
        self.run(ctx, None)
    }

    /// Decides one request and lists every statement that matched it.
    pub fn evaluate_traced(
        &self,
        ctx: &RequestContextOf<'_>,
    ) -> (Decision<'a>, Vec<StatementRef<'a>>) {
        let mut trace = Vec::new();
        let d = self.run(ctx, Some(&mut trace));
        (d, trace)
    }

    fn run(
        &self,
        ctx: &RequestContextOf<'_>,
        mut trace: Option<&mut Vec<StatementRef<'a>>>,
    ) -> Decision<'a> {
        let p = ctx.principal();
        let detailed = ctx.same_account() || self.same_organization;
        // sts:GetCallerIdentity needs no permission and cannot be denied.
        if ctx.action_lower() == "sts:getcalleridentity" {
            return Decision {
                outcome: Outcome::Allow,
                deciding: None,
                detailed_message: detailed,
            };
        }
        let has_boundary = self.permissions_boundary.is_some();
        let slr = ctx.is_service_linked_role();
        let iam_caller = matches!(
            p.kind,
            PrincipalType::User
                | PrincipalType::Role
                | PrincipalType::AssumedRole
                | PrincipalType::FederatedUser
        );
        let mut first_deny: Option<StatementRef<'a>> = None;
        let tracing = trace.is_some();
        // Records the first explicit deny; without a trace nothing else can change the
        // outcome, so stop there.
        macro_rules! note {
            ($v:expr) => {{
                if first_deny.is_none() {
                    first_deny = $v.deny;
                }
                if let Some(d) = first_deny.filter(|_| !tracing) {
                    return Decision {
                        outcome: Outcome::ExplicitDeny,
                        deciding: Some(Deciding {
                            kind: d.kind,
                            statement: Some(d),
                            level: d.level,
                        }),
                        detailed_message: detailed,
                    };
                }
            }};
        }

        // SCPs: every level of the caller's chain must allow; the management account and
        // service-linked roles are exempt.
        let mut scp_missing: Option<usize> = None;
        if p.account.is_some() && !self.principal_in_management_account && !slr {
            for (lvl, level) in self.scps.iter().enumerate() {
                let v = judge(
                    level,
                    PolicyKind::Scp,
                    Some(lvl),
                    ctx,
                    has_boundary,
                    trace.as_deref_mut(),
                );
                note!(v);
                if v.allow.is_none() && scp_missing.is_none() {
                    scp_missing = Some(lvl);
                }
            }
        }
        // RCPs: every level of the resource account's chain must allow; resources of the
        // management account and calls by service-linked roles are exempt.
        let mut rcp_missing: Option<usize> = None;
        if !self.resource_in_management_account && !slr {
            for (lvl, level) in self.rcps.iter().enumerate() {
                let v = judge(
                    level,
                    PolicyKind::Rcp,
                    Some(lvl),
                    ctx,
                    has_boundary,
                    trace.as_deref_mut(),
                );
                note!(v);
                if v.allow.is_none() && rcp_missing.is_none() {
                    rcp_missing = Some(lvl);
                }
            }
        }
        let none = Verdict::default();
        let identity = if p.account.is_some() {
            judge(
                self.identity,
                PolicyKind::Identity,
                None,
                ctx,
                has_boundary,
                trace.as_deref_mut(),
            )
        } else {
            none
        };
        note!(identity);
        let boundary = match self.permissions_boundary {
            Some(b) if iam_caller => {
                let v = judge(
                    std::slice::from_ref(b),
                    PolicyKind::PermissionsBoundary,
                    None,
                    ctx,
                    has_boundary,
                    trace.as_deref_mut(),
                );
                note!(v);
                Some(v)
            }
            _ => None,
        };
        let session = if iam_caller && !self.session_policies.is_empty() {
            let v = judge(
                self.session_policies,
                PolicyKind::Session,
                None,
                ctx,
                has_boundary,
                trace.as_deref_mut(),
            );
            note!(v);
            Some(v)
        } else {
            None
        };
        let resource = match self.resource_policy {
            Some(r) => judge(
                std::slice::from_ref(r),
                PolicyKind::Resource,
                None,
                ctx,
                has_boundary,
                trace.as_deref_mut(),
            ),
            None => none,
        };
        note!(resource);
        let endpoint = if self.endpoint_policies.is_empty() {
            None
        } else {
            let v = judge(
                self.endpoint_policies,
                PolicyKind::VpcEndpoint,
                None,
                ctx,
                has_boundary,
                trace,
            );
            note!(v);
            Some(v)
        };

        let decide = |outcome, kind, statement: Option<StatementRef<'a>>| Decision {
            outcome,
            deciding: Some(Deciding {
                kind,
                statement,
                level: statement.and_then(|s| s.level),
            }),
            detailed_message: detailed,
        };
        if let Some(d) = first_deny {
            return decide(Outcome::ExplicitDeny, d.kind, Some(d));
        }
        let implicit = |kind| decide(Outcome::ImplicitDeny, kind, None);
        let missing_level = |kind, level| Decision {
            outcome: Outcome::ImplicitDeny,
            deciding: Some(Deciding {
                kind,
                statement: None,
                level: Some(level),
            }),
            detailed_message: detailed,
        };
        if let Some(level) = scp_missing {
            return missing_level(PolicyKind::Scp, level);
        }
        if let Some(level) = rcp_missing {
            return missing_level(PolicyKind::Rcp, level);
        }
        if endpoint.is_some_and(|v| v.allow.is_none()) {
            return implicit(PolicyKind::VpcEndpoint);
        }

        let root = p.kind == PrincipalType::Account;
        let identity_ok = root || identity.allow.is_some();
        let boundary_ok = boundary.is_none_or(|v| v.allow.is_some());
        // A federated-user session without a session policy has no permissions of its own.
        let session_ok = match session {
            Some(v) => v.allow.is_some(),
            None => p.kind != PrincipalType::FederatedUser,
        };
        let identity_ref = identity.allow.map(|(r, _)| r);
        let caller_side = || -> Result<Option<StatementRef<'a>>, PolicyKind> {
            if !identity_ok {
                Err(PolicyKind::Identity)
            } else if !boundary_ok {
                Err(PolicyKind::PermissionsBoundary)
            } else if !session_ok {
                Err(PolicyKind::Session)
            } else {
                Ok(identity_ref)
            }
        };
        let grant = resource.allow;

        if p.account.is_none() {
            // Anonymous callers and service principals: only a resource policy can allow.
            return match grant {
                Some((r, _)) => decide(Outcome::Allow, PolicyKind::Resource, Some(r)),
                None => implicit(PolicyKind::Resource),
            };
        }
        if ctx.same_account() {
            match grant {
                // A grant to the exact caller is not limited by an implicit deny in
                // identity policies, the boundary or the session policy.
                Some((r, Grant::Direct)) => decide(Outcome::Allow, PolicyKind::Resource, Some(r)),
                // A grant to the role ARN still needs the boundary and session policy.
                Some((r, Grant::Role)) if boundary_ok && session_ok => {
                    decide(Outcome::Allow, PolicyKind::Resource, Some(r))
                }
                Some((_, Grant::Role)) => match caller_side() {
                    Ok(r) => decide(Outcome::Allow, PolicyKind::Identity, r),
                    Err(_) if !boundary_ok => implicit(PolicyKind::PermissionsBoundary),
                    Err(_) => implicit(PolicyKind::Session),
                },
                // An account grant only delegates: the identity policy must allow.
                Some((_, Grant::Account)) | None => match caller_side() {
                    Ok(r) => decide(Outcome::Allow, PolicyKind::Identity, r),
                    Err(kind) => implicit(kind),
                },
            }
        } else {
            // Cross-account: the caller's side and the resource policy must both allow.
            match (caller_side(), grant) {
                (Err(kind), _) => implicit(kind),
                (Ok(_), None) => implicit(PolicyKind::Resource),
                (Ok(_), Some((r, _))) => decide(Outcome::Allow, PolicyKind::Resource, Some(r)),
            }
        }
    }
}
