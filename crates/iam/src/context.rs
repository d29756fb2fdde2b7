//! The request being authorized: who, what, on which resource, and the condition keys.

use std::borrow::Cow;
use std::sync::Arc;

use crate::glob::{Resolver, arn_colons, split_arn, split_at_colons};

/// What kind of caller made the request (`aws:PrincipalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalType {
    /// An IAM user (`arn:aws:iam::A:user/path/name`).
    User,
    /// A role session (`arn:aws:sts::A:assumed-role/R/S`).
    AssumedRole,
    /// A role named directly (`arn:aws:iam::A:role/path/R`); treated like a session of it.
    Role,
    /// A federated-user session (`arn:aws:sts::A:federated-user/N`).
    FederatedUser,
    /// The account root user (`arn:aws:iam::A:root`).
    Account,
    /// An AWS service principal (`dynamodb.amazonaws.com`).
    Service,
    /// An unauthenticated caller.
    Anonymous,
}

impl PrincipalType {
    /// The `aws:PrincipalType` value.
    pub fn name(self) -> &'static str {
        match self {
            PrincipalType::User => "User",
            PrincipalType::AssumedRole | PrincipalType::Role => "AssumedRole",
            PrincipalType::FederatedUser => "FederatedUser",
            PrincipalType::Account => "Account",
            PrincipalType::Service => "Service",
            PrincipalType::Anonymous => "Anonymous",
        }
    }
}

/// A principal ARN that Palisade does not understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a user, role, assumed-role, federated-user or root ARN, a service principal or \"anonymous\""
)]
pub struct PrincipalError(pub String);

/// The caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The ARN shown in AccessDenied messages (session ARN for role sessions), or `anonymous`.
    pub arn: String,
    /// The kind of caller.
    pub kind: PrincipalType,
    /// The principal's account, if it has one.
    pub account: Option<String>,
    /// For role sessions: the role ARN (with its path when known), used for role-ARN grants,
    /// `aws:PrincipalArn` and the service-linked-role exemption.
    pub role_arn: Option<String>,
}

impl Principal {
    /// The anonymous caller.
    pub fn anonymous() -> Principal {
        Principal {
            arn: "anonymous".to_owned(),
            kind: PrincipalType::Anonymous,
            account: None,
            role_arn: None,
        }
    }

    /// Parses a principal: an IAM user, role or root ARN, an STS assumed-role or
    /// federated-user ARN, a service principal (`*.amazonaws.com`) or `anonymous`.
    pub fn parse(text: &str) -> Result<Principal, PrincipalError> {
        let err = || PrincipalError(text.to_owned());
        if text == "anonymous" {
            return Ok(Principal::anonymous());
        }
        if text.ends_with(".amazonaws.com") && !text.contains(':') {
            return Ok(Principal {
                arn: text.to_owned(),
                kind: PrincipalType::Service,
                account: None,
                role_arn: None,
            });
        }
        let p = split_arn(text).ok_or_else(err)?;
        let (partition, service, account, res) = (p[1], p[2], p[4], p[5]);
        if p[0] != "arn" || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let mk = |kind, role_arn| Principal {
            arn: text.to_owned(),
            kind,
            account: Some(account.to_owned()),
            role_arn,
        };
        match (service, res.split_once('/')) {
            ("iam", None) if res == "root" => Ok(mk(PrincipalType::Account, None)),
            ("iam", Some(("user", n))) if !n.is_empty() => Ok(mk(PrincipalType::User, None)),
            ("iam", Some(("role", n))) if !n.is_empty() => {
                Ok(mk(PrincipalType::Role, Some(text.to_owned())))
            }
            ("sts", Some(("assumed-role", rest))) => {
                let (role, session) = rest.split_once('/').ok_or_else(err)?;
                if role.is_empty() || session.is_empty() {
                    return Err(err());
                }
                let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
                Ok(mk(PrincipalType::AssumedRole, Some(role_arn)))
            }
            ("sts", Some(("federated-user", n))) if !n.is_empty() => {
                Ok(mk(PrincipalType::FederatedUser, None))
            }
            _ => Err(err()),
        }
    }

    /// Sets the role ARN of a session (to give the role's path, which session ARNs omit).
    pub fn with_role_arn(mut self, role_arn: impl Into<String>) -> Principal {
        self.role_arn = Some(role_arn.into());
        self
    }

    /// Whether the caller is a service-linked role (role path `/aws-service-role/`), which
    /// SCPs and RCPs do not affect.
    pub fn is_service_linked_role(&self) -> bool {
        self.role_arn
            .as_deref()
            .and_then(split_arn)
            .is_some_and(|p| p[5].starts_with("role/aws-service-role/"))
    }

    /// The `aws:PrincipalArn` value: the role ARN for sessions, otherwise the ARN.
    pub fn principal_arn(&self) -> &str {
        match self.kind {
            PrincipalType::AssumedRole => self.role_arn.as_deref().unwrap_or(&self.arn),
            _ => &self.arn,
        }
    }
}

/// A condition key's value in the request: single or multi-valued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// A single value.
    Single(String),
    /// A multi-valued key (`ArrayOf...`): `aws:TagKeys`, `dynamodb:LeadingKeys`, ...
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice.
    pub fn as_slice(&self) -> &[String] {
        match self {
            ContextValue::Single(s) => std::slice::from_ref(s),
            ContextValue::Multi(v) => v,
        }
    }
}

impl From<&str> for ContextValue {
    fn from(s: &str) -> Self {
        ContextValue::Single(s.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(s: String) -> Self {
        ContextValue::Single(s)
    }
}

impl From<Vec<String>> for ContextValue {
    fn from(v: Vec<String>) -> Self {
        ContextValue::Multi(v)
    }
}

/// One condition key: the hash of its lower-cased name, the name (lower-cased when copied;
/// names borrowed from the caller keep their case, and every comparison ignores ASCII case) and
/// the value (borrowed from the caller or owned).
type Entry<'a> = (u64, Cow<'a, str>, Cow<'a, ContextValue>);

/// The lower-cased form of `key`, borrowed when it already is.
fn lower(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

/// Sets `key` in `keys` (in place when present, else appended).
fn set<'a>(
    keys: &mut Vec<Entry<'a>>,
    hash: u64,
    name: impl FnOnce() -> Cow<'a, str>,
    key: &str,
    value: Cow<'a, ContextValue>,
) {
    match find(keys, key, hash) {
        Some(i) => keys[i].2 = value,
        None => keys.push((hash, name(), value)),
    }
}

/// Sets `key` (any case; stored lower-cased) to an owned value.
fn set_owned(keys: &mut Vec<Entry<'_>>, key: &str, value: ContextValue) {
    let hash = key_hash(key);
    set(
        keys,
        hash,
        || key.to_ascii_lowercase().into(),
        key,
        Cow::Owned(value),
    );
}

/// Sets a key whose name is known at compile time: the name is not copied (names are compared
/// ignoring case).
fn set_static(keys: &mut Vec<Entry<'_>>, key: &'static str, value: ContextValue) {
    let hash = key_hash(key);
    set(keys, hash, || Cow::Borrowed(key), key, Cow::Owned(value));
}

fn find(keys: &[Entry<'_>], key: &str, hash: u64) -> Option<usize> {
    keys.iter()
        .position(|(h, k, _)| *h == hash && k.eq_ignore_ascii_case(key))
}

/// The part of a request context that depends only on the caller (and what else its builder
/// chose to put in): the principal and its keys. Built once and shared by many
/// [`RequestContext`]s through an `Arc` ([`RequestContext::with_base`]).
#[derive(Debug, Clone)]
pub struct ContextBase {
    principal: Principal,
    /// Whether the principal is a service-linked role (computed once).
    service_linked: bool,
    keys: Vec<Entry<'static>>,
}

impl ContextBase {
    /// The keys `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType` and (for users)
    /// `aws:username`, (for root) `aws:userid` filled from the principal;
    /// [`insert`](Self::insert) overrides them.
    pub fn new(principal: Principal) -> ContextBase {
        let mut base = ContextBase {
            service_linked: principal.is_service_linked_role(),
            keys: Vec::with_capacity(16),
            principal,
        };
        let p = &base.principal;
        let mut keys = Vec::with_capacity(16);
        let mut put = |key: &'static str, value: &str| {
            set(
                &mut keys,
                key_hash(key),
                || Cow::Borrowed(key),
                key,
                Cow::Owned(value.into()),
            );
        };
        if p.kind != PrincipalType::Anonymous {
            put("aws:principalarn", p.principal_arn());
            put("aws:principaltype", p.kind.name());
        } else {
            put("aws:principaltype", "Anonymous");
            put("aws:userid", "anonymous");
        }
        if let Some(acct) = &p.account {
            put("aws:principalaccount", acct.as_str());
            if p.kind == PrincipalType::Account {
                put("aws:userid", acct.as_str());
            }
        }
        if p.kind == PrincipalType::User
            && let Some(name) = p.arn.rsplit('/').next()
        {
            put("aws:username", name);
        }
        base.keys = keys;
        base
    }

    /// Sets a condition key (key names are case-insensitive).
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) {
        set_owned(&mut self.keys, key, value.into());
    }

    /// [`insert`](Self::insert) for a key name known at compile time: the name is not copied.
    pub fn insert_static(&mut self, key: &'static str, value: impl Into<ContextValue>) {
        set_static(&mut self.keys, key, value.into());
    }

    /// The caller.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The value of a condition key (case-insensitive), as a request built on this base sees
    /// it unless the request sets the key itself.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        find(&self.keys, key, key_hash(key)).map(|i| &*self.keys[i].2)
    }
}

/// One request to authorize, owning what it holds.
pub type RequestContext = RequestContextOf<'static>;

/// One request to authorize. Action, resource and keys may be borrowed from the caller for
/// `'a` ([`borrowing`](Self::borrowing), [`insert_borrowed`](Self::insert_borrowed)).
#[derive(Debug, Clone)]
pub struct RequestContextOf<'a> {
    /// The principal and the keys shared with other requests of the same caller.
    base: Arc<ContextBase>,
    action: Cow<'a, str>,
    action_lower: String,
    service_len: usize,
    resource: Cow<'a, str>,
    resource_account: Option<Cow<'a, str>>,
    /// Byte offsets of the first five colons of the resource ARN, if it is ARN-shaped.
    resource_colons: Option<[usize; 5]>,
    /// Keys of this request, stored in ASCII lower case with their [`key_hash`], in insertion
    /// order; a key also in `base` overrides it.
    keys: Vec<Entry<'a>>,
}

/// The account part of a resource ARN, unless it has none or is AWS's (`aws`).
fn resource_account_of(resource: &str, colons: Option<[usize; 5]>) -> Option<&str> {
    split_at_colons(resource, colons?)
        .map(|p| p[4])
        .filter(|a| !a.is_empty() && *a != "aws")
}

impl RequestContext {
    /// A request by `principal` to perform `action` (`service:Name`) on `resource` (an ARN or
    /// `*`). The resource account is taken from the ARN. The keys `aws:PrincipalArn`,
    /// `aws:PrincipalAccount`, `aws:PrincipalType` and (for users) `aws:username`, (for root)
    /// `aws:userid` are filled from the principal; [`insert`](Self::insert) overrides them.
    /// AWS-managed resources (account `aws`, e.g. `arn:aws:iam::aws:policy/…` or
    /// `arn:aws:organizations::aws:policy/…/p-FullAWSAccess`) belong to no account: a request
    /// for them is never cross-account.
    pub fn new(principal: Principal, action: &str, resource: &str) -> RequestContext {
        RequestContext::with_base(Arc::new(ContextBase::new(principal)), action, resource)
    }

    /// A request to perform `action` on `resource` by the principal of `base`, with its keys
    /// (as [`new`](Self::new) with the base's principal, followed by the base's inserts).
    pub fn with_base(base: Arc<ContextBase>, action: &str, resource: &str) -> RequestContext {
        let colons = arn_colons(resource);
        let account = resource_account_of(resource, colons).map(|a| Cow::Owned(a.to_owned()));
        RequestContextOf::assemble(
            base,
            Cow::Owned(action.to_owned()),
            Cow::Owned(resource.to_owned()),
            colons,
            account,
        )
    }
}

impl<'a> RequestContextOf<'a> {
    /// [`with_base`](RequestContext::with_base) with the action and the resource borrowed,
    /// not copied.
    pub fn borrowing(base: Arc<ContextBase>, action: &'a str, resource: &'a str) -> Self {
        let colons = arn_colons(resource);
        let account = resource_account_of(resource, colons).map(Cow::Borrowed);
        RequestContextOf::assemble(
            base,
            Cow::Borrowed(action),
            Cow::Borrowed(resource),
            colons,
            account,
        )
    }

    fn assemble(
        base: Arc<ContextBase>,
        action: Cow<'a, str>,
        resource: Cow<'a, str>,
        resource_colons: Option<[usize; 5]>,
        resource_account: Option<Cow<'a, str>>,
    ) -> Self {
        RequestContextOf {
            base,
            resource_colons,
            action_lower: action.to_ascii_lowercase(),
            service_len: action
                .bytes()
                .position(|b| b == b':')
                .unwrap_or(action.len()),
            action,
            resource,
            resource_account,
            keys: Vec::with_capacity(8),
        }
    }

    /// Overrides the account that owns the resource (default: from the resource ARN).
    pub fn set_resource_account(&mut self, account: Option<String>) {
        self.resource_account = account.map(Cow::Owned);
    }

    /// Sets a condition key (key names are case-insensitive). An empty multi-value list is
    /// stored as given and treated as absent by the operators.
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) {
        set_owned(&mut self.keys, key, value.into());
    }

    /// [`insert`](Self::insert) for a key name known at compile time: the name is not copied.
    pub fn insert_static(&mut self, key: &'static str, value: impl Into<ContextValue>) {
        set_static(&mut self.keys, key, value.into());
    }

    /// Sets a condition key to a value borrowed from the caller: neither the name nor the
    /// value is copied.
    pub fn insert_borrowed(&mut self, key: &'a str, value: &'a ContextValue) {
        let hash = key_hash(key);
        set(
            &mut self.keys,
            hash,
            || Cow::Borrowed(key),
            key,
            Cow::Borrowed(value),
        );
    }

    /// The value of a condition key (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        let hash = key_hash(key);
        match find(&self.keys, key, hash) {
            Some(i) => Some(&*self.keys[i].2),
            None => find(&self.base.keys, key, hash).map(|i| &*self.base.keys[i].2),
        }
    }

    /// The value of a key given in ASCII lower case with its [`key_hash`].
    pub(crate) fn get_hashed(&self, key_lower: &str, hash: u64) -> Option<&ContextValue> {
        self.keys
            .iter()
            .find(|(h, k, _)| *h == hash && k.eq_ignore_ascii_case(key_lower))
            .or_else(|| {
                self.base
                    .keys
                    .iter()
                    .find(|(h, k, _)| *h == hash && k.eq_ignore_ascii_case(key_lower))
            })
            .map(|(_, _, v)| &**v)
    }

    /// Whether the principal is a service-linked role.
    pub(crate) fn is_service_linked_role(&self) -> bool {
        self.base.service_linked
    }

    /// The caller.
    pub fn principal(&self) -> &Principal {
        &self.base.principal
    }

    /// The action as given.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The action in lower case (for case-insensitive matching).
    pub(crate) fn action_lower(&self) -> &str {
        &self.action_lower
    }

    /// The service prefix of the action, in lower case.
    pub(crate) fn service_lower(&self) -> &str {
        self.action_lower.get(..self.service_len).unwrap_or("")
    }

    /// The resource ARN.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The resource ARN split into its six parts (computed once per request).
    pub(crate) fn resource_parts(&self) -> Option<[&str; 6]> {
        split_at_colons(&self.resource, self.resource_colons?)
    }

    /// The account that owns the resource, if known.
    pub fn resource_account(&self) -> Option<&str> {
        self.resource_account.as_deref()
    }

    /// Whether caller and resource are in the same account (true when the resource has no
    /// account, e.g. `*`).
    pub fn same_account(&self) -> bool {
        match (&self.base.principal.account, &self.resource_account) {
            (Some(p), Some(r)) => p.as_str() == r.as_ref(),
            (None, Some(_)) => false,
            (_, None) => true,
        }
    }

    /// All keys (lower-cased names) and values, in insertion order (the base's first).
    pub fn keys(&self) -> impl Iterator<Item = (Cow<'_, str>, &ContextValue)> {
        let base = self.base.keys.iter().map(|(h, k, v)| {
            let v = find(&self.keys, k, *h).map_or(v, |i| &self.keys[i].2);
            (lower(k), &**v)
        });
        let own = self
            .keys
            .iter()
            .filter(|(h, k, _)| find(&self.base.keys, k, *h).is_none())
            .map(|(_, k, v)| (lower(k), &**v));
        base.chain(own)
    }
}

impl Resolver for RequestContextOf<'_> {
    fn single(&self, key_lower: &str, hash: u64) -> Option<&str> {
        match self.get_hashed(key_lower, hash)? {
            ContextValue::Single(s) => Some(s),
            ContextValue::Multi(v) if v.len() == 1 => Some(&v[0]),
            ContextValue::Multi(_) => None,
        }
    }
}

/// FNV-1a over the ASCII-lower-cased bytes of a condition key: lets a lookup skip string
/// comparisons for keys that differ.
pub(crate) fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_principals() {
        let s = Principal::parse("arn:aws:sts::111122223333:assumed-role/app/s1").unwrap();
        assert_eq!(s.kind, PrincipalType::AssumedRole);
        assert_eq!(
            s.role_arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/app")
        );
        assert_eq!(s.principal_arn(), "arn:aws:iam::111122223333:role/app");
        let r = Principal::parse("arn:aws:iam::111122223333:root").unwrap();
        assert_eq!(r.kind, PrincipalType::Account);
        assert!(Principal::parse("arn:aws:iam::1:user/x").is_err());
        assert!(Principal::parse("bob").is_err());
        let slr =
            Principal::parse("arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/R")
                .unwrap();
        assert!(slr.is_service_linked_role());
    }

    #[test]
    fn keys_are_case_insensitive_and_derived() {
        let p = Principal::parse("arn:aws:iam::111122223333:user/team/bob").unwrap();
        let mut c = RequestContext::new(
            p,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:111122223333:table/t",
        );
        c.insert("AWS:SourceVpc", "vpc-1");
        assert_eq!(c.get("aws:sourcevpc"), Some(&ContextValue::from("vpc-1")));
        assert_eq!(c.get("aws:USERNAME"), Some(&ContextValue::from("bob")));
        assert_eq!(c.resource_account(), Some("111122223333"));
        assert!(c.same_account());
    }

    #[test]
    fn request_keys_override_the_shared_base_in_place() {
        let p = Principal::parse("arn:aws:iam::111122223333:user/bob").unwrap();
        let mut base = ContextBase::new(p);
        base.insert_static("aws:SourceVpc", "vpc-1");
        base.insert_static("aws:requestedregion", "us-east-1");
        let base = Arc::new(base);
        let mut c = RequestContext::with_base(Arc::clone(&base), "dynamodb:GetItem", "*");
        c.insert("AWS:RequestedRegion", "eu-west-1");
        c.insert_static("dynamodb:LeadingKeys", vec!["k".to_owned()]);
        let region = ContextValue::from("eu-west-1");
        assert_eq!(c.get("aws:requestedregion"), Some(&region));
        assert_eq!(c.get("aws:sourcevpc"), Some(&ContextValue::from("vpc-1")));
        let keys: Vec<_> = c.keys().collect();
        let n = keys.len();
        assert_eq!(keys[n - 3].0, "aws:sourcevpc");
        assert_eq!(keys[n - 3].1, &ContextValue::from("vpc-1"));
        assert_eq!(keys[n - 2].0, "aws:requestedregion");
        assert_eq!(keys[n - 2].1, &region);
        assert_eq!(keys[n - 1].0, "dynamodb:leadingkeys");
        let other = RequestContext::with_base(base, "dynamodb:GetItem", "*");
        assert_eq!(
            other.get("aws:RequestedRegion"),
            Some(&ContextValue::from("us-east-1"))
        );
    }

    #[test]
    fn borrowed_keys_read_like_copied_ones() {
        let p = Principal::parse("arn:aws:iam::111122223333:user/bob").unwrap();
        let base = Arc::new(ContextBase::new(p));
        let (action, resource) = (
            "dynamodb:GetItem",
            "arn:aws:dynamodb:r:444455556666:table/t",
        );
        let leading = ContextValue::from(vec!["k".to_owned()]);
        let user = ContextValue::from("eve");
        let mut c = RequestContextOf::borrowing(Arc::clone(&base), action, resource);
        c.insert_static("aws:SourceIp", "10.0.0.1");
        c.insert_borrowed("dynamodb:LeadingKeys", &leading);
        c.insert_borrowed("AWS:username", &user);
        let mut copied = RequestContext::with_base(base, action, resource);
        copied.insert("aws:sourceip", "10.0.0.1");
        copied.insert("dynamodb:leadingkeys", leading.clone());
        copied.insert("aws:username", user.clone());
        assert_eq!(c.get("DYNAMODB:leadingkeys"), Some(&leading));
        assert_eq!(c.get("aws:username"), Some(&user));
        assert_eq!(
            c.single("aws:sourceip", key_hash("aws:sourceip")),
            Some("10.0.0.1")
        );
        assert_eq!(c.resource_account(), Some("444455556666"));
        assert!(!c.same_account());
        let names = |c: &RequestContextOf<'_>| -> Vec<(String, ContextValue)> {
            c.keys().map(|(k, v)| (k.into_owned(), v.clone())).collect()
        };
        assert_eq!(names(&c), names(&copied));
        assert_eq!(
            (
                c.action(),
                c.action_lower(),
                c.service_lower(),
                c.resource()
            ),
            (action, "dynamodb:getitem", "dynamodb", resource)
        );
    }

    #[test]
    fn aws_managed_resources_are_not_in_another_account() {
        let p = Principal::parse("arn:aws:iam::111122223333:user/bob").unwrap();
        for arn in [
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
        ] {
            let c = RequestContext::new(p.clone(), "iam:GetPolicy", arn);
            assert_eq!(c.resource_account(), None, "{arn}");
            assert!(c.same_account(), "{arn}");
        }
        let other = RequestContext::new(p, "iam:GetPolicy", "arn:aws:iam::444455556666:policy/x");
        assert!(!other.same_account());
    }
}
