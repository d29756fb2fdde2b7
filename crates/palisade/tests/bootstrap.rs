//! `--bootstrap FILE`: an organization with an SCP and identities in a member account, seeded at
//! start and applied again (idempotently) at every restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestServer;
use serde_json::json;

const PROD: &str = "222233334444";

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

    let app = common::client_for(
        &server.url(),
        "AKIAPRODAPP000000001",
        "prod-app-secret-0000000000000000000000000",
    );
    let denied = common::create_pk_table(&app, "orders").await.unwrap_err();
    assert!(denied.starts_with("AccessDeniedException: User: arn:aws:iam::222233334444:user/app is not authorized to perform: dynamodb:CreateTable on resource: arn:aws:dynamodb:us-east-1:222233334444:table/orders with an explicit deny in a service control policy"), "{denied}");

    // The management account is not restricted by SCPs.
    common::create_pk_table(&server.sdk_client(), "orders")
        .await
        .unwrap();

    // Applied again at restart: nothing changes, nothing fails.
    server.restart();
    let app = common::client_for(
        &server.url(),
        "AKIAPRODAPP000000001",
        "prod-app-secret-0000000000000000000000000",
    );
    let again = common::create_pk_table(&app, "orders").await.unwrap_err();
    assert_eq!(again, denied);
}
