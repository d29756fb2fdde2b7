//! Policies compiled for evaluation: wildcard matchers for actions and resources, parsed
//! condition values, principals, and statements indexed by service prefix.

use crate::condition::CompiledCondition;
use crate::context::{Principal, PrincipalType, RequestContextOf};
use crate::findings::PolicyError;
use crate::glob::{ArnPattern, Pattern, Syntax, split_arn};
use crate::model::{
    ActionClause, Effect, Policy, PolicyType, PrincipalClause, Principals, ResourceClause,
    Statement,
};

/// How a matching statement names the caller; decides what a resource-policy `Allow`
/// achieves (IAM User Guide, "Policy evaluation logic": same-account resource policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grant {
    /// The account (`"123456789012"` or `arn:aws:iam::A:root`): delegation only.
    Account,
    /// The role ARN of a session: limited by the boundary and session policy.
    Role,
    /// The exact caller (user, session or federated ARN, service, `*`, or no Principal
    /// element at all, as in identity policies).
    Direct,
}

/// One `AWS` principal value.
#[derive(Debug, Clone)]
enum AwsPrincipal {
    Any,
    Account(Box<str>),
    Arn(Box<str>),
}

impl AwsPrincipal {
    fn parse(v: &str) -> AwsPrincipal {
        if v == "*" {
            return AwsPrincipal::Any;
        }
        if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
            return AwsPrincipal::Account(v.into());
        }
        if let Some(p) = split_arn(v)
            && p[0] == "arn"
            && p[2] == "iam"
            && p[5] == "root"
        {
            return AwsPrincipal::Account(p[4].into());
        }
        AwsPrincipal::Arn(v.into())
    }
}

#[derive(Debug, Clone)]
struct CompiledPrincipals {
    any: bool,
    aws: Vec<AwsPrincipal>,
    service: Vec<Box<str>>,
}

impl CompiledPrincipals {
    fn new(p: &Principals) -> CompiledPrincipals {
        match p {
            Principals::Any => CompiledPrincipals {
                any: true,
                aws: Vec::new(),
                service: Vec::new(),
            },
            Principals::Listed(m) => CompiledPrincipals {
                any: false,
                aws: m.aws.iter().map(|v| AwsPrincipal::parse(v)).collect(),
                service: m.service.iter().map(|s| s.as_str().into()).collect(),
            },
        }
    }

    /// The strongest way the list names the caller. `Federated` and `CanonicalUser` never
    /// match a request in Palisade.
    fn grant(&self, p: &Principal) -> Option<Grant> {
        if self.any {
            return Some(Grant::Direct);
        }
        if p.kind == PrincipalType::Service {
            return self
                .service
                .iter()
                .any(|s| **s == *p.arn)
                .then_some(Grant::Direct);
        }
        let mut best = None;
        for a in &self.aws {
            let g = match a {
                AwsPrincipal::Any => Some(Grant::Direct),
                AwsPrincipal::Account(acct) => {
                    (p.account.as_deref() == Some(acct)).then_some(Grant::Account)
                }
                AwsPrincipal::Arn(arn) => {
                    if **arn == *p.arn {
                        Some(if p.kind == PrincipalType::Role {
                            Grant::Role
                        } else {
                            Grant::Direct
                        })
                    } else if p.role_arn.as_deref() == Some(arn) {
                        Some(Grant::Role)
                    } else {
                        None
                    }
                }
            };
            best = best.max(g);
        }
        best
    }

    /// `NotPrincipal`: whether the caller is excluded. A caller with an account is excluded
    /// only when both its own ARN (or role ARN) and its account are listed (IAM User Guide,
    /// "NotPrincipal": list the account ARN too).
    fn excludes(&self, p: &Principal) -> bool {
        if self.any {
            return true;
        }
        if p.kind == PrincipalType::Service {
            return self.service.iter().any(|s| **s == *p.arn);
        }
        let listed = |x: &str| {
            self.aws
                .iter()
                .any(|a| matches!(a, AwsPrincipal::Arn(arn) if **arn == *x))
        };
        let any = self.aws.iter().any(|a| matches!(a, AwsPrincipal::Any));
        let me = any || listed(&p.arn) || p.role_arn.as_deref().is_some_and(listed);
        let account = match &p.account {
            None => true,
            Some(acct) => {
                any || self
                    .aws
                    .iter()
                    .any(|a| matches!(a, AwsPrincipal::Account(x) if **x == **acct))
            }
        };
        me && account
    }
}

#[derive(Debug, Clone)]
enum PrincipalMatcher {
    Principal(CompiledPrincipals),
    NotPrincipal(CompiledPrincipals),
}

#[derive(Debug, Clone)]
struct ActionMatcher {
    negated: bool,
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct ResourceMatcher {
    negated: bool,
    patterns: Vec<ArnPattern>,
}

/// One compiled statement.
#[derive(Debug, Clone)]
pub(crate) struct CompiledStatement {
    pub(crate) sid: Option<Box<str>>,
    pub(crate) effect: Effect,
    principal: Option<PrincipalMatcher>,
    actions: ActionMatcher,
    resources: Option<ResourceMatcher>,
    conditions: Vec<CompiledCondition>,
}

impl CompiledStatement {
    fn new(s: &Statement, variables: bool) -> CompiledStatement {
        let action_syntax = Syntax {
            wildcards: true,
            variables: false,
        };
        let actions = match &s.action {
            ActionClause::Action(a) | ActionClause::NotAction(a) => ActionMatcher {
                negated: matches!(s.action, ActionClause::NotAction(_)),
                patterns: a
                    .iter()
                    .map(|x| Pattern::parse(&x.to_ascii_lowercase(), action_syntax))
                    .collect(),
            },
        };
        let resources = s.resource.as_ref().map(|r| match r {
            ResourceClause::Resource(v) | ResourceClause::NotResource(v) => ResourceMatcher {
                negated: matches!(r, ResourceClause::NotResource(_)),
                patterns: v
                    .iter()
                    .map(|x| ArnPattern::parse(x, variables, false))
                    .collect(),
            },
        });
        let principal = s.principal.as_ref().map(|p| match p {
            PrincipalClause::Principal(x) => {
                PrincipalMatcher::Principal(CompiledPrincipals::new(x))
            }
            PrincipalClause::NotPrincipal(x) => {
                PrincipalMatcher::NotPrincipal(CompiledPrincipals::new(x))
            }
        });
        CompiledStatement {
            sid: s.sid.as_deref().map(Into::into),
            effect: s.effect,
            principal,
            actions,
            resources,
            conditions: s
                .conditions
                .iter()
                .map(|c| CompiledCondition::new(c, variables))
                .collect(),
        }
    }

    /// The request-context keys the statement reads (lower case, possibly repeated): the
    /// keys of its conditions and of the policy variables in its condition values and
    /// resources. Actions and principals take no variables, so nothing else of the context
    /// but the action, the resource and the caller decides whether the statement applies.
    fn context_keys(&self) -> impl Iterator<Item = &str> {
        let resources = self
            .resources
            .iter()
            .flat_map(|r| r.patterns.iter().flat_map(ArnPattern::variables))
            .map(|v| &*v.key);
        self.conditions
            .iter()
            .flat_map(CompiledCondition::context_keys)
            .chain(resources)
    }

    /// Whether the statement applies to the request, and how it names the caller.
    /// `parts` is `ctx.resource_parts()`, computed once by the caller.
    pub(crate) fn applies(
        &self,
        ctx: &RequestContextOf<'_>,
        parts: Option<[&str; 6]>,
        has_boundary: bool,
    ) -> Option<Grant> {
        let action = ctx.action_lower();
        let any_action = self
            .actions
            .patterns
            .iter()
            .any(|p| p.is_any() || p.matches(action, false, ctx) == Some(true));
        if any_action == self.actions.negated {
            return None;
        }
        if let Some(r) = &self.resources {
            let mut hit = false;
            for p in &r.patterns {
                match p.matches_split(ctx.resource(), parts, ctx) {
                    Some(true) => hit = true,
                    Some(false) => {}
                    // An unresolved variable: the entry matches nothing, and a NotResource
                    // statement with such an entry never applies.
                    None if r.negated => return None,
                    None => {}
                }
            }
            if hit == r.negated {
                return None;
            }
        }
        let grant = match &self.principal {
            None => Grant::Direct,
            Some(PrincipalMatcher::Principal(p)) => p.grant(ctx.principal())?,
            Some(PrincipalMatcher::NotPrincipal(p)) => {
                // A Deny with NotPrincipal always denies principals with a permissions
                // boundary (IAM User Guide, "NotPrincipal").
                let forced = self.effect == Effect::Deny && has_boundary;
                if !forced && p.excludes(ctx.principal()) {
                    return None;
                }
                Grant::Direct
            }
        };
        self.conditions
            .iter()
            .all(|c| c.evaluate(ctx))
            .then_some(grant)
    }
}

/// A policy compiled for evaluation. Compile once when the policy changes; evaluation does
/// no parsing.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    label: Option<Box<str>>,
    pub(crate) statements: Vec<CompiledStatement>,
    by_service: Vec<(Box<str>, Vec<u32>)>,
    generic: Vec<u32>,
    /// See [`CompiledPolicy::context_keys`].
    context_keys: Box<[Box<str>]>,
}

impl CompiledPolicy {
    /// Compiles a parsed policy. Its label defaults to the document's `Id`.
    pub fn compile(policy: &Policy) -> CompiledPolicy {
        let variables = policy.version.supports_variables();
        let statements: Vec<CompiledStatement> = policy
            .statements
            .iter()
            .map(|s| CompiledStatement::new(s, variables))
            .collect();
        let mut by_service: Vec<(Box<str>, Vec<u32>)> = Vec::new();
        let mut generic = Vec::new();
        for (i, s) in policy.statements.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let ActionClause::Action(actions) = &s.action else {
                generic.push(i);
                continue;
            };
            let mut services: Vec<String> = Vec::new();
            let mut is_generic = false;
            for a in actions {
                match a.split_once(':') {
                    Some((svc, _)) if !svc.contains(['*', '?']) => {
                        services.push(svc.to_ascii_lowercase());
                    }
                    _ => is_generic = true,
                }
            }
            if is_generic {
                generic.push(i);
                continue;
            }
            services.sort();
            services.dedup();
            for svc in services {
                match by_service.iter_mut().find(|(k, _)| **k == *svc) {
                    Some((_, list)) => list.push(i),
                    None => by_service.push((svc.into(), vec![i])),
                }
            }
        }
        let mut context_keys: Vec<Box<str>> = statements
            .iter()
            .flat_map(CompiledStatement::context_keys)
            .map(Into::into)
            .collect();
        context_keys.sort_unstable();
        context_keys.dedup();
        CompiledPolicy {
            label: policy.id.as_deref().map(Into::into),
            statements,
            by_service,
            generic,
            context_keys: context_keys.into_boxed_slice(),
        }
    }

    /// Parses and compiles a document of the given type.
    pub fn parse(text: &str, ty: PolicyType) -> Result<CompiledPolicy, PolicyError> {
        Policy::parse(text, ty).map(|p| CompiledPolicy::compile(&p))
    }

    /// Names the policy (its ARN, or a name) for decisions and AccessDenied messages.
    pub fn with_label(mut self, label: impl Into<String>) -> CompiledPolicy {
        self.label = Some(label.into().into_boxed_str());
        self
    }

    /// The policy's label: the one given with [`with_label`](Self::with_label), else its `Id`.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// Whether the policy decides every request by its action, resource and caller alone: no
    /// statement has a condition or a policy variable. A set of such policies gives the same
    /// decision to every request with the same action, resource and caller, whatever its
    /// other context keys (source address, VPC, time, tags, request parameters).
    pub fn is_context_free(&self) -> bool {
        self.context_keys.is_empty()
    }

    /// The request-context keys the policy reads, in lower case, sorted, each once: the keys
    /// of its conditions and of its policy variables (`${aws:username}`; the literals `${*}`,
    /// `${?}` and `${$}` are not variables). Two requests with the same caller, action and
    /// resource whose contexts give each of these keys the same values (a missing key and an
    /// empty list being the same) are decided alike by the policy. Empty exactly when the
    /// policy is [context-free](Self::is_context_free): every condition has a key.
    pub fn context_keys(&self) -> &[Box<str>] {
        &self.context_keys
    }

    /// The number of statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// The indices of the statements that may cover an action of the service `svc` (lower
    /// case).
    pub(crate) fn candidates<'s>(&'s self, svc: &str) -> impl Iterator<Item = usize> + 's {
        let specific: &[u32] = self
            .by_service
            .iter()
            .find(|(k, _)| **k == *svc)
            .map_or(&[], |(_, v)| v.as_slice());
        self.generic.iter().chain(specific).map(|i| *i as usize)
    }
}
