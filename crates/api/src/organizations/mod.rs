//! AWS Organizations over its JSON 1.1 protocol (`X-Amz-Target: AWSOrganizationsV20161128.*`).
//!
//! [`handle`] takes an authenticated caller's account, the operation name (the part of the
//! target after the dot) and the body, and returns the status and JSON body. Errors have the
//! JSON 1.1 form `{"__type": "…Exception", "Message": "…"}` plus `Reason` for
//! `ConstraintViolationException` and `InvalidInputException`. As in AWS, every operation but
//! `DescribeOrganization` (any member) and `CreateOrganization` (an account in no organization)
//! is reserved to the management account (`AccessDeniedException`). Authorization by IAM policy
//! happens before, in the caller, with [`required_action`].

mod authz;
mod shapes;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;

use palisade_organizations::ops::{self, is_account_id, is_ou_id, is_policy_id};
use palisade_organizations::{
    ErrorCode, FeatureSet, OrgData, OrgError, Organizations, PolicyKind, TargetKind,
};
use serde_json::{Value, json};

pub use authz::{Required, required};
use shapes::{Input, all_policies, paged};

/// What [`handle`] returns: the HTTP status and the JSON body
/// (`Content-Type: application/x-amz-json-1.1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The operations implemented, with the IAM action each requires.
const OPERATIONS: &[(&str, &str)] = &[
    ("CreateOrganization", "organizations:CreateOrganization"),
    ("DescribeOrganization", "organizations:DescribeOrganization"),
    ("DeleteOrganization", "organizations:DeleteOrganization"),
    ("CreateAccount", "organizations:CreateAccount"),
    (
        "DescribeCreateAccountStatus",
        "organizations:DescribeCreateAccountStatus",
    ),
    ("DescribeAccount", "organizations:DescribeAccount"),
    ("ListAccounts", "organizations:ListAccounts"),
    (
        "ListAccountsForParent",
        "organizations:ListAccountsForParent",
    ),
    ("ListRoots", "organizations:ListRoots"),
    (
        "RemoveAccountFromOrganization",
        "organizations:RemoveAccountFromOrganization",
    ),
    (
        "CreateOrganizationalUnit",
        "organizations:CreateOrganizationalUnit",
    ),
    (
        "DeleteOrganizationalUnit",
        "organizations:DeleteOrganizationalUnit",
    ),
    (
        "DescribeOrganizationalUnit",
        "organizations:DescribeOrganizationalUnit",
    ),
    (
        "ListOrganizationalUnitsForParent",
        "organizations:ListOrganizationalUnitsForParent",
    ),
    ("ListParents", "organizations:ListParents"),
    ("ListChildren", "organizations:ListChildren"),
    ("MoveAccount", "organizations:MoveAccount"),
    ("EnablePolicyType", "organizations:EnablePolicyType"),
    ("DisablePolicyType", "organizations:DisablePolicyType"),
    ("CreatePolicy", "organizations:CreatePolicy"),
    ("UpdatePolicy", "organizations:UpdatePolicy"),
    ("DeletePolicy", "organizations:DeletePolicy"),
    ("DescribePolicy", "organizations:DescribePolicy"),
    ("ListPolicies", "organizations:ListPolicies"),
    ("AttachPolicy", "organizations:AttachPolicy"),
    ("DetachPolicy", "organizations:DetachPolicy"),
    (
        "ListPoliciesForTarget",
        "organizations:ListPoliciesForTarget",
    ),
    ("ListTargetsForPolicy", "organizations:ListTargetsForPolicy"),
];

/// The IAM action an operation requires, e.g. `organizations:AttachPolicy`; `None` for an
/// operation this server does not implement.
pub fn required_action(op: &str) -> Option<&'static str> {
    OPERATIONS.iter().find(|(o, _)| *o == op).map(|(_, a)| *a)
}

/// Runs one Organizations operation for `caller_account`.
pub async fn handle(
    orgs: &Organizations,
    caller_account: &str,
    op: &str,
    body: &[u8],
) -> OrgResponse {
    if required_action(op).is_none() {
        return raw_error(
            400,
            "UnknownOperationException",
            &format!("Unknown operation {op}"),
        );
    }
    let input = match Input::parse(body) {
        Ok(i) => i,
        Err(m) => return raw_error(400, "SerializationException", &m),
    };
    match dispatch(orgs, caller_account, op, &input).await {
        Ok(v) => OrgResponse {
            status: 200,
            body: v.to_string().into_bytes(),
        },
        Err(e) => error(&e),
    }
}

fn raw_error(status: u16, ty: &str, message: &str) -> OrgResponse {
    OrgResponse {
        status,
        body: json!({"__type": ty, "Message": message})
            .to_string()
            .into_bytes(),
    }
}

/// The JSON 1.1 error body of an [`OrgError`].
fn error(e: &OrgError) -> OrgResponse {
    let mut v = json!({"__type": e.code.name(), "Message": e.message});
    if let (Some(r), Some(obj)) = (e.reason, v.as_object_mut()) {
        obj.insert("Reason".into(), json!(r));
    }
    OrgResponse {
        status: e.code.status(),
        body: v.to_string().into_bytes(),
    }
}

/// Policy types AWS defines that this server does not implement: listings of them are empty.
const OTHER_POLICY_TYPES: &[&str] = &[
    "TAG_POLICY",
    "BACKUP_POLICY",
    "AISERVICES_OPT_OUT_POLICY",
    "CHATBOT_POLICY",
    "DECLARATIVE_POLICY_EC2",
    "SECURITYHUB_POLICY",
];

/// A policy type member: `Ok(None)` for a real AWS type this server does not implement.
fn policy_type(input: &Input, field: &str) -> Result<Option<PolicyKind>, OrgError> {
    let v = input.req(field)?;
    if let Some(k) = PolicyKind::from_wire(v) {
        return Ok(Some(k));
    }
    if OTHER_POLICY_TYPES.contains(&v) {
        return Ok(None);
    }
    Err(OrgError::invalid(
        "INVALID_ENUM",
        format!("You specified an invalid value for {field}."),
    ))
}

/// A policy type this server must implement for the operation to proceed.
fn supported_type(input: &Input, field: &str) -> Result<PolicyKind, OrgError> {
    policy_type(input, field)?.ok_or_else(|| {
        OrgError::invalid(
            "INVALID_ENUM",
            "This server supports only SERVICE_CONTROL_POLICY and RESOURCE_CONTROL_POLICY.",
        )
    })
}

fn pattern(field: &str) -> OrgError {
    OrgError::invalid(
        "INVALID_PATTERN",
        format!("You specified a value for {field} that is not valid."),
    )
}

/// Placeholder name and email of a management account: CreateOrganization carries neither.
fn management_identity(caller: &str) -> (String, String) {
    (caller.to_string(), format!("{caller}@palisade.invalid"))
}

async fn dispatch(
    orgs: &Organizations,
    caller: &str,
    op: &str,
    input: &Input,
) -> Result<Value, OrgError> {
    match op {
        "CreateOrganization" => {
            let fs = match input.opt("FeatureSet")? {
                None | Some("ALL") => FeatureSet::All,
                Some("CONSOLIDATED_BILLING") => FeatureSet::ConsolidatedBilling,
                Some(_) => {
                    return Err(OrgError::invalid(
                        "INVALID_ENUM",
                        "You specified an invalid value for FeatureSet.",
                    ));
                }
            };
            let (name, email) = management_identity(caller);
            let org = orgs.create_organization(caller, &name, &email, fs).await?;
            Ok(json!({"Organization": shapes::organization(&org)}))
        }
        "DescribeOrganization" => {
            let org = orgs.organization(caller)?;
            Ok(json!({"Organization": shapes::organization(&org)}))
        }
        "DeleteOrganization" => {
            orgs.delete_organization(caller).await?;
            Ok(json!({}))
        }
        "CreateAccount" => {
            let email = input.req("Email")?;
            let name = input.req("AccountName")?;
            let s = orgs.create_account(caller, name, email).await?;
            Ok(json!({"CreateAccountStatus": shapes::create_account_status(&s)}))
        }
        "RemoveAccountFromOrganization" => {
            orgs.remove_account(caller, input.req("AccountId")?).await?;
            Ok(json!({}))
        }
        "CreateOrganizationalUnit" => {
            let ou = orgs
                .create_organizational_unit(caller, input.req("ParentId")?, input.req("Name")?)
                .await?;
            let org = orgs.managed_organization(caller)?;
            Ok(json!({"OrganizationalUnit": shapes::ou(&org, &ou)}))
        }
        "DeleteOrganizationalUnit" => {
            let ou = input.req("OrganizationalUnitId")?;
            orgs.delete_organizational_unit(caller, ou).await?;
            Ok(json!({}))
        }
        "MoveAccount" => {
            let a = input.req("AccountId")?;
            let s = input.req("SourceParentId")?;
            let d = input.req("DestinationParentId")?;
            orgs.move_account(caller, a, s, d).await?;
            Ok(json!({}))
        }
        "EnablePolicyType" | "DisablePolicyType" => {
            let root_id = input.req("RootId")?;
            let kind = supported_type(input, "PolicyType")?;
            let root = if op == "EnablePolicyType" {
                orgs.enable_policy_type(caller, root_id, kind).await?
            } else {
                orgs.disable_policy_type(caller, root_id, kind).await?
            };
            let org = orgs.managed_organization(caller)?;
            Ok(json!({"Root": shapes::root(&org, &root)}))
        }
        "CreatePolicy" => {
            let content = input.req("Content")?;
            let description = input.req("Description")?;
            let name = input.req("Name")?;
            let kind = supported_type(input, "Type")?;
            let p = orgs
                .create_policy(caller, name, description, kind, content)
                .await?;
            policy_response(orgs, caller, &p.id)
        }
        "UpdatePolicy" => {
            let id = input.req("PolicyId")?;
            let p = orgs
                .update_policy(
                    caller,
                    id,
                    input.opt("Name")?,
                    input.opt("Description")?,
                    input.opt("Content")?,
                )
                .await?;
            policy_response(orgs, caller, &p.id)
        }
        "DeletePolicy" => {
            orgs.delete_policy(caller, input.req("PolicyId")?).await?;
            Ok(json!({}))
        }
        "AttachPolicy" | "DetachPolicy" => {
            let p = input.req("PolicyId")?;
            let t = input.req("TargetId")?;
            if op == "AttachPolicy" {
                orgs.attach_policy(caller, p, t).await?;
            } else {
                orgs.detach_policy(caller, p, t).await?;
            }
            Ok(json!({}))
        }
        _ => {
            let org = orgs.managed_organization(caller)?;
            read(&org, op, input)
        }
    }
}

fn policy_response(orgs: &Organizations, caller: &str, id: &str) -> Result<Value, OrgError> {
    let org = orgs.managed_organization(caller)?;
    let p = org
        .policy(id)
        .ok_or_else(|| OrgError::service("policy vanished after a change"))?;
    Ok(json!({"Policy": shapes::policy(&org, &p)}))
}

/// The read-only operations, from the in-memory view.
fn read(org: &OrgData, op: &str, input: &Input) -> Result<Value, OrgError> {
    match op {
        "DescribeCreateAccountStatus" => {
            let id = input.req("CreateAccountRequestId")?;
            let ok = id.strip_prefix("car-").is_some_and(|r| {
                (8..=32).contains(&r.len())
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
            if !ok {
                return Err(pattern("CreateAccountRequestId"));
            }
            let s = org
                .create_requests
                .get(id)
                .ok_or_else(|| OrgError::new(ErrorCode::CreateAccountStatusNotFound))?;
            Ok(json!({"CreateAccountStatus": shapes::create_account_status(s)}))
        }
        "DescribeAccount" => {
            let id = input.req("AccountId")?;
            if !is_account_id(id) {
                return Err(pattern("AccountId"));
            }
            let a = org
                .accounts
                .get(id)
                .ok_or_else(|| OrgError::new(ErrorCode::AccountNotFound))?;
            Ok(json!({"Account": shapes::account(org, a)}))
        }
        "ListAccounts" => {
            let page = input.page()?;
            let items = org
                .accounts
                .values()
                .map(|a| shapes::account(org, a))
                .collect();
            Ok(paged("Accounts", items, page))
        }
        "ListAccountsForParent" => {
            let parent = input.req("ParentId")?;
            ops::check_parent(org, parent)?;
            let page = input.page()?;
            let items = org
                .accounts
                .values()
                .filter(|a| a.parent == parent)
                .map(|a| shapes::account(org, a))
                .collect();
            Ok(paged("Accounts", items, page))
        }
        "ListRoots" => {
            let page = input.page()?;
            Ok(paged("Roots", vec![shapes::root(org, &org.root)], page))
        }
        "DescribeOrganizationalUnit" => {
            let id = input.req("OrganizationalUnitId")?;
            if !is_ou_id(id) {
                return Err(pattern("OrganizationalUnitId"));
            }
            let ou = org
                .ous
                .get(id)
                .ok_or_else(|| OrgError::new(ErrorCode::OrganizationalUnitNotFound))?;
            Ok(json!({"OrganizationalUnit": shapes::ou(org, ou)}))
        }
        "ListOrganizationalUnitsForParent" => {
            let parent = input.req("ParentId")?;
            ops::check_parent(org, parent)?;
            let page = input.page()?;
            let items = org
                .ous
                .values()
                .filter(|o| o.parent == parent)
                .map(|o| shapes::ou(org, o))
                .collect();
            Ok(paged("OrganizationalUnits", items, page))
        }
        "ListParents" => {
            let child = input.req("ChildId")?;
            let (id, kind) = ops::parent_of(org, child)?;
            let page = input.page()?;
            let items = vec![json!({"Id": id, "Type": kind.wire_name()})];
            Ok(paged("Parents", items, page))
        }
        "ListChildren" => {
            let parent = input.req("ParentId")?;
            let child_type = input.req("ChildType")?;
            ops::check_parent(org, parent)?;
            let page = input.page()?;
            let items: Vec<Value> = match child_type {
                "ACCOUNT" => org
                    .accounts
                    .values()
                    .filter(|a| a.parent == parent)
                    .map(|a| json!({"Id": a.id, "Type": "ACCOUNT"}))
                    .collect(),
                "ORGANIZATIONAL_UNIT" => org
                    .ous
                    .values()
                    .filter(|o| o.parent == parent)
                    .map(|o| json!({"Id": o.id, "Type": "ORGANIZATIONAL_UNIT"}))
                    .collect(),
                _ => {
                    return Err(OrgError::invalid(
                        "INVALID_ENUM",
                        "You specified an invalid value for ChildType.",
                    ));
                }
            };
            Ok(paged("Children", items, page))
        }
        "DescribePolicy" => {
            let id = input.req("PolicyId")?;
            if !is_policy_id(id) {
                return Err(pattern("PolicyId"));
            }
            let p = org
                .policy(id)
                .ok_or_else(|| OrgError::new(ErrorCode::PolicyNotFound))?;
            Ok(json!({"Policy": shapes::policy(org, &p)}))
        }
        "ListPolicies" => {
            let kind = policy_type(input, "Filter")?;
            let page = input.page()?;
            let items = all_policies(org)
                .iter()
                .filter(|p| Some(p.kind) == kind)
                .map(|p| shapes::policy_summary(org, p))
                .collect();
            Ok(paged("Policies", items, page))
        }
        "ListPoliciesForTarget" => {
            let target = input.req("TargetId")?;
            let kind = policy_type(input, "Filter")?;
            ops::check_target(org, target)?;
            let page = input.page()?;
            let items = org
                .attached(target)
                .into_iter()
                .flatten()
                .filter_map(|id| org.policy(id))
                .filter(|p| Some(p.kind) == kind)
                .map(|p| shapes::policy_summary(org, &p))
                .collect();
            Ok(paged("Policies", items, page))
        }
        "ListTargetsForPolicy" => {
            let id = input.req("PolicyId")?;
            if !is_policy_id(id) {
                return Err(pattern("PolicyId"));
            }
            if org.policy(id).is_none() {
                return Err(ErrorCode::PolicyNotFound.into());
            }
            let page = input.page()?;
            let items = org
                .targets_of(id)
                .iter()
                .map(|t| {
                    json!({
                        "TargetId": t,
                        "Arn": org.target_arn(t).unwrap_or_default(),
                        "Name": org.target_name(t).unwrap_or_default(),
                        "Type": org.target_kind(t).map(TargetKind::wire_name).unwrap_or_default(),
                    })
                })
                .collect();
            Ok(paged("Targets", items, page))
        }
        _ => Err(OrgError::service(format!("operation {op} has no handler"))),
    }
}
