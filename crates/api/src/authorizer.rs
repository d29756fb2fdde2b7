//! The authorization step: every check an operation asks for is decided by the IAM engine with
//! the caller's identity policies, permissions boundary and session policies, the SCPs of the
//! caller's account, the RCPs of the resource's account, the VPC endpoint policies of the
//! endpoint the request came through, and the request's global condition keys.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, PoisonError};

use palisade_directory::{Caller, Directory, PrincipalKind};
use palisade_engine::Engine;
use palisade_iam::{CompiledPolicy, ContextBase, ContextValue, PolicySet, RequestContextOf};
use palisade_network::Network;
use palisade_organizations::Organizations;

use crate::decision_memo::{DecisionMemo, Question, Recorded, Stamp};
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

/// Table resource policies for the authorizer: by table ARN as of one catalog generation of
/// one engine (the request path, which then needs no table lookup), and compiled by RevisionId
/// and table ARN (compiled once per revision). Also the allowed DynamoDB checks remembered
/// with the context keys their policy sets read ([`crate::decision_memo`]).
#[derive(Default)]
pub struct PolicyCache {
    current: Mutex<CurrentPolicies>,
    compiled: Mutex<HashMap<(String, String), Arc<CompiledPolicy>>>,
    pub(crate) decisions: DecisionMemo,
}

/// Each table's policy (or its absence) as read at one catalog generation of one engine: valid
/// while [`Engine::catalog_generation`] keeps that value, since any change to a table's
/// metadata (its policy, tags, or the table itself being deleted and created again) changes it.
#[derive(Default)]
struct CurrentPolicies {
    /// The address of the engine the policies were read from.
    engine: usize,
    generation: u64,
    /// The resource asked for last and its table's policy (no parsing or hashing for runs of
    /// the same resource).
    last: Option<(String, Option<Arc<CompiledPolicy>>)>,
    by_arn: HashMap<String, Option<Arc<CompiledPolicy>>>,
}

/// Most compiled table policies kept; the cache starts over beyond that.
const POLICY_CACHE_LIMIT: usize = 4096;

/// The ARN of the table a DynamoDB resource ARN (table, index or stream) belongs to: the
/// resource ARN up to the table's name.
fn table_arn(resource: &str) -> Option<&str> {
    if !resource.starts_with("arn:") {
        return None;
    }
    // The first ":dynamodb:" and ":table/" (found from the colons, which is cheaper than a
    // substring search).
    let bytes = resource.as_bytes();
    let at =
        |part: &[u8]| (0..bytes.len()).find(|&i| bytes[i] == b':' && bytes[i..].starts_with(part));
    at(b":dynamodb:")?;
    let name_start = at(b":table/")? + ":table/".len();
    let rest = resource.get(name_start..)?;
    let name_len = rest.find('/').unwrap_or(rest.len());
    resource.get(..name_start + name_len)
}

impl PolicyCache {
    /// The resource policy of the table a DynamoDB resource ARN (table, index or stream) belongs
    /// to, if it has one.
    pub fn table_policy(&self, engine: &Engine, resource: &str) -> Option<Arc<CompiledPolicy>> {
        // Read before the table, so that a change after this point is seen by the next read.
        let generation = engine.catalog_generation();
        let engine_id = std::ptr::from_ref(engine) as usize;
        if let Some(known) = self.last(engine_id, generation, resource) {
            return known;
        }
        let table_arn = table_arn(resource)?;
        let policy = match self.current(engine_id, generation, table_arn) {
            Some(known) => known,
            None => {
                let policy = self.read_policy(engine, table_arn);
                self.remember(engine_id, generation, table_arn, policy.as_ref());
                policy
            }
        };
        self.set_last(engine_id, generation, resource, &policy);
        policy
    }

    /// The policy given last, if it was for `resource` at this engine and generation.
    fn last(
        &self,
        engine: usize,
        generation: u64,
        resource: &str,
    ) -> Option<Option<Arc<CompiledPolicy>>> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.engine != engine || current.generation != generation {
            return None;
        }
        match &current.last {
            Some((r, policy)) if r == resource => Some(policy.clone()),
            _ => None,
        }
    }

    /// Remembers the policy given for `resource`, if still at this engine and generation.
    fn set_last(
        &self,
        engine: usize,
        generation: u64,
        resource: &str,
        policy: &Option<Arc<CompiledPolicy>>,
    ) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.engine == engine && current.generation == generation {
            current.last = Some((resource.to_owned(), policy.clone()));
        }
    }

    /// The policy of `table_arn` remembered for this engine and generation, if any was.
    fn current(
        &self,
        engine: usize,
        generation: u64,
        table_arn: &str,
    ) -> Option<Option<Arc<CompiledPolicy>>> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.engine != engine || current.generation != generation {
            return None;
        }
        current.by_arn.get(table_arn).cloned()
    }

    /// Remembers the policy of `table_arn` read at `generation` of `engine`. Entries of another
    /// engine or an older generation are dropped; a read at an older generation than the
    /// entries' is not kept.
    fn remember(
        &self,
        engine: usize,
        generation: u64,
        table_arn: &str,
        policy: Option<&Arc<CompiledPolicy>>,
    ) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.engine != engine
            || current.generation < generation
            || current.by_arn.len() >= POLICY_CACHE_LIMIT
        {
            current.engine = engine;
            current.generation = generation;
            current.last = None;
            current.by_arn.clear();
        }
        if current.generation == generation {
            current
                .by_arn
                .insert(table_arn.to_owned(), policy.map(Arc::clone));
        }
    }

    /// Looks the table's policy up in the engine, compiling it once per revision.
    fn read_policy(&self, engine: &Engine, table_arn: &str) -> Option<Arc<CompiledPolicy>> {
        let table = engine.table_by_arn(table_arn).ok()?;
        let text = table.resource_policy.as_deref()?;
        let revision = table
            .policy_revision
            .clone()
            .unwrap_or_else(|| palisade_engine::policy_revision(text));
        let key = (revision, table_arn.to_owned());
        let mut cache = self.compiled.lock().unwrap_or_else(PoisonError::into_inner);
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
    /// The check's action, resource and keys are borrowed, not copied.
    ///
    /// [`Self::agrees`] reads single keys from the same sources without building it; keep the
    /// two in step.
    fn context<'c>(&self, shared: &Shared<'_>, check: &'c Check) -> RequestContextOf<'c> {
        let mut ctx = RequestContextOf::borrowing(self.base(), &check.action, &check.resource);
        match &self.origin.vpc {
            Some(vpc) => {
                ctx.insert_static("aws:sourcevpc", vpc.vpc_id.as_str());
                ctx.insert_static("aws:sourcevpce", vpc.endpoint_id.as_str());
                if let Some(ip) = vpc.source_ip {
                    ctx.insert_static("aws:vpcsourceip", ip_text(ip));
                }
            }
            None => {
                if let Some(ip) = self.origin.source_ip {
                    ctx.insert_static("aws:sourceip", ip_text(ip));
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
            ctx.insert_borrowed(k, v);
        }
        ctx
    }
}

impl IamAuthorizer<'_> {
    /// The caller's keys and the request-wide ones that do not depend on the connection,
    /// shared by the caller's requests within a second.
    fn base(&self) -> Arc<ContextBase> {
        let secure = if self.origin.secure_transport {
            "true"
        } else {
            "false"
        };
        self.directory.caller_context(
            self.caller,
            &[
                ("aws:requestedregion", self.region),
                ("aws:securetransport", secure),
                ("aws:viaawsservice", "false"),
                ("aws:principalisawsservice", "false"),
            ],
        )
    }

    /// Whether the request context of `check` ([`Self::context`]) gives `key` the values
    /// `recorded` (an empty list: the key is missing), read without building that context:
    /// from the same sources in the same order of precedence (the check's keys, the
    /// resource's tags, the organization's keys, the origin's, then the caller's base, fetched
    /// into `base` the first time a key needs it). The decision memo's hit path.
    fn agrees(
        &self,
        check: &Check,
        base: &mut Option<Arc<ContextBase>>,
        key: &str,
        recorded: &[Box<str>],
    ) -> bool {
        let same = |values: &[String]| {
            values.len() == recorded.len() && values.iter().zip(recorded).all(|(a, b)| *a == **b)
        };
        let one = |value: &str| matches!(recorded, [v] if **v == *value);
        let is = |name: &str| key.eq_ignore_ascii_case(name);
        // A key set twice has its last value.
        if let Some((_, v)) = check.keys.iter().rev().find(|(k, _)| is(k)) {
            return same(v.as_slice());
        }
        const TAG: &str = "aws:resourcetag/";
        if key
            .get(..TAG.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(TAG))
            && let Some(tag) = key.get(TAG.len()..)
            && let Some((_, v)) = check
                .resource_tags
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(tag))
        {
            return one(v);
        }
        let account = &self.caller.account;
        if is("aws:principalorgpaths")
            && let Some(path) = self.organizations.org_paths(account)
        {
            return one(&path);
        }
        if is("aws:principalorgid")
            && let Some(org) = self.organizations.principal_org_id(account)
        {
            return one(&org);
        }
        match &self.origin.vpc {
            Some(vpc) => {
                if is("aws:sourcevpc") {
                    return one(&vpc.vpc_id);
                }
                if is("aws:sourcevpce") {
                    return one(&vpc.endpoint_id);
                }
                if is("aws:vpcsourceip")
                    && let Some(ip) = vpc.source_ip
                {
                    return matches!(recorded, [v] if ip_text_is(ip, v));
                }
            }
            None => {
                if is("aws:sourceip")
                    && let Some(ip) = self.origin.source_ip
                {
                    return matches!(recorded, [v] if ip_text_is(ip, v));
                }
            }
        }
        let base = base.get_or_insert_with(|| self.base());
        base.get(key)
            .map_or(recorded.is_empty(), |v| same(v.as_slice()))
    }
}

/// Whether `text` is `ip` as [`ip_text`] writes it (without allocating for IPv4).
fn ip_text_is(ip: IpAddr, text: &str) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let (bytes, len) = ipv4_text(v4);
            bytes.get(..len) == Some(text.as_bytes())
        }
        IpAddr::V6(_) => ip.to_string() == text,
    }
}

/// An IPv4 address as `Display` writes it, in a buffer: its bytes and length.
fn ipv4_text(v4: Ipv4Addr) -> ([u8; 15], usize) {
    let mut text = [0u8; 15];
    let mut len = 0;
    let mut push = |b: u8| {
        text[len] = b;
        len += 1;
    };
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            push(b'.');
        }
        if octet >= 100 {
            push(b'0' + octet / 100);
        }
        if octet >= 10 {
            push(b'0' + octet / 10 % 10);
        }
        push(b'0' + octet % 10);
    }
    (text, len)
}

/// An address as `Display` writes it; IPv4 (the usual case) without the formatting machinery,
/// which costs several times as much.
fn ip_text(ip: IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let (bytes, len) = ipv4_text(v4);
    bytes
        .get(..len)
        .map(|b| b.iter().copied().map(char::from).collect())
        .unwrap_or_default()
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

    /// Decides one check; `Ok` carries, when `record` is set, the context keys the policy
    /// set that allowed it reads and their values (for the decision memo), `Err` AWS's
    /// AccessDenied message.
    fn decide(
        &self,
        shared: &Shared<'_>,
        check: &Check,
        which: ResourcePolicy<'_>,
        record: bool,
    ) -> Result<Option<Recorded>, String> {
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
            return Ok(record.then(|| recorded(&set, &ctx)));
        }
        Err(decision.message(&ctx).unwrap_or_else(|| {
            format!(
                "User: {} is not authorized to perform: {} on resource: {}",
                self.caller.arn, check.action, check.resource
            )
        }))
    }
}

/// The context keys `set` reads and the values `ctx` gives them.
fn recorded(set: &PolicySet<'_>, ctx: &RequestContextOf<'_>) -> Recorded {
    set.context_keys()
        .into_iter()
        .map(|key| {
            let values = ctx
                .get(key)
                .map_or(&[][..], ContextValue::as_slice)
                .iter()
                .map(|v| v.as_str().into())
                .collect();
            (key.into(), values)
        })
        .collect()
}

impl IamAuthorizer<'_> {
    /// The decision memo and the state it must match, for DynamoDB checks decided with the
    /// table's own resource policy. `None` when decisions cannot be remembered: requests
    /// through a listener that adds its own endpoint policies (those are not in the stamp).
    fn memo(&self) -> Option<(&DecisionMemo, Stamp)> {
        let (engine, cache) = self.tables?;
        if self.resource_policy.is_some()
            || self
                .origin
                .vpc
                .as_ref()
                .is_some_and(|v| !v.policies.is_empty())
        {
            return None;
        }
        // Read before any policy is, so that a change after this point moves the stamp.
        let stamp = Stamp {
            engine: std::ptr::from_ref(engine) as usize,
            catalog: engine.catalog_generation(),
            directory: self.directory.policy_generation(),
            organizations: self.organizations.generation(),
            network: self.network.generation(),
        };
        Some((&cache.decisions, stamp))
    }

    fn question<'c>(&'c self, check: &'c Check) -> Question<'c> {
        Question {
            access_key_id: &self.caller.access_key_id,
            caller_arn: &self.caller.arn,
            endpoint: self.origin.vpc.as_ref().map(|v| v.endpoint_id.as_str()),
            action: &check.action,
            resource: &check.resource,
        }
    }
}

impl Authorizer for IamAuthorizer<'_> {
    fn authorize(&self, checks: &[Check]) -> Result<(), ApiError> {
        let memo = self.memo();
        let mut shared = None;
        let mut base = None;
        for check in checks {
            if let Some((memo, stamp)) = &memo
                && memo.allowed(*stamp, &self.question(check), |key, values| {
                    self.agrees(check, &mut base, key, values)
                })
            {
                continue;
            }
            let shared = shared.get_or_insert_with(|| self.shared());
            match self.decide(shared, check, ResourcePolicy::Current, memo.is_some()) {
                Ok(recorded) => {
                    if let (Some((memo, stamp)), Some(recorded)) = (&memo, recorded) {
                        memo.remember(*stamp, &self.question(check), recorded);
                    }
                }
                Err(message) => {
                    tracing::info!(caller = %self.caller.arn, action = %check.action, resource = %check.resource, %message, "denied");
                    return Err(ApiError::new(ErrorKind::AccessDenied, message));
                }
            }
        }
        Ok(())
    }

    fn allowed_with_resource_policy(&self, check: &Check, policy: &CompiledPolicy) -> bool {
        let shared = self.shared();
        self.decide(&shared, check, ResourcePolicy::Proposed(policy), false)
            .is_ok()
    }
}

#[cfg(test)]
#[path = "authorizer_tests.rs"]
mod tests;
