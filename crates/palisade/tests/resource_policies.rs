//! Table resource policies through the real server: PutResourcePolicy with revisions, and a
//! grant to a principal of another account, who addresses the table by its ARN.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
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
    common::create_pk_table(&admin, "shared").await.unwrap();
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

async fn put_policy(client: &aws_sdk_dynamodb::Client, policy: &str) -> Result<(), String> {
    client
        .put_resource_policy()
        .resource_arn(TABLE_ARN)
        .policy(policy)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| common::error_text(&e.into_service_error()))
}

fn statement(principal: serde_json::Value, action: serde_json::Value) -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "Grant", "Effect": "Allow", "Principal": principal, "Action": action, "Resource": TABLE_ARN
    }]})
    .to_string()
}

/// DynamoDB refuses table policies that name actions tables do not have, unknown service
/// principals, or that grant public access; a condition on a trusted key makes `*` non-public.
#[tokio::test]
async fn what_a_table_policy_may_contain() {
    let server = TestServer::start();
    let admin = server.sdk_client();
    common::create_pk_table(&admin, "shared").await.unwrap();
    let prefix =
        "ValidationException: One or more parameter values were invalid: Invalid policy document";

    let streams = statement(
        json!({"AWS": OTHER}),
        json!([
            "dynamodb:GetItem",
            "dynamodb:GetRecords",
            "dynamodb:ListStreams"
        ]),
    );
    assert_eq!(
        put_policy(&admin, &streams).await.unwrap_err(),
        format!(
            "{prefix}: The following action names are invalid: \"dynamodb:GetRecords\", \"dynamodb:ListStreams\""
        )
    );
    let other_service = statement(json!({"AWS": OTHER}), json!("s3:GetObject"));
    assert_eq!(
        put_policy(&admin, &other_service).await.unwrap_err(),
        format!("{prefix}: The following action names are invalid: \"s3:GetObject\"")
    );
    let lambda = statement(
        json!({"Service": "lambda.amazonaws.com"}),
        json!("dynamodb:GetItem"),
    );
    assert_eq!(
        put_policy(&admin, &lambda).await.unwrap_err(),
        format!("{prefix}: Policy contains invalid service principal")
    );

    let public = statement(json!("*"), json!("dynamodb:GetItem"));
    let refused = put_policy(&admin, &public).await.unwrap_err();
    assert!(
        refused.starts_with(&format!(
            "{prefix}: The policy grants public access (statement 'Grant')"
        )),
        "{refused}"
    );
    // The same refusal at CreateTable, which then creates nothing.
    let created = common::pk_table_request(&admin, "public")
        .resource_policy(public.replace("table/shared", "table/public"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(created.meta().code(), Some("ValidationException"));
    let tables = admin
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names
        .unwrap_or_default();
    assert_eq!(tables, vec!["shared".to_string()]);

    // Pinned to an organization: not public, stored.
    let org_only: serde_json::Value = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": TABLE_ARN,
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
    }]});
    put_policy(&admin, &org_only.to_string()).await.unwrap();
    // A wildcard in the pinning value leaves it public.
    let loose = org_only.to_string().replace("o-a1b2c3d4e5", "o-*");
    assert!(
        put_policy(&admin, &loose)
            .await
            .unwrap_err()
            .contains("grants public access")
    );
}

/// A policy that would deny the caller the right to change it again is refused unless
/// ConfirmRemoveSelfResourceAccess says so; once confirmed, the caller is locked out.
#[tokio::test]
async fn removing_ones_own_access_needs_confirming() {
    let server = TestServer::start();
    let admin = server.sdk_client();
    common::create_pk_table(&admin, "shared").await.unwrap();
    let lockout = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "NoMoreChanges", "Effect": "Deny",
        "Principal": {"AWS": "arn:aws:iam::000000000000:user/admin"},
        "Action": "dynamodb:PutResourcePolicy", "Resource": TABLE_ARN
    }]})
    .to_string();
    assert_eq!(
        put_policy(&admin, &lockout).await.unwrap_err(),
        format!(
            "ValidationException: One or more parameter values were invalid: Invalid policy document: The policy would remove your permission to perform dynamodb:PutResourcePolicy on {TABLE_ARN}; set ConfirmRemoveSelfResourceAccess to true to confirm"
        )
    );
    // Nothing was stored.
    let none = admin
        .get_resource_policy()
        .resource_arn(TABLE_ARN)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(none.is_policy_not_found_exception());

    admin
        .put_resource_policy()
        .resource_arn(TABLE_ARN)
        .policy(&lockout)
        .confirm_remove_self_resource_access(true)
        .send()
        .await
        .unwrap();
    let again = put_policy(&admin, &lockout).await.unwrap_err();
    assert!(
        again.starts_with("AccessDeniedException: User: arn:aws:iam::000000000000:user/admin is not authorized to perform: dynamodb:PutResourcePolicy"),
        "{again}"
    );
    // Other actions stay allowed: only changing the policy was given up.
    admin
        .get_resource_policy()
        .resource_arn(TABLE_ARN)
        .send()
        .await
        .unwrap();
}
