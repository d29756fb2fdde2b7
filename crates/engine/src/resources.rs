//! Table-level resources: tags and resource-based policies (with their RevisionIds).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::{EngineError, Result};
use crate::schema::TableMeta;
use crate::{Engine, keys};

/// Counts the ends of write accesses to every engine's table catalog ([`Tracked::write`]).
/// One counter for all engines, so that a value also tells engines apart over time: opening
/// an engine writes its catalog.
static CATALOG_GENERATION: AtomicU64 = AtomicU64::new(0);

/// A value behind a read-write lock whose every write access, when it ends, advances the
/// catalog generation ([`Engine::catalog_generation`]). Holds the engine's table metadata, so
/// that no change to a table (create, update, delete, tags, resource policy) can go unseen by
/// caches of what is derived from it.
#[derive(Debug, Default)]
pub(crate) struct Tracked<T> {
    lock: RwLock<T>,
}

impl<T> Tracked<T> {
    pub(crate) fn new(value: T) -> Tracked<T> {
        Tracked {
            lock: RwLock::new(value),
        }
    }

    /// Shared access.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, T> {
        self.lock.read()
    }

    /// Exclusive access; the generation advances when the guard is dropped (while the lock is
    /// still held, so a reader that sees the new generation sees the change).
    pub(crate) fn write(&self) -> TrackedWrite<'_, T> {
        TrackedWrite(self.lock.write())
    }
}

/// The guard of [`Tracked::write`].
pub(crate) struct TrackedWrite<'a, T>(RwLockWriteGuard<'a, T>);

impl<T> Deref for TrackedWrite<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for TrackedWrite<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> Drop for TrackedWrite<'_, T> {
    fn drop(&mut self) {
        // Runs before the inner guard releases the lock.
        CATALOG_GENERATION.fetch_add(1, Ordering::SeqCst);
    }
}

impl Engine {
    /// A number that changes whenever the table metadata of any engine may have changed
    /// (tables created, updated or deleted, tags, resource policies). Read it before reading
    /// metadata: while it keeps its value, what was derived from that metadata is current.
    pub fn catalog_generation(&self) -> u64 {
        CATALOG_GENERATION.load(Ordering::SeqCst)
    }
}

impl Engine {
    /// The table named by a resource ARN (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`), for
    /// the tagging and resource-policy operations.
    pub fn table_by_arn(&self, arn: &str) -> Result<Arc<TableMeta>> {
        let (account, name) = self.resolve_table_name("", arn);
        if account.is_empty() {
            return Err(EngineError::validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            )));
        }
        self.table(account, name).map_err(|_| {
            EngineError::ResourceNotFound(format!(
                "Requested resource not found: ResourceArn: {arn} not found"
            ))
        })
    }

    /// Stores changed metadata for an existing table.
    pub(crate) async fn replace_meta(&self, meta: TableMeta) -> Result<Arc<TableMeta>> {
        let ckey = keys::catalog_key(&meta.account, &meta.name);
        let stored = meta.clone();
        self.write(move |txn| {
            if txn.get(&ckey)?.is_none() {
                return Err(EngineError::table_not_found());
            }
            txn.put(
                &ckey,
                &serde_json::to_vec(&stored).map_err(EngineError::internal)?,
            );
            Ok(())
        })
        .await?;
        let meta = Arc::new(meta);
        self.tables
            .write()
            .insert((meta.account.clone(), meta.name.clone()), Arc::clone(&meta));
        Ok(meta)
    }

    /// TagResource: adds or replaces tags (at most 50 per resource).
    pub async fn tag_resource(&self, arn: &str, tags: Vec<(String, String)>) -> Result<()> {
        let mut meta = (*self.table_by_arn(arn)?).clone();
        for (k, v) in tags {
            match meta.tags.iter_mut().find(|(tk, _)| *tk == k) {
                Some(t) => t.1 = v,
                None => meta.tags.push((k, v)),
            }
        }
        if meta.tags.len() > 50 {
            return Err(EngineError::LimitExceeded(
                "The number of tags exceeds the limit allowed for the resource: 50".into(),
            ));
        }
        self.replace_meta(meta).await.map(|_| ())
    }

    /// UntagResource: removes the tags with these keys.
    pub async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<()> {
        let mut meta = (*self.table_by_arn(arn)?).clone();
        meta.tags.retain(|(k, _)| !keys.contains(k));
        self.replace_meta(meta).await.map(|_| ())
    }
}

/// The RevisionId of a resource policy: a digest of its text (FNV-1a, 64 bits, as 20 digits),
/// so putting the same document again gives the same revision.
pub fn policy_revision(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:020}")
}

impl Engine {
    /// PutResourcePolicy on a table: returns the new RevisionId. `expected` is
    /// ExpectedRevisionId (`NO_POLICY`: only when the table has none).
    pub async fn put_resource_policy(
        &self,
        arn: &str,
        policy: String,
        expected: Option<&str>,
    ) -> Result<String> {
        let mut meta = (*self.table_by_arn(arn)?).clone();
        check_revision(&meta, arn, expected)?;
        let revision = policy_revision(&policy);
        meta.resource_policy = Some(policy);
        meta.policy_revision = Some(revision.clone());
        self.replace_meta(meta).await?;
        Ok(revision)
    }

    /// GetResourcePolicy on a table: the policy and its RevisionId.
    pub fn get_resource_policy(&self, arn: &str) -> Result<(String, String)> {
        let meta = self.table_by_arn(arn)?;
        match (&meta.resource_policy, &meta.policy_revision) {
            (Some(p), Some(r)) => Ok((p.clone(), r.clone())),
            (Some(p), None) => Ok((p.clone(), policy_revision(p))),
            _ => Err(no_policy(arn)),
        }
    }

    /// DeleteResourcePolicy on a table: returns the RevisionId of the deleted policy.
    pub async fn delete_resource_policy(
        &self,
        arn: &str,
        expected: Option<&str>,
    ) -> Result<String> {
        let mut meta = (*self.table_by_arn(arn)?).clone();
        let Some(policy) = meta.resource_policy.take() else {
            return Err(no_policy(arn));
        };
        check_revision(&meta_with(&meta, &policy), arn, expected)?;
        let revision = meta
            .policy_revision
            .take()
            .unwrap_or_else(|| policy_revision(&policy));
        self.replace_meta(meta).await?;
        Ok(revision)
    }
}

fn meta_with(meta: &TableMeta, policy: &str) -> TableMeta {
    let mut m = meta.clone();
    m.resource_policy = Some(policy.to_string());
    m
}

fn no_policy(arn: &str) -> EngineError {
    EngineError::PolicyNotFound(format!(
        "Resource-based policy not found for the provided ResourceArn: {arn}"
    ))
}

fn check_revision(meta: &TableMeta, arn: &str, expected: Option<&str>) -> Result<()> {
    let current = meta.resource_policy.as_deref().map(|p| {
        meta.policy_revision
            .clone()
            .unwrap_or_else(|| policy_revision(p))
    });
    match (expected, current) {
        (None, _) => Ok(()),
        (Some("NO_POLICY"), None) => Ok(()),
        (Some("NO_POLICY"), Some(_)) => Err(EngineError::PolicyNotFound(format!(
            "A resource-based policy already exists for the provided ResourceArn: {arn}"
        ))),
        (Some(e), Some(c)) if e == c => Ok(()),
        (Some(_), None) => Err(no_policy(arn)),
        (Some(e), Some(_)) => Err(EngineError::PolicyNotFound(format!(
            "The revision ID provided does not match the current revision ID of the resource-based policy: {e}"
        ))),
    }
}
