//! STS handler tests.

use palisade_directory::iso8601;

use super::tests::{ACCT, call, setup};
use super::*;

const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

#[tokio::test]
async fn caller_identity_assume_role_and_session_token() {
    let (dir, admin) = setup().await;
    let r = call(
        &dir,
        &admin,
        Service::Sts,
        "Action=GetCallerIdentity&Version=2011-06-15",
    )
    .await;
    let u = dir.get_user(ACCT, "admin").unwrap();
    assert_eq!(
        r.body,
        format!(
            "<GetCallerIdentityResponse xmlns=\"{NS}\"><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/admin</Arn><UserId>{}</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
            u.id
        )
    );

    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/admin"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
    call(&dir, &admin, Service::Iam, &format!("Action=CreateRole&RoleName=app&Path=%2Fsvc%2F&MaxSessionDuration=7200&AssumeRolePolicyDocument={}", url_encode(trust))).await;
    let role = dir.get_role(ACCT, "app").unwrap();
    let body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fsvc%2Fapp&RoleSessionName=s1&DurationSeconds=1800&Tags.member.1.Key=p&Tags.member.1.Value=v&TransitiveTagKeys.member.1=p&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAmazonDynamoDBReadOnlyAccess";
    let r = call(&dir, &admin, Service::Sts, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let akid = r
        .body
        .split("<AccessKeyId>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let id = dir.lookup_access_key(&akid).unwrap();
    let prefix = format!(
        "<AssumeRoleResponse xmlns=\"{NS}\"><AssumeRoleResult><AssumedRoleUser><AssumedRoleId>{}:s1</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/app/s1</Arn></AssumedRoleUser><Credentials><AccessKeyId>{akid}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials><PackedPolicySize>",
        role.id,
        id.secret.expose(),
        id.session_token.as_ref().unwrap().expose(),
        iso8601(id.expires.unwrap())
    );
    assert!(r.body.starts_with(&prefix), "{}", r.body);
    assert!(akid.starts_with("ASIA"));
    assert_eq!(id.session_policies.len(), 1);

    // The session's identity.
    let session = id.caller.clone();
    let r = call(&dir, &session, Service::Sts, "Action=GetCallerIdentity").await;
    assert!(r.body.contains(&format!(
        "<Arn>arn:aws:sts::111122223333:assumed-role/app/s1</Arn><UserId>{}:s1</UserId>",
        role.id
    )));

    // Errors: chaining past an hour, unknown role, a bad session name.
    let r = call(&dir, &session, Service::Sts, "Action=AssumeRole&RoleArn=arn:aws:iam::111122223333:role/svc/app&RoleSessionName=s2&DurationSeconds=7200").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        format!(
            "<ErrorResponse xmlns=\"{NS}\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>ValidationError</Code>\n    <Message>The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.</Message>\n  </Error>\n  <RequestId>req-1</RequestId>\n</ErrorResponse>\n"
        )
    );
    let r = call(
        &dir,
        &admin,
        Service::Sts,
        "Action=AssumeRole&RoleArn=arn:aws:iam::111122223333:role/ghost&RoleSessionName=s2",
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("<Code>AccessDenied</Code>\n    <Message>User: arn:aws:iam::111122223333:user/admin is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/ghost</Message>"), "{}", r.body);
    let r = call(&dir, &admin, Service::Sts, "Action=AssumeRole&RoleArn=arn:aws:iam::111122223333:role/svc/app&RoleSessionName=bad%20name").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("at 'roleSessionName'"));

    let r = call(
        &dir,
        &admin,
        Service::Sts,
        "Action=GetSessionToken&DurationSeconds=900",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.starts_with(&format!("<GetSessionTokenResponse xmlns=\"{NS}\"><GetSessionTokenResult><Credentials><AccessKeyId>ASIA")));
    let r = call(&dir, &session, Service::Sts, "Action=GetSessionToken").await;
    assert_eq!(r.status, 403);
    let r = call(
        &dir,
        &admin,
        Service::Sts,
        "Action=GetFederationToken&Name=x",
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("<Code>InvalidAction</Code>"));
}
