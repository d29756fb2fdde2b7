//! Handler tests: the exact JSON 1.1 error bodies.

use serde_json::{Value, json};

use super::handle;
use super::tests::{DENY, MGMT, call, ok, org_with_scps, orgs};

const MEMBERLESS: &str = "999999999999";

fn err(ty: &str, message: &str) -> Value {
    json!({"__type": ty, "Message": message})
}

fn err_reason(ty: &str, message: &str, reason: &str) -> Value {
    json!({"__type": ty, "Message": message, "Reason": reason})
}

#[tokio::test]
async fn not_in_use_and_already_in_organization() {
    let o = orgs();
    let not_in_use = (
        400,
        err(
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        ),
    );
    assert_eq!(
        call(&o, MGMT, "DescribeOrganization", json!({})).await,
        not_in_use
    );
    assert_eq!(call(&o, MGMT, "ListAccounts", json!({})).await, not_in_use);
    ok(&o, "CreateOrganization", json!({})).await;
    assert_eq!(
        call(&o, MGMT, "CreateOrganization", json!({})).await,
        (
            400,
            err(
                "AlreadyInOrganizationException",
                "This account is already a member of an organization. An account can belong to only one organization at a time."
            )
        )
    );
}

#[tokio::test]
async fn members_are_denied_management_calls() {
    let o = orgs();
    let (org, root) = org_with_scps(&o).await;
    let s = ok(
        &o,
        "CreateAccount",
        json!({"Email": "m@example.com", "AccountName": "M"}),
    )
    .await;
    let member = s["CreateAccountStatus"]["AccountId"]
        .as_str()
        .unwrap()
        .to_string();
    let denied = (
        400,
        err(
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
        ),
    );
    assert_eq!(call(&o, &member, "ListRoots", json!({})).await, denied);
    assert_eq!(
        call(
            &o,
            &member,
            "CreateOrganizationalUnit",
            json!({"ParentId": root, "Name": "x"})
        )
        .await,
        denied
    );
    // DescribeOrganization is open to every member.
    let (status, v) = call(&o, &member, "DescribeOrganization", json!({})).await;
    assert_eq!(
        (status, v["Organization"]["Id"].as_str()),
        (200, Some(org.as_str()))
    );
    // An outsider is told it is in no organization.
    let (status, v) = call(&o, MEMBERLESS, "ListRoots", json!({})).await;
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("AWSOrganizationsNotInUseException"))
    );
}

#[tokio::test]
async fn not_found_errors() {
    let o = orgs();
    let (_, root) = org_with_scps(&o).await;
    let cases = [
        (
            "DescribeAccount",
            json!({"AccountId": "123456789012"}),
            "AccountNotFoundException",
            "You specified an account that doesn't exist.",
        ),
        (
            "ListAccountsForParent",
            json!({"ParentId": "ou-abcd-zzzzzzzz"}),
            "ParentNotFoundException",
            "We can't find a root or OU with the ParentId that you specified.",
        ),
        (
            "DescribePolicy",
            json!({"PolicyId": "p-zzzzzzzz"}),
            "PolicyNotFoundException",
            "We can't find a policy with the PolicyId that you specified.",
        ),
        (
            "AttachPolicy",
            json!({"PolicyId": "p-FullAWSAccess", "TargetId": "ou-abcd-zzzzzzzz"}),
            "TargetNotFoundException",
            "We can't find a root, OU, account, or policy with the TargetId that you specified.",
        ),
        (
            "DescribeOrganizationalUnit",
            json!({"OrganizationalUnitId": "ou-abcd-zzzzzzzz"}),
            "OrganizationalUnitNotFoundException",
            "We can't find an OU with the OrganizationalUnitId that you specified.",
        ),
        (
            "EnablePolicyType",
            json!({"RootId": "r-zzzz", "PolicyType": "RESOURCE_CONTROL_POLICY"}),
            "RootNotFoundException",
            "We can't find a root with the RootId that you specified.",
        ),
        (
            "DescribeCreateAccountStatus",
            json!({"CreateAccountRequestId": "car-abcdefgh"}),
            "CreateAccountStatusNotFoundException",
            "We can't find a create account request with the CreateAccountRequestId that you specified.",
        ),
    ];
    for (op, body, ty, message) in cases {
        assert_eq!(
            call(&o, MGMT, op, body).await,
            (400, err(ty, message)),
            "{op}"
        );
    }
    let _ = root;
}

#[tokio::test]
async fn policy_errors() {
    let o = orgs();
    let (_, root) = org_with_scps(&o).await;
    assert_eq!(
        call(
            &o,
            MGMT,
            "DetachPolicy",
            json!({"PolicyId": "p-FullAWSAccess", "TargetId": root})
        )
        .await,
        (
            400,
            err_reason(
                "ConstraintViolationException",
                "You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required.",
                "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
            )
        )
    );
    assert_eq!(
        call(
            &o,
            MGMT,
            "AttachPolicy",
            json!({"PolicyId": "p-FullAWSAccess", "TargetId": root})
        )
        .await,
        (
            400,
            err(
                "DuplicatePolicyAttachmentException",
                "The selected policy is already attached to the specified target."
            )
        )
    );
    assert_eq!(
        call(
            &o,
            MGMT,
            "AttachPolicy",
            json!({"PolicyId": "p-RCPFullAWSAccess", "TargetId": root})
        )
        .await,
        (
            400,
            err(
                "PolicyTypeNotEnabledException",
                "The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root."
            )
        )
    );
    let bad = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#;
    assert_eq!(
        call(
            &o,
            MGMT,
            "CreatePolicy",
            json!({"Content": bad, "Description": "", "Name": "x", "Type": "SERVICE_CONTROL_POLICY"})
        )
        .await,
        (
            400,
            err(
                "MalformedPolicyDocumentException",
                "The provided policy document doesn't meet the requirements of the specified policy type."
            )
        )
    );
    let v = ok(
        &o,
        "CreatePolicy",
        json!({"Content": DENY, "Description": "", "Name": "d", "Type": "SERVICE_CONTROL_POLICY"}),
    )
    .await;
    let id = v["Policy"]["PolicySummary"]["Id"].as_str().unwrap();
    ok(
        &o,
        "AttachPolicy",
        json!({"PolicyId": id, "TargetId": root}),
    )
    .await;
    let (status, v) = call(&o, MGMT, "DeletePolicy", json!({"PolicyId": id})).await;
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("PolicyInUseException"))
    );
    let (status, v) = call(
        &o,
        MGMT,
        "CreatePolicy",
        json!({"Content": DENY, "Description": "", "Name": "d", "Type": "SERVICE_CONTROL_POLICY"}),
    )
    .await;
    assert_eq!(
        (status, v["__type"].as_str()),
        (400, Some("DuplicatePolicyException"))
    );
}

#[tokio::test]
async fn input_errors() {
    let o = orgs();
    let (_, root) = org_with_scps(&o).await;
    assert_eq!(
        call(
            &o,
            MGMT,
            "CreateOrganizationalUnit",
            json!({"ParentId": root})
        )
        .await,
        (
            400,
            err_reason(
                "InvalidInputException",
                "You must specify a value for Name.",
                "INPUT_REQUIRED"
            )
        )
    );
    let (_, v) = call(&o, MGMT, "DescribeAccount", json!({"AccountId": "12"})).await;
    assert_eq!(v["Reason"], "INVALID_PATTERN");
    let (_, v) = call(&o, MGMT, "ListAccounts", json!({"MaxResults": 21})).await;
    assert_eq!(v["Reason"], "MAX_VALUE_EXCEEDED");
    let (_, v) = call(&o, MGMT, "ListAccounts", json!({"NextToken": "garbage"})).await;
    assert_eq!(v["Reason"], "INVALID_NEXT_TOKEN");
    let (_, v) = call(&o, MGMT, "ListPolicies", json!({"Filter": "NOPE"})).await;
    assert_eq!(v["Reason"], "INVALID_ENUM");
    let (_, v) = call(
        &o,
        MGMT,
        "ListChildren",
        json!({"ParentId": root, "ChildType": "ROOT"}),
    )
    .await;
    assert_eq!(v["Reason"], "INVALID_ENUM");

    let r = handle(&o, MGMT, "ListRoots", b"{not json").await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (r.status, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let r = handle(&o, MGMT, "ListRoots", b"").await;
    assert_eq!(r.status, 200);
    let r = handle(&o, MGMT, "InviteAccountToOrganization", b"{}").await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (r.status, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
}

#[tokio::test]
async fn limits_through_the_api() {
    let o = orgs();
    let (_, root) = org_with_scps(&o).await;
    let mut parent = root.clone();
    for i in 0..5 {
        let v = ok(
            &o,
            "CreateOrganizationalUnit",
            json!({"ParentId": parent, "Name": format!("l{i}")}),
        )
        .await;
        parent = v["OrganizationalUnit"]["Id"].as_str().unwrap().to_string();
    }
    assert_eq!(
        call(
            &o,
            MGMT,
            "CreateOrganizationalUnit",
            json!({"ParentId": parent, "Name": "too deep"})
        )
        .await,
        (
            400,
            err_reason(
                "ConstraintViolationException",
                "You attempted to create an OU tree that is too many levels deep.",
                "OU_DEPTH_LIMIT_EXCEEDED"
            )
        )
    );
    let (_, v) = call(
        &o,
        MGMT,
        "DeleteOrganizationalUnit",
        json!({"OrganizationalUnitId": parent.clone()}),
    )
    .await;
    assert_eq!(v, json!({}));
    let first = ok(
        &o,
        "ListOrganizationalUnitsForParent",
        json!({"ParentId": root}),
    )
    .await;
    let top = first["OrganizationalUnits"][0]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, v) = call(
        &o,
        MGMT,
        "DeleteOrganizationalUnit",
        json!({"OrganizationalUnitId": top}),
    )
    .await;
    assert_eq!(v["__type"], "OrganizationalUnitNotEmptyException");
    let (_, v) = call(&o, MGMT, "DeleteOrganization", json!({})).await;
    assert_eq!(v, json!({}), "only the management account is left");
    let (_, v) = call(&o, MGMT, "DescribeOrganization", json!({})).await;
    assert_eq!(v["__type"], "AWSOrganizationsNotInUseException");
}
