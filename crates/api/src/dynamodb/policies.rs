//! PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy: resource-based policies on
//! tables, checked as AWS checks them before they are stored.

use palisade_engine::Engine;
use palisade_iam::{Policy, PolicyType};
use serde_json::{Value, json};

use super::authz::{Authorizer, Check};
use super::engine_error;
use super::params::{Params, missing};
use super::policy_rules;
use crate::error::ApiError;

/// DynamoDB's limit on a resource policy, whitespace counted.
const MAX_POLICY_BYTES: usize = 20 * 1024;

/// The prefix of DynamoDB's messages for invalid parameters.
const INVALID: &str = "One or more parameter values were invalid: Invalid policy document";

/// Checks a table's resource policy document as DynamoDB does before storing it: its size, the
/// policy grammar, that every action applies to tables, that service principals are ones
/// DynamoDB accepts, and that it grants no public access (Block Public Access).
pub fn validate_policy(text: &str) -> Result<Policy, ApiError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(ApiError::validation(format!(
            "Policy document size exceeds the maximum allowed size of {MAX_POLICY_BYTES} bytes"
        )));
    }
    let policy = Policy::parse(text, PolicyType::Resource).map_err(|e| {
        let details: Vec<String> = e
            .errors
            .iter()
            .map(|f| format!("{} ({})", f.message, f.path))
            .collect();
        ApiError::validation(format!("{INVALID}: {}", details.join("; ")))
    })?;
    let invalid = policy_rules::invalid_actions(&policy);
    if !invalid.is_empty() {
        let quoted: Vec<String> = invalid.iter().map(|a| format!("\"{a}\"")).collect();
        return Err(ApiError::validation(format!(
            "{INVALID}: The following action names are invalid: {}",
            quoted.join(", ")
        )));
    }
    if policy_rules::has_invalid_service_principal(&policy) {
        return Err(ApiError::validation(format!(
            "{INVALID}: Policy contains invalid service principal"
        )));
    }
    if let Some((index, sid)) = policy_rules::public_statement(&policy) {
        let which = sid.map_or_else(
            || format!("statement {}", index + 1),
            |s| format!("statement '{s}'"),
        );
        return Err(ApiError::validation(format!(
            "{INVALID}: The policy grants public access ({which}). Block Public Access is on for every \
             table: name the principals, or restrict them with a condition on a key such as \
             aws:PrincipalAccount, aws:PrincipalOrgID or aws:SourceVpce"
        )));
    }
    Ok(policy)
}

fn check(engine: &Engine, action: &'static str, arn: &str) -> Check {
    let c = Check::new(action, arn);
    match engine.table_by_arn(arn) {
        Ok(t) => c.tags(&t.tags),
        Err(_) => c,
    }
}

pub async fn put_resource_policy(
    engine: &Engine,
    authz: &dyn Authorizer,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let arn = p.req_str("ResourceArn", "resourceArn")?;
    let policy = p.req_str("Policy", "policy")?;
    let expected = p.str("ExpectedRevisionId")?;
    let confirm_lockout = p.bool("ConfirmRemoveSelfResourceAccess")?.unwrap_or(false);
    let put = check(engine, "dynamodb:PutResourcePolicy", arn);
    authz.authorize(std::slice::from_ref(&put))?;
    let parsed = validate_policy(policy)?;
    // A policy that would take away the caller's own right to change it needs confirming.
    if !confirm_lockout
        && !authz
            .allowed_with_resource_policy(&put, &palisade_iam::CompiledPolicy::compile(&parsed))
    {
        return Err(ApiError::validation(format!(
            "{INVALID}: The policy would remove your permission to perform dynamodb:PutResourcePolicy \
             on {arn}; set ConfirmRemoveSelfResourceAccess to true to confirm"
        )));
    }
    let revision = engine
        .put_resource_policy(arn, policy.to_string(), expected)
        .await
        .map_err(engine_error)?;
    Ok(json!({"RevisionId": revision}))
}

pub fn get_resource_policy(
    engine: &Engine,
    authz: &dyn Authorizer,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let arn = p.req_str("ResourceArn", "resourceArn")?;
    authz.authorize(&[check(engine, "dynamodb:GetResourcePolicy", arn)])?;
    let (policy, revision) = engine.get_resource_policy(arn).map_err(engine_error)?;
    Ok(json!({"Policy": policy, "RevisionId": revision}))
}

pub async fn delete_resource_policy(
    engine: &Engine,
    authz: &dyn Authorizer,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let arn = p
        .get("ResourceArn")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("resourceArn"))?;
    let expected = p.str("ExpectedRevisionId")?;
    authz.authorize(&[check(engine, "dynamodb:DeleteResourcePolicy", arn)])?;
    let revision = engine
        .delete_resource_policy(arn, expected)
        .await
        .map_err(engine_error)?;
    Ok(json!({"RevisionId": revision}))
}
