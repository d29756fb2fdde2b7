//! Requests through a VPC endpoint listener carry `aws:SourceVpc`, `aws:SourceVpce` and
//! `aws:VpcSourceIp` and no `aws:SourceIp`: the production account's SCP (deny DynamoDB
//! outside the VPC, AWS JSON verbatim) lets them in, while the public listener and an endpoint
//! of another VPC stay denied. Loopback mode: each endpoint is its own listener on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::TcpListener;

use common::TestServer;
use serde_json::json;

const PROD: &str = "222233334444";
const VPC: &str = "vpc-0a1b2c3d4e5f67890";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn client(url: &str) -> aws_sdk_dynamodb::Client {
    common::client_for(
        url,
        "AKIAPRODAPP000000001",
        "prod-app-secret-0000000000000000000000000",
    )
}

#[tokio::test]
async fn the_production_table_is_reachable_only_through_its_vpc_endpoint() {
    println!("mode: loopback listeners (one per VPC endpoint)");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bootstrap.json");
    let spec = json!({
        "organization": {
            "service_control_policies": true,
            "accounts": [{"id": PROD, "name": "prod", "email": "prod@example.com"}],
            "policies": [{
                "name": "dynamodb-vpc-only",
                "type": "SERVICE_CONTROL_POLICY",
                "content": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "DenyOutsideVpc",
                        "Effect": "Deny",
                        "Action": "dynamodb:*",
                        "Resource": "*",
                        "Condition": {
                            "StringNotEquals": {"aws:SourceVpc": VPC},
                            "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/emergency-role"}
                        }
                    }]
                },
                "targets": [PROD]
            }]
        },
        "accounts": [{
            "account": PROD,
            "users": [{
                "name": "app",
                "inline_policies": {"all": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}},
                "access_keys": [{"id": "AKIAPRODAPP000000001", "secret": "prod-app-secret-0000000000000000000000000"}]
            }]
        }]
    });
    std::fs::write(&file, spec.to_string()).unwrap();
    let inside = free_port();
    let other = free_port();
    let inside_arg = format!("vpce-0inside000000001,{VPC},127.0.0.1:{inside}");
    let other_arg = format!("vpce-0other0000000001,vpc-0ffffffffffffffff,127.0.0.1:{other}");
    let server = TestServer::start_with(&[
        "--bootstrap",
        file.to_str().unwrap(),
        "--vpc-endpoint",
        &inside_arg,
        "--vpc-endpoint",
        &other_arg,
    ]);

    let outside = common::create_pk_table(&client(&server.url()), "orders")
        .await
        .unwrap_err();
    assert!(
        outside.starts_with(&format!(
            "AccessDeniedException: User: arn:aws:iam::{PROD}:user/app is not authorized to perform: dynamodb:CreateTable on resource: arn:aws:dynamodb:us-east-1:{PROD}:table/orders with an explicit deny in a service control policy"
        )),
        "{outside}"
    );
    let wrong_vpc =
        common::create_pk_table(&client(&format!("http://127.0.0.1:{other}")), "orders")
            .await
            .unwrap_err();
    assert!(
        wrong_vpc.starts_with("AccessDeniedException: "),
        "{wrong_vpc}"
    );

    common::create_pk_table(&client(&format!("http://127.0.0.1:{inside}")), "orders")
        .await
        .unwrap();
    let tables = client(&format!("http://127.0.0.1:{inside}"))
        .list_tables()
        .send()
        .await
        .unwrap();
    assert_eq!(tables.table_names(), ["orders"]);
}
