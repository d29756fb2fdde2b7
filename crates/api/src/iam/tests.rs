//! IAM handler tests: form in, exact XML out, error documents and statuses.

use palisade_directory::{AdminKey, Caller, Directory, iso8601};

use super::*;
use crate::query::parse_form;

pub(super) const ACCT: &str = "111122223333";
const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

pub(super) async fn setup() -> (Directory, Caller) {
    let dir = Directory::in_memory();
    let (id, _) = dir
        .ensure_admin(ACCT, AdminKey::Generate)
        .await
        .unwrap()
        .unwrap();
    let caller = dir.lookup_access_key(&id).unwrap().caller;
    (dir, caller)
}

pub(super) async fn call(
    dir: &Directory,
    caller: &Caller,
    svc: Service,
    body: &str,
) -> QueryResponse {
    handle(dir, caller, svc, &parse_form(body.as_bytes()), "req-1").await
}

async fn iam(dir: &Directory, caller: &Caller, body: &str) -> QueryResponse {
    call(
        dir,
        caller,
        Service::Iam,
        &format!("{body}&Version=2010-05-08"),
    )
    .await
}

fn ok(action: &str, result: &str) -> String {
    let inner = if result.is_empty() {
        String::new()
    } else {
        format!("<{action}Result>{result}</{action}Result>")
    };
    format!(
        "<{action}Response xmlns=\"{NS}\">{inner}<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></{action}Response>"
    )
}

fn err(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{NS}\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{code}</Code>\n    <Message>{message}</Message>\n  </Error>\n  <RequestId>req-1</RequestId>\n</ErrorResponse>\n"
    )
}

#[tokio::test]
async fn handler_futures_are_send() {
    fn assert_send<T: Send>(t: T) -> T {
        t
    }
    let (dir, admin) = setup().await;
    let params = parse_form(b"Action=ListUsers");
    let r = assert_send(handle(&dir, &admin, Service::Iam, &params, "req-1")).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn create_get_list_delete_user() {
    let (dir, admin) = setup().await;
    let r = iam(
        &dir,
        &admin,
        "Action=CreateUser&UserName=bob&Path=%2Fteam%2F",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let u = dir.get_user(ACCT, "bob").unwrap();
    let user_xml = format!(
        "<User><Path>/team/</Path><UserName>bob</UserName><UserId>{}</UserId><Arn>arn:aws:iam::111122223333:user/team/bob</Arn><CreateDate>{}</CreateDate></User>",
        u.id,
        iso8601(u.created)
    );
    assert_eq!(r.body, ok("CreateUser", &user_xml));
    assert!(iso8601(u.created).ends_with('Z') && iso8601(u.created).len() == 20);

    let r = iam(&dir, &admin, "Action=GetUser&UserName=bob").await;
    assert_eq!(r.body, ok("GetUser", &user_xml));
    // GetUser without a name: the caller.
    let r = iam(&dir, &admin, "Action=GetUser").await;
    assert!(r.body.contains("<UserName>admin</UserName>"), "{}", r.body);

    let r = iam(&dir, &admin, "Action=CreateUser&UserName=bob").await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.body,
        err("EntityAlreadyExists", "User with name bob already exists.")
    );

    let r = iam(&dir, &admin, "Action=GetUser&UserName=nobody").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        err("NoSuchEntity", "The user with name nobody cannot be found.")
    );

    let r = iam(&dir, &admin, "Action=CreateUser").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        err(
            "ValidationError",
            "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"
        )
    );

    let r = iam(&dir, &admin, "Action=ListUsers&MaxItems=1").await;
    assert!(
        r.body
            .contains("<ListUsersResult><Users><member><Path>/</Path><UserName>admin</UserName>"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(
            "</Users><IsTruncated>true</IsTruncated><Marker>1</Marker></ListUsersResult>"
        )
    );
    let r = iam(&dir, &admin, "Action=ListUsers&MaxItems=1&Marker=1").await;
    assert!(r.body.contains("<UserName>bob</UserName>"));
    assert!(
        r.body
            .contains("<IsTruncated>false</IsTruncated></ListUsersResult>")
    );

    let r = iam(&dir, &admin, "Action=ListUsers&PathPrefix=team").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("at 'pathPrefix'"), "{}", r.body);
    let r = iam(&dir, &admin, "Action=ListUsers&PathPrefix=%2Fteam").await;
    assert!(r.body.contains("<UserName>bob</UserName>") && !r.body.contains("admin"));
    let r = iam(&dir, &admin, "Action=DeleteUser&UserName=bob").await;
    assert_eq!((r.status, r.body), (200, ok("DeleteUser", "")));

    let r = iam(&dir, &admin, "Action=Frobnicate").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        err(
            "InvalidAction",
            "Could not find operation Frobnicate for version 2010-05-08"
        )
    );
}

#[tokio::test]
async fn tags_and_access_keys() {
    let (dir, admin) = setup().await;
    let r = iam(
        &dir,
        &admin,
        "Action=CreateUser&UserName=bob&Tags.member.1.Key=env&Tags.member.1.Value=a%2Bb",
    )
    .await;
    assert!(
        r.body
            .contains("<Tags><member><Key>env</Key><Value>a+b</Value></member></Tags></User>"),
        "{}",
        r.body
    );
    iam(
        &dir,
        &admin,
        "Action=TagUser&UserName=bob&Tags.member.1.Key=team&Tags.member.1.Value=x",
    )
    .await;
    let r = iam(&dir, &admin, "Action=ListUserTags&UserName=bob").await;
    assert_eq!(
        r.body,
        ok(
            "ListUserTags",
            "<Tags><member><Key>env</Key><Value>a+b</Value></member><member><Key>team</Key><Value>x</Value></member></Tags><IsTruncated>false</IsTruncated>"
        )
    );
    iam(
        &dir,
        &admin,
        "Action=UntagUser&UserName=bob&TagKeys.member.1=ENV",
    )
    .await;
    let r = iam(&dir, &admin, "Action=ListUserTags&UserName=bob").await;
    assert!(!r.body.contains("env"));

    let r = iam(&dir, &admin, "Action=CreateAccessKey&UserName=bob").await;
    assert_eq!(r.status, 200);
    let keys = dir.list_access_keys(ACCT, "bob").unwrap();
    let k = &keys[0];
    let secret = dir.lookup_access_key(&k.access_key_id).unwrap().secret;
    assert_eq!(
        r.body,
        ok(
            "CreateAccessKey",
            &format!(
                "<AccessKey><UserName>bob</UserName><AccessKeyId>{}</AccessKeyId><Status>Active</Status><SecretAccessKey>{}</SecretAccessKey><CreateDate>{}</CreateDate></AccessKey>",
                k.access_key_id,
                secret.expose(),
                iso8601(k.created)
            )
        )
    );
    let r = iam(&dir, &admin, "Action=ListAccessKeys&UserName=bob").await;
    assert_eq!(
        r.body,
        ok(
            "ListAccessKeys",
            &format!(
                "<AccessKeyMetadata><member><UserName>bob</UserName><AccessKeyId>{}</AccessKeyId><Status>Active</Status><CreateDate>{}</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated><UserName>bob</UserName>",
                k.access_key_id,
                iso8601(k.created)
            )
        )
    );
    let r = iam(
        &dir,
        &admin,
        &format!(
            "Action=UpdateAccessKey&UserName=bob&AccessKeyId={}&Status=Off",
            k.access_key_id
        ),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .contains("Member must satisfy enum value set: [Active, Inactive]")
    );
    let r = iam(
        &dir,
        &admin,
        &format!(
            "Action=UpdateAccessKey&UserName=bob&AccessKeyId={}&Status=Inactive",
            k.access_key_id
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(dir.lookup_access_key(&k.access_key_id).is_none());
    iam(&dir, &admin, "Action=CreateAccessKey&UserName=bob").await;
    let r = iam(&dir, &admin, "Action=CreateAccessKey&UserName=bob").await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            err(
                "LimitExceeded",
                "Cannot exceed quota for AccessKeysPerUser: 2"
            )
        )
    );
    let r = iam(&dir, &admin, "Action=DeleteUser&UserName=bob").await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            err(
                "DeleteConflict",
                "Cannot delete entity, must delete access keys first."
            )
        )
    );
    // Without UserName a key is created for the calling user.
    let r = iam(&dir, &admin, "Action=CreateAccessKey").await;
    assert!(r.body.contains("<UserName>admin</UserName>"));
}

#[tokio::test]
async fn groups_roles_and_inline_policies() {
    let (dir, admin) = setup().await;
    iam(&dir, &admin, "Action=CreateUser&UserName=bob").await;
    let r = iam(&dir, &admin, "Action=CreateGroup&GroupName=devs").await;
    let g = dir.get_group(ACCT, "devs").unwrap().0;
    let group_xml = format!(
        "<Group><Path>/</Path><GroupName>devs</GroupName><GroupId>{}</GroupId><Arn>arn:aws:iam::111122223333:group/devs</Arn><CreateDate>{}</CreateDate></Group>",
        g.id,
        iso8601(g.created)
    );
    assert_eq!(r.body, ok("CreateGroup", &group_xml));
    iam(
        &dir,
        &admin,
        "Action=AddUserToGroup&GroupName=devs&UserName=bob",
    )
    .await;
    let r = iam(&dir, &admin, "Action=GetGroup&GroupName=devs").await;
    assert!(r.body.starts_with(&format!("<GetGroupResponse xmlns=\"{NS}\"><GetGroupResult>{group_xml}<Users><member><Path>/</Path><UserName>bob</UserName>")), "{}", r.body);
    let r = iam(&dir, &admin, "Action=ListGroupsForUser&UserName=bob").await;
    assert!(
        r.body
            .contains("<Groups><member><Path>/</Path><GroupName>devs</GroupName>")
    );

    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    let enc = url_encode(doc);
    let r = iam(
        &dir,
        &admin,
        &format!("Action=PutGroupPolicy&GroupName=devs&PolicyName=read&PolicyDocument={enc}"),
    )
    .await;
    assert_eq!((r.status, r.body), (200, ok("PutGroupPolicy", "")));
    let r = iam(
        &dir,
        &admin,
        "Action=GetGroupPolicy&GroupName=devs&PolicyName=read",
    )
    .await;
    assert_eq!(
        r.body,
        ok(
            "GetGroupPolicy",
            &format!(
                "<GroupName>devs</GroupName><PolicyName>read</PolicyName><PolicyDocument>{enc}</PolicyDocument>"
            )
        )
    );
    let r = iam(&dir, &admin, "Action=ListGroupPolicies&GroupName=devs").await;
    assert_eq!(
        r.body,
        ok(
            "ListGroupPolicies",
            "<PolicyNames><member>read</member></PolicyNames><IsTruncated>false</IsTruncated>"
        )
    );
    let r = iam(
        &dir,
        &admin,
        "Action=GetUserPolicy&UserName=bob&PolicyName=read",
    )
    .await;
    assert_eq!(
        (r.status, r.body),
        (
            404,
            err(
                "NoSuchEntity",
                "The user policy with name read cannot be found."
            )
        )
    );
    let r = iam(
        &dir,
        &admin,
        "Action=PutUserPolicy&UserName=bob&PolicyName=bad&PolicyDocument=%7Bnope",
    )
    .await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            err("MalformedPolicyDocument", "Syntax errors in policy.")
        )
    );

    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#;
    let r = iam(&dir, &admin, &format!("Action=CreateRole&RoleName=app&Path=%2Fsvc%2F&Description=d&AssumeRolePolicyDocument={}", url_encode(trust))).await;
    let role = dir.get_role(ACCT, "app").unwrap();
    assert_eq!(
        r.body,
        ok(
            "CreateRole",
            &format!(
                "<Role><Path>/svc/</Path><RoleName>app</RoleName><RoleId>{}</RoleId><Arn>arn:aws:iam::111122223333:role/svc/app</Arn><CreateDate>{}</CreateDate><AssumeRolePolicyDocument>{}</AssumeRolePolicyDocument><Description>d</Description><MaxSessionDuration>3600</MaxSessionDuration></Role>",
                role.id,
                iso8601(role.created),
                url_encode(trust)
            )
        )
    );
    let r = iam(
        &dir,
        &admin,
        &format!(
            "Action=CreateRole&RoleName=r2&MaxSessionDuration=50000&AssumeRolePolicyDocument={}",
            url_encode(trust)
        ),
    )
    .await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            err(
                "ValidationError",
                "1 validation error detected: Value '50000' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"
            )
        )
    );
    let r = iam(
        &dir,
        &admin,
        "Action=TagRole&RoleName=app&Tags.member.1.Key=k&Tags.member.1.Value=v",
    )
    .await;
    assert_eq!(r.status, 200);
    let r = iam(&dir, &admin, "Action=ListRoleTags&RoleName=app").await;
    assert!(
        r.body
            .contains("<Tags><member><Key>k</Key><Value>v</Value></member></Tags>")
    );
    let r = iam(&dir, &admin, "Action=ListRoles").await;
    assert!(
        r.body
            .contains("<Roles><member><Path>/svc/</Path><RoleName>app</RoleName>")
    );
    let r = iam(&dir, &admin, "Action=DeleteRole&RoleName=nope").await;
    assert_eq!(
        (r.status, r.body),
        (
            404,
            err("NoSuchEntity", "The role with name nope cannot be found.")
        )
    );
    let r = iam(&dir, &admin, "Action=DeleteRole&RoleName=app").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn managed_policies_versions_and_attachments() {
    let (dir, admin) = setup().await;
    iam(&dir, &admin, "Action=CreateUser&UserName=bob").await;
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:Query","Resource":"*"}]}"#;
    let r = iam(
        &dir,
        &admin,
        &format!(
            "Action=CreatePolicy&PolicyName=Q&Path=%2Fapp%2F&PolicyDocument={}",
            url_encode(doc)
        ),
    )
    .await;
    let arn = "arn:aws:iam::111122223333:policy/app/Q";
    let (pol, _, _) = dir.get_policy(arn).unwrap();
    let d = iso8601(pol.created);
    let policy_xml = |attached: usize| {
        format!(
            "<Policy><PolicyName>Q</PolicyName><PolicyId>{}</PolicyId><Arn>{arn}</Arn><Path>/app/</Path><DefaultVersionId>v1</DefaultVersionId><AttachmentCount>{attached}</AttachmentCount><PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount><IsAttachable>true</IsAttachable><CreateDate>{d}</CreateDate><UpdateDate>{d}</UpdateDate></Policy>",
            pol.id
        )
    };
    assert_eq!(r.body, ok("CreatePolicy", &policy_xml(0)));
    let r = iam(
        &dir,
        &admin,
        &format!("Action=AttachUserPolicy&UserName=bob&PolicyArn={arn}"),
    )
    .await;
    assert_eq!((r.status, r.body), (200, ok("AttachUserPolicy", "")));
    let r = iam(&dir, &admin, &format!("Action=GetPolicy&PolicyArn={arn}")).await;
    assert_eq!(r.body, ok("GetPolicy", &policy_xml(1)));
    let r = iam(&dir, &admin, "Action=ListAttachedUserPolicies&UserName=bob").await;
    assert_eq!(
        r.body,
        ok(
            "ListAttachedUserPolicies",
            &format!(
                "<AttachedPolicies><member><PolicyName>Q</PolicyName><PolicyArn>{arn}</PolicyArn></member></AttachedPolicies><IsTruncated>false</IsTruncated>"
            )
        )
    );
    let r = iam(&dir, &admin, "Action=ListPolicies&Scope=Local").await;
    assert!(
        r.body.contains(
            &policy_xml(1)
                .replace("<Policy>", "<member>")
                .replace("</Policy>", "</member>")
        )
    );
    let r = iam(&dir, &admin, "Action=ListPolicies&Scope=AWS&MaxItems=1").await;
    assert!(
        r.body
            .contains("<Arn>arn:aws:iam::aws:policy/AdministratorAccess</Arn>")
    );
    assert!(r.body.contains("<IsTruncated>true</IsTruncated>"));

    let r = iam(
        &dir,
        &admin,
        &format!(
            "Action=CreatePolicyVersion&PolicyArn={arn}&SetAsDefault=true&PolicyDocument={}",
            url_encode(doc)
        ),
    )
    .await;
    let (v2, _) = dir.get_policy_version(arn, "v2").unwrap();
    assert_eq!(
        r.body,
        ok(
            "CreatePolicyVersion",
            &format!(
                "<PolicyVersion><VersionId>v2</VersionId><IsDefaultVersion>true</IsDefaultVersion><CreateDate>{}</CreateDate></PolicyVersion>",
                iso8601(v2.created)
            )
        )
    );
    let r = iam(
        &dir,
        &admin,
        &format!("Action=GetPolicyVersion&PolicyArn={arn}&VersionId=v1"),
    )
    .await;
    assert!(r.body.contains(&format!("<PolicyVersion><Document>{}</Document><VersionId>v1</VersionId><IsDefaultVersion>false</IsDefaultVersion>", url_encode(doc))), "{}", r.body);
    let r = iam(
        &dir,
        &admin,
        &format!("Action=ListPolicyVersions&PolicyArn={arn}"),
    )
    .await;
    assert!(r.body.contains(
        "<Versions><member><VersionId>v2</VersionId><IsDefaultVersion>true</IsDefaultVersion>"
    ));
    let r = iam(
        &dir,
        &admin,
        &format!("Action=DeletePolicyVersion&PolicyArn={arn}&VersionId=v2"),
    )
    .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            err(
                "DeleteConflict",
                "Cannot delete the default version of a policy."
            )
        )
    );
    let r = iam(
        &dir,
        &admin,
        &format!("Action=SetDefaultPolicyVersion&PolicyArn={arn}&VersionId=v1"),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = iam(
        &dir,
        &admin,
        &format!("Action=DeletePolicy&PolicyArn={arn}"),
    )
    .await;
    assert_eq!(
        (r.status, r.body),
        (
            409,
            err(
                "DeleteConflict",
                "Cannot delete a policy attached to entities."
            )
        )
    );
    let r = iam(
        &dir,
        &admin,
        "Action=GetPolicy&PolicyArn=arn:aws:iam::999999999999:policy/X",
    )
    .await;
    assert_eq!(
        (r.status, r.body),
        (
            404,
            err(
                "NoSuchEntity",
                "Policy arn:aws:iam::999999999999:policy/X was not found."
            )
        )
    );
    let r = iam(
        &dir,
        &admin,
        "Action=AttachUserPolicy&UserName=bob&PolicyArn=arn:aws:iam::111122223333:policy/None",
    )
    .await;
    assert_eq!(
        (r.status, r.body),
        (
            404,
            err(
                "NoSuchEntity",
                "Policy arn:aws:iam::111122223333:policy/None does not exist or is not attachable."
            )
        )
    );

    // Boundaries.
    let r = iam(
        &dir,
        &admin,
        &format!("Action=PutUserPermissionsBoundary&UserName=bob&PermissionsBoundary={arn}"),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = iam(&dir, &admin, "Action=GetUser&UserName=bob").await;
    assert!(r.body.contains(&format!("<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType><PermissionsBoundaryArn>{arn}</PermissionsBoundaryArn></PermissionsBoundary>")));
    let r = iam(
        &dir,
        &admin,
        "Action=DeleteUserPermissionsBoundary&UserName=bob",
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(dir.get_user(ACCT, "bob").unwrap().boundary.is_none());

    // Simulation.
    let r = iam(&dir, &admin, "Action=SimulatePrincipalPolicy&PolicySourceArn=arn:aws:iam::111122223333:user/bob&ActionNames.member.1=dynamodb:Query&ActionNames.member.2=dynamodb:PutItem").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(&format!("<member><EvalActionName>dynamodb:Query</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>allowed</EvalDecision><MatchedStatements><member><SourcePolicyId>{arn}</SourcePolicyId>")), "{}", r.body);
    assert!(r.body.contains("<EvalActionName>dynamodb:PutItem</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>implicitDeny</EvalDecision>"));
    let deny =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    let r = iam(&dir, &admin, &format!("Action=SimulateCustomPolicy&ActionNames.member.1=s3:GetObject&PolicyInputList.member.1={}", url_encode(deny))).await;
    assert!(
        r.body.contains("<EvalDecision>explicitDeny</EvalDecision>"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn required_actions_name_the_resource() {
    let (dir, admin) = setup().await;
    iam(&dir, &admin, "Action=CreateUser&UserName=bob&Path=%2Fp%2F").await;
    let req =
        |body: &str| required_action(&dir, &admin, Service::Iam, &parse_form(body.as_bytes()));
    assert_eq!(
        req("Action=CreateUser&UserName=carol&Path=%2Fx%2F").unwrap(),
        RequiredAction {
            action: "iam:CreateUser".into(),
            resource: "arn:aws:iam::111122223333:user/x/carol".into(),
            context: Vec::new(),
        }
    );
    assert_eq!(
        req("Action=DeleteUser&UserName=bob").unwrap().resource,
        "arn:aws:iam::111122223333:user/p/bob"
    );
    assert_eq!(
        req("Action=CreateAccessKey").unwrap().resource,
        "arn:aws:iam::111122223333:user/admin"
    );
    assert_eq!(
        req("Action=AddUserToGroup&GroupName=g&UserName=bob")
            .unwrap()
            .resource,
        "arn:aws:iam::111122223333:group/g"
    );
    assert_eq!(
        req("Action=GetRolePolicy&RoleName=r&PolicyName=x")
            .unwrap()
            .resource,
        "arn:aws:iam::111122223333:role/r"
    );
    assert_eq!(req("Action=ListUsers").unwrap().resource, "*");
    assert_eq!(
        req("Action=ListGroupsForUser&UserName=bob")
            .unwrap()
            .resource,
        "arn:aws:iam::111122223333:user/p/bob"
    );
    assert_eq!(
        req("Action=CreatePolicyVersion&PolicyArn=arn:aws:iam::111122223333:policy/P")
            .unwrap()
            .resource,
        "arn:aws:iam::111122223333:policy/P"
    );
    assert_eq!(
        req("Action=GetPolicy&PolicyArn=arn:aws:iam::111122223333:policy/P").unwrap(),
        RequiredAction {
            action: "iam:GetPolicy".into(),
            resource: "arn:aws:iam::111122223333:policy/P".into(),
            context: Vec::new(),
        }
    );
    // Condition keys: request tags, resource tags, boundary, policy ARN.
    iam(
        &dir,
        &admin,
        "Action=TagUser&UserName=bob&Tags.member.1.Key=team&Tags.member.1.Value=blue",
    )
    .await;
    let r = req("Action=TagUser&UserName=bob&Tags.member.1.Key=env&Tags.member.1.Value=dev&PermissionsBoundary=arn:aws:iam::111122223333:policy/B").unwrap();
    let has =
        |k: &str, v: palisade_iam::ContextValue| r.context.iter().any(|(a, b)| a == k && *b == v);
    assert!(has("aws:ResourceTag/team", "blue".into()));
    assert!(has("iam:ResourceTag/team", "blue".into()));
    assert!(has("aws:RequestTag/env", "dev".into()));
    assert!(has("aws:TagKeys", vec!["env".to_owned()].into()));
    assert!(has(
        "iam:PermissionsBoundary",
        "arn:aws:iam::111122223333:policy/B".into()
    ));
    let r = req("Action=AttachUserPolicy&UserName=bob&PolicyArn=arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
    assert!(
        r.context.iter().any(|(k, v)| k == "iam:PolicyARN"
            && *v == "arn:aws:iam::aws:policy/AdministratorAccess".into())
    );
    let r = req("Action=UntagUser&UserName=bob&TagKeys.member.1=team").unwrap();
    assert!(
        r.context
            .iter()
            .any(|(k, v)| k == "aws:TagKeys" && *v == vec!["team".to_owned()].into())
    );
    assert!(req("Action=Nope").is_none());
    let sts =
        |body: &str| required_action(&dir, &admin, Service::Sts, &parse_form(body.as_bytes()));
    assert!(sts("Action=GetCallerIdentity").is_none());
    assert_eq!(
        sts("Action=AssumeRole&RoleArn=arn:aws:iam::111122223333:role/r")
            .unwrap()
            .action,
        "sts:AssumeRole"
    );
}
