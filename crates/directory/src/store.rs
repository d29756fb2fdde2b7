//! Storage layout and the in-memory index.
//!
//! Keys: `0x20 kind account 0x00 lower-case-name` for users (`u`), groups (`g`), roles (`r`)
//! and managed policies (`p`); `0x20 k AKID` for access keys and `0x20 s ASIA...` for STS
//! sessions. Values are JSON records; secrets inside them are sealed.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use palisade_iam::CompiledPolicy;
use palisade_storage::Storage;

use crate::crypto::{Keyring, Secret};
use crate::error::{DirectoryError, Result};
use crate::model::{AccessKeyRecord, Group, ManagedPolicy, Role, SessionRecord, User, now};

/// How long an expired session stays known, so that its use is answered with ExpiredToken
/// rather than as an unknown key.
pub(crate) const EXPIRED_GRACE: i64 = 3600;

/// The first byte of every directory key.
pub(crate) const PREFIX: u8 = 0x20;

/// One account's entities, keyed by lower-case name (IAM names are case-insensitive).
#[derive(Default)]
pub(crate) struct Account {
    pub users: BTreeMap<String, User>,
    pub groups: BTreeMap<String, Group>,
    pub roles: BTreeMap<String, Role>,
    pub policies: BTreeMap<String, ManagedPolicy>,
}

/// A long-term key with its secret in clear (memory only).
pub(crate) struct KeyEntry {
    pub rec: AccessKeyRecord,
    pub secret: Secret,
}

/// A session with its secrets in clear and its compiled session policies.
pub(crate) struct SessionEntry {
    pub rec: SessionRecord,
    pub secret: Secret,
    pub token: Secret,
    pub policies: Arc<[CompiledPolicy]>,
}

/// Everything the directory knows.
#[derive(Default)]
pub(crate) struct State {
    pub accounts: HashMap<String, Account>,
    pub keys: HashMap<String, KeyEntry>,
    pub sessions: HashMap<String, SessionEntry>,
    /// The identities of access keys looked up since the last change ([`State::apply`]
    /// empties it).
    pub identities: crate::identity::IdentityCache,
}

impl State {
    pub fn account(&self, account: &str) -> Option<&Account> {
        self.accounts.get(account)
    }

    pub fn user(&self, account: &str, name: &str) -> Option<&User> {
        self.account(account)?.users.get(&name.to_ascii_lowercase())
    }

    pub fn group(&self, account: &str, name: &str) -> Option<&Group> {
        self.account(account)?
            .groups
            .get(&name.to_ascii_lowercase())
    }

    pub fn role(&self, account: &str, name: &str) -> Option<&Role> {
        self.account(account)?.roles.get(&name.to_ascii_lowercase())
    }

    pub fn policy(&self, account: &str, name: &str) -> Option<&ManagedPolicy> {
        self.account(account)?
            .policies
            .get(&name.to_ascii_lowercase())
    }

    /// The managed policy with this ARN (path included), if it exists.
    pub fn policy_by_arn(&self, arn: &str) -> Option<&ManagedPolicy> {
        let (account, _path, name) = crate::validate::parse_policy_arn(arn)?;
        self.policy(account, name).filter(|p| p.arn() == arn)
    }

    pub fn apply(&mut self, c: Change) {
        self.identities.clear();
        match c {
            Change::User(acct, key, v) => {
                let map = &mut self.accounts.entry(acct).or_default().users;
                put(map, key, v);
            }
            Change::Group(acct, key, v) => {
                let map = &mut self.accounts.entry(acct).or_default().groups;
                put(map, key, v);
            }
            Change::Role(acct, key, v) => {
                let map = &mut self.accounts.entry(acct).or_default().roles;
                put(map, key, v);
            }
            Change::Policy(acct, key, v) => {
                let map = &mut self.accounts.entry(acct).or_default().policies;
                put(map, key, v);
            }
            Change::Key(akid, v) => match v {
                Some(e) => {
                    self.keys.insert(akid, e);
                }
                None => {
                    self.keys.remove(&akid);
                }
            },
            Change::Session(akid, v) => match v {
                Some(e) => {
                    self.sessions.insert(akid, *e);
                }
                None => {
                    self.sessions.remove(&akid);
                }
            },
        }
    }
}

fn put<T>(map: &mut BTreeMap<String, T>, key: String, v: Option<T>) {
    match v {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.remove(&key);
        }
    }
}

/// A storage key and its new value (`None` deletes).
pub(crate) type Op = (Vec<u8>, Option<Vec<u8>>);

/// One durable change: `None` deletes.
pub(crate) enum Change {
    User(String, String, Option<User>),
    Group(String, String, Option<Group>),
    Role(String, String, Option<Role>),
    Policy(String, String, Option<ManagedPolicy>),
    Key(String, Option<KeyEntry>),
    Session(String, Option<Box<SessionEntry>>),
}

fn entity_key(kind: u8, account: &str, lname: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(3 + account.len() + lname.len());
    k.push(PREFIX);
    k.push(kind);
    k.extend_from_slice(account.as_bytes());
    k.push(0);
    k.extend_from_slice(lname.as_bytes());
    k
}

fn id_key(kind: u8, id: &str) -> Vec<u8> {
    let mut k = vec![PREFIX, kind];
    k.extend_from_slice(id.as_bytes());
    k
}

fn json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| DirectoryError::Corrupt(e.to_string()))
}

impl Change {
    pub fn user(u: &User) -> Change {
        Change::User(
            u.account.clone(),
            u.name.to_ascii_lowercase(),
            Some(u.clone()),
        )
    }
    pub fn group(g: &Group) -> Change {
        Change::Group(
            g.account.clone(),
            g.name.to_ascii_lowercase(),
            Some(g.clone()),
        )
    }
    pub fn role(r: &Role) -> Change {
        Change::Role(
            r.account.clone(),
            r.name.to_ascii_lowercase(),
            Some(r.clone()),
        )
    }
    pub fn policy(p: &ManagedPolicy) -> Change {
        Change::Policy(
            p.account.clone(),
            p.name.to_ascii_lowercase(),
            Some(p.clone()),
        )
    }

    /// The storage key and value (`None` = delete).
    pub fn encode(&self) -> Result<Op> {
        Ok(match self {
            Change::User(a, n, v) => (entity_key(b'u', a, n), v.as_ref().map(json).transpose()?),
            Change::Group(a, n, v) => (entity_key(b'g', a, n), v.as_ref().map(json).transpose()?),
            Change::Role(a, n, v) => (entity_key(b'r', a, n), v.as_ref().map(json).transpose()?),
            Change::Policy(a, n, v) => (entity_key(b'p', a, n), v.as_ref().map(json).transpose()?),
            Change::Key(id, v) => (
                id_key(b'k', id),
                v.as_ref().map(|e| json(&e.rec)).transpose()?,
            ),
            Change::Session(id, v) => (
                id_key(b's', id),
                v.as_ref().map(|e| json(&e.rec)).transpose()?,
            ),
        })
    }

    /// Whether the change can alter some principal's compiled policies.
    pub fn touches_policies(&self) -> bool {
        !matches!(self, Change::Key(..) | Change::Session(..))
    }
}

fn parse<T: serde::de::DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<T> {
    serde_json::from_slice(value).map_err(|e| {
        DirectoryError::Corrupt(format!(
            "record {:?}: {e}",
            String::from_utf8_lossy(key.get(1..).unwrap_or_default())
        ))
    })
}

/// Reads every directory record into memory, decrypting secrets. Sessions that expired more
/// than [`EXPIRED_GRACE`] ago are not loaded.
pub(crate) fn load(storage: &dyn Storage, keyring: &Keyring) -> Result<State> {
    let snap = storage.snapshot()?;
    let start = [PREFIX];
    let end = [PREFIX + 1];
    let mut st = State::default();
    let mut sessions = Vec::new();
    let now = now();
    for entry in snap.range(Bound::Included(&start), Bound::Excluded(&end), false) {
        let (k, v) = entry?;
        match k.get(1) {
            Some(b'u') => st.apply(Change::user(&parse::<User>(&k, &v)?)),
            Some(b'g') => st.apply(Change::group(&parse::<Group>(&k, &v)?)),
            Some(b'r') => st.apply(Change::role(&parse::<Role>(&k, &v)?)),
            Some(b'p') => st.apply(Change::policy(&parse::<ManagedPolicy>(&k, &v)?)),
            Some(b'k') => {
                let rec: AccessKeyRecord = parse(&k, &v)?;
                let what = format!("access key {}", rec.access_key_id);
                let secret = keyring.open(&rec.access_key_id, &rec.secret, &what)?;
                st.keys
                    .insert(rec.access_key_id.clone(), KeyEntry { rec, secret });
            }
            Some(b's') => {
                let rec: SessionRecord = parse(&k, &v)?;
                if rec.expires > now - EXPIRED_GRACE {
                    sessions.push(rec);
                }
            }
            _ => {}
        }
    }
    for rec in sessions {
        let what = format!("session {}", rec.access_key_id);
        let secret = keyring.open(&rec.access_key_id, &rec.secret, &what)?;
        let token = keyring.open(&token_context(&rec.access_key_id), &rec.token, &what)?;
        let policies = crate::sts::compile_session_policies(&st, &rec);
        st.sessions.insert(
            rec.access_key_id.clone(),
            SessionEntry {
                rec,
                secret,
                token,
                policies,
            },
        );
    }
    Ok(st)
}

/// The AEAD context a session token is bound to.
pub(crate) fn token_context(akid: &str) -> String {
    format!("{akid}/token")
}

/// Changes that re-seal every secret not sealed with the primary key.
pub(crate) fn reseal(st: &State, keyring: &Keyring) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    for (id, e) in &st.keys {
        if e.rec.secret.kid != keyring.primary_id() {
            let mut rec = e.rec.clone();
            rec.secret = keyring.seal(id, e.secret.expose())?;
            out.push(Change::Key(
                id.clone(),
                Some(KeyEntry {
                    rec,
                    secret: e.secret.clone(),
                }),
            ));
        }
    }
    for (id, e) in &st.sessions {
        if e.rec.secret.kid != keyring.primary_id() || e.rec.token.kid != keyring.primary_id() {
            let mut rec = e.rec.clone();
            rec.secret = keyring.seal(id, e.secret.expose())?;
            rec.token = keyring.seal(&token_context(id), e.token.expose())?;
            out.push(Change::Session(
                id.clone(),
                Some(Box::new(SessionEntry {
                    rec,
                    secret: e.secret.clone(),
                    token: e.token.clone(),
                    policies: Arc::clone(&e.policies),
                })),
            ));
        }
    }
    Ok(out)
}
