//! EC2 over the whole pipeline (`Api::handle` with signed requests): the XML of every
//! operation, EC2's errors, authorization of EC2 calls, and endpoint policies applied to
//! DynamoDB requests that come through a VPC endpoint.

use std::sync::Arc;

use bytes::Bytes;
use http::Request;
use palisade_directory::{AdminKey, Directory};
use palisade_engine::{Engine, EngineConfig};
use palisade_network::Network;
use palisade_organizations::Organizations;
use palisade_sigv4::{Credentials, OffsetDateTime, RequestParts};
use palisade_storage::memory::MemoryStorage;

use crate::authorizer::{Origin, VpcOrigin};
use crate::{Api, ApiConfig, Identity};

pub(crate) const ACCT: &str = "111122223333";

pub(crate) struct Harness {
    pub api: Api,
    pub network: Arc<Network>,
    pub directory: Arc<Directory>,
    pub organizations: Arc<Organizations>,
    pub admin: Credentials,
}

pub(crate) async fn harness() -> Harness {
    let storage = Arc::new(MemoryStorage::new());
    let directory = Arc::new(Directory::in_memory());
    let (id, secret) = directory
        .ensure_admin(ACCT, AdminKey::Generate)
        .await
        .unwrap()
        .unwrap();
    let network = Arc::new(Network::open(storage.clone()).unwrap());
    let organizations = Arc::new(Organizations::open(storage.clone()).unwrap());
    let identity = Identity {
        directory: Arc::clone(&directory),
        organizations: Arc::clone(&organizations),
        network: Arc::clone(&network),
        signing_keys: palisade_sigv4::SigningKeyCache::default(),
        table_policies: crate::authorizer::PolicyCache::default(),
    };
    let engine = Engine::open(
        storage,
        EngineConfig {
            region: "us-east-1".into(),
            account: ACCT.into(),
        },
    )
    .unwrap();
    Harness {
        api: Api::with_identity(Arc::new(engine), ApiConfig::default(), identity),
        network,
        directory,
        organizations,
        admin: Credentials {
            access_key_id: id,
            secret_access_key: secret.expose().to_string(),
            session_token: None,
        },
    }
}

/// A signed request; `target` set means DynamoDB JSON, else an EC2 form.
pub(crate) fn signed(
    creds: &Credentials,
    service: &str,
    target: Option<&str>,
    body: &str,
    origin: Option<Origin>,
) -> Request<Bytes> {
    signed_at(
        creds,
        service,
        target,
        body,
        origin,
        OffsetDateTime::now_utc(),
    )
}

/// [`signed`] at a given time.
pub(crate) fn signed_at(
    creds: &Credentials,
    service: &str,
    target: Option<&str>,
    body: &str,
    origin: Option<Origin>,
    now: OffsetDateTime,
) -> Request<Bytes> {
    let content_type = match target {
        Some(_) => "application/x-amz-json-1.0",
        None => "application/x-www-form-urlencoded; charset=utf-8",
    };
    let mut headers = vec![("host", "localhost"), ("content-type", content_type)];
    if let Some(t) = target {
        headers.push(("x-amz-target", t));
    }
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
    };
    let added = palisade_sigv4::sign(&parts, body.as_bytes(), creds, "us-east-1", service, now);
    let mut b = Request::builder().method("POST").uri("/");
    for (k, v) in headers {
        b = b.header(k, v);
    }
    for (k, v) in added {
        b = b.header(k, v);
    }
    let mut req = b.body(Bytes::from(body.to_string())).unwrap();
    if let Some(o) = origin {
        req.extensions_mut().insert(o);
    }
    req
}

/// Percent-encodes a form value.
pub(crate) fn enc(s: &str) -> String {
    palisade_sigv4::encode_query_component(s)
}

impl Harness {
    /// An EC2 call by the administrator: status and body.
    pub async fn ec2(&self, form: &str) -> (u16, String) {
        self.ec2_as(&self.admin, form).await
    }

    pub async fn ec2_as(&self, creds: &Credentials, form: &str) -> (u16, String) {
        let body = format!("{form}&Version=2016-11-15");
        let r = self
            .api
            .handle(signed(creds, "ec2", None, &body, None))
            .await;
        (
            r.status().as_u16(),
            String::from_utf8(r.body().to_vec()).unwrap(),
        )
    }

    /// A DynamoDB call by the administrator, through `origin` when given.
    pub async fn dynamodb(&self, op: &str, body: &str, origin: Option<Origin>) -> (u16, String) {
        let target = format!("DynamoDB_20120810.{op}");
        let r = self
            .api
            .handle(signed(&self.admin, "dynamodb", Some(&target), body, origin))
            .await;
        (
            r.status().as_u16(),
            String::from_utf8(r.body().to_vec()).unwrap(),
        )
    }
}

/// The text of the first `<tag>` element.
pub(crate) fn text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

pub(crate) fn through(endpoint: &str, vpc: &str) -> Origin {
    Origin {
        source_ip: None,
        secure_transport: false,
        vpc: Some(VpcOrigin {
            vpc_id: vpc.to_string(),
            endpoint_id: endpoint.to_string(),
            source_ip: Some("10.0.1.25".parse().unwrap()),
            policies: Vec::new(),
        }),
    }
}

#[tokio::test]
async fn create_describe_and_delete_a_vpc() {
    let h = harness().await;
    let (status, body) = h
        .ec2("Action=CreateVpc&CidrBlock=10.0.0.0%2F16&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=main")
        .await;
    assert_eq!(status, 200, "{body}");
    let id = text(&body, "vpcId").unwrap().to_string();
    let suffix = &id[4..];
    let vpc_xml = format!(
        "<vpcId>{id}</vpcId><ownerId>{ACCT}</ownerId><state>available</state><cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockAssociationSet><item><cidrBlock>10.0.0.0/16</cidrBlock><associationId>vpc-cidr-assoc-{suffix}</associationId><cidrBlockState><state>associated</state></cidrBlockState></item></cidrBlockAssociationSet><ipv6CidrBlockAssociationSet/><dhcpOptionsId>default</dhcpOptionsId><instanceTenancy>default</instanceTenancy><isDefault>false</isDefault><tagSet><item><key>Name</key><value>main</value></item></tagSet>"
    );
    let request_id = text(&body, "requestId").unwrap();
    assert_eq!(
        body,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateVpcResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>{request_id}</requestId><vpc>{vpc_xml}</vpc></CreateVpcResponse>"
        )
    );

    let (_, body) = h.ec2(&format!("Action=DescribeVpcs&VpcId.1={id}")).await;
    assert!(
        body.contains(&format!("<vpcSet><item>{vpc_xml}</item></vpcSet>")),
        "{body}"
    );
    for (filter, found) in [
        ("Filter.1.Name=tag%3AName&Filter.1.Value.1=main", true),
        ("Filter.1.Name=tag%3AName&Filter.1.Value.1=ma%2A", true),
        ("Filter.1.Name=tag%3AName&Filter.1.Value.1=other", false),
        ("Filter.1.Name=cidr&Filter.1.Value.1=10.0.0.0%2F16", true),
        (
            &format!("Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&Filter.1.Value.2={id}"),
            true,
        ),
        (
            "Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-00000000000000000",
            false,
        ),
    ] {
        let (status, body) = h.ec2(&format!("Action=DescribeVpcs&{filter}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body.contains(&id), found, "{filter}: {body}");
        if !found {
            assert!(body.contains("<vpcSet/>"), "{body}");
        }
    }
    let (status, body) = h
        .ec2("Action=DescribeVpcs&Filter.1.Name=colour&Filter.1.Value.1=red")
        .await;
    assert_eq!(status, 400);
    assert_eq!(text(&body, "Code"), Some("InvalidParameterValue"));

    let (status, body) = h.ec2(&format!("Action=DeleteVpc&VpcId={id}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<return>true</return>"), "{body}");
    let (status, body) = h.ec2(&format!("Action=DeleteVpc&VpcId={id}")).await;
    assert_eq!(status, 400);
    let request_id = text(&body, "RequestID").unwrap();
    assert_eq!(
        body,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>The vpc ID &apos;{id}&apos; does not exist</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    );
}

#[tokio::test]
async fn requests_signed_too_long_ago_have_expired() {
    let h = harness().await;
    let then = OffsetDateTime::now_utc() - palisade_sigv4::Duration::minutes(20);
    let req = signed_at(
        &h.admin,
        "ec2",
        None,
        "Action=DescribeVpcs&Version=2016-11-15",
        None,
        then,
    );
    let r = h.api.handle(req).await;
    let body = String::from_utf8(r.body().to_vec()).unwrap();
    assert_eq!(r.status().as_u16(), 400, "{body}");
    assert_eq!(text(&body, "Code"), Some("RequestExpired"));
    assert_eq!(text(&body, "Message"), Some("Request has expired."));
    // Signed for another service: the signature does not match.
    let req = signed(
        &h.admin,
        "iam",
        None,
        "Action=DescribeVpcs&Version=2016-11-15",
        None,
    );
    let r = h.api.handle(req).await;
    let body = String::from_utf8(r.body().to_vec()).unwrap();
    assert_eq!(
        (r.status().as_u16(), text(&body, "Code")),
        (401, Some("AuthFailure")),
        "{body}"
    );
    // No Action at all.
    let (status, body) = h.ec2("DryRun=false").await;
    assert_eq!(
        (status, text(&body, "Code")),
        (400, Some("MissingAction")),
        "{body}"
    );
}
