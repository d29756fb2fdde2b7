#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use palisade_api::ApiConfig;
use palisade_engine::{Engine, EngineConfig};
use palisade_storage::memory::MemoryStorage;
use tokio::io::AsyncWriteExt;

use super::*;

fn manager() -> ListenerManager {
    let engine = Engine::open(
        Arc::new(MemoryStorage::new()),
        EngineConfig {
            region: "us-east-1".into(),
            account: "000000000000".into(),
        },
    )
    .unwrap();
    let api = Arc::new(Api::new(Arc::new(engine), ApiConfig::default()));
    ListenerManager::new(api, Arc::new(|_: &str| None))
}

fn spec(address: &str, endpoint: Option<&str>) -> ListenerSpec {
    ListenerSpec {
        address: address.parse().unwrap(),
        tls: None,
        proxy_trusted: Vec::new(),
        endpoint: endpoint.map(|id| EndpointBinding {
            endpoint_id: id.into(),
            vpc_id: "vpc-01".into(),
        }),
    }
}

/// Whether a health request on `address` is answered.
async fn serves(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(address).await else {
        return false;
    };
    let request = b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    if stream.write_all(request).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    answer.starts_with(b"HTTP/1.1 200")
}

fn address_of(manager: &ListenerManager, endpoint: Option<&str>) -> SocketAddr {
    manager
        .bound()
        .into_iter()
        .find(|(s, _)| s.endpoint.as_ref().map(|e| e.endpoint_id.as_str()) == endpoint)
        .map(|(_, a)| a)
        .unwrap()
}

#[tokio::test]
async fn reconcile_opens_keeps_and_closes_listeners() {
    let mut manager = manager();
    let public = spec("127.0.0.1:0", None);
    manager.reconcile(vec![public.clone()]).await.unwrap();
    let public_address = address_of(&manager, None);
    assert!(serves(public_address).await);

    let endpoint = spec("127.0.0.1:0", Some("vpce-01"));
    manager
        .reconcile(vec![public.clone(), endpoint.clone()])
        .await
        .unwrap();
    assert_eq!(manager.bound().len(), 2);
    // The unchanged listener was kept, not reopened.
    assert_eq!(address_of(&manager, None), public_address);
    let endpoint_address = address_of(&manager, Some("vpce-01"));
    assert!(serves(endpoint_address).await);

    manager.reconcile(vec![public.clone()]).await.unwrap();
    assert_eq!(manager.bound().len(), 1);
    assert!(!serves(endpoint_address).await);
    assert!(serves(public_address).await);

    // Two listeners on one fixed address: the second is refused, the first stays.
    let fixed = format!("127.0.0.1:{}", public_address.port());
    let error = manager
        .reconcile(vec![spec(&fixed, None), spec(&fixed, Some("vpce-02"))])
        .await
        .unwrap_err();
    assert_eq!(error, format!("{fixed} is wanted by two listeners"));
    assert_eq!(manager.bound().len(), 1);
    manager.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn follow_opens_and_closes_endpoint_listeners_as_endpoints_change() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (updates, endpoints) = watch::channel(Vec::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut manager = manager();
        let public = vec![spec("127.0.0.1:0", None)];
        manager
            .follow(public, endpoints, async {
                let _ = stopped.await;
            })
            .await;
        manager
    });
    let eventually = |want: bool| async move {
        for _ in 0..100 {
            if serves(address).await == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{address} serving is not {want}");
    };
    eventually(false).await;
    updates
        .send(vec![EndpointDecl {
            id: "vpce-0runtime".into(),
            vpc_id: "vpc-01".into(),
            addresses: vec![address],
            tls: None,
            policy: None,
        }])
        .unwrap();
    eventually(true).await;
    updates.send(Vec::new()).unwrap();
    eventually(false).await;
    stop.send(()).unwrap();
    let manager = task.await.unwrap();
    assert_eq!(manager.bound().len(), 1);
}
