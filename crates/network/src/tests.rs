//! The network model over the in-memory backend and, for durability, over fjall.

use std::net::SocketAddr;
use std::sync::Arc;

use palisade_iam::{PolicySet, RequestContext};
use palisade_storage::Storage;
use palisade_storage::memory::MemoryStorage;

use super::*;

const ACCT: &str = "111122223333";

fn memory() -> Network {
    Network::open(Arc::new(MemoryStorage::new())).unwrap()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn new_endpoint(vpc: &str, listen: &[&str], policy: Option<&str>) -> NewEndpoint {
    NewEndpoint {
        vpc_id: vpc.to_string(),
        owner_account: ACCT.to_string(),
        service_name: "com.amazonaws.us-east-1.dynamodb".to_string(),
        endpoint_type: "Interface".to_string(),
        policy_document: policy.map(str::to_string),
        listen_addresses: listen.iter().map(|a| addr(a)).collect(),
        tags: Vec::new(),
    }
}

/// Whether the endpoint's compiled policy lets `action` through.
fn allows(net: &Network, endpoint: &str, action: &str) -> bool {
    let policy = net.endpoint_policy(endpoint).unwrap();
    let mut ctx = RequestContext::new(
        palisade_iam::Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap(),
        action,
        "arn:aws:dynamodb:us-east-1:111122223333:table/t",
    );
    ctx.insert("aws:PrincipalAccount", ACCT);
    let admin = palisade_iam::CompiledPolicy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        palisade_iam::PolicyType::Identity,
    )
    .unwrap();
    let set = PolicySet {
        identity: std::slice::from_ref(&admin),
        permissions_boundary: None,
        session_policies: &[],
        resource_policy: None,
        endpoint_policies: std::slice::from_ref(&*policy),
        scps: &[],
        rcps: &[],
        principal_in_management_account: false,
        resource_in_management_account: false,
        same_organization: false,
    };
    set.evaluate(&ctx).is_allowed()
}

#[test]
fn ids_look_like_aws_ids() {
    let id = new_id("vpce");
    assert_eq!(id.len(), "vpce-".len() + 17);
    assert!(valid_id("vpce", &id));
    assert!(
        id[5..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert!(!valid_id("vpce", "vpc-0123"));
    assert!(!valid_id("vpce", "vpce-"));
    assert!(!valid_id("vpce", "vpce-ABC"));
}

#[test]
fn cidr_blocks_are_validated_and_normalised() {
    assert_eq!(vpc_cidr("10.0.0.0/16").unwrap(), "10.0.0.0/16");
    assert_eq!(vpc_cidr("10.0.7.1/24").unwrap(), "10.0.7.0/24");
    assert_eq!(
        vpc_cidr("10.0.0.0/8").unwrap_err(),
        NetworkError::InvalidVpcRange("10.0.0.0/8".into())
    );
    let e = vpc_cidr("banana").unwrap_err();
    assert_eq!(e.code(), "InvalidParameterValue");
    assert_eq!(
        e.to_string(),
        "Value (banana) for parameter cidrBlock is invalid. This is not a valid CIDR block."
    );
}

#[test]
fn listen_address_tags_parse() {
    assert_eq!(
        parse_listen_addresses("127.0.0.1:8001, [::1]:8002").unwrap(),
        vec![addr("127.0.0.1:8001"), addr("[::1]:8002")]
    );
    let e = parse_listen_addresses("127.0.0.1:8001,localhost").unwrap_err();
    assert_eq!(e.code(), "InvalidParameterValue");
    assert!(e.to_string().contains("(localhost)"), "{e}");
    assert!(parse_listen_addresses("").is_err());
}

#[tokio::test]
async fn vpcs_and_endpoints_are_created_changed_and_deleted() {
    let net = memory();
    let mut changes = net.subscribe();
    let vpc = net.create_vpc(ACCT, "10.1.0.0/16", vec![]).await.unwrap();
    assert!(valid_id("vpc", &vpc.id) && vpc.id.len() == 21);
    assert_eq!(vpc.state, "available");
    assert!(!vpc.is_default);
    assert!(changes.has_changed().unwrap());
    changes.borrow_and_update();

    let ep = net
        .create_endpoint(new_endpoint(&vpc.id, &["127.0.0.1:9001"], None))
        .await
        .unwrap();
    assert_eq!(ep.policy_document, DEFAULT_ENDPOINT_POLICY);
    assert_eq!(ep.state, "available");
    assert_eq!(net.endpoint(&ep.id), Some(ep.clone()));
    assert_eq!(net.endpoints(), vec![ep.clone()]);
    assert!(allows(&net, &ep.id, "dynamodb:PutItem"));
    assert_eq!(
        net.endpoint_policy(&ep.id).unwrap().label(),
        Some(format!("{} endpoint policy", ep.id).as_str())
    );
    assert!(changes.has_changed().unwrap());
    changes.borrow_and_update();

    // The VPC cannot go while it has an endpoint.
    assert_eq!(
        net.delete_vpc(ACCT, &vpc.id).await.unwrap_err(),
        NetworkError::DependencyViolation(vpc.id.clone())
    );
    assert!(!changes.has_changed().unwrap());

    let only_get = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    let changed = net
        .modify_endpoint(
            ACCT,
            &ep.id,
            EndpointChange {
                policy: PolicyChange::Set(only_get.into()),
                ..EndpointChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.policy_document, only_get);
    assert!(allows(&net, &ep.id, "dynamodb:GetItem"));
    assert!(!allows(&net, &ep.id, "dynamodb:PutItem"));

    net.modify_endpoint(
        ACCT,
        &ep.id,
        EndpointChange {
            policy: PolicyChange::Reset,
            add_listen_addresses: vec![addr("127.0.0.1:9002")],
            remove_listen_addresses: vec![addr("127.0.0.1:9001")],
        },
    )
    .await
    .unwrap();
    let now = net.endpoint(&ep.id).unwrap();
    assert_eq!(now.policy_document, DEFAULT_ENDPOINT_POLICY);
    assert_eq!(now.listen_addresses, vec![addr("127.0.0.1:9002")]);
    assert!(allows(&net, &ep.id, "dynamodb:PutItem"));

    let bad = net
        .delete_endpoints(ACCT, &[ep.id.clone(), "vpce-00000000000000000".into()])
        .await
        .unwrap();
    assert_eq!(
        bad,
        vec![Unsuccessful {
            resource_id: "vpce-00000000000000000".into(),
            code: "InvalidVpcEndpoint.NotFound",
            message: "The Vpc Endpoint Id 'vpce-00000000000000000' does not exist".into(),
        }]
    );
    assert_eq!(net.endpoint(&ep.id), None);
    assert!(net.endpoint_policy(&ep.id).is_none());
    assert!(net.was_deleted(&ep.id));
    assert!(!net.was_deleted("vpce-00000000000000000"));
    net.delete_vpc(ACCT, &vpc.id).await.unwrap();
    assert!(net.vpcs().is_empty());
    assert_eq!(
        net.delete_vpc(ACCT, &vpc.id).await.unwrap_err(),
        NetworkError::VpcNotFound(vpc.id.clone())
    );
}

#[tokio::test]
async fn refusals_change_nothing() {
    let net = memory();
    let vpc = net.create_vpc(ACCT, "10.0.0.0/16", vec![]).await.unwrap();
    let version = *net.subscribe().borrow();

    // Another account's VPC is not found.
    let mut other = new_endpoint(&vpc.id, &[], None);
    other.owner_account = "444455556666".into();
    assert_eq!(
        net.create_endpoint(other).await.unwrap_err(),
        NetworkError::VpcNotFound(vpc.id.clone())
    );
    let e = net
        .create_endpoint(new_endpoint(&vpc.id, &[], Some("{not json")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "InvalidPolicyDocument");
    assert!(
        e.to_string()
            .starts_with("The Policy Document is not valid."),
        "{e}"
    );
    let long = format!("{{\"Statement\":[],\"Id\":\"{}\"}}", "x".repeat(20_480));
    assert_eq!(
        net.create_endpoint(new_endpoint(&vpc.id, &[], Some(&long)))
            .await
            .unwrap_err()
            .code(),
        "InvalidPolicyDocument"
    );

    let a = net
        .create_endpoint(new_endpoint(&vpc.id, &["127.0.0.1:9100"], None))
        .await
        .unwrap();
    let e = net
        .create_endpoint(new_endpoint(&vpc.id, &["127.0.0.1:9100"], None))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        NetworkError::InvalidParameterValue(format!(
            "The listen address 127.0.0.1:9100 is already used by VPC endpoint {}.",
            a.id
        ))
    );
    assert_eq!(net.endpoints().len(), 1);
    assert_eq!(
        net.modify_endpoint("444455556666", &a.id, EndpointChange::default())
            .await
            .unwrap_err(),
        NetworkError::EndpointNotFound(a.id.clone())
    );
    // An invalid new policy leaves the old one in force.
    assert!(
        net.modify_endpoint(
            ACCT,
            &a.id,
            EndpointChange {
                policy: PolicyChange::Set("[]".into()),
                ..EndpointChange::default()
            }
        )
        .await
        .is_err()
    );
    assert_eq!(
        net.endpoint(&a.id).unwrap().policy_document,
        DEFAULT_ENDPOINT_POLICY
    );
    // Only the one successful create moved the counter.
    assert_eq!(*net.subscribe().borrow(), version + 1);
}

fn declared() -> (Vec<DeclaredVpc>, Vec<DeclaredEndpoint>) {
    (
        vec![DeclaredVpc {
            id: "vpc-0a1b2c3d4e5f60718".into(),
            cidr_blocks: vec!["10.20.0.0/16".into()],
            owner_account: ACCT.into(),
        }],
        vec![DeclaredEndpoint {
            id: "vpce-0123456789abcdef0".into(),
            vpc_id: "vpc-0a1b2c3d4e5f60718".into(),
            listen_addresses: vec![addr("127.0.0.1:9200")],
            policy: None,
            owner_account: ACCT.into(),
        }],
    )
}

#[tokio::test]
async fn declarations_are_idempotent_and_keep_their_ids() {
    let net = memory();
    let (vpcs, endpoints) = declared();
    net.declare(vpcs.clone(), endpoints.clone()).await.unwrap();
    let version = *net.subscribe().borrow();
    assert_eq!(version, 1);
    let ep = net.endpoint("vpce-0123456789abcdef0").unwrap();
    assert!(ep.declared);
    assert_eq!(ep.vpc_id, "vpc-0a1b2c3d4e5f60718");
    assert_eq!(ep.policy_document, DEFAULT_ENDPOINT_POLICY);
    assert_eq!(
        ep.service_name_in("eu-west-1"),
        "com.amazonaws.eu-west-1.dynamodb"
    );
    assert!(net.vpc("vpc-0a1b2c3d4e5f60718").unwrap().declared);

    // The same declarations again: nothing to write, nothing announced.
    net.declare(vpcs.clone(), endpoints.clone()).await.unwrap();
    assert_eq!(*net.subscribe().borrow(), version);
    assert_eq!(net.endpoint("vpce-0123456789abcdef0"), Some(ep.clone()));

    // A policy changed through the API survives a declaration that names none.
    let only_get = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    net.modify_endpoint(
        ACCT,
        &ep.id,
        EndpointChange {
            policy: PolicyChange::Set(only_get.into()),
            ..EndpointChange::default()
        },
    )
    .await
    .unwrap();
    net.declare(vpcs.clone(), endpoints.clone()).await.unwrap();
    assert_eq!(net.endpoint(&ep.id).unwrap().policy_document, only_get);

    // An endpoint in an undeclared VPC is refused.
    let mut stray = endpoints.clone();
    stray[0].vpc_id = "vpc-00000000000000001".into();
    assert_eq!(
        net.declare(vpcs.clone(), stray).await.unwrap_err(),
        NetworkError::VpcNotFound("vpc-00000000000000001".into())
    );

    // Declaring nothing removes what was declared; declaring it again brings it back.
    net.declare(vec![], vec![]).await.unwrap();
    assert!(net.endpoints().is_empty());
    assert!(net.vpcs().is_empty());
    assert!(net.was_deleted(&ep.id));
    net.declare(vpcs, endpoints).await.unwrap();
    assert!(!net.was_deleted(&ep.id));
    assert!(net.endpoint_policy(&ep.id).is_some());
}

#[tokio::test]
async fn everything_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let open = || -> Arc<dyn Storage> {
        Arc::new(palisade_storage_fjall::FjallStorage::open(dir.path()).unwrap())
    };
    let only_get = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    let deleted_id;
    let (vpc, ep, declared_ep) = {
        let net = Network::open(open()).unwrap();
        let (vpcs, endpoints) = declared();
        net.declare(vpcs, endpoints).await.unwrap();
        let tags = vec![Tag {
            key: "Name".into(),
            value: "main".into(),
        }];
        let vpc = net.create_vpc(ACCT, "10.1.0.0/16", tags).await.unwrap();
        let ep = net
            .create_endpoint(new_endpoint(&vpc.id, &["127.0.0.1:9301"], Some(only_get)))
            .await
            .unwrap();
        let gone = net
            .create_endpoint(new_endpoint(&vpc.id, &[], None))
            .await
            .unwrap();
        assert!(
            net.delete_endpoints(ACCT, std::slice::from_ref(&gone.id))
                .await
                .unwrap()
                .is_empty()
        );
        deleted_id = gone.id;
        (vpc, ep, net.endpoint("vpce-0123456789abcdef0").unwrap())
    };
    let net = Network::open(open()).unwrap();
    assert!(net.was_deleted(&deleted_id));
    assert!(!net.was_deleted(&ep.id));
    drop(net);
    let net = Network::open(open()).unwrap();
    assert_eq!(net.vpc(&vpc.id), Some(vpc.clone()));
    let reopened = net.endpoint(&ep.id).unwrap();
    assert_eq!(
        reopened.created.unix_timestamp_nanos() / 1_000_000,
        ep.created.unix_timestamp_nanos() / 1_000_000
    );
    assert_eq!(
        VpcEndpoint {
            created: ep.created,
            ..reopened
        },
        ep
    );
    assert_eq!(net.endpoint(&declared_ep.id).unwrap().id, declared_ep.id);
    assert_eq!(net.vpcs().len(), 2);
    assert!(allows(&net, &ep.id, "dynamodb:GetItem"));
    assert!(!allows(&net, &ep.id, "dynamodb:PutItem"));
}
