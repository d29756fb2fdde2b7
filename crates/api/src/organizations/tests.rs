//! Handler tests: JSON in, exact JSON out, for the successful paths.

use std::sync::Arc;

use palisade_organizations::Organizations;
use palisade_storage::memory::MemoryStorage;
use serde_json::{Value, json};

use super::{handle, required_action};

pub(super) const MGMT: &str = "111111111111";
pub(super) const DENY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*"}]}"#;

pub(super) fn orgs() -> Organizations {
    Organizations::open(Arc::new(MemoryStorage::new())).unwrap()
}

pub(super) async fn call(
    orgs: &Organizations,
    caller: &str,
    op: &str,
    body: Value,
) -> (u16, Value) {
    let r = handle(orgs, caller, op, body.to_string().as_bytes()).await;
    (r.status, serde_json::from_slice(&r.body).unwrap())
}

pub(super) async fn ok(orgs: &Organizations, op: &str, body: Value) -> Value {
    let (status, v) = call(orgs, MGMT, op, body).await;
    assert_eq!(status, 200, "{op}: {v}");
    v
}

/// An organization with SCPs enabled; returns (org id, root id).
pub(super) async fn org_with_scps(orgs: &Organizations) -> (String, String) {
    let v = ok(orgs, "CreateOrganization", json!({"FeatureSet": "ALL"})).await;
    let org = v["Organization"]["Id"].as_str().unwrap().to_string();
    let roots = ok(orgs, "ListRoots", json!({})).await;
    let root = roots["Roots"][0]["Id"].as_str().unwrap().to_string();
    ok(
        orgs,
        "EnablePolicyType",
        json!({"RootId": root, "PolicyType": "SERVICE_CONTROL_POLICY"}),
    )
    .await;
    (org, root)
}

#[tokio::test]
async fn create_and_describe_organization() {
    let o = orgs();
    let v = ok(&o, "CreateOrganization", json!({})).await;
    let id = v["Organization"]["Id"].as_str().unwrap().to_string();
    let expected = json!({"Organization": {
        "Id": id,
        "Arn": format!("arn:aws:organizations::{MGMT}:organization/{id}"),
        "FeatureSet": "ALL",
        "MasterAccountArn": format!("arn:aws:organizations::{MGMT}:account/{id}/{MGMT}"),
        "MasterAccountId": MGMT,
        "MasterAccountEmail": format!("{MGMT}@palisade.invalid"),
        "AvailablePolicyTypes": [],
    }});
    assert_eq!(v, expected);
    assert_eq!(ok(&o, "DescribeOrganization", json!({})).await, expected);
}

#[tokio::test]
async fn roots_and_policy_types() {
    let o = orgs();
    let v = ok(&o, "CreateOrganization", json!({})).await;
    let org = v["Organization"]["Id"].as_str().unwrap().to_string();
    let roots = ok(&o, "ListRoots", json!({})).await;
    let root = roots["Roots"][0]["Id"].as_str().unwrap().to_string();
    let arn = format!("arn:aws:organizations::{MGMT}:root/{org}/{root}");
    assert_eq!(
        roots,
        json!({"Roots": [{"Id": root, "Arn": arn, "Name": "Root", "PolicyTypes": []}]})
    );
    let v = ok(
        &o,
        "EnablePolicyType",
        json!({"RootId": root, "PolicyType": "SERVICE_CONTROL_POLICY"}),
    )
    .await;
    assert_eq!(
        v,
        json!({"Root": {"Id": root, "Arn": arn, "Name": "Root",
            "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}})
    );
    let v = ok(
        &o,
        "DisablePolicyType",
        json!({"RootId": root, "PolicyType": "SERVICE_CONTROL_POLICY"}),
    )
    .await;
    assert_eq!(v["Root"]["PolicyTypes"], json!([]));
}

#[tokio::test]
async fn accounts_create_describe_list() {
    let o = orgs();
    let (org, root) = org_with_scps(&o).await;
    let v = ok(
        &o,
        "CreateAccount",
        json!({"Email": "dev@example.com", "AccountName": "Dev"}),
    )
    .await;
    let s = &v["CreateAccountStatus"];
    let acct = s["AccountId"].as_str().unwrap().to_string();
    let car = s["Id"].as_str().unwrap().to_string();
    assert_eq!(s["State"], "SUCCEEDED");
    assert_eq!(s["AccountName"], "Dev");
    assert!(s["RequestedTimestamp"].is_f64() || s["RequestedTimestamp"].is_u64());
    let again = ok(
        &o,
        "DescribeCreateAccountStatus",
        json!({"CreateAccountRequestId": car}),
    )
    .await;
    assert_eq!(&again["CreateAccountStatus"], s);

    let d = ok(&o, "DescribeAccount", json!({"AccountId": acct})).await;
    let a = &d["Account"];
    let joined = a["JoinedTimestamp"].clone();
    assert_eq!(
        d,
        json!({"Account": {
            "Id": acct,
            "Arn": format!("arn:aws:organizations::{MGMT}:account/{org}/{acct}"),
            "Email": "dev@example.com",
            "Name": "Dev",
            "Status": "ACTIVE",
            "State": "ACTIVE",
            "JoinedMethod": "CREATED",
            "JoinedTimestamp": joined,
        }})
    );
    let list = ok(&o, "ListAccounts", json!({})).await;
    let ids: Vec<&str> = list["Accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&MGMT) && ids.contains(&acct.as_str()));
    assert!(list.get("NextToken").is_none());
    let under_root = ok(&o, "ListAccountsForParent", json!({"ParentId": root})).await;
    assert_eq!(under_root["Accounts"].as_array().unwrap().len(), 2);

    // Duplicate email: a FAILED status, as AWS reports it.
    let v = ok(
        &o,
        "CreateAccount",
        json!({"Email": "dev@example.com", "AccountName": "Dev again"}),
    )
    .await;
    assert_eq!(v["CreateAccountStatus"]["State"], "FAILED");
    assert_eq!(
        v["CreateAccountStatus"]["FailureReason"],
        "EMAIL_ALREADY_EXISTS"
    );
    assert!(v["CreateAccountStatus"].get("AccountId").is_none());
}

#[tokio::test]
async fn ous_children_parents_and_moves() {
    let o = orgs();
    let (org, root) = org_with_scps(&o).await;
    let v = ok(
        &o,
        "CreateOrganizationalUnit",
        json!({"ParentId": root, "Name": "Prod"}),
    )
    .await;
    let ou = v["OrganizationalUnit"]["Id"].as_str().unwrap().to_string();
    let expected_ou = json!({"Id": ou, "Arn": format!("arn:aws:organizations::{MGMT}:ou/{org}/{ou}"), "Name": "Prod"});
    assert_eq!(v, json!({"OrganizationalUnit": expected_ou}));
    assert_eq!(
        ok(
            &o,
            "DescribeOrganizationalUnit",
            json!({"OrganizationalUnitId": ou})
        )
        .await,
        v
    );
    assert_eq!(
        ok(
            &o,
            "ListOrganizationalUnitsForParent",
            json!({"ParentId": root})
        )
        .await,
        json!({"OrganizationalUnits": [expected_ou]})
    );
    let s = ok(
        &o,
        "CreateAccount",
        json!({"Email": "a@example.com", "AccountName": "A"}),
    )
    .await;
    let acct = s["CreateAccountStatus"]["AccountId"]
        .as_str()
        .unwrap()
        .to_string();
    let v = ok(
        &o,
        "MoveAccount",
        json!({"AccountId": acct, "SourceParentId": root, "DestinationParentId": ou}),
    )
    .await;
    assert_eq!(v, json!({}));
    assert_eq!(
        ok(&o, "ListParents", json!({"ChildId": acct})).await,
        json!({"Parents": [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]})
    );
    assert_eq!(
        ok(&o, "ListParents", json!({"ChildId": ou})).await,
        json!({"Parents": [{"Id": root, "Type": "ROOT"}]})
    );
    assert_eq!(
        ok(
            &o,
            "ListChildren",
            json!({"ParentId": ou, "ChildType": "ACCOUNT"})
        )
        .await,
        json!({"Children": [{"Id": acct, "Type": "ACCOUNT"}]})
    );
    assert_eq!(
        ok(
            &o,
            "ListChildren",
            json!({"ParentId": root, "ChildType": "ORGANIZATIONAL_UNIT"})
        )
        .await,
        json!({"Children": [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]})
    );
    ok(
        &o,
        "MoveAccount",
        json!({"AccountId": acct, "SourceParentId": ou, "DestinationParentId": root}),
    )
    .await;
    let v = ok(
        &o,
        "DeleteOrganizationalUnit",
        json!({"OrganizationalUnitId": ou}),
    )
    .await;
    assert_eq!(v, json!({}));
}

#[tokio::test]
async fn policies_lifecycle() {
    let o = orgs();
    let (org, root) = org_with_scps(&o).await;
    let v = ok(
        &o,
        "CreatePolicy",
        json!({"Content": DENY, "Description": "no deletes", "Name": "NoDelete",
               "Type": "SERVICE_CONTROL_POLICY"}),
    )
    .await;
    let id = v["Policy"]["PolicySummary"]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let summary = json!({
        "Id": id,
        "Arn": format!("arn:aws:organizations::{MGMT}:policy/{org}/service_control_policy/{id}"),
        "Name": "NoDelete",
        "Description": "no deletes",
        "Type": "SERVICE_CONTROL_POLICY",
        "AwsManaged": false,
    });
    assert_eq!(
        v,
        json!({"Policy": {"PolicySummary": summary, "Content": DENY}})
    );
    assert_eq!(ok(&o, "DescribePolicy", json!({"PolicyId": id})).await, v);
    let full = json!({
        "Id": "p-FullAWSAccess",
        "Arn": "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
        "Name": "FullAWSAccess",
        "Description": "Allows access to every operation",
        "Type": "SERVICE_CONTROL_POLICY",
        "AwsManaged": true,
    });
    assert_eq!(
        ok(
            &o,
            "ListPolicies",
            json!({"Filter": "SERVICE_CONTROL_POLICY"})
        )
        .await,
        json!({"Policies": [full, summary]})
    );
    assert_eq!(
        ok(&o, "ListPolicies", json!({"Filter": "TAG_POLICY"})).await,
        json!({"Policies": []})
    );
    assert_eq!(
        ok(
            &o,
            "AttachPolicy",
            json!({"PolicyId": id, "TargetId": root})
        )
        .await,
        json!({})
    );
    assert_eq!(
        ok(
            &o,
            "ListPoliciesForTarget",
            json!({"TargetId": root, "Filter": "SERVICE_CONTROL_POLICY"})
        )
        .await,
        json!({"Policies": [full, summary]})
    );
    assert_eq!(
        ok(&o, "ListTargetsForPolicy", json!({"PolicyId": id})).await,
        json!({"Targets": [{"TargetId": root, "Name": "Root", "Type": "ROOT",
            "Arn": format!("arn:aws:organizations::{MGMT}:root/{org}/{root}")}]})
    );
    let u = ok(
        &o,
        "UpdatePolicy",
        json!({"PolicyId": id, "Description": "changed"}),
    )
    .await;
    assert_eq!(u["Policy"]["PolicySummary"]["Description"], "changed");
    assert_eq!(u["Policy"]["PolicySummary"]["Name"], "NoDelete");
    ok(
        &o,
        "DetachPolicy",
        json!({"PolicyId": id, "TargetId": root}),
    )
    .await;
    assert_eq!(
        ok(&o, "DeletePolicy", json!({"PolicyId": id})).await,
        json!({})
    );
    // The chain the lead's authorizer reads follows the API's changes.
    let s = ok(
        &o,
        "CreateAccount",
        json!({"Email": "m@example.com", "AccountName": "M"}),
    )
    .await;
    let acct = s["CreateAccountStatus"]["AccountId"].as_str().unwrap();
    assert_eq!(o.scp_chain(acct).unwrap().levels().len(), 2);
}

#[tokio::test]
async fn pagination() {
    let o = orgs();
    let (_, root) = org_with_scps(&o).await;
    for i in 0..5 {
        ok(
            &o,
            "CreateOrganizationalUnit",
            json!({"ParentId": root, "Name": format!("ou{i}")}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"ParentId": root, "MaxResults": 2});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let v = ok(&o, "ListOrganizationalUnitsForParent", body).await;
        let page = v["OrganizationalUnits"].as_array().unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|p| p["Name"].as_str().unwrap().to_string()));
        match v.get("NextToken") {
            Some(t) => token = Some(t.as_str().unwrap().to_string()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["ou0", "ou1", "ou2", "ou3", "ou4"]);
}

#[tokio::test]
async fn handler_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let o = orgs();
    let fut = handle(&o, MGMT, "ListRoots", b"{}");
    assert_send(&fut);
    let r = fut.await;
    assert_eq!(r.status, 400, "no organization yet");
}

#[tokio::test]
async fn required_actions() {
    assert_eq!(
        required_action("AttachPolicy"),
        Some("organizations:AttachPolicy")
    );
    assert_eq!(
        required_action("ListAccounts"),
        Some("organizations:ListAccounts")
    );
    assert_eq!(required_action("InviteAccountToOrganization"), None);
    for op in [
        "CreateOrganization",
        "DescribeOrganization",
        "DeleteOrganization",
        "CreateAccount",
        "DescribeCreateAccountStatus",
        "DescribeAccount",
        "ListAccountsForParent",
        "ListRoots",
        "CreateOrganizationalUnit",
        "DeleteOrganizationalUnit",
        "DescribeOrganizationalUnit",
        "ListOrganizationalUnitsForParent",
        "ListParents",
        "ListChildren",
        "MoveAccount",
        "EnablePolicyType",
        "DisablePolicyType",
        "CreatePolicy",
        "UpdatePolicy",
        "DeletePolicy",
        "DescribePolicy",
        "ListPolicies",
        "DetachPolicy",
        "ListPoliciesForTarget",
        "ListTargetsForPolicy",
    ] {
        assert_eq!(required_action(op).unwrap(), format!("organizations:{op}"));
    }
}
