//! The authorization step: every check an operation asks for is decided by the IAM engine with
//! the caller's identity policies, permissions boundary and session policies, the SCPs of the
//! caller's account, the RCPs of the resource's account, the VPC endpoint policies of the
//! endpoint the request came through, and the request's global condition keys.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use palisade_directory::{Caller, Directory, PrincipalKind};
use palisade_engine::Engine;
use palisade_iam::{CompiledPolicy, PolicySet, RequestContext};
use palisade_network::Network;
use palisade_organizations::Organizations;

use crate::dynamodb::{Authorizer, Check};
use crate::error::{ApiError, ErrorKind};

/// Where a request came from, decided by the listener it arrived on (never by what a client
/// writes in headers).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The caller's address on a public listener (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
    /// Whether the connection used TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// Set when the request came through a VPC endpoint.
    pub vpc: Option<VpcOrigin>,
}

/// The VPC endpoint a request came through.
#[derive(Debug, Clone)]
pub struct VpcOrigin {
    /// `aws:SourceVpc`.
    pub vpc_id: String,
    /// `aws:SourceVpce`.
    pub endpoint_id: String,
    /// `aws:VpcSourceIp`: the caller's private address.
    pub source_ip: Option<IpAddr>,
    /// The endpoint's policies (the default endpoint policy allows everything). The
    /// authorizer adds the policy the network model stores for `endpoint_id`.
    pub policies: Vec<CompiledPolicy>,
}

/// Compiled table resource policies by RevisionId and table ARN (compiled once per revision).
#[derive(Default)]
pub struct PolicyCache {
    compiled: Mutex<HashMap<(String, String), Arc<CompiledPolicy>>>,
}

/// Most compiled table policies kept; the cache starts over beyond that.
const POLICY_CACHE_LIMIT: usize = 4096;

impl PolicyCache {
    /// The resource policy of the table a DynamoDB resource ARN (table, index or stream) belongs
    /// to, if it has one.
    pub fn table_policy(&self, engine: &Engine, resource: &str) -> Option<Arc<CompiledPolicy>> {
        if !resource.starts_with("arn:") || !resource.contains(":dynamodb:") {
            return None;
        }
        let (prefix, rest) = resource.split_once(":table/")?;
        // The resource is the table's ARN itself unless it names an index or a stream.
        let table_arn: std::borrow::Cow<'_, str> = match rest.split_once('/') {
            Some((name, _)) => format!("{prefix}:table/{name}").into(),
            None => resource.into(),
        };
        let table = engine.table_by_arn(&table_arn).ok()?;
        let text = table.resource_policy.as_deref()?;
        let revision = table
            .policy_revision
            .clone()
            .unwrap_or_else(|| palisade_engine::policy_revision(text));
        let key = (revision, table_arn.clone().into_owned());
        let mut cache = self.compiled.lock().ok()?;
        if let Some(p) = cache.get(&key) {
            return Some(Arc::clone(p));
        }
        let compiled = match CompiledPolicy::parse(text, palisade_iam::PolicyType::Resource) {
            Ok(p) => Arc::new(p.with_label(format!("{table_arn} resource policy"))),
            Err(e) => {
                tracing::warn!(table = %table_arn, error = %e, "stored resource policy does not parse; ignored");
                return None;
            }
        };
        if cache.len() >= POLICY_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&compiled));
        Some(compiled)
    }
}

/// Decides checks for one authenticated caller.
pub struct IamAuthorizer<'a> {
    pub directory: &'a Directory,
    pub organizations: &'a Organizations,
    /// The VPC endpoints, whose stored policies apply to requests that came through them.
    pub network: &'a Network,
    pub caller: &'a Caller,
    pub session_policies: &'a [CompiledPolicy],
    pub origin: &'a Origin,
    pub region: &'a str,
    /// The resource-based policy of the resource the checks are about (a role's trust policy
    /// for `sts:AssumeRole`), if it has one.
    pub resource_policy: Option<&'a CompiledPolicy>,
    /// Where table resource policies come from, for DynamoDB checks.
    pub tables: Option<(&'a Engine, &'a PolicyCache)>,
}

impl IamAuthorizer<'_> {
    /// The request context of one check: the caller's keys, the request's global keys, and the
    /// operation's own keys. The caller's keys and the request-wide ones that do not depend on
    /// the connection are built once per caller and second and shared.
    fn context(&self, shared: &Shared<'_>, check: &Check) -> RequestContext {
        let secure = if self.origin.secure_transport {
            "true"
        } else {
            "false"
        };
        let base = self.directory.caller_context(
            self.caller,
            &[
                ("aws:requestedregion", self.region),
                ("aws:securetransport", secure),
                ("aws:viaawsservice", "false"),
                ("aws:principalisawsservice", "false"),
            ],
        );
        let mut ctx = RequestContext::with_base(base, &check.action, &check.resource);
        match &self.origin.vpc {
            Some(vpc) => {
                ctx.insert_static("aws:sourcevpc", vpc.vpc_id.as_str());
                ctx.insert_static("aws:sourcevpce", vpc.endpoint_id.as_str());
                if let Some(ip) = vpc.source_ip {
                    ctx.insert_static("aws:vpcsourceip", ip.to_string());
                }
            }
            None => {
                if let Some(ip) = self.origin.source_ip {
                    ctx.insert_static("aws:sourceip", ip.to_string());
                }
            }
        }
        if let Some(org) = &shared.principal_org {
            ctx.insert_static("aws:principalorgid", org.as_str());
        }
        if let Some(path) = &shared.org_paths {
            ctx.insert_static("aws:principalorgpaths", vec![path.clone()]);
        }
        for (k, v) in &check.resource_tags {
            ctx.insert(&format!("aws:ResourceTag/{k}"), v.as_str());
        }
        for (k, v) in &check.keys {
            ctx.insert(k, v.clone());
        }
        ctx
    }
}

/// The endpoint policies of one request: the stored one alone is shared, not copied.
enum EndpointPolicies<'a> {
    None,
    Listener(&'a [CompiledPolicy]),
    Stored(Arc<CompiledPolicy>),
    Both(Vec<CompiledPolicy>),
}

impl EndpointPolicies<'_> {
    fn as_slice(&self) -> &[CompiledPolicy] {
        match self {
            EndpointPolicies::None => &[],
            EndpointPolicies::Listener(p) => p,
            EndpointPolicies::Stored(p) => std::slice::from_ref(&**p),
            EndpointPolicies::Both(p) => p,
        }
    }
}

impl<'a> IamAuthorizer<'a> {
    /// The policies of the VPC endpoint the request came through: the listener's and the one
    /// the network model stores. An endpoint the network deleted lets nothing through: its
    /// policy is one that allows nothing (AWS's "because no VPC endpoint policy allows"
    /// denial). An id the network never knew is an endpoint only the listener knows, decided
    /// by the listener's policies alone.
    fn endpoint_policies(&self) -> EndpointPolicies<'a> {
        let Some(vpc) = &self.origin.vpc else {
            return EndpointPolicies::None;
        };
        let stored = match self.network.endpoint_policy(&vpc.endpoint_id) {
            Some(p) => p,
            None if self.network.was_deleted(&vpc.endpoint_id) => Arc::clone(no_access_policy()),
            None => return EndpointPolicies::Listener(&vpc.policies),
        };
        if vpc.policies.is_empty() {
            return EndpointPolicies::Stored(stored);
        }
        let mut all = vpc.policies.clone();
        all.push((*stored).clone());
        EndpointPolicies::Both(all)
    }
}

/// The endpoint policy of an endpoint that no longer exists: no statement, so it allows
/// nothing.
fn no_access_policy() -> &'static Arc<CompiledPolicy> {
    static POLICY: std::sync::OnceLock<Arc<CompiledPolicy>> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| {
        let empty = palisade_iam::Policy {
            version: palisade_iam::Version::V2012_10_17,
            version_given: true,
            id: None,
            statements: Vec::new(),
        };
        Arc::new(CompiledPolicy::compile(&empty).with_label("deleted VPC endpoint policy"))
    })
}

/// What every check of one request shares: looked up once.
struct Shared<'p> {
    policies: Arc<palisade_directory::PrincipalPolicies>,
    scps: Option<palisade_organizations::PolicyChain>,
    principal_org: Option<String>,
    /// `aws:PrincipalOrgPaths` of the caller.
    org_paths: Option<String>,
    /// Whether the caller's account is the management account of its organization.
    principal_in_management_account: bool,
    endpoint_policies: EndpointPolicies<'p>,
}

/// Which resource policy a check is decided with.
enum ResourcePolicy<'p> {
    /// The authorizer's own, or the table's.
    Current,
    /// This one instead (what a new table policy would do).
    Proposed(&'p CompiledPolicy),
}

impl IamAuthorizer<'_> {
    fn shared(&self) -> Shared<'_> {
        Shared {
            policies: self.directory.principal_policies(&self.caller.entity),
            scps: self.organizations.scp_chain(&self.caller.account),
            principal_org: self.organizations.principal_org_id(&self.caller.account),
            org_paths: self.organizations.org_paths(&self.caller.account),
            principal_in_management_account: self
                .organizations
                .is_management_account(&self.caller.account),
            endpoint_policies: self.endpoint_policies(),
        }
    }

    /// Decides one check; `Err` carries AWS's AccessDenied message.
    fn decide(
        &self,
        shared: &Shared<'_>,
        check: &Check,
        which: ResourcePolicy<'_>,
    ) -> Result<(), String> {
        let ctx = self.context(shared, check);
        let resource_account = ctx.resource_account().unwrap_or(&self.caller.account);
        let same_account = resource_account == self.caller.account;
        let rcps = self.organizations.rcp_chain(resource_account);
        let table_policy = match (&which, self.resource_policy, self.tables) {
            (ResourcePolicy::Current, None, Some((engine, cache))) => {
                cache.table_policy(engine, &check.resource)
            }
            _ => None,
        };
        // The account's root can always replace or delete a table's policy, so that no
        // policy locks a table away for good.
        let root_fixing_policy = self.caller.kind == PrincipalKind::Root
            && same_account
            && matches!(
                check.action.as_ref(),
                "dynamodb:PutResourcePolicy" | "dynamodb:DeleteResourcePolicy"
            );
        let resource_policy = match which {
            _ if root_fixing_policy => None,
            ResourcePolicy::Proposed(p) => Some(p),
            ResourcePolicy::Current => self.resource_policy.or(table_policy.as_deref()),
        };
        let set = PolicySet {
            identity: &shared.policies.identity,
            permissions_boundary: shared.policies.boundary.as_ref(),
            session_policies: self.session_policies,
            resource_policy,
            endpoint_policies: shared.endpoint_policies.as_slice(),
            scps: shared.scps.as_deref().unwrap_or(&[]),
            rcps: rcps.as_deref().unwrap_or(&[]),
            principal_in_management_account: shared.principal_in_management_account,
            resource_in_management_account: if same_account {
                shared.principal_in_management_account
            } else {
                self.organizations.is_management_account(resource_account)
            },
            same_organization: shared.principal_org.is_some()
                && (same_account
                    || shared.principal_org
                        == self.organizations.principal_org_id(resource_account)),
        };
        let decision = set.evaluate(&ctx);
        if decision.is_allowed() {
            return Ok(());
        }
        Err(decision.message(&ctx).unwrap_or_else(|| {
            format!(
                "User: {} is not authorized to perform: {} on resource: {}",
                self.caller.arn, check.action, check.resource
            )
        }))
    }
}

impl Authorizer for IamAuthorizer<'_> {
    fn authorize(&self, checks: &[Check]) -> Result<(), ApiError> {
        let shared = self.shared();
        for check in checks {
            if let Err(message) = self.decide(&shared, check, ResourcePolicy::Current) {
                tracing::info!(caller = %self.caller.arn, action = %check.action, resource = %check.resource, %message, "denied");
                return Err(ApiError::new(ErrorKind::AccessDenied, message));
            }
        }
        Ok(())
    }

    fn allowed_with_resource_policy(&self, check: &Check, policy: &CompiledPolicy) -> bool {
        let shared = self.shared();
        self.decide(&shared, check, ResourcePolicy::Proposed(policy))
            .is_ok()
    }
}
