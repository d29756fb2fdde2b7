//! The identity directory: IAM users, groups, roles, access keys, managed and inline policies,
//! permissions boundaries, tags and STS sessions, kept durably in a storage backend, with
//! secret access keys encrypted under a key that is not kept in the same store.
//!
//! Depends on the storage traits and the IAM policy language. It must not depend on a concrete
//! storage backend, on HTTP or wire formats, or on DynamoDB tables.
//!
//! Everything lives under storage keys starting with byte `0x20` and is loaded into memory at
//! [`Directory::open`]; reads (above all [`Directory::lookup_access_key`], on every request)
//! never touch storage. Writes are serialised, made durable with one storage transaction and
//! then applied to the in-memory index.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod bootstrap;
mod crypto;
mod error;
mod identity;
mod model;
mod policies;
mod roles;
mod store;
mod sts;
mod users;
mod validate;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use palisade_storage::Storage;
use parking_lot::{Mutex, RwLock};

pub use bootstrap::{
    ADMIN_USER, AdminKey, BootstrapAccessKey, BootstrapGroup, BootstrapPolicy, BootstrapRole,
    BootstrapSpec, BootstrapUser,
};
pub use crypto::{Kek, KeyProvider, Keyring, Sealed, Secret};
pub use error::{CryptoError, DirectoryError, ErrorCode, Result};
pub use identity::{Caller, EntityRef, KeyIdentity, PrincipalKind, PrincipalPolicies, SessionInfo};
pub use model::{
    AccessKeyInfo, AccessKeyRecord, Group, InlinePolicy, KeyStatus, ManagedPolicy, PolicyVersion,
    Role, SessionOwner, SessionRecord, Tag, User, iso8601, now,
};
pub use policies::{AttachedPolicy, PolicyOwner};
pub use roles::CreateRoleInput;
pub use sts::{AssumeRoleInput, Credentials, IssuedSession};
pub use users::parse_status as parse_key_status;
pub use validate::{is_account_id, parse_policy_arn};

use store::{Change, State};

/// The identity directory over one storage backend.
pub struct Directory {
    storage: Arc<dyn Storage>,
    keyring: Keyring,
    state: RwLock<State>,
    /// Serialises writers: validate against memory, commit, apply.
    writer: tokio::sync::Mutex<()>,
    /// Compiled policies per principal, with the generation they were built at.
    cache: Mutex<HashMap<EntityRef, (u64, Arc<PrincipalPolicies>)>>,
    /// Bumped (under the state write lock) by every change that can alter policies.
    generation: AtomicU64,
    /// The request-context bases of recent callers, by access key.
    contexts: Mutex<HashMap<String, identity::CachedBase>>,
}

impl fmt::Debug for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Directory")
            .field("kek", &self.keyring.primary_id())
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Opens the directory over `storage`, loading every entity and decrypting every secret
    /// with the key from `key`. Fails if a stored secret does not decrypt with it.
    pub fn open(storage: Arc<dyn Storage>, key: KeyProvider) -> Result<Directory> {
        Directory::open_with_previous_keys(storage, key, &[])
    }

    /// Like [`open`](Self::open), with older keys that can still open secrets sealed before a
    /// rotation. New secrets are sealed with `key`; [`reseal_secrets`](Self::reseal_secrets)
    /// moves old ones to it.
    pub fn open_with_previous_keys(
        storage: Arc<dyn Storage>,
        key: KeyProvider,
        previous: &[KeyProvider],
    ) -> Result<Directory> {
        let primary = key.load()?;
        let previous = previous
            .iter()
            .map(KeyProvider::load)
            .collect::<Result<Vec<_>, _>>()?;
        let keyring = Keyring::new(primary, previous);
        let state = store::load(storage.as_ref(), &keyring)?;
        Ok(Directory {
            storage,
            keyring,
            state: RwLock::new(state),
            writer: tokio::sync::Mutex::new(()),
            cache: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            contexts: Mutex::new(HashMap::new()),
        })
    }

    /// A directory over a fresh in-memory store with a random key (tests and tools).
    pub fn in_memory() -> Directory {
        use rand::RngCore as _;
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let storage: Arc<dyn Storage> = Arc::new(palisade_storage::memory::MemoryStorage::new());
        let keyring = Keyring::new(Kek::new(key), Vec::new());
        Directory {
            storage,
            keyring,
            state: RwLock::new(State::default()),
            writer: tokio::sync::Mutex::new(()),
            cache: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            contexts: Mutex::new(HashMap::new()),
        }
    }

    /// How many changes that can alter a principal's policies (users, groups, roles, managed
    /// policies, attachments, boundaries) the directory has had since it was opened; access
    /// keys and sessions do not count. It advances under the state's write lock, after the
    /// change is applied, so a value read before reading the state names that state or an
    /// older one.
    pub fn policy_generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Re-encrypts every secret sealed with an older key under the primary key. Returns how
    /// many records changed.
    pub async fn reseal_secrets(&self) -> Result<usize> {
        let _w = self.writer.lock().await;
        let changes = {
            let st = self.state.read();
            store::reseal(&st, &self.keyring)?
        };
        let n = changes.len();
        self.commit(changes).await?;
        Ok(n)
    }

    /// Runs one write: `f` validates against the current state and returns the changes and
    /// the result; the changes are committed durably, then applied to memory.
    pub(crate) async fn mutate<R>(
        &self,
        f: impl FnOnce(&State) -> Result<(Vec<Change>, R)>,
    ) -> Result<R> {
        let _w = self.writer.lock().await;
        let (changes, r) = {
            let st = self.state.read();
            f(&st)?
        };
        self.commit(changes).await?;
        Ok(r)
    }

    /// Makes `changes` durable in one transaction, then applies them to memory.
    async fn commit(&self, changes: Vec<Change>) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let ops: Arc<Vec<store::Op>> = Arc::new(
            changes
                .iter()
                .map(Change::encode)
                .collect::<Result<Vec<_>>>()?,
        );
        let outcome = self
            .storage
            .transact(Box::new(move |txn| {
                for (k, v) in ops.iter() {
                    match v {
                        Some(v) => txn.put(k, v),
                        None => txn.delete(k),
                    }
                }
                Ok(())
            }))
            .await;
        match outcome {
            Ok(()) => {}
            Err(palisade_storage::TransactError::Storage(e)) => return Err(e.into()),
            Err(palisade_storage::TransactError::Aborted) => {
                return Err(DirectoryError::Corrupt(
                    "a directory transaction was aborted".to_owned(),
                ));
            }
        }
        let touches_policies = changes.iter().any(Change::touches_policies);
        {
            let mut st = self.state.write();
            for c in changes {
                st.apply(c);
            }
            if touches_policies {
                self.generation.fetch_add(1, Ordering::SeqCst);
            }
        }
        if touches_policies {
            self.cache.lock().clear();
        }
        Ok(())
    }
}
