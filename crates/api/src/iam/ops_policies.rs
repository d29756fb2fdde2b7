//! IAM operations on inline and managed policies, attachments, permissions boundaries and
//! the policy simulator.

use palisade_directory::{Caller, Directory, EntityRef, PolicyOwner};
use palisade_iam::{
    CompiledPolicy, Outcome, PolicySet, PolicyType, Principal, PrincipalType, RequestContext,
};

use super::form::{Params, paginate};
use super::shapes;
use super::xml::url_encode;
use super::{QueryError, own_policy_arn, path_prefix};
use crate::query::Xml;

type Out = Result<Option<String>, QueryError>;

fn done(x: Xml) -> Out {
    Ok(Some(x.finish()))
}

fn empty() -> Out {
    Ok(Some(String::new()))
}

/// (owner kind, entity parameter name, entity element name) of an action naming one.
fn owner_of(action: &str) -> Option<(PolicyOwner, &'static str)> {
    if action.contains("User") {
        Some((PolicyOwner::User, "UserName"))
    } else if action.contains("Group") {
        Some((PolicyOwner::Group, "GroupName"))
    } else if action.contains("Role") {
        Some((PolicyOwner::Role, "RoleName"))
    } else {
        None
    }
}

pub(crate) async fn run(dir: &Directory, caller: &Caller, action: &str, p: &Params<'_>) -> Out {
    let acct = caller.account.as_str();
    let mut x = Xml::new();
    let entity = || -> Result<(PolicyOwner, &'static str, &str), QueryError> {
        let (owner, param) =
            owner_of(action).ok_or_else(|| QueryError::validation("unreachable"))?;
        Ok((owner, param, p.required(param)?))
    };
    match action {
        "PutUserPolicy" | "PutGroupPolicy" | "PutRolePolicy" => {
            let (owner, _, name) = entity()?;
            dir.put_inline_policy(
                owner,
                acct,
                name,
                p.required("PolicyName")?,
                p.required("PolicyDocument")?,
            )
            .await?;
            empty()
        }
        "GetUserPolicy" | "GetGroupPolicy" | "GetRolePolicy" => {
            let (owner, param, name) = entity()?;
            let pol = dir.get_inline_policy(owner, acct, name, p.required("PolicyName")?)?;
            let canonical = match owner {
                PolicyOwner::User => dir.get_user(acct, name)?.name,
                PolicyOwner::Group => dir.get_group(acct, name)?.0.name,
                PolicyOwner::Role => dir.get_role(acct, name)?.name,
            };
            x.elem(param, &canonical)
                .elem("PolicyName", &pol.name)
                .elem("PolicyDocument", &url_encode(&pol.document));
            done(x)
        }
        "DeleteUserPolicy" | "DeleteGroupPolicy" | "DeleteRolePolicy" => {
            let (owner, _, name) = entity()?;
            dir.delete_inline_policy(owner, acct, name, p.required("PolicyName")?)
                .await?;
            empty()
        }
        "ListUserPolicies" | "ListGroupPolicies" | "ListRolePolicies" => {
            let (owner, _, name) = entity()?;
            let page = paginate(dir.list_inline_policies(owner, acct, name)?, p)?;
            x.open("PolicyNames");
            for n in &page.items {
                x.elem("member", n);
            }
            x.close("PolicyNames");
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        "CreatePolicy" => {
            let pol = dir
                .create_policy(
                    acct,
                    p.required("PolicyName")?,
                    p.get("Path"),
                    p.required("PolicyDocument")?,
                    p.get("Description"),
                )
                .await?;
            shapes::policy(&mut x, "Policy", &pol, 0, 0);
            done(x)
        }
        "GetPolicy" => {
            let arn = p.required("PolicyArn")?;
            own_policy_arn(caller, arn, false)?;
            let (pol, a, b) = dir.get_policy(arn)?;
            shapes::policy(&mut x, "Policy", &pol, a, b);
            done(x)
        }
        "ListPolicies" => {
            let scope = p.get("Scope").unwrap_or("All");
            if !matches!(scope, "All" | "AWS" | "Local") {
                return Err(QueryError::validation(format!(
                    "1 validation error detected: Value '{scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
                )));
            }
            let only = p.bool("OnlyAttached")?.unwrap_or(false);
            let all = dir.list_policies(acct, scope, only, path_prefix(p)?);
            let page = paginate(all, p)?;
            x.open("Policies");
            for (pol, a, b) in &page.items {
                shapes::policy(&mut x, "member", pol, *a, *b);
            }
            x.close("Policies");
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        "DeletePolicy" => {
            let arn = p.required("PolicyArn")?;
            own_policy_arn(caller, arn, false)?;
            dir.delete_policy(arn).await?;
            empty()
        }
        "CreatePolicyVersion" => {
            let arn = p.required("PolicyArn")?;
            own_policy_arn(caller, arn, false)?;
            let default = p.bool("SetAsDefault")?.unwrap_or(false);
            let v = dir
                .create_policy_version(arn, p.required("PolicyDocument")?, default)
                .await?;
            shapes::version(&mut x, "PolicyVersion", &v, default, false);
            done(x)
        }
        "GetPolicyVersion" => {
            let arn = p.required("PolicyArn")?;
            own_policy_arn(caller, arn, false)?;
            let (v, d) = dir.get_policy_version(arn, p.required("VersionId")?)?;
            shapes::version(&mut x, "PolicyVersion", &v, d, true);
            done(x)
        }
        "ListPolicyVersions" => {
            let arn = p.required("PolicyArn")?;
            own_policy_arn(caller, arn, false)?;
            let page = paginate(dir.list_policy_versions(arn)?, p)?;
            x.open("Versions");
            for (v, d) in &page.items {
                shapes::version(&mut x, "member", v, *d, false);
            }
            x.close("Versions");
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        "DeletePolicyVersion" => {
            let arn = p.required("PolicyArn")?;
            own_policy_arn(caller, arn, false)?;
            dir.delete_policy_version(arn, p.required("VersionId")?)
                .await?;
            empty()
        }
        "SetDefaultPolicyVersion" => {
            let arn = p.required("PolicyArn")?;
            own_policy_arn(caller, arn, false)?;
            dir.set_default_policy_version(arn, p.required("VersionId")?)
                .await?;
            empty()
        }
        "AttachUserPolicy" | "AttachGroupPolicy" | "AttachRolePolicy" => {
            let (owner, _, name) = entity()?;
            let arn = p.required("PolicyArn")?;
            own_policy_arn(caller, arn, true)?;
            dir.attach_policy(owner, acct, name, arn).await?;
            empty()
        }
        "DetachUserPolicy" | "DetachGroupPolicy" | "DetachRolePolicy" => {
            let (owner, _, name) = entity()?;
            let arn = p.required("PolicyArn")?;
            dir.detach_policy(owner, acct, name, arn).await?;
            empty()
        }
        "ListAttachedUserPolicies" | "ListAttachedGroupPolicies" | "ListAttachedRolePolicies" => {
            let (owner, _, name) = entity()?;
            let all = dir.list_attached_policies(owner, acct, name, path_prefix(p)?)?;
            let page = paginate(all, p)?;
            x.open("AttachedPolicies");
            for a in &page.items {
                x.open("member")
                    .elem("PolicyName", &a.name)
                    .elem("PolicyArn", &a.arn)
                    .close("member");
            }
            x.close("AttachedPolicies");
            shapes::truncation(&mut x, page.next_marker.as_deref());
            done(x)
        }
        "PutUserPermissionsBoundary" | "PutRolePermissionsBoundary" => {
            let (owner, _, name) = entity()?;
            let arn = p.required("PermissionsBoundary")?;
            own_policy_arn(caller, arn, true)?;
            dir.put_permissions_boundary(owner, acct, name, arn).await?;
            empty()
        }
        "DeleteUserPermissionsBoundary" | "DeleteRolePermissionsBoundary" => {
            let (owner, _, name) = entity()?;
            dir.delete_permissions_boundary(owner, acct, name).await?;
            empty()
        }
        "SimulatePrincipalPolicy" | "SimulateCustomPolicy" => simulate(dir, caller, action, p),
        _ => Ok(None),
    }
}

fn parse_inputs(p: &Params<'_>, name: &str) -> Result<Vec<CompiledPolicy>, QueryError> {
    p.list(name, "")
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            CompiledPolicy::parse(text, PolicyType::Identity)
                .map(|c| c.with_label(format!("{name}.{}", i + 1)))
                .map_err(|e| QueryError::new("MalformedPolicyDocument", 400, e.to_string()))
        })
        .collect()
}

/// SimulatePrincipalPolicy (a user or role's policies plus `PolicyInputList`) and
/// SimulateCustomPolicy (`PolicyInputList` only), evaluated with the policy engine.
fn simulate(dir: &Directory, caller: &Caller, action: &str, p: &Params<'_>) -> Out {
    let acct = caller.account.as_str();
    let mut identity = parse_inputs(p, "PolicyInputList")?;
    let mut boundary = parse_inputs(p, "PermissionsBoundaryPolicyInputList")?;
    let principal = if action == "SimulatePrincipalPolicy" {
        let src = p.required("PolicySourceArn")?;
        let principal = Principal::parse(src)
            .map_err(|_| QueryError::new("InvalidInput", 400, format!("Invalid ARN: {src}")))?;
        let name = src.rsplit('/').next().unwrap_or_default().to_owned();
        let entity = match principal.kind {
            PrincipalType::User => EntityRef::User {
                account: acct.to_owned(),
                name: dir.get_user(acct, &name)?.name,
            },
            PrincipalType::Role => EntityRef::Role {
                account: acct.to_owned(),
                name: dir.get_role(acct, &name)?.name,
            },
            _ => {
                return Err(QueryError::new(
                    "InvalidInput",
                    400,
                    format!("Invalid ARN: {src}. Only user and role ARNs can be simulated."),
                ));
            }
        };
        let pols = dir.principal_policies(&entity);
        identity.extend(pols.identity.iter().cloned());
        if boundary.is_empty()
            && let Some(b) = &pols.boundary
        {
            boundary.push(b.clone());
        }
        principal
    } else {
        match p.get("CallerArn") {
            Some(a) => Principal::parse(a)
                .map_err(|_| QueryError::new("InvalidInput", 400, format!("Invalid ARN: {a}")))?,
            None => caller.iam_principal(),
        }
    };
    let actions = p.list("ActionNames", "");
    if actions.is_empty() {
        return Err(QueryError::validation(
            "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
        ));
    }
    let mut resources = p.list("ResourceArns", "");
    if resources.is_empty() {
        resources.push("*");
    }
    let set = PolicySet {
        identity: &identity,
        permissions_boundary: boundary.first(),
        ..PolicySet::default()
    };
    let mut x = Xml::new();
    x.open("EvaluationResults");
    for a in &actions {
        for r in &resources {
            let mut ctx = RequestContext::new(principal.clone(), a, r);
            add_context(&mut ctx, p);
            let (d, trace) = set.evaluate_traced(&ctx);
            let decision = match d.outcome {
                Outcome::Allow => "allowed",
                Outcome::ExplicitDeny => "explicitDeny",
                Outcome::ImplicitDeny => "implicitDeny",
            };
            x.open("member")
                .elem("EvalActionName", a)
                .elem("EvalResourceName", r)
                .elem("EvalDecision", decision)
                .open("MatchedStatements");
            for s in trace.iter().filter(|s| match d.outcome {
                Outcome::Allow => s.effect == palisade_iam::Effect::Allow,
                Outcome::ExplicitDeny => s.effect == palisade_iam::Effect::Deny,
                Outcome::ImplicitDeny => false,
            }) {
                x.open("member")
                    .elem("SourcePolicyId", s.policy.unwrap_or(""))
                    .elem(
                        "SourcePolicyType",
                        match s.kind {
                            palisade_iam::PolicyKind::PermissionsBoundary => {
                                "PermissionsBoundaryPolicy"
                            }
                            _ => "IAM Policy",
                        },
                    )
                    .close("member");
            }
            x.close("MatchedStatements")
                .open("MissingContextValues")
                .close("MissingContextValues")
                .close("member");
        }
    }
    x.close("EvaluationResults");
    shapes::truncation(&mut x, None);
    done(x)
}

/// `ContextEntries.member.N.ContextKeyName` / `.ContextKeyValues.member.M`.
fn add_context(ctx: &mut RequestContext, p: &Params<'_>) {
    for i in 1.. {
        let base = format!("ContextEntries.member.{i}");
        let Some(key) = p.get(&format!("{base}.ContextKeyName")) else {
            break;
        };
        let values: Vec<String> = p
            .list(&format!("{base}.ContextKeyValues"), "")
            .into_iter()
            .map(str::to_owned)
            .collect();
        let is_list = p
            .get(&format!("{base}.ContextKeyType"))
            .is_some_and(|t| t.ends_with("List"));
        match (is_list, values.len()) {
            (false, 1) => ctx.insert(key, values[0].clone()),
            _ => ctx.insert(key, values),
        }
    }
}
