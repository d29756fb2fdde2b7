//! The decision memo over the whole pipeline (`Api::handle` with signed requests): a
//! remembered `Allow` answers repeated requests, and every store whose policies take part in a
//! decision (the directory, the organizations, the table catalog, the network) makes the very
//! next request be decided in full again; an `Allow` that depended on context keys answers
//! only requests whose context gives those keys the same values.

use std::sync::atomic::Ordering;

use palisade_directory::PolicyOwner;
use palisade_sigv4::Credentials;
use serde_json::{Value, json};

use crate::authorizer::Origin;
use crate::ec2::tests::{Harness, enc, harness, signed, text, through};

const MGMT: &str = "999988887777";
const ALL_DYNAMODB: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}"#;
const DENY_GET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"dynamodb:GetItem","Resource":"*"}]}"#;
const GET: &str = r#"{"TableName":"memo","Key":{"pk":{"S":"a"}}}"#;

impl Harness {
    fn hits(&self) -> usize {
        let identity = self.api.identity.as_ref().unwrap();
        identity
            .table_policies
            .decisions
            .hits
            .load(Ordering::Relaxed)
    }

    async fn call_as(
        &self,
        creds: &Credentials,
        op: &str,
        body: &str,
        origin: Option<Origin>,
    ) -> (u16, Value) {
        let target = format!("DynamoDB_20120810.{op}");
        let r = self
            .api
            .handle(signed(creds, "dynamodb", Some(&target), body, origin))
            .await;
        let body = serde_json::from_slice(r.body()).unwrap_or(Value::Null);
        (r.status().as_u16(), body)
    }

    /// GetItem of the test table by `creds`: allowed, or the AccessDenied message.
    async fn get(&self, creds: &Credentials, origin: Option<Origin>) -> Result<(), String> {
        match self.call_as(creds, "GetItem", GET, origin).await {
            (200, _) => Ok(()),
            (400, body)
                if body["__type"]
                    .as_str()
                    .unwrap()
                    .ends_with("#AccessDeniedException") =>
            {
                Err(body["message"].as_str().unwrap().to_owned())
            }
            (status, body) => panic!("GetItem: {status} {body}"),
        }
    }

    async fn orgs(&self, op: &str, body: Value) -> Value {
        let r = crate::organizations::handle(
            &self.organizations,
            MGMT,
            op,
            body.to_string().as_bytes(),
        )
        .await;
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(r.status, 200, "{op}: {v}");
        v
    }
}

/// An organization managed by `MGMT` with SCPs enabled, a member account in it, a user `dev`
/// there allowed `dynamodb:*` by a context-free inline policy, and its table `memo`. Returns the
/// member account and the user's credentials.
async fn member_with_table(h: &Harness) -> (String, Credentials) {
    h.orgs("CreateOrganization", json!({"FeatureSet": "ALL"}))
        .await;
    let created = h
        .orgs(
            "CreateAccount",
            json!({"AccountName": "dev", "Email": "dev@example.com"}),
        )
        .await;
    let member = created["CreateAccountStatus"]["AccountId"]
        .as_str()
        .unwrap()
        .to_owned();
    let roots = h.orgs("ListRoots", json!({})).await;
    let root = roots["Roots"][0]["Id"].as_str().unwrap();
    h.orgs(
        "EnablePolicyType",
        json!({"RootId": root, "PolicyType": "SERVICE_CONTROL_POLICY"}),
    )
    .await;
    let d = &h.directory;
    d.create_user(&member, "dev", None, &[], None)
        .await
        .unwrap();
    d.put_inline_policy(PolicyOwner::User, &member, "dev", "all", ALL_DYNAMODB)
        .await
        .unwrap();
    let (key, secret) = d.create_access_key(&member, "dev").await.unwrap();
    let creds = Credentials {
        access_key_id: key.access_key_id.clone(),
        secret_access_key: secret.expose().to_string(),
        session_token: None,
    };
    let (status, body) = h
        .call_as(
            &creds,
            "CreateTable",
            r#"{"TableName":"memo","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The table turns ACTIVE in the background, which changes the catalog (and so the
    // memo's stamp): wait for it, as clients do.
    for _ in 0..500 {
        let (_, body) = h
            .call_as(&creds, "DescribeTable", r#"{"TableName":"memo"}"#, None)
            .await;
        if body["Table"]["TableStatus"] == "ACTIVE" {
            return (member, creds);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the table never became ACTIVE");
}

/// Asks until the memo answers: every request allowed, and one of the repeats answered by
/// the memo. (The catalog generation is shared by every engine in the process, so tables that
/// other tests create at the same time can make a repeat miss; a few tries always see a hit.)
async fn allowed_and_remembered(h: &Harness, creds: &Credentials, origin: Option<&Origin>) {
    h.get(creds, origin.cloned()).await.unwrap();
    for _ in 0..50 {
        let before = h.hits();
        h.get(creds, origin.cloned()).await.unwrap();
        if h.hits() > before {
            return;
        }
    }
    panic!("the repeated request was never answered by the memo");
}

#[tokio::test]
async fn every_policy_store_makes_the_next_request_decided_again() {
    let h = harness().await;
    let (member, dev) = member_with_table(&h).await;

    // The directory: an identity policy that denies.
    allowed_and_remembered(&h, &dev, None).await;
    let d = &h.directory;
    d.put_inline_policy(PolicyOwner::User, &member, "dev", "deny", DENY_GET)
        .await
        .unwrap();
    let denied = h.get(&dev, None).await.unwrap_err();
    assert!(
        denied.contains("explicit deny in an identity-based policy"),
        "{denied}"
    );
    d.delete_inline_policy(PolicyOwner::User, &member, "dev", "deny")
        .await
        .unwrap();

    // The organization: an SCP that denies, attached to the member account.
    allowed_and_remembered(&h, &dev, None).await;
    let created = h
        .orgs(
            "CreatePolicy",
            json!({"Name": "no-get", "Description": "", "Type": "SERVICE_CONTROL_POLICY", "Content": DENY_GET}),
        )
        .await;
    let scp = created["Policy"]["PolicySummary"]["Id"].as_str().unwrap();
    h.orgs("AttachPolicy", json!({"PolicyId": scp, "TargetId": member}))
        .await;
    let denied = h.get(&dev, None).await.unwrap_err();
    assert!(
        denied.contains("explicit deny in a service control policy"),
        "{denied}"
    );
    h.orgs("DetachPolicy", json!({"PolicyId": scp, "TargetId": member}))
        .await;

    // The table catalog: a resource policy that denies.
    allowed_and_remembered(&h, &dev, None).await;
    let arn = format!("arn:aws:dynamodb:us-east-1:{member}:table/memo");
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":"dynamodb:GetItem","Resource":"{arn}"}}]}}"#
    );
    let put = json!({"ResourceArn": arn, "Policy": policy}).to_string();
    let (status, body) = h.call_as(&dev, "PutResourcePolicy", &put, None).await;
    assert_eq!(status, 200, "{body}");
    let denied = h.get(&dev, None).await.unwrap_err();
    assert!(
        denied.contains("explicit deny in a resource-based policy"),
        "{denied}"
    );
    let delete = json!({"ResourceArn": arn}).to_string();
    let (status, body) = h.call_as(&dev, "DeleteResourcePolicy", &delete, None).await;
    assert_eq!(status, 200, "{body}");
    allowed_and_remembered(&h, &dev, None).await;

    // The network: the policy of the endpoint the request comes through.
    let (_, body) = h.ec2("Action=CreateVpc&CidrBlock=10.0.0.0%2F16").await;
    let vpc = text(&body, "vpcId").unwrap().to_owned();
    let (_, body) = h
        .ec2(&format!(
            "Action=CreateVpcEndpoint&VpcId={vpc}&ServiceName=com.amazonaws.us-east-1.dynamodb"
        ))
        .await;
    let endpoint = text(&body, "vpcEndpointId").unwrap().to_owned();
    let origin = through(&endpoint, &vpc);
    allowed_and_remembered(&h, &dev, Some(&origin)).await;
    let only_put = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:PutItem","Resource":"*"}]}"#;
    let (status, body) = h
        .ec2(&format!(
            "Action=ModifyVpcEndpoint&VpcEndpointId={endpoint}&PolicyDocument={}",
            enc(only_put)
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let denied = h.get(&dev, Some(origin)).await.unwrap_err();
    assert!(
        denied.contains("because no VPC endpoint policy allows"),
        "{denied}"
    );
    // Not through the endpoint, the remembered decision still stands.
    allowed_and_remembered(&h, &dev, None).await;
}

/// A request from `ip` on a public listener.
fn from(ip: &str) -> Origin {
    Origin {
        source_ip: Some(ip.parse().unwrap()),
        secure_transport: false,
        vpc: None,
    }
}

#[tokio::test]
async fn a_conditional_allow_answers_only_requests_with_the_same_values() {
    let h = harness().await;
    let (member, dev) = member_with_table(&h).await;
    let from_inside = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
    h.directory
        .put_inline_policy(PolicyOwner::User, &member, "dev", "all", from_inside)
        .await
        .unwrap();
    allowed_and_remembered(&h, &dev, Some(&from("10.1.2.3"))).await;
    // The same question with another value of the key the condition reads: decided in full,
    // and denied.
    let before = h.hits();
    let denied = h.get(&dev, Some(from("192.0.2.1"))).await.unwrap_err();
    assert!(
        denied.contains("no identity-based policy allows"),
        "{denied}"
    );
    // Without the key at all (no source address): denied too.
    let denied = h.get(&dev, None).await.unwrap_err();
    assert!(
        denied.contains("no identity-based policy allows"),
        "{denied}"
    );
    assert_eq!(h.hits(), before);
    // Another address the condition allows is decided in full, then remembered in turn.
    allowed_and_remembered(&h, &dev, Some(&from("10.9.9.9"))).await;
    // Keys the policy does not read (another item's key, TLS) do not matter: right after
    // the first request is remembered, the other one is answered by the memo (a few tries,
    // as a table created by another test may move the stamp in between).
    let other_item = r#"{"TableName":"memo","Key":{"pk":{"S":"zz"}}}"#;
    let secure = || Origin {
        secure_transport: true,
        ..from("10.9.9.9")
    };
    for _ in 0..50 {
        allowed_and_remembered(&h, &dev, Some(&from("10.9.9.9"))).await;
        let before = h.hits();
        let (status, body) = h.call_as(&dev, "GetItem", other_item, Some(secure())).await;
        assert_eq!(status, 200, "{body}");
        if h.hits() > before {
            return;
        }
    }
    panic!("a request that differs only in keys the policy does not read was never answered");
}

#[tokio::test]
async fn a_remembered_policy_variable_is_compared_too() {
    let h = harness().await;
    let (member, dev) = member_with_table(&h).await;
    // Each user reads only the items whose partition key is its name.
    let own_items = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:username}"]}}}]}"#;
    h.directory
        .put_inline_policy(PolicyOwner::User, &member, "dev", "all", own_items)
        .await
        .unwrap();
    let get = |pk: &'static str| {
        let body = format!(r#"{{"TableName":"memo","Key":{{"pk":{{"S":"{pk}"}}}}}}"#);
        let h = &h;
        let dev = &dev;
        async move { h.call_as(dev, "GetItem", &body, None).await }
    };
    let mut remembered = false;
    for _ in 0..50 {
        let before = h.hits();
        let (status, body) = get("dev").await;
        assert_eq!(status, 200, "{body}");
        if h.hits() > before {
            remembered = true;
            break;
        }
    }
    assert!(
        remembered,
        "the repeated request was never answered by the memo"
    );
    let before = h.hits();
    let (status, body) = get("a").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["__type"]
            .as_str()
            .unwrap()
            .ends_with("#AccessDeniedException"),
        "{body}"
    );
    assert_eq!(h.hits(), before);
}
