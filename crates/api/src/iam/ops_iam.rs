//! IAM operations on users, access keys, groups and roles, and the authorization seam for
//! every IAM action.

use palisade_directory::{Caller, CreateRoleInput, Directory, parse_key_status};
use palisade_iam::ContextValue;

use super::form::{Params, paginate};
use super::shapes;
use super::{
    QueryError, RequiredAction, ops_policies, own_policy_arn, path_prefix, user_or_caller,
};
use crate::query::Xml;

type Out = Result<Option<String>, QueryError>;

fn done(x: Xml) -> Out {
    Ok(Some(x.finish()))
}

/// No result element (`<XResponse><ResponseMetadata>...`).
fn empty() -> Out {
    Ok(Some(String::new()))
}

fn arn(account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:{kind}{path}{name}")
}

/// The IAM actions Palisade implements.
pub(crate) const ACTIONS: &[&str] = &[
    "CreateUser",
    "GetUser",
    "ListUsers",
    "DeleteUser",
    "TagUser",
    "UntagUser",
    "ListUserTags",
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "CreateGroup",
    "GetGroup",
    "ListGroups",
    "DeleteGroup",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "ListGroupsForUser",
    "CreateRole",
    "GetRole",
    "ListRoles",
    "UpdateAssumeRolePolicy",
    "UpdateRole",
    "DeleteRole",
    "TagRole",
    "UntagRole",
    "ListRoleTags",
    "PutUserPolicy",
    "GetUserPolicy",
    "DeleteUserPolicy",
    "ListUserPolicies",
    "PutGroupPolicy",
    "GetGroupPolicy",
    "DeleteGroupPolicy",
    "ListGroupPolicies",
    "PutRolePolicy",
    "GetRolePolicy",
    "DeleteRolePolicy",
    "ListRolePolicies",
    "CreatePolicy",
    "GetPolicy",
    "ListPolicies",
    "DeletePolicy",
    "CreatePolicyVersion",
    "GetPolicyVersion",
    "ListPolicyVersions",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "ListAttachedUserPolicies",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
    "ListAttachedGroupPolicies",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "ListAttachedRolePolicies",
    "PutUserPermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "SimulatePrincipalPolicy",
    "SimulateCustomPolicy",
];

/// The action and resource an IAM call needs.
pub(crate) fn required(
    dir: &Directory,
    caller: &Caller,
    action: &str,
    p: &Params<'_>,
) -> Option<RequiredAction> {
    if !ACTIONS.contains(&action) {
        return None;
    }
    let acct = caller.account.as_str();
    let path = p.get("Path").unwrap_or("/");
    let user = || {
        let name = user_or_caller(p, caller).ok()?;
        Some(match dir.get_user(acct, name) {
            Ok(u) => (u.arn(), u.tags),
            Err(_) => (arn(acct, "user", path, name), Vec::new()),
        })
    };
    let group = || {
        let name = p.get("GroupName")?;
        Some(match dir.get_group(acct, name) {
            Ok((g, _)) => (g.arn(), Vec::new()),
            Err(_) => (arn(acct, "group", path, name), Vec::new()),
        })
    };
    let role = || {
        let name = p.get("RoleName")?;
        Some(match dir.get_role(acct, name) {
            Ok(r) => (r.arn(), r.tags),
            Err(_) => (arn(acct, "role", path, name), Vec::new()),
        })
    };
    let plain = |a: Option<String>| a.map(|a| (a, Vec::new()));
    let resource = if matches!(
        action,
        "ListUsers" | "ListGroups" | "ListRoles" | "ListPolicies" | "SimulateCustomPolicy"
    ) {
        plain(Some("*".to_owned()))
    } else if action == "SimulatePrincipalPolicy" {
        plain(p.get("PolicySourceArn").map(str::to_owned))
    } else if action == "CreatePolicy" {
        plain(p.get("PolicyName").map(|n| arn(acct, "policy", path, n)))
    } else if action == "ListGroupsForUser" {
        user()
    } else if action.contains("Group") {
        group()
    } else if action.contains("Role") {
        role()
    } else if action.contains("User") || action.contains("AccessKey") {
        user()
    } else {
        plain(p.get("PolicyArn").map(str::to_owned))
    };
    let (resource, resource_tags) = resource.unwrap_or_else(|| ("*".to_owned(), Vec::new()));
    // Condition keys IAM sets for these actions (Service Authorization Reference).
    let mut context: Vec<(String, ContextValue)> = Vec::new();
    for t in &resource_tags {
        context.push((
            format!("aws:ResourceTag/{}", t.key),
            t.value.as_str().into(),
        ));
        context.push((
            format!("iam:ResourceTag/{}", t.key),
            t.value.as_str().into(),
        ));
    }
    if let Some(b) = p.get("PermissionsBoundary") {
        context.push(("iam:PermissionsBoundary".to_owned(), b.into()));
    }
    if (action.starts_with("Attach") || action.starts_with("Detach"))
        && let Some(a) = p.get("PolicyArn")
    {
        context.push(("iam:PolicyARN".to_owned(), a.into()));
    }
    let tags = p.tags("Tags");
    if !tags.is_empty() {
        for t in &tags {
            context.push((format!("aws:RequestTag/{}", t.key), t.value.as_str().into()));
        }
        let keys: Vec<String> = tags.into_iter().map(|t| t.key).collect();
        context.push(("aws:TagKeys".to_owned(), keys.into()));
    }
    let untag: Vec<String> = p
        .list("TagKeys", "")
        .into_iter()
        .map(str::to_owned)
        .collect();
    if !untag.is_empty() {
        context.push(("aws:TagKeys".to_owned(), untag.into()));
    }
    Some(RequiredAction {
        action: format!("iam:{action}"),
        resource,
        context,
    })
}

/// Runs an IAM action; `Ok(None)` for an unknown action.
pub(crate) async fn run(dir: &Directory, caller: &Caller, action: &str, p: &Params<'_>) -> Out {
    let acct = caller.account.as_str();
    let mut x = Xml::new();
    match action {
        "CreateUser" => {
            if let Some(b) = p.get("PermissionsBoundary") {
                own_policy_arn(caller, b, true)?;
            }
            let u = dir
                .create_user(
                    acct,
                    p.required("UserName")?,
                    p.get("Path"),
                    &p.tags("Tags"),
                    p.get("PermissionsBoundary"),
                )
                .await?;
            shapes::user(&mut x, "User", &u, true);
            done(x)
        }
        "GetUser" => {
            let u = dir.get_user(acct, user_or_caller(p, caller)?)?;
            shapes::user(&mut x, "User", &u, true);
            done(x)
        }
        "ListUsers" => {
            let page = paginate(dir.list_users(acct, path_prefix(p)?), p)?;
            x.open("Users");
            for u in &page.items {
                shapes::user(&mut x, "member", u, false);
            }
            x.close("Users");
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        "DeleteUser" => {
            dir.delete_user(acct, p.required("UserName")?).await?;
            empty()
        }
        "TagUser" => {
            dir.tag_user(acct, p.required("UserName")?, &p.tags("Tags"))
                .await?;
            empty()
        }
        "UntagUser" => {
            let keys: Vec<String> = p
                .list("TagKeys", "")
                .into_iter()
                .map(str::to_owned)
                .collect();
            dir.untag_user(acct, p.required("UserName")?, &keys).await?;
            empty()
        }
        "ListUserTags" => {
            let u = dir.get_user(acct, p.required("UserName")?)?;
            let page = paginate(u.tags, p)?;
            shapes::tags(&mut x, &page.items);
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        "CreateAccessKey" => {
            let (k, secret) = dir
                .create_access_key(acct, user_or_caller(p, caller)?)
                .await?;
            shapes::access_key(&mut x, "AccessKey", &k, Some(secret.expose()));
            done(x)
        }
        "ListAccessKeys" => {
            let user = user_or_caller(p, caller)?;
            let page = paginate(dir.list_access_keys(acct, user)?, p)?;
            x.open("AccessKeyMetadata");
            for k in &page.items {
                shapes::access_key(&mut x, "member", k, None);
            }
            x.close("AccessKeyMetadata");
            shapes::truncation(&mut x, page.next_marker.as_deref());
            x.elem("UserName", user);
            done(x)
        }
        "UpdateAccessKey" => {
            let status = parse_key_status(p.required("Status")?)?;
            dir.update_access_key(
                acct,
                user_or_caller(p, caller)?,
                p.required("AccessKeyId")?,
                status,
            )
            .await?;
            empty()
        }
        "DeleteAccessKey" => {
            dir.delete_access_key(acct, user_or_caller(p, caller)?, p.required("AccessKeyId")?)
                .await?;
            empty()
        }
        "CreateGroup" => {
            let g = dir
                .create_group(acct, p.required("GroupName")?, p.get("Path"))
                .await?;
            shapes::group(&mut x, "Group", &g);
            done(x)
        }
        "GetGroup" => {
            let (g, users) = dir.get_group(acct, p.required("GroupName")?)?;
            let page = paginate(users, p)?;
            shapes::group(&mut x, "Group", &g);
            x.open("Users");
            for u in &page.items {
                shapes::user(&mut x, "member", u, false);
            }
            x.close("Users");
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        "ListGroups" => {
            let page = paginate(dir.list_groups(acct, path_prefix(p)?), p)?;
            x.open("Groups");
            for g in &page.items {
                shapes::group(&mut x, "member", g);
            }
            x.close("Groups");
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        "DeleteGroup" => {
            dir.delete_group(acct, p.required("GroupName")?).await?;
            empty()
        }
        "AddUserToGroup" => {
            dir.add_user_to_group(acct, p.required("GroupName")?, p.required("UserName")?)
                .await?;
            empty()
        }
        "RemoveUserFromGroup" => {
            dir.remove_user_from_group(acct, p.required("GroupName")?, p.required("UserName")?)
                .await?;
            empty()
        }
        "ListGroupsForUser" => {
            let page = paginate(dir.list_groups_for_user(acct, p.required("UserName")?)?, p)?;
            x.open("Groups");
            for g in &page.items {
                shapes::group(&mut x, "member", g);
            }
            x.close("Groups");
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        "CreateRole" => {
            if let Some(b) = p.get("PermissionsBoundary") {
                own_policy_arn(caller, b, true)?;
            }
            let input = CreateRoleInput {
                name: p.required("RoleName")?.to_owned(),
                path: p.get("Path").map(str::to_owned),
                trust_policy: p.required("AssumeRolePolicyDocument")?.to_owned(),
                description: p.get("Description").map(str::to_owned),
                max_session_duration: p.int("MaxSessionDuration")?,
                tags: p.tags("Tags"),
                permissions_boundary: p.get("PermissionsBoundary").map(str::to_owned),
            };
            let r = dir.create_role(acct, &input).await?;
            shapes::role(&mut x, "Role", &r, true);
            done(x)
        }
        "GetRole" => {
            let r = dir.get_role(acct, p.required("RoleName")?)?;
            shapes::role(&mut x, "Role", &r, true);
            done(x)
        }
        "ListRoles" => {
            let page = paginate(dir.list_roles(acct, path_prefix(p)?), p)?;
            x.open("Roles");
            for r in &page.items {
                shapes::role(&mut x, "member", r, false);
            }
            x.close("Roles");
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        "UpdateAssumeRolePolicy" => {
            dir.update_assume_role_policy(
                acct,
                p.required("RoleName")?,
                p.required("PolicyDocument")?,
            )
            .await?;
            empty()
        }
        "UpdateRole" => {
            dir.update_role(
                acct,
                p.required("RoleName")?,
                p.get("Description"),
                p.int("MaxSessionDuration")?,
            )
            .await?;
            empty()
        }
        "DeleteRole" => {
            dir.delete_role(acct, p.required("RoleName")?).await?;
            empty()
        }
        "TagRole" => {
            dir.tag_role(acct, p.required("RoleName")?, &p.tags("Tags"))
                .await?;
            empty()
        }
        "UntagRole" => {
            let keys: Vec<String> = p
                .list("TagKeys", "")
                .into_iter()
                .map(str::to_owned)
                .collect();
            dir.untag_role(acct, p.required("RoleName")?, &keys).await?;
            empty()
        }
        "ListRoleTags" => {
            let r = dir.get_role(acct, p.required("RoleName")?)?;
            let page = paginate(r.tags, p)?;
            shapes::tags(&mut x, &page.items);
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        _ => ops_policies::run(dir, caller, action, p).await,
    }
}
