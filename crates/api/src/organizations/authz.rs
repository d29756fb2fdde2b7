//! What each Organizations operation asks the IAM engine for: its action, the ARNs of the
//! resources it names and the `organizations:PolicyType` condition key, as the Service
//! Authorization Reference defines them for AWS Organizations.
//!
//! Operations AWS defines without a resource type (CreateOrganization, DescribeOrganization,
//! ListAccounts, ListRoots, ListPolicies, CreateAccount, CreatePolicy, ...) are authorized on
//! `*`. The others name the organization's real ARNs: `root/o-…/r-…`, `ou/o-…/ou-…`,
//! `account/o-…/ID` and `policy/o-…/service_control_policy/p-…` under the management
//! account, and `arn:aws:organizations::aws:policy/…/p-FullAWSAccess` for AWS-managed
//! policies. An id that names nothing yet gets the ARN its form implies (so a narrow policy
//! still decides), or `*` when the form does not tell (an unknown policy id).

use palisade_iam::ContextValue;
use palisade_organizations::ops::{is_account_id, is_ou_id};
use palisade_organizations::{OrgData, Organizations};

use super::required_action;
use super::shapes::Input;

/// One authorization an Organizations call needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    /// `organizations:AttachPolicy`, ...
    pub action: &'static str,
    /// The resource ARN, or `*` for operations without a resource type.
    pub resource: String,
    /// `organizations:PolicyType` where AWS defines it for the action.
    pub context: Vec<(String, ContextValue)>,
}

/// Which members of the request name a resource, in the order they are authorized.
enum Names {
    /// No resource type: `*`.
    Nothing,
    /// `PolicyId`, then the target (AttachPolicy, DetachPolicy).
    PolicyAndTarget,
    /// One policy (`PolicyId`).
    Policy,
    /// The root of `RootId` (EnablePolicyType, DisablePolicyType).
    Root,
    /// Members that each hold a root, OU or account id.
    Targets(&'static [&'static str]),
}

fn names(op: &str) -> Names {
    match op {
        "AttachPolicy" | "DetachPolicy" => Names::PolicyAndTarget,
        "DescribePolicy" | "UpdatePolicy" | "DeletePolicy" | "ListTargetsForPolicy" => {
            Names::Policy
        }
        "EnablePolicyType" | "DisablePolicyType" => Names::Root,
        "DescribeAccount" | "RemoveAccountFromOrganization" => Names::Targets(&["AccountId"]),
        "DescribeOrganizationalUnit" | "DeleteOrganizationalUnit" => {
            Names::Targets(&["OrganizationalUnitId"])
        }
        "CreateOrganizationalUnit"
        | "ListAccountsForParent"
        | "ListChildren"
        | "ListOrganizationalUnitsForParent" => Names::Targets(&["ParentId"]),
        "ListParents" => Names::Targets(&["ChildId"]),
        "ListPoliciesForTarget" => Names::Targets(&["TargetId"]),
        "MoveAccount" => Names::Targets(&["AccountId", "SourceParentId", "DestinationParentId"]),
        _ => Names::Nothing,
    }
}

/// Whether AWS defines `organizations:PolicyType` for the operation.
fn has_policy_type_key(op: &str) -> bool {
    matches!(
        op,
        "AttachPolicy"
            | "DetachPolicy"
            | "CreatePolicy"
            | "UpdatePolicy"
            | "DeletePolicy"
            | "DescribePolicy"
            | "ListPolicies"
            | "ListPoliciesForTarget"
            | "ListTargetsForPolicy"
            | "EnablePolicyType"
            | "DisablePolicyType"
    )
}

/// The ARN of a root, OU or account id, existing or not (`None` when the id has no such form).
fn target_arn(org: &OrgData, id: &str) -> Option<String> {
    if let Some(arn) = org.target_arn(id) {
        return Some(arn);
    }
    if is_ou_id(id) {
        Some(org.ou_arn(id))
    } else if is_account_id(id) {
        Some(org.account_arn(id))
    } else if id.starts_with("r-") {
        Some(format!(
            "arn:aws:organizations::{}:root/{}/{id}",
            org.management_account, org.id
        ))
    } else {
        None
    }
}

/// The authorizations the operation `op` with request `body` needs from `caller_account`, in
/// order; empty for an operation this server does not implement.
pub fn required(
    orgs: &Organizations,
    caller_account: &str,
    op: &str,
    body: &[u8],
) -> Vec<Required> {
    let Some(action) = required_action(op) else {
        return Vec::new();
    };
    let input = Input::parse(body).ok();
    let member = |name: &str| {
        input
            .as_ref()
            .and_then(|i| i.opt(name).ok().flatten())
            .map(str::to_owned)
    };
    let org = orgs.organization(caller_account).ok();
    let policy = member("PolicyId").and_then(|id| {
        let org = org.as_ref()?;
        let p = org.policy(&id)?;
        Some((org.policy_arn(&p), p.kind.wire_name().to_owned()))
    });
    let target = |id: Option<String>| -> String {
        id.zip(org.as_ref())
            .and_then(|(id, org)| target_arn(org, &id))
            .unwrap_or_else(|| "*".to_owned())
    };
    let mut resources: Vec<String> = match names(op) {
        Names::Nothing => vec!["*".to_owned()],
        Names::Policy => vec![policy.as_ref().map_or("*".to_owned(), |p| p.0.clone())],
        Names::PolicyAndTarget => vec![
            policy.as_ref().map_or("*".to_owned(), |p| p.0.clone()),
            target(member("TargetId")),
        ],
        Names::Root => vec![target(member("RootId"))],
        Names::Targets(members) => members.iter().map(|m| target(member(m))).collect(),
    };
    resources.dedup();
    let mut context = Vec::new();
    if has_policy_type_key(op) {
        let kind = policy
            .map(|p| p.1)
            .or_else(|| member("Type"))
            .or_else(|| member("PolicyType"))
            .or_else(|| member("Filter"));
        if let Some(kind) = kind {
            context.push(("organizations:PolicyType".to_owned(), kind.into()));
        }
    }
    resources
        .into_iter()
        .map(|resource| Required {
            action,
            resource,
            context: context.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;
    use crate::organizations::tests::{DENY, MGMT, ok, org_with_scps, orgs};

    fn ask(orgs: &Organizations, op: &str, body: serde_json::Value) -> Vec<(String, String)> {
        required(orgs, MGMT, op, body.to_string().as_bytes())
            .into_iter()
            .map(|r| {
                let kind = r
                    .context
                    .iter()
                    .map(|(k, v)| format!("{k}={v:?}"))
                    .collect::<Vec<_>>()
                    .join(",");
                (r.resource, kind)
            })
            .collect()
    }

    #[tokio::test]
    async fn operations_name_the_organizations_arns() {
        let o = orgs();
        // Before the organization exists, everything is `*`.
        assert_eq!(
            ask(
                &o,
                "DescribeOrganizationalUnit",
                json!({"OrganizationalUnitId": "ou-ab12-cdefgh34"})
            ),
            vec![("*".to_owned(), String::new())]
        );
        let (org, root) = org_with_scps(&o).await;
        let v = ok(
            &o,
            "CreateOrganizationalUnit",
            json!({"ParentId": root, "Name": "a"}),
        )
        .await;
        let ou = v["OrganizationalUnit"]["Id"].as_str().unwrap().to_owned();
        let v = ok(
            &o,
            "CreatePolicy",
            json!({"Name": "n", "Description": "d", "Type": "SERVICE_CONTROL_POLICY", "Content": DENY}),
        )
        .await;
        let p = v["Policy"]["PolicySummary"]["Id"]
            .as_str()
            .unwrap()
            .to_owned();
        let base = format!("arn:aws:organizations::{MGMT}");
        let scp = r#"organizations:PolicyType=Single("SERVICE_CONTROL_POLICY")"#.to_owned();
        assert_eq!(
            ask(&o, "AttachPolicy", json!({"PolicyId": p, "TargetId": ou})),
            vec![
                (
                    format!("{base}:policy/{org}/service_control_policy/{p}"),
                    scp.clone()
                ),
                (format!("{base}:ou/{org}/{ou}"), scp.clone()),
            ]
        );
        assert_eq!(
            ask(
                &o,
                "DetachPolicy",
                json!({"PolicyId": "p-FullAWSAccess", "TargetId": root})
            ),
            vec![
                (
                    "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
                        .to_owned(),
                    scp.clone()
                ),
                (format!("{base}:root/{org}/{root}"), scp.clone()),
            ]
        );
        assert_eq!(
            ask(&o, "DescribeAccount", json!({"AccountId": MGMT})),
            vec![(format!("{base}:account/{org}/{MGMT}"), String::new())]
        );
        assert_eq!(
            ask(
                &o,
                "ListPolicies",
                json!({"Filter": "RESOURCE_CONTROL_POLICY"})
            ),
            vec![(
                "*".to_owned(),
                r#"organizations:PolicyType=Single("RESOURCE_CONTROL_POLICY")"#.to_owned()
            )]
        );
        assert_eq!(
            ask(&o, "DescribeOrganization", json!({})),
            vec![("*".to_owned(), String::new())]
        );
        // An OU id that names nothing yet still has its ARN; an unknown policy id has none.
        assert_eq!(
            ask(
                &o,
                "DeleteOrganizationalUnit",
                json!({"OrganizationalUnitId": "ou-zz99-zzzzzz99"})
            ),
            vec![(format!("{base}:ou/{org}/ou-zz99-zzzzzz99"), String::new())]
        );
        assert_eq!(
            ask(&o, "DescribePolicy", json!({"PolicyId": "p-unknown1"})),
            vec![("*".to_owned(), String::new())]
        );
        assert_eq!(
            ask(
                &o,
                "MoveAccount",
                json!({"AccountId": MGMT, "SourceParentId": root, "DestinationParentId": ou})
            ),
            vec![
                (format!("{base}:account/{org}/{MGMT}"), String::new()),
                (format!("{base}:root/{org}/{root}"), String::new()),
                (format!("{base}:ou/{org}/{ou}"), String::new()),
            ]
        );
        assert!(ask(&o, "NoSuchOperation", json!({})).is_empty());
    }
}
