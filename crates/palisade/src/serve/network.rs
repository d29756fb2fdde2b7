//! The network store as the listeners see it: the configuration's VPCs and endpoints are
//! declared to it at start, and every change to its endpoints (EC2 CreateVpcEndpoint,
//! ModifyVpcEndpoint, DeleteVpcEndpoints) becomes the set of endpoint declarations the listener
//! manager follows, so endpoint listeners open and close at runtime.

use std::collections::HashMap;
use std::sync::Arc;

use palisade_network::{DeclaredEndpoint, DeclaredVpc, Network};
use tokio::sync::watch;

use super::config::{EndpointDecl, TlsFiles, VpcDecl};

/// Stores the configuration's VPCs and endpoints (idempotent; endpoints the configuration no
/// longer declares are removed, those created through EC2 stay).
pub async fn declare(
    network: &Network,
    account: &str,
    vpcs: &[VpcDecl],
    endpoints: &[EndpointDecl],
) -> Result<(), String> {
    let vpcs = vpcs
        .iter()
        .map(|v| DeclaredVpc {
            id: v.id.clone(),
            cidr_blocks: v.cidr_blocks.iter().map(ToString::to_string).collect(),
            owner_account: account.to_string(),
        })
        .collect();
    let endpoints = endpoints
        .iter()
        .map(|e| DeclaredEndpoint {
            id: e.id.clone(),
            vpc_id: e.vpc_id.clone(),
            listen_addresses: e.addresses.clone(),
            policy: e.policy.clone(),
            owner_account: account.to_string(),
        })
        .collect();
    network
        .declare(vpcs, endpoints)
        .await
        .map_err(|e| format!("cannot declare the configuration's VPCs and endpoints: {e}"))
}

/// The endpoints the network stores now, as listener declarations. TLS settings come from the
/// configuration (the network stores no files); endpoints created through EC2 serve plain HTTP.
fn current(network: &Network, tls: &HashMap<String, TlsFiles>) -> Vec<EndpointDecl> {
    let mut endpoints: Vec<EndpointDecl> = network
        .endpoints()
        .into_iter()
        .map(|e| EndpointDecl {
            tls: tls.get(&e.id).cloned(),
            id: e.id,
            vpc_id: e.vpc_id,
            addresses: e.listen_addresses,
            policy: None,
        })
        .collect();
    endpoints.sort_by(|a, b| a.id.cmp(&b.id));
    endpoints
}

/// A watch channel of the network's endpoints, updated after every change until the network's
/// own channel closes. The configuration's order is kept for its endpoints (the announcement
/// lines follow it), then the others by id.
pub fn follow(
    network: Arc<Network>,
    configured: &[EndpointDecl],
) -> watch::Receiver<Vec<EndpointDecl>> {
    let tls: HashMap<String, TlsFiles> = configured
        .iter()
        .filter_map(|e| e.tls.clone().map(|t| (e.id.clone(), t)))
        .collect();
    let order: Vec<String> = configured.iter().map(|e| e.id.clone()).collect();
    let in_order = move |mut list: Vec<EndpointDecl>| {
        list.sort_by_key(|e| {
            order
                .iter()
                .position(|id| *id == e.id)
                .unwrap_or(usize::MAX)
        });
        list
    };
    let mut changes = network.subscribe();
    let (tx, rx) = watch::channel(in_order(current(&network, &tls)));
    tokio::spawn(async move {
        while changes.changed().await.is_ok() {
            let now = in_order(current(&network, &tls));
            tx.send_if_modified(|old| {
                if *old == now {
                    false
                } else {
                    *old = now;
                    true
                }
            });
        }
    });
    rx
}
