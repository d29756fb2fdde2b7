//! The per-request view: who owns an access key ([`Directory::lookup_access_key`]) and which
//! compiled policies apply to a principal, cached until something changes.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use palisade_iam::{CompiledPolicy, ContextBase, Principal, PrincipalType, RequestContext};

use crate::Directory;
use crate::crypto::Secret;
use crate::model::{KeyStatus, SessionOwner, Tag};
use crate::policies::default_document;
use crate::store::State;

/// What kind of principal a caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    User,
    AssumedRole,
    Root,
    FederatedUser,
}

/// The entity whose identity policies apply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EntityRef {
    User { account: String, name: String },
    Role { account: String, name: String },
    Root { account: String },
}

/// Facts about an STS session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Unix seconds.
    pub issued: i64,
    /// Unix seconds.
    pub expires: i64,
    pub session_tags: Vec<Tag>,
    /// Lower-cased.
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    /// Whether the session was itself made with role-session credentials.
    pub chained: bool,
    /// Role session name (role sessions only).
    pub session_name: Option<String>,
}

/// An authenticated principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub kind: PrincipalKind,
    /// User ARN, assumed-role session ARN (no role path), or `arn:aws:iam::A:root`.
    pub arn: String,
    pub account: String,
    /// `aws:userid`: `AIDA...`, `AROA...:session`, or the account id for root.
    pub user_id: String,
    /// The IAM user name (users and their GetSessionToken sessions).
    pub username: Option<String>,
    /// For role sessions: the role ARN with its path.
    pub role_arn: Option<String>,
    pub entity: EntityRef,
    /// Principal tags (`aws:PrincipalTag/K`): the user's or role's tags, overridden by
    /// session tags.
    pub tags: Vec<Tag>,
    /// The access key the request was signed with.
    pub access_key_id: String,
    /// Present for temporary credentials.
    pub session: Option<SessionInfo>,
}

impl Caller {
    /// The account root user (no access key).
    pub fn root(account: &str) -> Caller {
        Caller {
            kind: PrincipalKind::Root,
            arn: format!("arn:aws:iam::{account}:root"),
            account: account.to_owned(),
            user_id: account.to_owned(),
            username: None,
            role_arn: None,
            entity: EntityRef::Root {
                account: account.to_owned(),
            },
            tags: Vec::new(),
            access_key_id: String::new(),
            session: None,
        }
    }

    /// The principal as the policy engine sees it.
    pub fn iam_principal(&self) -> Principal {
        let kind = match self.kind {
            PrincipalKind::User => PrincipalType::User,
            PrincipalKind::AssumedRole => PrincipalType::AssumedRole,
            PrincipalKind::Root => PrincipalType::Account,
            PrincipalKind::FederatedUser => PrincipalType::FederatedUser,
        };
        Principal {
            arn: self.arn.clone(),
            kind,
            account: Some(self.account.clone()),
            role_arn: self.role_arn.clone(),
        }
    }

    /// A request context for `action` on `resource` with the caller's global keys filled in:
    /// `aws:userid`, `aws:username`, `aws:PrincipalTag/K`, for sessions `aws:SourceIdentity`,
    /// `aws:TokenIssueTime` and `aws:MultiFactorAuthPresent`, and `aws:CurrentTime`,
    /// `aws:EpochTime`. Network keys (`aws:SourceIp`, `aws:SecureTransport`, ...) are the
    /// caller's to add.
    pub fn request_context(&self, action: &str, resource: &str) -> RequestContext {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        RequestContext::with_base(Arc::new(self.context_base(now)), action, resource)
    }

    /// The keys of [`request_context`](Self::request_context) at `now` (Unix seconds), without
    /// an action or resource: what every request of the caller in that second shares.
    pub fn context_base(&self, now: i64) -> ContextBase {
        let mut ctx = ContextBase::new(self.iam_principal());
        ctx.insert_static("aws:userid", self.user_id.as_str());
        if let Some(u) = &self.username {
            ctx.insert_static("aws:username", u.as_str());
        }
        for t in &self.tags {
            ctx.insert(&format!("aws:PrincipalTag/{}", t.key), t.value.as_str());
        }
        if let Some(s) = &self.session {
            if let Some(si) = &s.source_identity {
                ctx.insert_static("aws:sourceidentity", si.as_str());
            }
            ctx.insert_static("aws:tokenissuetime", crate::model::iso8601(s.issued));
            ctx.insert_static("aws:multifactorauthpresent", "false");
        }
        ctx.insert_static("aws:currenttime", crate::model::iso8601(now));
        ctx.insert_static("aws:epochtime", now.to_string());
        ctx
    }
}

/// Most callers whose context bases are kept; the cache starts over beyond that.
const CONTEXT_CACHE_LIMIT: usize = 4096;

/// A caller's context base with what it was built from: valid while the caller, the second
/// and the extra keys are the same.
pub(crate) struct CachedBase {
    caller: Caller,
    /// The shared identity `caller` was copied from, when the caller came from
    /// [`Directory::lookup_access_key_shared`]: a request whose caller lives at the same address
    /// is the same caller (held here, the address cannot be reused), without comparing fields.
    identity: Option<Arc<KeyIdentity>>,
    second: i64,
    extra: Vec<(&'static str, String)>,
    base: Arc<ContextBase>,
}

/// What authentication needs to know about an access key.
#[derive(Clone)]
pub struct KeyIdentity {
    pub access_key_id: String,
    /// The secret access key, in clear (memory only).
    pub secret: Secret,
    /// For temporary keys: the session token the request must carry.
    pub session_token: Option<Secret>,
    /// For temporary keys: expiry, Unix seconds.
    pub expires: Option<i64>,
    pub caller: Caller,
    /// The compiled session policies (empty = no session policy).
    pub session_policies: Arc<[CompiledPolicy]>,
    /// The SigV4 signing key last derived from `secret`.
    signing_key: SigningKeyMemo,
}

/// The SigV4 signing key last derived from an identity's secret, with the credential scope
/// (`date/region/service/terminator`) it was derived for. A copy of the identity starts empty.
#[derive(Default)]
struct SigningKeyMemo(Mutex<Option<(String, [u8; 32])>>);

impl Clone for SigningKeyMemo {
    fn clone(&self) -> Self {
        SigningKeyMemo::default()
    }
}

impl fmt::Debug for KeyIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyIdentity")
            .field("access_key_id", &self.access_key_id)
            .field("expires", &self.expires)
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

impl KeyIdentity {
    /// Whether a temporary key has expired at `now` (Unix seconds).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }

    /// The SigV4 signing key of this identity's secret for credential scope `scope`: the one
    /// remembered from the last call with the same scope, otherwise `derive()` (which must derive
    /// it from [`secret`](Self::secret) for `scope`), then remembered. Shared identities
    /// ([`Directory::lookup_access_key_shared`]) thus derive a key once per scope (once a day).
    pub fn signing_key(&self, scope: &str, derive: impl FnOnce() -> [u8; 32]) -> [u8; 32] {
        if let Some((known, key)) = self.signing_key.0.lock().as_ref()
            && known == scope
        {
            return *key;
        }
        let key = derive();
        *self.signing_key.0.lock() = Some((scope.to_owned(), key));
        key
    }
}

/// The compiled policies of a user or role.
#[derive(Debug, Default)]
pub struct PrincipalPolicies {
    /// Inline and attached policies (for users also every group's).
    pub identity: Vec<CompiledPolicy>,
    /// The permissions boundary, if set.
    pub boundary: Option<CompiledPolicy>,
}

fn compile(text: &str, label: String) -> Option<CompiledPolicy> {
    match CompiledPolicy::parse(text, palisade_iam::PolicyType::Identity) {
        Ok(p) => Some(p.with_label(label)),
        Err(e) => {
            tracing::warn!(policy = %label, error = %e, "stored policy does not parse; ignored");
            None
        }
    }
}

fn compile_managed(st: &State, arn: &str) -> Option<CompiledPolicy> {
    compile(default_document(st, arn)?, arn.to_owned())
}

fn build(st: &State, entity: &EntityRef) -> PrincipalPolicies {
    let mut out = PrincipalPolicies::default();
    let add_inline = |list: &[crate::model::InlinePolicy], out: &mut PrincipalPolicies| {
        for p in list {
            out.identity.extend(compile(&p.document, p.name.clone()));
        }
    };
    match entity {
        EntityRef::User { account, name } => {
            let Some(u) = st.user(account, name) else {
                return out;
            };
            add_inline(&u.inline, &mut out);
            for arn in &u.attached {
                out.identity.extend(compile_managed(st, arn));
            }
            for g in &u.groups {
                if let Some(g) = st.group(account, g) {
                    add_inline(&g.inline, &mut out);
                    for arn in &g.attached {
                        out.identity.extend(compile_managed(st, arn));
                    }
                }
            }
            out.boundary = u.boundary.as_deref().and_then(|b| compile_managed(st, b));
        }
        EntityRef::Role { account, name } => {
            let Some(r) = st.role(account, name) else {
                return out;
            };
            add_inline(&r.inline, &mut out);
            for arn in &r.attached {
                out.identity.extend(compile_managed(st, arn));
            }
            out.boundary = r.boundary.as_deref().and_then(|b| compile_managed(st, b));
        }
        EntityRef::Root { .. } => {}
    }
    out
}

/// Hashes access key ids eight bytes at a time (a multiply-rotate mix). The ids in the table
/// are generated by the server, so a client choosing the id it looks up cannot make the table's
/// entries collide; SipHash's protection is not needed and would cost more than the lookup.
#[derive(Default)]
pub(crate) struct KeyIdHasher(u64);

impl Hasher for KeyIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(K);
        }
    }
}

/// The identities of recently used access keys, each built once and then shared: what
/// [`Directory::lookup_access_key_shared`] returns. Kept in the directory's state and emptied
/// by every change to it (any change can alter a key's caller: its user, role, tags, status).
#[derive(Default)]
pub(crate) struct IdentityCache {
    map: RwLock<HashMap<String, Arc<KeyIdentity>, BuildHasherDefault<KeyIdHasher>>>,
}

impl IdentityCache {
    /// The shared identity of `akid`, if built since the last change.
    fn get(&self, akid: &str) -> Option<Arc<KeyIdentity>> {
        self.map.read().get(akid).map(Arc::clone)
    }

    /// Remembers the identity of `akid`. The table is bounded by the keys and sessions the
    /// state holds, since only identities found there are inserted and every change empties it.
    fn insert(&self, akid: &str, identity: &Arc<KeyIdentity>) {
        self.map
            .write()
            .insert(akid.to_owned(), Arc::clone(identity));
    }

    /// Forgets every identity (the state is changing).
    pub(crate) fn clear(&mut self) {
        self.map.get_mut().clear();
    }
}

impl Directory {
    /// The identity behind an access key: long-term `AKIA` keys that are Active, and
    /// unexpired STS sessions (expired ones are still returned while in memory, so the caller
    /// can answer ExpiredToken; check [`KeyIdentity::is_expired`]). Never reads storage.
    pub fn lookup_access_key(&self, akid: &str) -> Option<KeyIdentity> {
        self.lookup_access_key_shared(akid)
            .map(|identity| KeyIdentity::clone(&identity))
    }

    /// [`lookup_access_key`](Self::lookup_access_key) without copying: the identity is built
    /// once per key and change of the directory, then shared by every request signed with it.
    pub fn lookup_access_key_shared(&self, akid: &str) -> Option<Arc<KeyIdentity>> {
        let st = self.state.read();
        if let Some(identity) = st.identities.get(akid) {
            return Some(identity);
        }
        // Built and inserted under the read lock, so no change can be applied in between and
        // leave a stale identity behind.
        let identity = Arc::new(build_identity(&st, akid)?);
        st.identities.insert(akid, &identity);
        Some(identity)
    }

    /// The compiled identity policies and boundary of a principal, compiled once per change
    /// of the directory.
    pub fn principal_policies(&self, entity: &EntityRef) -> Arc<PrincipalPolicies> {
        use std::sync::atomic::Ordering;
        if let Some((generation, p)) = self.cache.lock().get(entity)
            && *generation == self.generation.load(Ordering::SeqCst)
        {
            return Arc::clone(p);
        }
        // The generation is read under the state lock, so it names the state built from; an
        // entry built from a state that changed meanwhile is never used.
        let (generation, built) = {
            let st = self.state.read();
            let generation = self.generation.load(Ordering::SeqCst);
            (generation, Arc::new(build(&st, entity)))
        };
        self.cache
            .lock()
            .insert(entity.clone(), (generation, Arc::clone(&built)));
        built
    }

    /// The identity policies of a principal: user inline + attached + every group's, or role
    /// inline + attached. Borrow the slice with `&policies.identity`.
    pub fn identity_policies(&self, entity: &EntityRef) -> Arc<PrincipalPolicies> {
        self.principal_policies(entity)
    }

    /// The permissions boundary of a principal, if any (shares the cached compilation).
    pub fn permissions_boundary(&self, entity: &EntityRef) -> Option<CompiledPolicy> {
        self.principal_policies(entity).boundary.clone()
    }

    /// The caller's part of the request contexts of this second ([`Caller::context_base`]) with
    /// the keys `extra` added in order (request-wide keys such as `aws:RequestedRegion`):
    /// built once per caller, second and `extra`, then shared.
    pub fn caller_context(
        &self,
        caller: &Caller,
        extra: &[(&'static str, &str)],
    ) -> Arc<ContextBase> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let same_extra = |cached: &[(&'static str, String)]| {
            cached.len() == extra.len()
                && cached
                    .iter()
                    .zip(extra)
                    .all(|((ck, cv), (k, v))| ck == k && cv == v)
        };
        let same_caller = |c: &CachedBase| {
            c.identity
                .as_ref()
                .is_some_and(|id| std::ptr::eq(&id.caller, caller))
                || c.caller == *caller
        };
        if let Some(c) = self.contexts.lock().get(caller.access_key_id.as_str())
            && c.second == now
            && same_caller(c)
            && same_extra(&c.extra)
        {
            return Arc::clone(&c.base);
        }
        let identity = self
            .state
            .read()
            .identities
            .get(&caller.access_key_id)
            .filter(|id| std::ptr::eq(&id.caller, caller));
        let mut base = caller.context_base(now);
        for (k, v) in extra {
            base.insert_static(k, *v);
        }
        let base = Arc::new(base);
        let mut cache = self.contexts.lock();
        if cache.len() >= CONTEXT_CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(
            caller.access_key_id.clone(),
            CachedBase {
                caller: caller.clone(),
                identity,
                second: now,
                extra: extra.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
                base: Arc::clone(&base),
            },
        );
        base
    }

    /// The compiled session policies of a temporary key (empty = none).
    pub fn session_policy(&self, akid: &str) -> Arc<[CompiledPolicy]> {
        self.state
            .read()
            .sessions
            .get(akid)
            .map(|s| Arc::clone(&s.policies))
            .unwrap_or_else(no_session_policies)
    }
}

/// The identity behind an access key, built from the state (see
/// [`Directory::lookup_access_key`]).
fn build_identity(st: &State, akid: &str) -> Option<KeyIdentity> {
    if let Some(k) = st.keys.get(akid) {
        if k.rec.status != KeyStatus::Active {
            return None;
        }
        let u = st.user(&k.rec.account, &k.rec.user_name)?;
        return Some(KeyIdentity {
            access_key_id: akid.to_owned(),
            secret: k.secret.clone(),
            session_token: None,
            expires: None,
            caller: user_caller(u, akid, None),
            session_policies: no_session_policies(),
            signing_key: SigningKeyMemo::default(),
        });
    }
    let s = st.sessions.get(akid)?;
    let info = SessionInfo {
        issued: s.rec.created,
        expires: s.rec.expires,
        session_tags: s.rec.session_tags.clone(),
        transitive_tag_keys: s.rec.transitive_tag_keys.clone(),
        source_identity: s.rec.source_identity.clone(),
        chained: s.rec.chained,
        session_name: match &s.rec.owner {
            SessionOwner::Role { session_name, .. } => Some(session_name.clone()),
            SessionOwner::User { .. } => None,
        },
    };
    let caller = match &s.rec.owner {
        SessionOwner::User { user_name } => {
            let u = st.user(&s.rec.account, user_name)?;
            user_caller(u, akid, Some(info))
        }
        SessionOwner::Role {
            role_name,
            role_arn,
            role_id,
            session_name,
        } => {
            // Role tags, overridden by session tags (keys case-insensitive).
            let mut tags = st
                .role(&s.rec.account, role_name)
                .map(|r| r.tags.clone())
                .unwrap_or_default();
            for t in &s.rec.session_tags {
                tags.retain(|x| !x.key.eq_ignore_ascii_case(&t.key));
                tags.push(t.clone());
            }
            Caller {
                kind: PrincipalKind::AssumedRole,
                arn: format!(
                    "arn:aws:sts::{}:assumed-role/{role_name}/{session_name}",
                    s.rec.account
                ),
                account: s.rec.account.clone(),
                user_id: format!("{role_id}:{session_name}"),
                username: None,
                role_arn: Some(role_arn.clone()),
                entity: EntityRef::Role {
                    account: s.rec.account.clone(),
                    name: role_name.clone(),
                },
                tags,
                access_key_id: akid.to_owned(),
                session: Some(info),
            }
        }
    };
    Some(KeyIdentity {
        access_key_id: akid.to_owned(),
        secret: s.secret.clone(),
        session_token: Some(s.token.clone()),
        expires: Some(s.rec.expires),
        caller,
        session_policies: Arc::clone(&s.policies),
        signing_key: SigningKeyMemo::default(),
    })
}

/// The session policies of a long-term key: none (one shared allocation).
fn no_session_policies() -> Arc<[CompiledPolicy]> {
    static NONE: std::sync::OnceLock<Arc<[CompiledPolicy]>> = std::sync::OnceLock::new();
    Arc::clone(NONE.get_or_init(|| Arc::from(Vec::new())))
}

pub(crate) fn user_caller(u: &crate::User, akid: &str, session: Option<SessionInfo>) -> Caller {
    Caller {
        kind: PrincipalKind::User,
        arn: u.arn(),
        account: u.account.clone(),
        user_id: u.id.clone(),
        username: Some(u.name.clone()),
        role_arn: None,
        entity: EntityRef::User {
            account: u.account.clone(),
            name: u.name.clone(),
        },
        tags: u.tags.clone(),
        access_key_id: akid.to_owned(),
        session,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AdminKey;

    const ACCOUNT: &str = "111122223333";

    #[tokio::test]
    async fn shared_identities_are_built_once_and_rebuilt_after_a_change() {
        let d = Directory::in_memory();
        let (akid, _) = d
            .ensure_admin(ACCOUNT, AdminKey::Generate)
            .await
            .unwrap()
            .unwrap();
        let first = d.lookup_access_key_shared(&akid).unwrap();
        let again = d.lookup_access_key_shared(&akid).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(d.lookup_access_key(&akid).unwrap().caller, first.caller);
        assert!(d.lookup_access_key_shared("AKIAUNKNOWN000000000").is_none());

        let tag = Tag {
            key: "team".into(),
            value: "blue".into(),
        };
        d.tag_user(ACCOUNT, "admin", std::slice::from_ref(&tag))
            .await
            .unwrap();
        let tagged = d.lookup_access_key_shared(&akid).unwrap();
        assert!(!Arc::ptr_eq(&first, &tagged));
        assert_eq!(tagged.caller.tags, vec![tag]);

        d.update_access_key(ACCOUNT, "admin", &akid, KeyStatus::Inactive)
            .await
            .unwrap();
        assert!(d.lookup_access_key_shared(&akid).is_none());
    }

    #[tokio::test]
    async fn caller_context_is_shared_for_the_same_caller() {
        let d = Directory::in_memory();
        let (akid, _) = d
            .ensure_admin(ACCOUNT, AdminKey::Generate)
            .await
            .unwrap()
            .unwrap();
        let shared = d.lookup_access_key_shared(&akid).unwrap();
        let extra = [("aws:requestedregion", "us-east-1")];
        let a = d.caller_context(&shared.caller, &extra);
        let b = d.caller_context(&shared.caller, &extra);
        // A copy of the caller is the same caller too.
        let copy = shared.caller.clone();
        let c = d.caller_context(&copy, &extra);
        // Within one second every call shares the base (the second may just have turned).
        assert!(Arc::ptr_eq(&a, &b) || Arc::ptr_eq(&b, &c));
        let other = d.caller_context(&shared.caller, &[("aws:requestedregion", "eu-west-1")]);
        assert!(!Arc::ptr_eq(&other, &c));
    }

    #[tokio::test]
    async fn signing_keys_are_remembered_per_scope() {
        let d = Directory::in_memory();
        let (akid, _) = d
            .ensure_admin(ACCOUNT, AdminKey::Generate)
            .await
            .unwrap()
            .unwrap();
        let id = d.lookup_access_key_shared(&akid).unwrap();
        let scope = "20150830/us-east-1/dynamodb/aws4_request";
        assert_eq!(id.signing_key(scope, || [1; 32]), [1; 32]);
        assert_eq!(id.signing_key(scope, || [2; 32]), [1; 32]);
        let next_day = "20150831/us-east-1/dynamodb/aws4_request";
        assert_eq!(id.signing_key(next_day, || [3; 32]), [3; 32]);
        assert_eq!(id.signing_key(next_day, || [4; 32]), [3; 32]);
        // A copy starts empty.
        let copy = KeyIdentity::clone(&id);
        assert_eq!(copy.signing_key(next_day, || [5; 32]), [5; 32]);
    }

    #[test]
    fn key_id_hasher_spreads_ids() {
        use std::hash::BuildHasher as _;
        let build = BuildHasherDefault::<KeyIdHasher>::default();
        let a = build.hash_one("AKIAAAAAAAAAAAAAAAA1");
        let b = build.hash_one("AKIAAAAAAAAAAAAAAAA2");
        let c = build.hash_one("AKIAAAAAAAAAAAAAAAA");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, build.hash_one("AKIAAAAAAAAAAAAAAAA1"));
    }
}
