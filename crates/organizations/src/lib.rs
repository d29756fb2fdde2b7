//! AWS Organizations: the organization, its root, organizational units, member accounts, and
//! service and resource control policies with their attachments, kept durably in a storage
//! backend; answers "which SCPs and RCPs apply to this account, level by level".
//!
//! Depends on the storage traits and the IAM policy language. It must not depend on a concrete
//! storage backend, on HTTP or wire formats, or on DynamoDB tables.
//!
//! Storage layout (every key starts with byte `0x30`):
//! ```text
//! 0x30 0x01 org-id      -> the organization (JSON of [`OrgData`]), rewritten on every change
//! 0x30 0x02 account-id  -> org-id of the organization the account belongs to
//! ```
//! Every change runs in one storage transaction that reads the organization, applies the rules
//! of [`ops`], and writes it back with its version increased; after the commit the in-memory
//! view of that organization is rebuilt (policies compiled, chains precomputed) and swapped in,
//! so [`Organizations::scp_chain`] and friends never touch storage.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod error;
pub mod model;
pub mod ops;
mod view;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_chain;

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use palisade_storage::{ReadView, Storage, WriteTxn};
use parking_lot::{Mutex, RwLock};

pub use error::{ErrorCode, OrgError};
pub use model::{
    AccountRec, CreateAccountStatus, FeatureSet, JoinedMethod, OrgData, OuRec, PolicyKind,
    PolicyRec, PolicyView, RootRec, TargetKind,
};
pub use view::PolicyChain;

use view::{Change, View};

const PREFIX: u8 = 0x30;
const ORG: u8 = 0x01;
const ACCOUNT: u8 = 0x02;

fn org_key(id: &str) -> Vec<u8> {
    let mut k = vec![PREFIX, ORG];
    k.extend_from_slice(id.as_bytes());
    k
}

fn account_key(id: &str) -> Vec<u8> {
    let mut k = vec![PREFIX, ACCOUNT];
    k.extend_from_slice(id.as_bytes());
    k
}

fn read_org(r: &dyn ReadView, id: &str) -> Result<Option<OrgData>, OrgError> {
    match r.get(&org_key(id)).map_err(OrgError::service)? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(OrgError::service),
    }
}

fn write_org(txn: &mut dyn WriteTxn, org: &OrgData) -> Result<(), OrgError> {
    let bytes = serde_json::to_vec(org).map_err(OrgError::service)?;
    txn.put(&org_key(&org.id), &bytes);
    Ok(())
}

/// The org id an account belongs to, read inside a transaction.
fn org_id_of(r: &dyn ReadView, account: &str) -> Result<Option<String>, OrgError> {
    r.get(&account_key(account))
        .map_err(OrgError::service)?
        .map(|v| String::from_utf8(v).map_err(OrgError::service))
        .transpose()
}

/// Every organization, durable in a [`Storage`], with a compiled in-memory view.
pub struct Organizations {
    storage: Arc<dyn Storage>,
    view: RwLock<Arc<View>>,
    /// Serialises the building of new views, so that readers only ever wait for the swap
    /// of one pointer, never for policies being compiled.
    apply: Mutex<()>,
    /// How many times the view changed; see [`Organizations::generation`].
    generation: AtomicU64,
}

impl std::fmt::Debug for Organizations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Organizations").finish_non_exhaustive()
    }
}

impl Organizations {
    /// Loads every organization from storage and builds the view.
    pub fn open(storage: Arc<dyn Storage>) -> Result<Organizations, OrgError> {
        let mut orgs = Vec::new();
        {
            let snap = storage.snapshot().map_err(OrgError::service)?;
            let start = [PREFIX, ORG];
            let end = [PREFIX, ORG + 1];
            for entry in snap.range(Bound::Included(&start), Bound::Excluded(&end), false) {
                let (_, value) = entry.map_err(OrgError::service)?;
                orgs.push(serde_json::from_slice::<OrgData>(&value).map_err(OrgError::service)?);
            }
        }
        Ok(Organizations {
            storage,
            view: RwLock::new(Arc::new(View::new(orgs))),
            apply: Mutex::new(()),
            generation: AtomicU64::new(0),
        })
    }

    /// How many times the organizations (their accounts, OUs, policies and attachments) have
    /// changed since they were opened. It advances after each change is visible, so a value
    /// read before reading the organizations names that state or an older one.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn current(&self) -> Arc<View> {
        Arc::clone(&self.view.read())
    }

    /// The SCPs that apply to principals of `account`, root level first; `None` when the
    /// account is a management account, in no organization, or SCPs are not enabled.
    pub fn scp_chain(&self, account: &str) -> Option<PolicyChain> {
        self.view.read().scp_chain(account)
    }

    /// The RCPs that apply to resources of `account`, root level first; `None` when the
    /// account is a management account, in no organization, or RCPs are not enabled.
    pub fn rcp_chain(&self, account: &str) -> Option<PolicyChain> {
        self.view.read().rcp_chain(account)
    }

    /// `aws:PrincipalOrgID`: the id of the organization `account` belongs to.
    pub fn principal_org_id(&self, account: &str) -> Option<String> {
        self.view.read().org_of(account).map(|o| o.data.id.clone())
    }

    /// `aws:PrincipalOrgPaths`: `o-…/r-…/ou-…/…/` (root and OUs above the account).
    pub fn org_paths(&self, account: &str) -> Option<String> {
        self.view.read().org_path(account)
    }

    /// Whether `account` is the management account of its organization.
    pub fn is_management_account(&self, account: &str) -> bool {
        self.view
            .read()
            .org_of(account)
            .is_some_and(|o| o.data.management_account == account)
    }

    /// The organization `caller` belongs to (`AWSOrganizationsNotInUseException` if none).
    pub fn organization(&self, caller: &str) -> Result<Arc<OrgData>, OrgError> {
        self.current()
            .org_of(caller)
            .map(|o| Arc::clone(&o.data))
            .ok_or_else(|| ErrorCode::NotInUse.into())
    }

    /// The organization `caller` manages: as [`organization`](Self::organization), and
    /// `AccessDeniedException` when the caller is a member but not the management account.
    pub fn managed_organization(&self, caller: &str) -> Result<Arc<OrgData>, OrgError> {
        let org = self.organization(caller)?;
        if org.management_account != caller {
            return Err(ErrorCode::AccessDenied.into());
        }
        Ok(org)
    }

    /// Runs `f` in one storage transaction, then applies its change to the view.
    async fn write<R, F>(&self, f: F) -> Result<R, OrgError>
    where
        R: Send + 'static,
        F: FnMut(&mut dyn WriteTxn) -> Result<(R, Change), OrgError> + Send + 'static,
    {
        let (r, change) = palisade_storage::run(&*self.storage, f)
            .await
            .map_err(|e| match e {
                palisade_storage::RunError::Aborted(e) => e,
                palisade_storage::RunError::Storage(e) => OrgError::service(e),
            })?;
        let _building = self.apply.lock();
        if let Some(next) = self.current().apply(change) {
            *self.view.write() = Arc::new(next);
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        Ok(r)
    }

    /// Changes the organization `caller` manages with `f` (`AWSOrganizationsNotInUseException`
    /// or `AccessDeniedException` first, as AWS).
    async fn mutate<R, F>(&self, caller: &str, mut f: F) -> Result<R, OrgError>
    where
        R: Send + 'static,
        F: FnMut(&mut OrgData, &mut dyn WriteTxn) -> Result<R, OrgError> + Send + 'static,
    {
        let caller = caller.to_string();
        self.write(move |txn| {
            let id = org_id_of(txn, &caller)?.ok_or_else(|| OrgError::new(ErrorCode::NotInUse))?;
            let mut org =
                read_org(txn, &id)?.ok_or_else(|| OrgError::service("account index is stale"))?;
            if org.management_account != caller {
                return Err(ErrorCode::AccessDenied.into());
            }
            let r = f(&mut org, txn)?;
            org.version += 1;
            write_org(txn, &org)?;
            Ok((r, Change::Put(org)))
        })
        .await
    }

    /// CreateOrganization: `caller` becomes the management account (named `name`, `email`).
    pub async fn create_organization(
        &self,
        caller: &str,
        name: &str,
        email: &str,
        feature_set: FeatureSet,
    ) -> Result<Arc<OrgData>, OrgError> {
        let (caller, name, email) = (caller.to_string(), name.to_string(), email.to_string());
        let id = self
            .write(move |txn| {
                if org_id_of(txn, &caller)?.is_some() {
                    return Err(ErrorCode::AlreadyInOrganization.into());
                }
                let mut org = ops::new_org(&caller, &name, &email, feature_set)?;
                org.version = 1;
                write_org(txn, &org)?;
                txn.put(&account_key(&caller), org.id.as_bytes());
                Ok((org.id.clone(), Change::Put(org)))
            })
            .await?;
        self.current()
            .org_of_id(&id)
            .ok_or_else(|| OrgError::service("organization vanished after creation"))
    }

    /// DeleteOrganization: only when the management account is the only account left.
    pub async fn delete_organization(&self, caller: &str) -> Result<(), OrgError> {
        let caller = caller.to_string();
        self.write(move |txn| {
            let id = org_id_of(txn, &caller)?.ok_or_else(|| OrgError::new(ErrorCode::NotInUse))?;
            let org =
                read_org(txn, &id)?.ok_or_else(|| OrgError::service("account index is stale"))?;
            if org.management_account != caller {
                return Err(ErrorCode::AccessDenied.into());
            }
            if org.accounts.len() > 1 {
                return Err(ErrorCode::OrganizationNotEmpty.into());
            }
            txn.delete(&org_key(&id));
            txn.delete(&account_key(&caller));
            Ok(((), Change::Remove(id)))
        })
        .await
    }

    /// CreateAccount, synchronously: a new 12-digit account id unused by any organization.
    pub async fn create_account(
        &self,
        caller: &str,
        name: &str,
        email: &str,
    ) -> Result<CreateAccountStatus, OrgError> {
        let (name, email) = (name.to_string(), email.to_string());
        self.mutate(caller, move |org, txn| {
            let account = loop {
                let id = model::random_account_id();
                if org_id_of(txn, &id)?.is_none() {
                    break id;
                }
            };
            let status = ops::create_account(org, &account, &name, &email)?;
            if status.account_id.is_some() {
                txn.put(&account_key(&account), org.id.as_bytes());
            }
            Ok(status)
        })
        .await
    }

    /// Brings an existing account (one the server already knows, e.g. from the identity
    /// directory) into the caller's organization under the root, `JoinedMethod` `INVITED`.
    /// Not an AWS operation: it stands for an accepted invitation handshake, which this
    /// implementation does not model. `AlreadyInOrganizationException` if the account belongs
    /// to any organization.
    pub async fn add_existing_account(
        &self,
        caller: &str,
        account: &str,
        name: &str,
        email: &str,
    ) -> Result<AccountRec, OrgError> {
        let (account, name, email) = (account.to_string(), name.to_string(), email.to_string());
        self.mutate(caller, move |org, txn| {
            if org_id_of(txn, &account)?.is_some() {
                return Err(ErrorCode::AlreadyInOrganization.into());
            }
            let rec = ops::add_invited_account(org, &account, &name, &email)?;
            txn.put(&account_key(&account), org.id.as_bytes());
            Ok(rec)
        })
        .await
    }

    /// RemoveAccountFromOrganization: the account leaves (its attachments go with it).
    pub async fn remove_account(&self, caller: &str, account: &str) -> Result<(), OrgError> {
        let account = account.to_string();
        self.mutate(caller, move |org, txn| {
            ops::remove_account(org, &account)?;
            txn.delete(&account_key(&account));
            Ok(())
        })
        .await
    }

    /// CreateOrganizationalUnit.
    pub async fn create_organizational_unit(
        &self,
        caller: &str,
        parent: &str,
        name: &str,
    ) -> Result<OuRec, OrgError> {
        let (parent, name) = (parent.to_string(), name.to_string());
        self.mutate(caller, move |org, _| ops::create_ou(org, &parent, &name))
            .await
    }

    /// DeleteOrganizationalUnit.
    pub async fn delete_organizational_unit(&self, caller: &str, ou: &str) -> Result<(), OrgError> {
        let ou = ou.to_string();
        self.mutate(caller, move |org, _| ops::delete_ou(org, &ou))
            .await
    }

    /// MoveAccount.
    pub async fn move_account(
        &self,
        caller: &str,
        account: &str,
        source: &str,
        destination: &str,
    ) -> Result<(), OrgError> {
        let (a, s, d) = (
            account.to_string(),
            source.to_string(),
            destination.to_string(),
        );
        self.mutate(caller, move |org, _| ops::move_account(org, &a, &s, &d))
            .await
    }

    /// EnablePolicyType; returns the root after the change.
    pub async fn enable_policy_type(
        &self,
        caller: &str,
        root: &str,
        kind: PolicyKind,
    ) -> Result<RootRec, OrgError> {
        let root = root.to_string();
        self.mutate(caller, move |org, _| {
            ops::enable_policy_type(org, &root, kind)?;
            Ok(org.root.clone())
        })
        .await
    }

    /// DisablePolicyType; returns the root after the change.
    pub async fn disable_policy_type(
        &self,
        caller: &str,
        root: &str,
        kind: PolicyKind,
    ) -> Result<RootRec, OrgError> {
        let root = root.to_string();
        self.mutate(caller, move |org, _| {
            ops::disable_policy_type(org, &root, kind)?;
            Ok(org.root.clone())
        })
        .await
    }

    /// CreatePolicy.
    pub async fn create_policy(
        &self,
        caller: &str,
        name: &str,
        description: &str,
        kind: PolicyKind,
        content: &str,
    ) -> Result<PolicyRec, OrgError> {
        let (n, d, c) = (
            name.to_string(),
            description.to_string(),
            content.to_string(),
        );
        self.mutate(caller, move |org, _| {
            ops::create_policy(org, &n, &d, kind, &c)
        })
        .await
    }

    /// UpdatePolicy: the fields given change, the others stay.
    pub async fn update_policy(
        &self,
        caller: &str,
        policy: &str,
        name: Option<&str>,
        description: Option<&str>,
        content: Option<&str>,
    ) -> Result<PolicyRec, OrgError> {
        let p = policy.to_string();
        let n = name.map(str::to_string);
        let d = description.map(str::to_string);
        let c = content.map(str::to_string);
        self.mutate(caller, move |org, _| {
            ops::update_policy(org, &p, n.as_deref(), d.as_deref(), c.as_deref())
        })
        .await
    }

    /// DeletePolicy.
    pub async fn delete_policy(&self, caller: &str, policy: &str) -> Result<(), OrgError> {
        let p = policy.to_string();
        self.mutate(caller, move |org, _| ops::delete_policy(org, &p))
            .await
    }

    /// AttachPolicy.
    pub async fn attach_policy(
        &self,
        caller: &str,
        policy: &str,
        target: &str,
    ) -> Result<(), OrgError> {
        let (p, t) = (policy.to_string(), target.to_string());
        self.mutate(caller, move |org, _| ops::attach_policy(org, &p, &t))
            .await
    }

    /// DetachPolicy.
    pub async fn detach_policy(
        &self,
        caller: &str,
        policy: &str,
        target: &str,
    ) -> Result<(), OrgError> {
        let (p, t) = (policy.to_string(), target.to_string());
        self.mutate(caller, move |org, _| ops::detach_policy(org, &p, &t))
            .await
    }
}

impl View {
    fn org_of_id(&self, id: &str) -> Option<Arc<OrgData>> {
        self.org_by_id(id).map(|o| Arc::clone(&o.data))
    }
}
