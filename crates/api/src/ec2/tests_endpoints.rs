//! VPC endpoints over EC2, and their policies applied to DynamoDB requests that come through
//! them; authorization of EC2 calls themselves.

use palisade_directory::PolicyOwner;
use palisade_network::DEFAULT_ENDPOINT_POLICY;
use palisade_sigv4::Credentials;

use super::tests::{ACCT, Harness, enc, harness, text, through};

const ONLY_GET: &str = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*"}]}"#;

async fn vpc(h: &Harness) -> String {
    let (status, body) = h.ec2("Action=CreateVpc&CidrBlock=10.0.0.0%2F16").await;
    assert_eq!(status, 200, "{body}");
    text(&body, "vpcId").unwrap().to_string()
}

async fn endpoint(h: &Harness, vpc: &str, extra: &str) -> (u16, String) {
    h.ec2(&format!(
        "Action=CreateVpcEndpoint&VpcId={vpc}&ServiceName=com.amazonaws.us-east-1.dynamodb&VpcEndpointType=Interface{extra}"
    ))
    .await
}

fn code(body: &str) -> &str {
    text(body, "Code").unwrap_or_default()
}

#[tokio::test]
async fn endpoints_are_created_described_modified_and_deleted() {
    let h = harness().await;
    let vpc = vpc(&h).await;
    let tag = "&TagSpecification.1.ResourceType=vpc-endpoint&TagSpecification.1.Tag.1.Key=palisade%3Alisten-addresses&TagSpecification.1.Tag.1.Value=127.0.0.1%3A9401%2C127.0.0.1%3A9402";
    let (status, body) = endpoint(&h, &vpc, tag).await;
    assert_eq!(status, 200, "{body}");
    let id = text(&body, "vpcEndpointId").unwrap().to_string();
    assert!(id.starts_with("vpce-") && id.len() == 22, "{id}");
    let stored = h.network.endpoint(&id).unwrap();
    let created = super::shapes::timestamp(stored.created);
    let endpoint_xml = format!(
        "<vpcEndpointId>{id}</vpcEndpointId><vpcEndpointType>Interface</vpcEndpointType><vpcId>{vpc}</vpcId><serviceName>com.amazonaws.us-east-1.dynamodb</serviceName><state>available</state><policyDocument>{}</policyDocument><routeTableIdSet/><subnetIdSet/><groupSet/><ipAddressType>ipv4</ipAddressType><dnsOptions><dnsRecordIpType>ipv4</dnsRecordIpType></dnsOptions><privateDnsEnabled>false</privateDnsEnabled><requesterManaged>false</requesterManaged><networkInterfaceIdSet/><dnsEntrySet><item><dnsName>127.0.0.1:9401</dnsName><hostedZoneId>palisade</hostedZoneId></item><item><dnsName>127.0.0.1:9402</dnsName><hostedZoneId>palisade</hostedZoneId></item></dnsEntrySet><creationTimestamp>{created}</creationTimestamp><tagSet><item><key>palisade:listen-addresses</key><value>127.0.0.1:9401,127.0.0.1:9402</value></item></tagSet><ownerId>{ACCT}</ownerId>",
        crate::query::escape(DEFAULT_ENDPOINT_POLICY)
    );
    assert!(
        body.contains(&format!("<vpcEndpoint>{endpoint_xml}</vpcEndpoint>")),
        "{body}"
    );
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");

    // Describe by id and by filters.
    let (_, body) = h
        .ec2(&format!("Action=DescribeVpcEndpoints&VpcEndpointId.1={id}"))
        .await;
    assert!(
        body.contains(&format!(
            "<vpcEndpointSet><item>{endpoint_xml}</item></vpcEndpointSet>"
        )),
        "{body}"
    );
    for (filter, found) in [
        (format!("vpc-id&Filter.1.Value.1={vpc}"), true),
        (format!("vpc-endpoint-id&Filter.1.Value.1={id}"), true),
        (
            "service-name&Filter.1.Value.1=com.amazonaws.us-east-1.dynamodb".into(),
            true,
        ),
        (
            "service-name&Filter.1.Value.1=com.amazonaws.us-east-1.s3".into(),
            false,
        ),
        (
            "vpc-id&Filter.1.Value.1=vpc-00000000000000000".into(),
            false,
        ),
    ] {
        let (_, body) = h
            .ec2(&format!(
                "Action=DescribeVpcEndpoints&Filter.1.Name={filter}"
            ))
            .await;
        assert_eq!(body.contains(&id), found, "{filter}: {body}");
    }
    let (status, body) = h
        .ec2("Action=DescribeVpcEndpoints&VpcEndpointId.1=vpce-00000000000000000")
        .await;
    assert_eq!(
        (status, code(&body)),
        (400, "InvalidVpcEndpointId.NotFound")
    );
    assert_eq!(
        text(&body, "Message"),
        Some("The Vpc Endpoint Id &apos;vpce-00000000000000000&apos; does not exist")
    );

    // The VPC cannot be deleted while the endpoint exists.
    let (status, body) = h.ec2(&format!("Action=DeleteVpc&VpcId={vpc}")).await;
    assert_eq!((status, code(&body)), (400, "DependencyViolation"));

    // Modify: a policy document, then reset.
    let (status, body) = h
        .ec2(&format!(
            "Action=ModifyVpcEndpoint&VpcEndpointId={id}&PolicyDocument={}",
            enc(ONLY_GET)
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<return>true</return>"), "{body}");
    assert_eq!(h.network.endpoint(&id).unwrap().policy_document, ONLY_GET);
    let (_, body) = h
        .ec2(&format!("Action=DescribeVpcEndpoints&VpcEndpointId.1={id}"))
        .await;
    assert_eq!(
        text(&body, "policyDocument"),
        Some(crate::query::escape(ONLY_GET).as_str())
    );
    let (status, body) = h
        .ec2(&format!(
            "Action=ModifyVpcEndpoint&VpcEndpointId={id}&PolicyDocument=%7Bnope"
        ))
        .await;
    assert_eq!(
        (status, code(&body)),
        (400, "InvalidPolicyDocument"),
        "{body}"
    );
    let (status, _) = h
        .ec2(&format!(
            "Action=ModifyVpcEndpoint&VpcEndpointId={id}&ResetPolicy=true"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        h.network.endpoint(&id).unwrap().policy_document,
        DEFAULT_ENDPOINT_POLICY
    );
    let (status, body) = h
        .ec2("Action=ModifyVpcEndpoint&VpcEndpointId=vpce-00000000000000000&ResetPolicy=true")
        .await;
    assert_eq!(
        (status, code(&body)),
        (400, "InvalidVpcEndpointId.NotFound")
    );

    // Delete: unknown ids come back as unsuccessful items.
    let (status, body) = h
        .ec2(&format!(
            "Action=DeleteVpcEndpoints&VpcEndpointId.1={id}&VpcEndpointId.2=vpce-00000000000000000"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<unsuccessful><item><error><code>InvalidVpcEndpoint.NotFound</code><message>The Vpc Endpoint Id &apos;vpce-00000000000000000&apos; does not exist</message></error><resourceId>vpce-00000000000000000</resourceId></item></unsuccessful>"),
        "{body}"
    );
    assert!(h.network.endpoint(&id).is_none());
    let (_, body) = h
        .ec2(&format!("Action=DeleteVpcEndpoints&VpcEndpointId.1={id}"))
        .await;
    assert!(
        body.contains(&format!("<resourceId>{id}</resourceId>")),
        "{body}"
    );
    let (status, _) = h.ec2(&format!("Action=DeleteVpc&VpcId={vpc}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn create_endpoint_refusals() {
    let h = harness().await;
    let vpc = vpc(&h).await;
    let cases = [
        (
            "&TagSpecification.1.ResourceType=vpc-endpoint&TagSpecification.1.Tag.1.Key=palisade%3Alisten-addresses&TagSpecification.1.Tag.1.Value=localhost",
            "InvalidParameterValue",
        ),
        (
            &*format!("&PolicyDocument={}", enc("{\"Statement\":7}")),
            "InvalidPolicyDocument",
        ),
        (
            "&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=a",
            "InvalidParameterValue",
        ),
    ];
    for (extra, expected) in cases {
        let (status, body) = endpoint(&h, &vpc, extra).await;
        assert_eq!((status, code(&body)), (400, expected), "{extra}: {body}");
    }
    let (status, body) = endpoint(&h, "vpc-00000000000000000", "").await;
    assert_eq!((status, code(&body)), (400, "InvalidVpcID.NotFound"));
    let (status, body) = h
        .ec2(&format!(
            "Action=CreateVpcEndpoint&VpcId={vpc}&ServiceName=com.amazonaws.us-east-1.s3"
        ))
        .await;
    assert_eq!((status, code(&body)), (400, "InvalidServiceName"), "{body}");
    let (status, body) = h
        .ec2(&format!("Action=CreateVpcEndpoint&VpcId={vpc}"))
        .await;
    assert_eq!((status, code(&body)), (400, "MissingParameter"));
    assert_eq!(
        text(&body, "Message"),
        Some("The request must contain the parameter ServiceName")
    );
    let (status, body) = h.ec2("Action=CreateVpc&CidrBlock=10.0.0.0%2F8").await;
    assert_eq!((status, code(&body)), (400, "InvalidVpc.Range"));
    let (status, body) = h.ec2("Action=RunInstances").await;
    assert_eq!((status, code(&body)), (400, "InvalidAction"));
    assert!(h.network.endpoints().is_empty());
}

#[tokio::test]
async fn endpoint_policies_decide_requests_through_the_endpoint() {
    let h = harness().await;
    let (status, body) = h
        .dynamodb(
            "CreateTable",
            r#"{"TableName":"orders","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let vpc = vpc(&h).await;
    let (_, body) = endpoint(&h, &vpc, &format!("&PolicyDocument={}", enc(ONLY_GET))).await;
    let id = text(&body, "vpcEndpointId").unwrap().to_string();
    let put = r#"{"TableName":"orders","Item":{"pk":{"S":"a"}}}"#;
    let get = r#"{"TableName":"orders","Key":{"pk":{"S":"a"}}}"#;

    let (status, body) = h.dynamodb("PutItem", put, Some(through(&id, &vpc))).await;
    assert_eq!(status, 400, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        error["__type"],
        "com.amazonaws.dynamodb.v20120810#AccessDeniedException"
    );
    assert_eq!(
        error["message"],
        format!(
            "User: arn:aws:iam::{ACCT}:user/admin is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:{ACCT}:table/orders because no VPC endpoint policy allows the dynamodb:PutItem action"
        )
    );
    let (status, body) = h.dynamodb("GetItem", get, Some(through(&id, &vpc))).await;
    assert_eq!(status, 200, "{body}");
    // Not through the endpoint: the endpoint policy does not apply.
    let (status, body) = h.dynamodb("PutItem", put, None).await;
    assert_eq!(status, 200, "{body}");

    // Reset to the default policy: the next request through the endpoint may write.
    let (status, _) = h
        .ec2(&format!(
            "Action=ModifyVpcEndpoint&VpcEndpointId={id}&ResetPolicy=true"
        ))
        .await;
    assert_eq!(status, 200);
    let (status, body) = h.dynamodb("PutItem", put, Some(through(&id, &vpc))).await;
    assert_eq!(status, 200, "{body}");

    // A deleted endpoint lets nothing through.
    let (status, _) = h
        .ec2(&format!("Action=DeleteVpcEndpoints&VpcEndpointId.1={id}"))
        .await;
    assert_eq!(status, 200);
    let (status, body) = h.dynamodb("GetItem", get, Some(through(&id, &vpc))).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("because no VPC endpoint policy allows the dynamodb:GetItem action"),
        "{body}"
    );

    // An endpoint the network never knew (one only a listener declares) is decided by the
    // listener's policies: none here, so nothing restricts it.
    let (status, body) = h
        .dynamodb(
            "GetItem",
            get,
            Some(through("vpce-0feedfeedfeedfeed", &vpc)),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // EC2 calls through an endpoint are decided by its policy too.
    let (_, body) = endpoint(&h, &vpc, &format!("&PolicyDocument={}", enc(ONLY_GET))).await;
    let only_get = text(&body, "vpcEndpointId").unwrap().to_string();
    let r = h
        .api
        .handle(super::tests::signed(
            &h.admin,
            "ec2",
            None,
            "Action=DescribeVpcs&Version=2016-11-15",
            Some(through(&only_get, &vpc)),
        ))
        .await;
    let body = String::from_utf8(r.body().to_vec()).unwrap();
    assert_eq!(
        (r.status().as_u16(), code(&body)),
        (403, "UnauthorizedOperation")
    );
    assert!(
        body.contains("because no VPC endpoint policy allows the ec2:DescribeVpcs action"),
        "{body}"
    );
}

#[tokio::test]
async fn ec2_calls_are_authenticated_and_authorized() {
    let h = harness().await;
    h.directory
        .create_user(ACCT, "bob", None, &[], None)
        .await
        .unwrap();
    let (key, secret) = h.directory.create_access_key(ACCT, "bob").await.unwrap();
    let bob = Credentials {
        access_key_id: key.access_key_id,
        secret_access_key: secret.expose().to_string(),
        session_token: None,
    };
    let (status, body) = h
        .ec2_as(&bob, "Action=CreateVpc&CidrBlock=10.0.0.0%2F16")
        .await;
    assert_eq!(
        (status, code(&body)),
        (403, "UnauthorizedOperation"),
        "{body}"
    );
    assert_eq!(
        text(&body, "Message").unwrap(),
        format!(
            "You are not authorized to perform this operation. User: arn:aws:iam::{ACCT}:user/bob is not authorized to perform: ec2:CreateVpc on resource: arn:aws:ec2:us-east-1:{ACCT}:vpc/* because no identity-based policy allows the ec2:CreateVpc action"
        )
    );
    h.directory
        .put_inline_policy(
            PolicyOwner::User,
            ACCT,
            "bob",
            "vpcs",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:CreateVpc","ec2:DescribeVpcs"],"Resource":"*"}]}"#,
        )
        .await
        .unwrap();
    let (status, body) = h
        .ec2_as(&bob, "Action=CreateVpc&CidrBlock=10.0.0.0%2F16&DryRun=true")
        .await;
    assert_eq!((status, code(&body)), (412, "DryRunOperation"), "{body}");
    assert!(h.network.vpcs().is_empty());
    let (status, body) = h
        .ec2_as(&bob, "Action=CreateVpc&CidrBlock=10.0.0.0%2F16")
        .await;
    assert_eq!(status, 200, "{body}");
    let id = text(&body, "vpcId").unwrap().to_string();
    let (status, body) = h
        .ec2_as(&bob, &format!("Action=DeleteVpc&VpcId={id}"))
        .await;
    assert_eq!((status, code(&body)), (403, "UnauthorizedOperation"));
    assert!(
        body.contains(&format!(
            "on resource: arn:aws:ec2:us-east-1:{ACCT}:vpc/{id} "
        )),
        "{body}"
    );

    let wrong = Credentials {
        secret_access_key: "not-the-secret".into(),
        ..bob.clone()
    };
    let (status, body) = h.ec2_as(&wrong, "Action=DescribeVpcs").await;
    assert_eq!((status, code(&body)), (401, "AuthFailure"), "{body}");
    assert_eq!(
        text(&body, "Message"),
        Some("AWS was not able to validate the provided access credentials")
    );
    let unknown = Credentials {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        ..bob
    };
    let (status, body) = h.ec2_as(&unknown, "Action=DescribeVpcs").await;
    assert_eq!((status, code(&body)), (401, "AuthFailure"), "{body}");
}
