//! The result of an evaluation: Allow / ExplicitDeny / ImplicitDeny with the deciding
//! policy and statement, and AWS's AccessDenied text.

use crate::context::RequestContextOf;
use crate::model::Effect;

/// The final answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The request is allowed.
    Allow,
    /// A matching `Deny` statement denied it.
    ExplicitDeny,
    /// Nothing allowed it (or a required policy type did not allow it).
    ImplicitDeny,
}

impl Outcome {
    /// `"Allow"`, `"ExplicitDeny"` or `"ImplicitDeny"`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Allow => "Allow",
            Outcome::ExplicitDeny => "ExplicitDeny",
            Outcome::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// The kinds of policies taking part in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Identity-based policies of the user (and its groups) or role.
    Identity,
    /// The permissions boundary.
    PermissionsBoundary,
    /// The session policy.
    Session,
    /// The resource-based policy.
    Resource,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
    /// A VPC endpoint policy.
    VpcEndpoint,
}

impl PolicyKind {
    /// A short machine name: `identity`, `permissions_boundary`, `session`, `resource`,
    /// `scp`, `rcp`, `vpc_endpoint`.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::PermissionsBoundary => "permissions_boundary",
            PolicyKind::Session => "session",
            PolicyKind::Resource => "resource",
            PolicyKind::Scp => "scp",
            PolicyKind::Rcp => "rcp",
            PolicyKind::VpcEndpoint => "vpc_endpoint",
        }
    }

    /// The phrase AWS uses in AccessDenied messages ("an identity-based policy").
    fn phrase(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity-based policy",
            PolicyKind::PermissionsBoundary => "permissions boundary",
            PolicyKind::Session => "session policy",
            PolicyKind::Resource => "resource-based policy",
            PolicyKind::Scp => "service control policy",
            PolicyKind::Rcp => "resource control policy",
            PolicyKind::VpcEndpoint => "VPC endpoint policy",
        }
    }

    fn article(self) -> &'static str {
        match self {
            PolicyKind::Identity => "an",
            _ => "a",
        }
    }

    /// Whether AWS appends ", with policy ARN: ..." to explicit-deny messages for this kind.
    fn shows_policy_arn(self) -> bool {
        !matches!(self, PolicyKind::Resource | PolicyKind::VpcEndpoint)
    }
}

/// A statement that matched the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementRef<'a> {
    /// The kind of policy.
    pub kind: PolicyKind,
    /// The policy's label (ARN, name or `Id`), if any.
    pub policy: Option<&'a str>,
    /// The statement's `Sid`, if any.
    pub sid: Option<&'a str>,
    /// The statement's position in its policy.
    pub index: usize,
    /// The organization level for SCPs and RCPs (0 = root).
    pub level: Option<usize>,
    /// The statement's effect.
    pub effect: Effect,
}

/// What decided the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deciding<'a> {
    /// The deciding policy kind: for an implicit deny, the kind that did not allow.
    pub kind: PolicyKind,
    /// The deciding statement (absent for implicit denies and for the root user's implicit
    /// permissions).
    pub statement: Option<StatementRef<'a>>,
    /// The organization level (0 = root) of the deciding SCP or RCP statement, or for an
    /// implicit SCP/RCP deny the first level without a matching Allow.
    pub level: Option<usize>,
}

/// An authorization decision with its reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'a> {
    /// Allow, explicit deny or implicit deny.
    pub outcome: Outcome,
    /// What decided (absent only for requests that need no permission, such as
    /// `sts:GetCallerIdentity`).
    pub deciding: Option<Deciding<'a>>,
    /// Whether AWS would state the reason in the message (caller and resource in the same
    /// account or organization).
    pub detailed_message: bool,
}

impl Decision<'_> {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }

    /// AWS's AccessDenied text, or `None` for an Allow:
    /// `User: <arn> is not authorized to perform: <action> on resource: <arn> because no
    /// identity-based policy allows the <action> action`, or `... with an explicit deny in a
    /// service control policy[, with policy ARN: <arn>]`.
    pub fn message(&self, ctx: &RequestContextOf<'_>) -> Option<String> {
        if self.outcome == Outcome::Allow {
            return None;
        }
        let mut m = format!(
            "User: {} is not authorized to perform: {} on resource: {}",
            ctx.principal().arn,
            ctx.action(),
            ctx.resource()
        );
        let Some(d) = self.deciding.filter(|_| self.detailed_message) else {
            return Some(m);
        };
        match self.outcome {
            Outcome::ExplicitDeny => {
                m.push_str(&format!(
                    " with an explicit deny in {} {}",
                    d.kind.article(),
                    d.kind.phrase()
                ));
                if let Some(arn) = d
                    .statement
                    .and_then(|s| s.policy)
                    .filter(|p| p.starts_with("arn:"))
                    && d.kind.shows_policy_arn()
                {
                    m.push_str(", with policy ARN: ");
                    m.push_str(arn);
                }
            }
            Outcome::ImplicitDeny | Outcome::Allow => {
                m.push_str(&format!(
                    " because no {} allows the {} action",
                    d.kind.phrase(),
                    ctx.action()
                ));
            }
        }
        Some(m)
    }
}
