//! `--bootstrap FILE`: an organization with an SCP and identities in a member account, seeded at
//! start and applied again (idempotently) at every restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use common::TestServer;
use serde_json::json;

const PROD: &str = "222233334444";

fn client(server: &TestServer, id: &str, secret: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(common::REGION))
        .credentials_provider(Credentials::new(id, secret, None, None, "test"))
        .endpoint_url(server.url())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

async fn create_table(client: &aws_sdk_dynamodb::Client) -> Result<(), String> {
    client
        .create_table()
        .table_name("orders")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let e = e.into_service_error();
            format!(
                "{}: {}",
                e.meta().code().unwrap_or(""),
                e.meta().message().unwrap_or("")
            )
        })
}

#[tokio::test]
async fn bootstrap_seeds_an_organization_and_identities_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bootstrap.json");
    let allow_all = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let spec = json!({
        "organization": {
            "service_control_policies": true,
            "organizational_units": [{"name": "production"}],
            "accounts": [{"id": PROD, "name": "prod", "email": "prod@example.com", "parent": "production"}],
            "policies": [{
                "name": "dynamodb-vpc-only",
                "type": "SERVICE_CONTROL_POLICY",
                "content": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Deny",
                        "Action": "dynamodb:*",
                        "Resource": "*",
                        "Condition": {
                            "StringNotEquals": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f67890"},
                            "StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/emergency-role"}
                        }
                    }]
                },
                "targets": ["production"]
            }]
        },
        "accounts": [{
            "account": PROD,
            "users": [{
                "name": "app",
                "inline_policies": {"all": allow_all},
                "access_keys": [{"id": "AKIAPRODAPP000000001", "secret": "prod-app-secret-0000000000000000000000000"}]
            }]
        }]
    });
    std::fs::write(&file, spec.to_string()).unwrap();
    let path = file.to_str().unwrap().to_string();
    let mut server = TestServer::start_with(&["--bootstrap", &path]);

    let app = client(
        &server,
        "AKIAPRODAPP000000001",
        "prod-app-secret-0000000000000000000000000",
    );
    let denied = create_table(&app).await.unwrap_err();
    assert!(denied.starts_with("AccessDeniedException: User: arn:aws:iam::222233334444:user/app is not authorized to perform: dynamodb:CreateTable on resource: arn:aws:dynamodb:us-east-1:222233334444:table/orders with an explicit deny in a service control policy"), "{denied}");

    // The management account is not restricted by SCPs.
    create_table(&server.sdk_client()).await.unwrap();

    // Applied again at restart: nothing changes, nothing fails.
    server.restart();
    let app = client(
        &server,
        "AKIAPRODAPP000000001",
        "prod-app-secret-0000000000000000000000000",
    );
    let again = create_table(&app).await.unwrap_err();
    assert_eq!(again, denied);
}
