//! Table resource policies through the real server: PutResourcePolicy with revisions, and a
//! grant to a principal of another account, who addresses the table by its ARN.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use common::TestServer;
use serde_json::json;

const OTHER: &str = "444455556666";
const TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/shared";

async fn get(client: &aws_sdk_dynamodb::Client) -> Result<bool, String> {
    client
        .get_item()
        .table_name(TABLE_ARN)
        .key("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .map(|o| o.item.is_some())
        .map_err(|e| common::error_text(&e.into_service_error()))
}

#[tokio::test]
async fn a_resource_policy_grants_another_account() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bootstrap.json");
    let spec = json!({"accounts": [{
        "account": OTHER,
        "users": [{
            "name": "reader",
            "inline_policies": {"dynamo": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}},
            "access_keys": [{"id": "AKIAOTHERREADER00001", "secret": "other-reader-secret-000000000000000000000"}]
        }]
    }]});
    std::fs::write(&file, spec.to_string()).unwrap();
    let server = TestServer::start_with(&["--bootstrap", file.to_str().unwrap()]);
    let admin = server.sdk_client();
    admin
        .create_table()
        .table_name("shared")
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
        .unwrap();
    admin
        .put_item()
        .table_name("shared")
        .item("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap();

    let reader = common::client_for(
        &server.url(),
        "AKIAOTHERREADER00001",
        "other-reader-secret-000000000000000000000",
    );
    let denied = get(&reader).await.unwrap_err();
    assert_eq!(
        denied,
        format!(
            "AccessDeniedException: User: arn:aws:iam::{OTHER}:user/reader is not authorized to perform: dynamodb:GetItem on resource: {TABLE_ARN}"
        )
    );

    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReaderMayRead",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{OTHER}:user/reader")},
            "Action": "dynamodb:GetItem",
            "Resource": TABLE_ARN
        }]
    })
    .to_string();
    let put = admin
        .put_resource_policy()
        .resource_arn(TABLE_ARN)
        .policy(&policy)
        .send()
        .await
        .unwrap();
    let revision = put.revision_id.unwrap();
    // The same document gives the same revision; a stale ExpectedRevisionId is refused.
    let again = admin
        .put_resource_policy()
        .resource_arn(TABLE_ARN)
        .policy(&policy)
        .expected_revision_id(&revision)
        .send()
        .await
        .unwrap();
    assert_eq!(again.revision_id.as_deref(), Some(revision.as_str()));
    let stale = admin
        .put_resource_policy()
        .resource_arn(TABLE_ARN)
        .policy(&policy)
        .expected_revision_id("12345")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(stale.is_policy_not_found_exception());
    let got = admin
        .get_resource_policy()
        .resource_arn(TABLE_ARN)
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy.as_deref(), Some(policy.as_str()));

    assert_eq!(
        get(&reader).await,
        Ok(true),
        "the grant lets the other account read"
    );
    let write = reader
        .put_item()
        .table_name(TABLE_ARN)
        .item("pk", AttributeValue::S("b".into()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        write.meta().code(),
        Some("AccessDeniedException"),
        "only GetItem was granted"
    );

    let invalid = admin
        .put_resource_policy()
        .resource_arn(TABLE_ARN)
        .policy(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}"#)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        invalid.meta().code(),
        Some("ValidationException"),
        "a resource policy needs a Principal"
    );

    admin
        .delete_resource_policy()
        .resource_arn(TABLE_ARN)
        .send()
        .await
        .unwrap();
    assert!(
        get(&reader).await.is_err(),
        "the grant is gone with the policy"
    );
}
