//! The transport against the real binary, set up by a configuration file: a TLS listener
//! (boto3 and the AWS CLI with the test CA), `aws:SecureTransport` reaching policies, PROXY
//! protocol v2 from trusted and untrusted addresses, a VPC endpoint listener, and HTTP headers
//! that claim another origin and change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use common::{RawConnection, RawResponse, TestServer};
use serde_json::json;

const ACCOUNT: &str = "000000000000";
const VPC: &str = "vpc-0a1b2c3d4e5f60718";
const VPCE: &str = "vpce-0123456789abcdef0";
/// An endpoint without listeners of its own, reached only through a load balancer.
const NLB_VPCE: &str = "vpce-0fedcba9876543210";

/// Users of the bootstrap file, each with one key and one inline policy.
const WEB: (&str, &str) = (
    "AKIATRANSPORTWEB0001",
    "web-secret-000000000000000000000000000000",
);
const VPCE_ONLY: (&str, &str) = (
    "AKIATRANSPORTVPCE001",
    "vpce-secret-00000000000000000000000000000",
);
const OFFICE: (&str, &str) = (
    "AKIATRANSPORTOFFICE1",
    "office-secret-0000000000000000000000000000",
);

/// Announcement lines of the server, in configuration order.
const PUBLIC: usize = 0;
const TLS: usize = 1;
const PROXIED: usize = 2;
const UNTRUSTED_PROXY: usize = 3;
const PROXIED_TLS: usize = 4;
const ENDPOINT: usize = 5;

fn user(name: &str, key: (&str, &str), statements: serde_json::Value) -> serde_json::Value {
    json!({
        "name": name,
        "inline_policies": {"p": {"Version": "2012-10-17", "Statement": statements}},
        "access_keys": [{"id": key.0, "secret": key.1}]
    })
}

/// A test CA and a certificate for localhost / 127.0.0.1 signed by it; returns the CA file.
fn certificates(dir: &Path) -> PathBuf {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Palisade test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    dir.join("ca.pem")
}

struct Setup {
    server: TestServer,
    dir: tempfile::TempDir,
}

impl Setup {
    fn start() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        certificates(dir.path());
        let bootstrap = json!({"accounts": [{"account": ACCOUNT, "users": [
            user("web", WEB, json!([
                {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
            ])),
            user("vpce-only", VPCE_ONLY, json!([
                {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*",
                 "Condition": {"StringNotEquals": {"aws:SourceVpce": VPCE}}}
            ])),
            user("office", OFFICE, json!([
                {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*",
                 "Condition": {"IpAddress": {"aws:SourceIp": "10.9.8.7/32"}}}
            ])),
        ]}]});
        std::fs::write(dir.path().join("bootstrap.json"), bootstrap.to_string()).unwrap();
        // The first listener's address is replaced by the harness's --listen 127.0.0.1:0.
        let config = format!(
            r#"
bootstrap = "bootstrap.json"

[[listener]]
address = "127.0.0.1:8000"

[[listener]]
address = "127.0.0.1:0"
tls = {{ cert = "cert.pem", key = "key.pem" }}

[[listener]]
address = "127.0.0.1:0"
proxy_protocol = {{ trusted = ["127.0.0.0/8"] }}

[[listener]]
address = "127.0.0.1:0"
proxy_protocol = {{ trusted = ["192.0.2.0/24"] }}

[[listener]]
address = "127.0.0.1:0"
tls = {{ cert = "cert.pem", key = "key.pem" }}
proxy_protocol = {{ trusted = ["127.0.0.1/32"] }}

[[vpc]]
id = "{VPC}"
cidr_blocks = ["10.0.0.0/16"]

[[vpc_endpoint]]
id = "{VPCE}"
vpc = "{VPC}"
addresses = ["127.0.0.1:0"]

[[vpc_endpoint]]
id = "{NLB_VPCE}"
vpc = "{VPC}"
"#
        );
        let path = dir.path().join("palisade.toml");
        std::fs::write(&path, config).unwrap();
        let server = TestServer::start_with(&["--config", path.to_str().unwrap()]);
        let lines = server.announcements(6);
        assert!(
            lines[PUBLIC].starts_with("palisade listening on http://"),
            "{lines:?}"
        );
        assert!(
            lines[TLS].starts_with("palisade listening on https://"),
            "{lines:?}"
        );
        assert!(
            lines[PROXIED].starts_with("palisade listening on http://"),
            "{lines:?}"
        );
        assert!(
            lines[UNTRUSTED_PROXY].starts_with("palisade listening on http://"),
            "{lines:?}"
        );
        assert!(
            lines[PROXIED_TLS].starts_with("palisade listening on https://"),
            "{lines:?}"
        );
        assert!(
            lines[ENDPOINT].starts_with(&format!(
                "palisade vpc endpoint {VPCE} listening on http://"
            )),
            "{lines:?}"
        );
        Setup { server, dir }
    }

    fn address(&self, index: usize) -> SocketAddr {
        let url = self.server.announced_url(index);
        url.split_once("://").unwrap().1.parse().unwrap()
    }
}

/// A signed `ListTables` as `key`, sent on `conn` with `extra` headers (signed too).
async fn list_tables(
    conn: &mut RawConnection,
    host: SocketAddr,
    key: (&str, &str),
    extra: &[(&str, &str)],
) -> Result<RawResponse, hyper::Error> {
    let body = b"{}".to_vec();
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.to_string()),
        ("content-type".into(), common::AMZ_JSON.into()),
        ("x-amz-date".into(), common::amz_date()),
        ("x-amz-target".into(), "DynamoDB_20120810.ListTables".into()),
    ];
    for (name, value) in extra {
        headers.push((name.to_string(), value.to_string()));
    }
    let authorization = common::sign_as(key, "POST", "/", "", &headers, &body);
    headers.push(("authorization".into(), authorization));
    conn.try_send("POST", "/", &headers, Bytes::from(body))
        .await
}

async fn list_tables_via(
    addr: SocketAddr,
    preamble: &[u8],
    key: (&str, &str),
) -> Result<RawResponse, hyper::Error> {
    let mut conn = RawConnection::open_with_preamble(addr, preamble).await;
    list_tables(&mut conn, addr, key, &[]).await
}

fn assert_allowed(response: &RawResponse) {
    assert_eq!(response.status, 200, "{}", response.text());
}

fn assert_denied(response: &RawResponse) {
    assert_eq!(response.status, 400, "{}", response.text());
    assert!(
        response.text().contains("AccessDeniedException"),
        "{}",
        response.text()
    );
}

/// A PROXY v2 header (TCP over IPv4) from `source` with the given TLVs.
fn proxy_header(command: u8, source: [u8; 4], tlvs: &[u8]) -> Vec<u8> {
    let mut bytes = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    bytes.push(0x20 | command);
    bytes.push(0x11);
    bytes.extend_from_slice(&u16::try_from(12 + tlvs.len()).unwrap().to_be_bytes());
    bytes.extend_from_slice(&source);
    bytes.extend_from_slice(&[127, 0, 0, 1]);
    bytes.extend_from_slice(&49152u16.to_be_bytes());
    bytes.extend_from_slice(&8000u16.to_be_bytes());
    bytes.extend_from_slice(tlvs);
    bytes
}

/// AWS's VPC endpoint TLV (0xEA, subtype 0x01).
fn aws_vpce_tlv(id: &str) -> Vec<u8> {
    let mut tlv = vec![0xEA];
    tlv.extend_from_slice(&u16::try_from(id.len() + 1).unwrap().to_be_bytes());
    tlv.push(0x01);
    tlv.extend_from_slice(id.as_bytes());
    tlv
}

fn python(script: &str, env: &[(&str, &str)]) -> String {
    let out = Command::new("python3")
        .args(["-c", script])
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 (scripts/test.sh installs boto3): {e}"));
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const BOTO3_TLS: &str = r#"
import os, boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["URL"], region_name="us-east-1",
                   aws_access_key_id=os.environ["KEY"], aws_secret_access_key=os.environ["SECRET"],
                   verify=os.environ["CA"])
ddb.create_table(TableName="secure", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                 BillingMode="PAY_PER_REQUEST")
ddb.put_item(TableName="secure", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
print(ddb.get_item(TableName="secure", Key={"pk": {"S": "a"}})["Item"]["v"]["N"])
try:
    from botocore.config import Config
    boto3.client("dynamodb", endpoint_url=os.environ["URL"], region_name="us-east-1",
                 aws_access_key_id=os.environ["KEY"], aws_secret_access_key=os.environ["SECRET"],
                 config=Config(retries={"max_attempts": 1})).list_tables()
    print("unverified: accepted")
except Exception as e:
    print("unverified: " + type(e).__name__)
"#;

#[tokio::test]
async fn tls_for_boto3_and_the_aws_cli_and_secure_transport_in_policies() {
    let setup = Setup::start();
    let https = setup.server.announced_url(TLS);
    let ca = setup.dir.path().join("ca.pem");

    // Over plain HTTP the Bool aws:SecureTransport false deny applies.
    let plain = common::client_for(&setup.server.url(), WEB.0, WEB.1);
    let denied = common::create_pk_table(&plain, "secure").await.unwrap_err();
    assert!(
        denied.starts_with("AccessDeniedException: ")
            && denied.contains("with an explicit deny in an identity-based policy"),
        "{denied}"
    );

    // Over TLS (verified against the test CA) it does not.
    let out = python(
        BOTO3_TLS,
        &[
            ("URL", &https),
            ("KEY", WEB.0),
            ("SECRET", WEB.1),
            ("CA", ca.to_str().unwrap()),
        ],
    );
    assert_eq!(out, "1\nunverified: SSLError\n");

    let cli = Command::new("aws")
        .args([
            "dynamodb",
            "list-tables",
            "--endpoint-url",
            &https,
            "--region",
            "us-east-1",
        ])
        .arg("--ca-bundle")
        .arg(&ca)
        .env("AWS_ACCESS_KEY_ID", WEB.0)
        .env("AWS_SECRET_ACCESS_KEY", WEB.1)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the AWS CLI (scripts/test.sh installs it): {e}"));
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let tables: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(tables["TableNames"], json!(["secure"]));

    // A header claiming TLS changes nothing on the plain listener.
    let addr = setup.address(PUBLIC);
    let mut conn = RawConnection::open(addr).await;
    let claimed = list_tables(
        &mut conn,
        addr,
        WEB,
        &[("x-forwarded-proto", "https"), ("forwarded", "proto=https")],
    )
    .await
    .unwrap();
    assert_denied(&claimed);
}

#[tokio::test]
async fn proxy_v2_from_a_trusted_proxy_gives_the_origin() {
    let setup = Setup::start();
    let proxied = setup.address(PROXIED);

    // The AWS TLV: the request comes through that endpoint (aws:SourceVpce), and then has no
    // aws:SourceIp (the office user's IpAddress condition cannot match).
    let through_vpce = proxy_header(1, [10, 0, 1, 25], &aws_vpce_tlv(VPCE));
    assert_allowed(
        &list_tables_via(proxied, &through_vpce, VPCE_ONLY)
            .await
            .unwrap(),
    );
    let office_via_vpce = proxy_header(1, [10, 9, 8, 7], &aws_vpce_tlv(VPCE));
    assert_denied(
        &list_tables_via(proxied, &office_via_vpce, OFFICE)
            .await
            .unwrap(),
    );

    // An endpoint without listeners resolves too: the connection is served, and its
    // aws:SourceVpce is not the one the vpce-only user needs.
    let through_nlb_vpce = proxy_header(1, [10, 0, 1, 25], &aws_vpce_tlv(NLB_VPCE));
    assert_denied(
        &list_tables_via(proxied, &through_nlb_vpce, VPCE_ONLY)
            .await
            .unwrap(),
    );
    assert_allowed(
        &list_tables_via(proxied, &through_nlb_vpce, common::admin_key())
            .await
            .unwrap(),
    );

    // A plain PROXY header: aws:SourceIp is the header's source address.
    let from_office = proxy_header(1, [10, 9, 8, 7], &[]);
    let mut conn = RawConnection::open_with_preamble(proxied, &from_office).await;
    assert_allowed(&list_tables(&mut conn, proxied, OFFICE, &[]).await.unwrap());
    // Keep-alive: the header came once, the origin stays for the connection.
    assert_allowed(&list_tables(&mut conn, proxied, OFFICE, &[]).await.unwrap());
    assert_denied(
        &list_tables(&mut conn, proxied, VPCE_ONLY, &[])
            .await
            .unwrap(),
    );
    let elsewhere = proxy_header(1, [10, 9, 8, 8], &[]);
    assert_denied(&list_tables_via(proxied, &elsewhere, OFFICE).await.unwrap());

    // LOCAL (health checks): the peer's own address, 127.0.0.1.
    let local = proxy_header(0, [10, 9, 8, 7], &aws_vpce_tlv(VPCE));
    assert_denied(&list_tables_via(proxied, &local, OFFICE).await.unwrap());
    assert_denied(&list_tables_via(proxied, &local, VPCE_ONLY).await.unwrap());

    // The SSL TLV with the client bit: the client used TLS to reach the proxy.
    let ssl_tlv = [0x20, 0x00, 0x05, 0x01, 0, 0, 0, 0];
    let with_ssl = proxy_header(1, [10, 0, 1, 25], &ssl_tlv);
    assert_allowed(&list_tables_via(proxied, &with_ssl, WEB).await.unwrap());
    let without_ssl = proxy_header(1, [10, 0, 1, 25], &[]);
    assert_denied(&list_tables_via(proxied, &without_ssl, WEB).await.unwrap());

    // Closed without an answer: an unknown endpoint id, no header at all, a v1 text header.
    let unknown = proxy_header(1, [10, 0, 1, 25], &aws_vpce_tlv("vpce-0fffffffffffffff0"));
    let v1 = b"PROXY TCP4 10.9.8.7 127.0.0.1 49152 8000\r\n".to_vec();
    for preamble in [unknown, Vec::new(), v1] {
        let result = list_tables_via(proxied, &preamble, VPCE_ONLY).await;
        assert!(result.is_err(), "{preamble:?} was served: {result:?}");
    }
    let log = setup.server.log();
    assert!(log.contains("unknown VPC endpoint"), "{log}");
}

#[tokio::test]
async fn proxy_headers_from_untrusted_addresses_are_refused() {
    let setup = Setup::start();
    // This listener trusts only 192.0.2.0/24; the test connects from 127.0.0.1.
    let untrusted = setup.address(UNTRUSTED_PROXY);
    let spoof = proxy_header(1, [10, 9, 8, 7], &aws_vpce_tlv(VPCE));
    let refused = list_tables_via(untrusted, &spoof, VPCE_ONLY).await;
    assert!(refused.is_err(), "served: {refused:?}");
    let refused = list_tables_via(untrusted, &proxy_header(1, [10, 9, 8, 7], &[]), OFFICE).await;
    assert!(refused.is_err(), "served: {refused:?}");
    assert!(
        setup
            .server
            .log()
            .contains("a PROXY header from an untrusted address"),
        "{}",
        setup.server.log()
    );

    // Without a header the connection is served with its own address.
    assert_allowed(
        &list_tables_via(untrusted, &[], common::admin_key())
            .await
            .unwrap(),
    );
    assert_denied(&list_tables_via(untrusted, &[], OFFICE).await.unwrap());
}

#[tokio::test]
async fn endpoint_listeners_and_headers_that_claim_an_origin() {
    let setup = Setup::start();
    let endpoint = setup.address(ENDPOINT);
    let public = setup.address(PUBLIC);
    assert_allowed(&list_tables_via(endpoint, &[], VPCE_ONLY).await.unwrap());
    // Through an endpoint there is no aws:SourceIp, whatever the headers say.
    let mut conn = RawConnection::open(endpoint).await;
    let claims = [
        ("x-forwarded-for", "10.9.8.7"),
        ("x-real-ip", "10.9.8.7"),
        ("forwarded", "for=10.9.8.7"),
    ];
    assert_denied(
        &list_tables(&mut conn, endpoint, OFFICE, &claims)
            .await
            .unwrap(),
    );

    // On the public listener, headers naming an endpoint or an address change nothing.
    let mut conn = RawConnection::open(public).await;
    let vpce_claims = [
        ("x-amz-source-vpce", VPCE),
        ("x-amz-vpce-id", VPCE),
        ("x-amzn-vpce-id", VPCE),
        ("x-amz-source-vpc", VPC),
    ];
    assert_denied(
        &list_tables(&mut conn, public, VPCE_ONLY, &vpce_claims)
            .await
            .unwrap(),
    );
    assert_denied(
        &list_tables(&mut conn, public, OFFICE, &claims)
            .await
            .unwrap(),
    );
    assert_allowed(
        &list_tables(&mut conn, public, common::admin_key(), &claims)
            .await
            .unwrap(),
    );
}

/// A TLS client connection to `addr` that first sends `preamble` in clear, trusting the test CA.
async fn tls_with_preamble(addr: SocketAddr, preamble: &[u8], ca: &Path) -> RawConnection {
    use rustls_pki_types::pem::PemObject;
    use tokio::io::AsyncWriteExt;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from_pem_file(ca).unwrap())
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(preamble).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap();
    RawConnection::over(tls).await
}

#[tokio::test]
async fn proxy_v2_before_tls() {
    let setup = Setup::start();
    let addr = setup.address(PROXIED_TLS);
    let ca = setup.dir.path().join("ca.pem");
    // The header comes in clear, then the TLS handshake: the origin is the header's address
    // and the transport is secure.
    let from_office = proxy_header(1, [10, 9, 8, 7], &[]);
    let mut conn = tls_with_preamble(addr, &from_office, &ca).await;
    assert_allowed(&list_tables(&mut conn, addr, OFFICE, &[]).await.unwrap());
    assert_allowed(&list_tables(&mut conn, addr, WEB, &[]).await.unwrap());
    let elsewhere = proxy_header(1, [10, 9, 8, 8], &[]);
    let mut conn = tls_with_preamble(addr, &elsewhere, &ca).await;
    assert_denied(&list_tables(&mut conn, addr, OFFICE, &[]).await.unwrap());
}
