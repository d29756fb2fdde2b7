//! The network model: VPCs and the VPC endpoints of the DynamoDB service, kept durably in a
//! storage backend, with each endpoint's policy compiled once per change for the authorizer.
//!
//! An endpoint is a set of listen addresses: the server opens a listener on each, and a request
//! that arrives there carries the endpoint's id and VPC (`aws:SourceVpce`, `aws:SourceVpc`) and
//! is evaluated with the endpoint's policy. Endpoints come from the server's configuration
//! ([`Network::declare`]) or from the EC2 API (CreateVpcEndpoint and friends).
//!
//! Depends on the storage traits and the IAM policy language only. It must not depend on the
//! API, the engine, HTTP or wire formats.
//!
//! Storage layout (every key starts with byte `0x40`):
//! ```text
//! 0x40 0x01 vpc-id       -> the VPC (JSON of [`Vpc`])
//! 0x40 0x02 endpoint-id  -> the VPC endpoint (JSON of [`VpcEndpoint`])
//! 0x40 0x03 endpoint-id  -> empty: the endpoint was deleted (see [`Network::was_deleted`])
//! ```
//! Changes are serialised: each one is applied to a copy of the in-memory state, validated,
//! written in one storage transaction, and only then swapped in and announced on
//! [`Network::subscribe`]. Lookups ([`Network::endpoint_policy`] on every request through an
//! endpoint) read the in-memory state only.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod error;
mod model;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::ops::Bound;
use std::sync::Arc;

use palisade_iam::{CompiledPolicy, PolicyType};
use palisade_storage::Storage;
use parking_lot::RwLock;
use time::OffsetDateTime;

pub use error::NetworkError;
pub use model::{
    DEFAULT_ENDPOINT_POLICY, DeclaredEndpoint, DeclaredVpc, EndpointChange, LISTEN_ADDRESSES_TAG,
    MAX_ENDPOINT_POLICY_CHARS, NewEndpoint, PolicyChange, Tag, Unsuccessful, Vpc, VpcEndpoint,
    dynamodb_service_name, format_listen_addresses, new_id, parse_listen_addresses, valid_id,
    vpc_cidr,
};

const PREFIX: u8 = 0x40;
const VPC: u8 = 0x01;
const ENDPOINT: u8 = 0x02;
const DELETED: u8 = 0x03;

fn key(kind: u8, id: &str) -> Vec<u8> {
    let mut k = vec![PREFIX, kind];
    k.extend_from_slice(id.as_bytes());
    k
}

/// An endpoint with its compiled policy.
#[derive(Clone)]
struct Entry {
    endpoint: VpcEndpoint,
    policy: Arc<CompiledPolicy>,
}

/// Everything, in memory.
#[derive(Clone, Default)]
struct State {
    vpcs: BTreeMap<String, Vpc>,
    endpoints: BTreeMap<String, Entry>,
    /// Ids of deleted endpoints (until an endpoint with the same id exists again).
    deleted: BTreeSet<String>,
}

impl State {
    /// Removes an endpoint, remembering that it was deleted.
    fn delete_endpoint(&mut self, id: &str, touched: &mut Touched) {
        self.endpoints.remove(id);
        self.deleted.insert(id.to_string());
        touched.endpoints.insert(id.to_string());
    }
}

/// The ids a change touched: each is written as it is in the new state, or deleted.
#[derive(Default)]
struct Touched {
    vpcs: BTreeSet<String>,
    endpoints: BTreeSet<String>,
}

impl Touched {
    fn is_empty(&self) -> bool {
        self.vpcs.is_empty() && self.endpoints.is_empty()
    }
}

/// Compiles an endpoint policy, labelled for AccessDenied messages and decisions.
fn compile(id: &str, document: &str) -> Result<Arc<CompiledPolicy>, NetworkError> {
    if document.chars().count() > MAX_ENDPOINT_POLICY_CHARS {
        return Err(NetworkError::InvalidPolicyDocument(format!(
            "The policy is longer than {MAX_ENDPOINT_POLICY_CHARS} characters."
        )));
    }
    CompiledPolicy::parse(document, PolicyType::Endpoint)
        .map(|p| Arc::new(p.with_label(format!("{id} endpoint policy"))))
        .map_err(|e| NetworkError::InvalidPolicyDocument(e.to_string()))
}

/// VPCs and VPC endpoints, durable in a [`Storage`], cached in memory.
pub struct Network {
    storage: Arc<dyn Storage>,
    state: RwLock<Arc<State>>,
    /// Serialises changes: each is computed from the state the previous one left.
    writer: tokio::sync::Mutex<()>,
    version: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.read();
        f.debug_struct("Network")
            .field("vpcs", &state.vpcs.len())
            .field("endpoints", &state.endpoints.len())
            .finish_non_exhaustive()
    }
}

impl Network {
    /// Loads every VPC and endpoint from storage and compiles the endpoint policies.
    pub fn open(storage: Arc<dyn Storage>) -> Result<Network, NetworkError> {
        let mut state = State::default();
        {
            let snap = storage.snapshot().map_err(NetworkError::storage)?;
            let start = [PREFIX, VPC];
            let end = [PREFIX, VPC + 1];
            for entry in snap.range(Bound::Included(&start), Bound::Excluded(&end), false) {
                let (_, value) = entry.map_err(NetworkError::storage)?;
                let vpc: Vpc = serde_json::from_slice(&value).map_err(NetworkError::storage)?;
                state.vpcs.insert(vpc.id.clone(), vpc);
            }
            let start = [PREFIX, ENDPOINT];
            let end = [PREFIX, ENDPOINT + 1];
            for entry in snap.range(Bound::Included(&start), Bound::Excluded(&end), false) {
                let (_, value) = entry.map_err(NetworkError::storage)?;
                let endpoint: VpcEndpoint =
                    serde_json::from_slice(&value).map_err(NetworkError::storage)?;
                let policy = compile(&endpoint.id, &endpoint.policy_document).map_err(|e| {
                    NetworkError::Storage(format!("stored policy of {}: {e}", endpoint.id))
                })?;
                state
                    .endpoints
                    .insert(endpoint.id.clone(), Entry { endpoint, policy });
            }
            let start = [PREFIX, DELETED];
            let end = [PREFIX, DELETED + 1];
            for entry in snap.range(Bound::Included(&start), Bound::Excluded(&end), false) {
                let (k, _) = entry.map_err(NetworkError::storage)?;
                let id = String::from_utf8(k[2..].to_vec()).map_err(NetworkError::storage)?;
                state.deleted.insert(id);
            }
        }
        Ok(Network {
            storage,
            state: RwLock::new(Arc::new(state)),
            writer: tokio::sync::Mutex::new(()),
            version: tokio::sync::watch::Sender::new(0),
        })
    }

    /// How many changes the VPCs and endpoints have had since the network was opened. It
    /// advances after each change is visible, so a value read before reading the state
    /// names that state or an older one.
    pub fn generation(&self) -> u64 {
        *self.version.borrow()
    }

    fn current(&self) -> Arc<State> {
        Arc::clone(&self.state.read())
    }

    /// The endpoint with this id.
    pub fn endpoint(&self, id: &str) -> Option<VpcEndpoint> {
        self.state
            .read()
            .endpoints
            .get(id)
            .map(|e| e.endpoint.clone())
    }

    /// Every endpoint, by id.
    pub fn endpoints(&self) -> Vec<VpcEndpoint> {
        self.current()
            .endpoints
            .values()
            .map(|e| e.endpoint.clone())
            .collect()
    }

    /// The VPC with this id.
    pub fn vpc(&self, id: &str) -> Option<Vpc> {
        self.state.read().vpcs.get(id).cloned()
    }

    /// Every VPC, by id.
    pub fn vpcs(&self) -> Vec<Vpc> {
        self.current().vpcs.values().cloned().collect()
    }

    /// The compiled policy of the endpoint with this id; `None` when there is no such
    /// endpoint (it was deleted).
    pub fn endpoint_policy(&self, id: &str) -> Option<Arc<CompiledPolicy>> {
        self.state
            .read()
            .endpoints
            .get(id)
            .map(|e| Arc::clone(&e.policy))
    }

    /// Whether an endpoint with this id existed and was deleted (and none exists now). The
    /// authorizer lets nothing through such an endpoint; an id the network never knew is an
    /// endpoint only the server's listeners know, with the policies they give.
    pub fn was_deleted(&self, id: &str) -> bool {
        let state = self.state.read();
        state.deleted.contains(id) && !state.endpoints.contains_key(id)
    }

    /// A counter bumped after every committed change (the server reopens endpoint listeners
    /// when it moves).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Applies `f` to a copy of the state, checks the result, writes what it touched in one
    /// transaction, then swaps the new state in and announces it. Nothing is written or
    /// announced when `f` touched nothing.
    async fn change<R, F>(&self, f: F) -> Result<R, NetworkError>
    where
        F: FnOnce(&mut State, &mut Touched) -> Result<R, NetworkError>,
    {
        let _writing = self.writer.lock().await;
        let mut next = (*self.current()).clone();
        let mut touched = Touched::default();
        let r = f(&mut next, &mut touched)?;
        if touched.is_empty() {
            return Ok(r);
        }
        check_addresses(&next, &touched.endpoints)?;
        let mut writes: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
        for id in &touched.vpcs {
            let value = match next.vpcs.get(id) {
                Some(v) => Some(serde_json::to_vec(v).map_err(NetworkError::storage)?),
                None => None,
            };
            writes.push((key(VPC, id), value));
        }
        for id in &touched.endpoints {
            let value = match next.endpoints.get(id) {
                Some(e) => {
                    next.deleted.remove(id);
                    Some(serde_json::to_vec(&e.endpoint).map_err(NetworkError::storage)?)
                }
                None => None,
            };
            writes.push((key(ENDPOINT, id), value));
            let tombstone = next.deleted.contains(id).then(Vec::new);
            writes.push((key(DELETED, id), tombstone));
        }
        palisade_storage::run(&*self.storage, move |txn| {
            for (k, v) in &writes {
                match v {
                    Some(v) => txn.put(k, v),
                    None => txn.delete(k),
                }
            }
            Ok::<(), NetworkError>(())
        })
        .await
        .map_err(|e| match e {
            palisade_storage::RunError::Aborted(e) => e,
            palisade_storage::RunError::Storage(e) => NetworkError::storage(e),
        })?;
        *self.state.write() = Arc::new(next);
        self.version.send_modify(|v| *v += 1);
        Ok(r)
    }

    /// Makes the VPCs and endpoints the configuration declares exist as declared: new ones
    /// are created, existing ones updated (an endpoint keeps its stored policy when the
    /// declaration names none). Endpoints declared before but no longer are deleted, and so
    /// are such VPCs once no endpoint is left in them (otherwise they stay, undeclared).
    /// Running it again with the same declarations changes nothing.
    pub async fn declare(
        &self,
        vpcs: Vec<DeclaredVpc>,
        endpoints: Vec<DeclaredEndpoint>,
    ) -> Result<(), NetworkError> {
        self.change(move |state, touched| {
            let vpc_ids: BTreeSet<&str> = vpcs.iter().map(|v| v.id.as_str()).collect();
            let endpoint_ids: BTreeSet<&str> = endpoints.iter().map(|e| e.id.as_str()).collect();
            for d in &vpcs {
                if !valid_id("vpc", &d.id) {
                    return Err(NetworkError::InvalidParameterValue(format!(
                        "invalid declared VPC id '{}'",
                        d.id
                    )));
                }
                let cidr_blocks = d
                    .cidr_blocks
                    .iter()
                    .map(|c| vpc_cidr(c))
                    .collect::<Result<Vec<_>, _>>()?;
                let vpc = match state.vpcs.get(&d.id) {
                    Some(old) => Vpc {
                        owner_account: d.owner_account.clone(),
                        cidr_blocks,
                        declared: true,
                        ..old.clone()
                    },
                    None => Vpc {
                        id: d.id.clone(),
                        owner_account: d.owner_account.clone(),
                        cidr_blocks,
                        state: "available".to_string(),
                        tags: Vec::new(),
                        is_default: false,
                        declared: true,
                    },
                };
                if state.vpcs.get(&d.id) != Some(&vpc) {
                    touched.vpcs.insert(d.id.clone());
                    state.vpcs.insert(d.id.clone(), vpc);
                }
            }
            for d in &endpoints {
                if !valid_id("vpce", &d.id) {
                    return Err(NetworkError::InvalidParameterValue(format!(
                        "invalid declared VPC endpoint id '{}'",
                        d.id
                    )));
                }
                if !state.vpcs.contains_key(&d.vpc_id) {
                    return Err(NetworkError::VpcNotFound(d.vpc_id.clone()));
                }
                let old = state.endpoints.get(&d.id);
                let document = match (&d.policy, old) {
                    (Some(p), _) => p.clone(),
                    (None, Some(old)) => old.endpoint.policy_document.clone(),
                    (None, None) => DEFAULT_ENDPOINT_POLICY.to_string(),
                };
                let endpoint = match old {
                    Some(old) => VpcEndpoint {
                        vpc_id: d.vpc_id.clone(),
                        owner_account: d.owner_account.clone(),
                        policy_document: document,
                        listen_addresses: d.listen_addresses.clone(),
                        declared: true,
                        ..old.endpoint.clone()
                    },
                    None => VpcEndpoint {
                        id: d.id.clone(),
                        vpc_id: d.vpc_id.clone(),
                        owner_account: d.owner_account.clone(),
                        service_name: String::new(),
                        endpoint_type: "Interface".to_string(),
                        state: "available".to_string(),
                        policy_document: document,
                        listen_addresses: d.listen_addresses.clone(),
                        created: OffsetDateTime::now_utc(),
                        tags: Vec::new(),
                        declared: true,
                    },
                };
                if old.map(|o| &o.endpoint) != Some(&endpoint) {
                    let policy = compile(&endpoint.id, &endpoint.policy_document)?;
                    touched.endpoints.insert(d.id.clone());
                    state
                        .endpoints
                        .insert(d.id.clone(), Entry { endpoint, policy });
                }
            }
            let gone: Vec<String> = state
                .endpoints
                .values()
                .filter(|e| e.endpoint.declared && !endpoint_ids.contains(e.endpoint.id.as_str()))
                .map(|e| e.endpoint.id.clone())
                .collect();
            for id in gone {
                state.delete_endpoint(&id, touched);
            }
            let undeclared: Vec<String> = state
                .vpcs
                .values()
                .filter(|v| v.declared && !vpc_ids.contains(v.id.as_str()))
                .map(|v| v.id.clone())
                .collect();
            for id in undeclared {
                if state.endpoints.values().any(|e| e.endpoint.vpc_id == id) {
                    if let Some(v) = state.vpcs.get_mut(&id) {
                        v.declared = false;
                    }
                } else {
                    state.vpcs.remove(&id);
                }
                touched.vpcs.insert(id);
            }
            Ok(())
        })
        .await
    }

    /// CreateVpc: a new VPC of `owner` with one CIDR block.
    pub async fn create_vpc(
        &self,
        owner: &str,
        cidr_block: &str,
        tags: Vec<Tag>,
    ) -> Result<Vpc, NetworkError> {
        let cidr = vpc_cidr(cidr_block)?;
        let owner = owner.to_string();
        self.change(move |state, touched| {
            let id = loop {
                let id = new_id("vpc");
                if !state.vpcs.contains_key(&id) {
                    break id;
                }
            };
            let vpc = Vpc {
                id: id.clone(),
                owner_account: owner,
                cidr_blocks: vec![cidr],
                state: "available".to_string(),
                tags,
                is_default: false,
                declared: false,
            };
            state.vpcs.insert(id.clone(), vpc.clone());
            touched.vpcs.insert(id);
            Ok(vpc)
        })
        .await
    }

    /// DeleteVpc: refused while the VPC has endpoints (`DependencyViolation`).
    pub async fn delete_vpc(&self, owner: &str, id: &str) -> Result<(), NetworkError> {
        self.change(|state, touched| {
            match state.vpcs.get(id) {
                Some(v) if v.owner_account == owner => {}
                _ => return Err(NetworkError::VpcNotFound(id.to_string())),
            }
            if state.endpoints.values().any(|e| e.endpoint.vpc_id == id) {
                return Err(NetworkError::DependencyViolation(id.to_string()));
            }
            state.vpcs.remove(id);
            touched.vpcs.insert(id.to_string());
            Ok(())
        })
        .await
    }

    /// CreateVpcEndpoint: a new endpoint in one of `new.owner_account`'s VPCs.
    pub async fn create_endpoint(&self, new: NewEndpoint) -> Result<VpcEndpoint, NetworkError> {
        self.change(move |state, touched| {
            match state.vpcs.get(&new.vpc_id) {
                Some(v) if v.owner_account == new.owner_account => {}
                _ => return Err(NetworkError::VpcNotFound(new.vpc_id.clone())),
            }
            let id = loop {
                let id = new_id("vpce");
                if !state.endpoints.contains_key(&id) {
                    break id;
                }
            };
            let document = new
                .policy_document
                .unwrap_or_else(|| DEFAULT_ENDPOINT_POLICY.to_string());
            let policy = compile(&id, &document)?;
            let endpoint = VpcEndpoint {
                id: id.clone(),
                vpc_id: new.vpc_id,
                owner_account: new.owner_account,
                service_name: new.service_name,
                endpoint_type: new.endpoint_type,
                state: "available".to_string(),
                policy_document: document,
                listen_addresses: new.listen_addresses,
                created: OffsetDateTime::now_utc(),
                tags: new.tags,
                declared: false,
            };
            state.endpoints.insert(
                id.clone(),
                Entry {
                    endpoint: endpoint.clone(),
                    policy,
                },
            );
            touched.endpoints.insert(id);
            Ok(endpoint)
        })
        .await
    }

    /// ModifyVpcEndpoint: a new policy (or the default again) and listen addresses added or
    /// removed; returns the endpoint as changed.
    pub async fn modify_endpoint(
        &self,
        owner: &str,
        id: &str,
        change: EndpointChange,
    ) -> Result<VpcEndpoint, NetworkError> {
        self.change(move |state, touched| {
            let entry = match state.endpoints.get_mut(id) {
                Some(e) if e.endpoint.owner_account == owner => e,
                _ => return Err(NetworkError::EndpointNotFound(id.to_string())),
            };
            let mut endpoint = entry.endpoint.clone();
            match change.policy {
                PolicyChange::Keep => {}
                PolicyChange::Set(document) => endpoint.policy_document = document,
                PolicyChange::Reset => {
                    endpoint.policy_document = DEFAULT_ENDPOINT_POLICY.to_string();
                }
            }
            endpoint
                .listen_addresses
                .retain(|a| !change.remove_listen_addresses.contains(a));
            for a in change.add_listen_addresses {
                if !endpoint.listen_addresses.contains(&a) {
                    endpoint.listen_addresses.push(a);
                }
            }
            let addresses = format_listen_addresses(&endpoint.listen_addresses);
            for tag in &mut endpoint.tags {
                if tag.key == LISTEN_ADDRESSES_TAG {
                    tag.value = addresses.clone();
                }
            }
            if endpoint != entry.endpoint {
                if endpoint.policy_document != entry.endpoint.policy_document {
                    entry.policy = compile(id, &endpoint.policy_document)?;
                }
                entry.endpoint = endpoint.clone();
                touched.endpoints.insert(id.to_string());
            }
            Ok(endpoint)
        })
        .await
    }

    /// DeleteVpcEndpoints: deletes those of `ids` that exist and belong to `owner`, and
    /// returns the others as EC2 does (`InvalidVpcEndpoint.NotFound`).
    pub async fn delete_endpoints(
        &self,
        owner: &str,
        ids: &[String],
    ) -> Result<Vec<Unsuccessful>, NetworkError> {
        self.change(|state, touched| {
            let mut unsuccessful = Vec::new();
            for id in ids {
                match state.endpoints.get(id) {
                    Some(e) if e.endpoint.owner_account == owner => {
                        state.delete_endpoint(id, touched);
                    }
                    _ => {
                        if !unsuccessful
                            .iter()
                            .any(|u: &Unsuccessful| &u.resource_id == id)
                        {
                            unsuccessful.push(Unsuccessful {
                                resource_id: id.clone(),
                                code: "InvalidVpcEndpoint.NotFound",
                                message: format!("The Vpc Endpoint Id '{id}' does not exist"),
                            });
                        }
                    }
                }
            }
            Ok(unsuccessful)
        })
        .await
    }
}

/// Two endpoints cannot listen on the same address; a conflict names the endpoint that
/// already had the address (one the change did not touch, when there is one).
fn check_addresses(state: &State, touched: &BTreeSet<String>) -> Result<(), NetworkError> {
    let mut seen: BTreeMap<SocketAddr, &str> = BTreeMap::new();
    let (kept, changed): (Vec<&Entry>, Vec<&Entry>) = state
        .endpoints
        .values()
        .partition(|e| !touched.contains(&e.endpoint.id));
    for e in kept.into_iter().chain(changed) {
        for a in &e.endpoint.listen_addresses {
            if let Some(other) = seen.insert(*a, &e.endpoint.id)
                && other != e.endpoint.id
            {
                return Err(NetworkError::InvalidParameterValue(format!(
                    "The listen address {a} is already used by VPC endpoint {other}."
                )));
            }
        }
    }
    Ok(())
}
