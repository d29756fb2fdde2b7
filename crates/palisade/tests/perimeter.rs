//! The canonical perimeter, end to end, with callers on real (namespaced) hosts: an
//! organization whose production account carries the SCP "deny DynamoDB outside our VPC,
//! except the emergency role" (AWS JSON verbatim), a dev account without it, and the
//! management account, which SCPs never restrict.
//!
//! The callers are boto3 processes started inside a "vpc" network namespace, which reaches the
//! server through the VPC endpoint's address, and an "outside" namespace, which reaches the
//! public listener. Where namespaces cannot be created the same cases run over loopback
//! listeners; the output says which mode ran.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "perimeter/net.rs"]
mod net;

use std::net::SocketAddr;
use std::process::Command;

use bytes::Bytes;
use common::{RawConnection, TestServer};
use serde_json::{Value, json};

const PROD: &str = "111111111111";
const DEV: &str = "222222222222";
const VPC: &str = "vpc-0a1b2c3d4e5f60718";
const VPCE: &str = "vpce-0123456789abcdef0";

const PROD_APP: (&str, &str) = (
    "AKIAPERIMETERPROD001",
    "prod-app-secret-0000000000000000000000000",
);
const DEV_USER: (&str, &str) = (
    "AKIAPERIMETERDEV0001",
    "dev-user-secret-0000000000000000000000000",
);

/// Announcement lines, in the order the server prints them.
const PUBLIC: usize = 1;
const PROXIED: usize = 2;
const ENDPOINT: usize = 3;

/// The SCP as users copy it from AWS.
const SCP: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyDynamoDBOutsideVpc",
      "Effect": "Deny",
      "Action": "dynamodb:*",
      "Resource": "*",
      "Condition": {
        "StringNotEquals": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f60718"},
        "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/emergency-role"}
      }
    }
  ]
}"#;

fn all_of(action: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
}

fn trust(account: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]})
}

fn bootstrap() -> Value {
    json!({
        "organization": {
            "service_control_policies": true,
            "organizational_units": [{"name": "production"}, {"name": "development"}],
            "accounts": [
                {"id": PROD, "name": "prod", "email": "prod@example.com", "parent": "production"},
                {"id": DEV, "name": "dev", "email": "dev@example.com", "parent": "development"}
            ],
            "policies": [{
                "name": "dynamodb-vpc-only",
                "type": "SERVICE_CONTROL_POLICY",
                "content": serde_json::from_str::<Value>(SCP).unwrap(),
                "targets": [PROD]
            }]
        },
        "accounts": [
            {
                "account": PROD,
                "users": [{
                    "name": "app",
                    "inline_policies": {"all": all_of("*")},
                    "access_keys": [{"id": PROD_APP.0, "secret": PROD_APP.1}]
                }],
                "roles": [{
                    "name": "emergency-role",
                    "trust_policy": trust(PROD),
                    "inline_policies": {"dynamodb": all_of("dynamodb:*")}
                }]
            },
            {
                "account": DEV,
                "users": [{
                    "name": "developer",
                    "inline_policies": {"all": all_of("*")},
                    "access_keys": [{"id": DEV_USER.0, "secret": DEV_USER.1}]
                }],
                "roles": [{
                    "name": "feature-team",
                    "trust_policy": trust(DEV),
                    "inline_policies": {"dynamodb": all_of("dynamodb:*")}
                }]
            }
        ]
    })
}

/// One call of `tests/e2e/perimeter_client.py`.
fn call(url: &str, key: (&str, &str), op: &str, table: &str) -> Value {
    json!({"url": url, "key": key.0, "secret": key.1, "op": op, "table": table})
}

fn assuming(mut case: Value, role: &str) -> Value {
    case["assume"] = json!(role);
    case
}

/// Runs the calls from one host and returns one result per call.
fn run(hosts: &net::Hosts, from_vpc: bool, cases: &[Value]) -> Vec<Value> {
    let script = common::repo_path("tests/e2e/perimeter_client.py");
    let arg = Value::Array(cases.to_vec()).to_string();
    let args = [script.to_str().unwrap(), arg.as_str()];
    let out = if from_vpc {
        hosts.in_vpc("python3", &args)
    } else {
        hosts.outside("python3", &args)
    };
    assert!(
        out.status.success(),
        "perimeter_client.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), cases.len(), "one result per call");
    results
}

fn assert_ok(result: &Value, what: &str) {
    assert_eq!(result["ok"], json!(true), "{what}: {result}");
}

fn assert_denied(result: &Value, what: &str, message_has: &[&str]) {
    assert_eq!(
        result["code"],
        json!("AccessDeniedException"),
        "{what}: {result}"
    );
    let message = result["message"].as_str().unwrap_or_default();
    for part in message_has {
        assert!(message.contains(part), "{what}: {message:?} lacks {part:?}");
    }
}

/// A signed DynamoDB ListTables over a connection that starts with `preamble`, made from
/// `source`: the status, or `None` when the server closed the connection unanswered.
async fn list_tables_from(
    source: std::net::IpAddr,
    to: SocketAddr,
    preamble: &[u8],
    key: (&str, &str),
) -> Option<u16> {
    use tokio::io::AsyncWriteExt;
    let socket = if source.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .unwrap();
    socket.bind(SocketAddr::new(source, 0)).unwrap();
    let mut stream = socket.connect(to).await.unwrap();
    stream.write_all(preamble).await.unwrap();
    let mut conn = RawConnection::over(stream).await;
    let body = Bytes::from_static(b"{}");
    let mut headers = vec![
        ("host".to_string(), to.to_string()),
        ("x-amz-date".to_string(), common::amz_date()),
        (
            "x-amz-target".to_string(),
            "DynamoDB_20120810.ListTables".to_string(),
        ),
        (
            "content-type".to_string(),
            "application/x-amz-json-1.0".to_string(),
        ),
    ];
    let auth = common::sign_as(key, "POST", "/", "", &headers, &body);
    headers.push(("authorization".to_string(), auth));
    conn.try_send("POST", "/", &headers, body)
        .await
        .ok()
        .map(|r| r.status)
}

/// A PROXY protocol v2 header from 10.0.1.25 carrying AWS's VPC endpoint TLV.
fn proxy_header_through(vpce: &str) -> Vec<u8> {
    let mut tlv = vec![0xEA];
    tlv.extend_from_slice(&u16::try_from(vpce.len() + 1).unwrap().to_be_bytes());
    tlv.push(0x01);
    tlv.extend_from_slice(vpce.as_bytes());
    let mut bytes = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    bytes.extend_from_slice(&[0x21, 0x11]);
    bytes.extend_from_slice(&u16::try_from(12 + tlv.len()).unwrap().to_be_bytes());
    bytes.extend_from_slice(&[10, 0, 1, 25, 10, 0, 2, 10]);
    bytes.extend_from_slice(&49152u16.to_be_bytes());
    bytes.extend_from_slice(&8000u16.to_be_bytes());
    bytes.extend_from_slice(&tlv);
    bytes
}

/// `aws ec2 ...` as the management account's administrator.
fn ec2(url: &str, args: &[&str]) -> String {
    let out = Command::new("aws")
        .args([
            "ec2",
            "--endpoint-url",
            url,
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the AWS CLI (scripts/test.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "aws ec2 {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_production_table_is_private_to_its_vpc() {
    let hosts = net::Hosts::create();
    // Written past the test harness's output capture, so every run shows which mode ran.
    {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "perimeter mode: {}", hosts.mode());
    }
    let plan = hosts.plan();

    let dir = tempfile::tempdir().unwrap();
    let bootstrap_file = dir.path().join("bootstrap.json");
    std::fs::write(&bootstrap_file, bootstrap().to_string()).unwrap();
    let config_file = dir.path().join("palisade.toml");
    // The first listener is the harness's own (--listen 127.0.0.1:0); the others face the
    // callers' hosts.
    let config = format!(
        r#"
[[listener]]
address = "127.0.0.1:0"

[[listener]]
address = "{public}:0"

[[listener]]
address = "{public}:0"
proxy_protocol = {{ trusted = ["{trusted}/32"] }}

[[vpc]]
id = "{VPC}"
cidr_blocks = ["10.231.1.0/24"]

[[vpc_endpoint]]
id = "{VPCE}"
vpc = "{VPC}"
addresses = ["{endpoint}:0"]
"#,
        public = plan.public_host,
        trusted = plan.trusted_proxy,
        endpoint = plan.endpoint_host,
    );
    std::fs::write(&config_file, config).unwrap();
    let server = TestServer::start_with(&[
        "--config",
        config_file.to_str().unwrap(),
        "--bootstrap",
        bootstrap_file.to_str().unwrap(),
    ]);
    let public = server.announced_url(PUBLIC);
    let proxied: SocketAddr = server.announced_url(PROXIED)["http://".len()..]
        .parse()
        .unwrap();
    let endpoint = server.announced_url(ENDPOINT);
    assert!(
        server.announcements(ENDPOINT + 1)[ENDPOINT].contains(VPCE),
        "{:?}",
        server.announcements(ENDPOINT + 1)
    );
    let orders_arn = format!("arn:aws:dynamodb:us-east-1:{PROD}:table/orders");
    let emergency = format!("arn:aws:iam::{PROD}:role/emergency-role");
    let feature = format!("arn:aws:iam::{DEV}:role/feature-team");

    // Inside the VPC, through its endpoint: the production account works.
    let inside = run(
        &hosts,
        true,
        &[
            call(&endpoint, PROD_APP, "create", "orders"),
            call(&endpoint, PROD_APP, "put", "orders"),
            call(&endpoint, PROD_APP, "get", "orders"),
        ],
    );
    for (r, what) in inside.iter().zip(["create", "put", "get"]) {
        assert_ok(r, &format!("{what} from inside the VPC"));
    }
    assert_eq!(inside[2]["found"], json!(true));

    // Outside: denied by the SCP, with a message naming principal, action, resource and the
    // kind of policy; the emergency role gets through; the dev account and the management
    // account are free.
    let outside = run(
        &hosts,
        false,
        &[
            call(&public, PROD_APP, "get", "orders"),
            assuming(call(&public, PROD_APP, "get", "orders"), &emergency),
            assuming(call(&public, DEV_USER, "create", "scratch"), &feature),
            assuming(call(&public, DEV_USER, "put", "scratch"), &feature),
            call(&public, common::admin_key(), "create", "management"),
            call(&public, common::admin_key(), "put", "management"),
        ],
    );
    assert_denied(
        &outside[0],
        "production from outside",
        &[
            &format!("User: arn:aws:iam::{PROD}:user/app"),
            "is not authorized to perform: dynamodb:GetItem",
            &format!("on resource: {orders_arn}"),
            "with an explicit deny in a service control policy",
        ],
    );
    assert_ok(&outside[1], "the emergency role from outside");
    assert_eq!(outside[1]["found"], json!(true));
    assert_ok(&outside[2], "a dev-account role from outside");
    assert_ok(&outside[3], "a dev-account role from outside");
    assert_ok(&outside[4], "the management account from outside");
    assert_ok(&outside[5], "the management account from outside");
    // The dev role works from inside the VPC too.
    let dev_inside = run(
        &hosts,
        true,
        &[assuming(
            call(&endpoint, DEV_USER, "get", "scratch"),
            &feature,
        )],
    );
    assert_ok(&dev_inside[0], "a dev-account role from inside");

    // A resource policy on the production table grants the dev account's role: it reads the
    // table by ARN from anywhere (the SCP binds production principals only).
    let denied_before = run(
        &hosts,
        false,
        &[assuming(
            call(&public, DEV_USER, "get", &orders_arn),
            &feature,
        )],
    );
    assert_denied(
        &denied_before[0],
        "dev role before the grant",
        &[
            &format!("User: arn:aws:sts::{DEV}:assumed-role/feature-team/perimeter"),
            "because no resource-based policy allows the dynamodb:GetItem action",
        ],
    );
    let grant = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": feature}, "Action": "dynamodb:GetItem", "Resource": orders_arn
    }]});
    let mut put_policy = call(&endpoint, PROD_APP, "put_policy", &orders_arn);
    put_policy["policy"] = json!(grant.to_string());
    let granted = run(&hosts, true, &[put_policy]);
    assert_ok(&granted[0], "PutResourcePolicy from inside the VPC");
    let after = run(
        &hosts,
        false,
        &[assuming(
            call(&public, DEV_USER, "get", &orders_arn),
            &feature,
        )],
    );
    assert_ok(&after[0], "dev role after the grant");
    assert_eq!(after[0]["found"], json!(true));

    // An endpoint policy narrows what passes through the endpoint: reads only.
    let reads_only = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "*"
    }]});
    ec2(
        &server.url(),
        &[
            "modify-vpc-endpoint",
            "--vpc-endpoint-id",
            VPCE,
            "--policy-document",
            &reads_only.to_string(),
        ],
    );
    let narrowed = run(
        &hosts,
        true,
        &[
            call(&endpoint, PROD_APP, "get", "orders"),
            call(&endpoint, PROD_APP, "put", "orders"),
        ],
    );
    assert_ok(&narrowed[0], "GetItem through the narrowed endpoint");
    assert_denied(
        &narrowed[1],
        "PutItem through the narrowed endpoint",
        &["dynamodb:PutItem", "because no VPC endpoint policy allows"],
    );
    ec2(
        &server.url(),
        &[
            "modify-vpc-endpoint",
            "--vpc-endpoint-id",
            VPCE,
            "--reset-policy",
        ],
    );
    let reset = run(&hosts, true, &[call(&endpoint, PROD_APP, "put", "orders")]);
    assert_ok(&reset[0], "PutItem after the endpoint policy is reset");

    // Behind a load balancer: a PROXY v2 header naming the endpoint, from the trusted proxy
    // address, makes the request come through the VPC; the same header from an untrusted
    // address gets the connection closed.
    let header = proxy_header_through(VPCE);
    assert_eq!(
        list_tables_from(plan.trusted_proxy, proxied, &header, PROD_APP).await,
        Some(200),
        "PROXY v2 from the trusted proxy"
    );
    assert_eq!(
        list_tables_from(plan.trusted_proxy, proxied, &[], PROD_APP).await,
        None,
        "the trusted proxy must send a header"
    );
    assert_eq!(
        list_tables_from(plan.untrusted, proxied, &header, PROD_APP).await,
        None,
        "PROXY v2 from an untrusted address"
    );
    assert_eq!(
        list_tables_from(plan.untrusted, proxied, &[], PROD_APP).await,
        Some(400),
        "without a header an untrusted caller is an ordinary outside caller, denied by the SCP"
    );
}

/// docs/perimeter.md's walkthrough, command for command (tests/e2e/perimeter_walkthrough.sh):
/// from an empty server to a private table with the AWS CLI only.
#[test]
fn the_documented_walkthrough() {
    let server = TestServer::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = common::repo_path("tests/e2e/perimeter_walkthrough.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(server.url())
        .arg(format!("127.0.0.1:{port}"))
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash with the AWS CLI: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("walkthrough: all steps passed"),
        "perimeter_walkthrough.sh failed:\nstdout:\n{stdout}\nstderr:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
}
