//! The simulator's scenario: one request and every policy that takes part, as JSON, and
//! the decision as JSON (the format is described in docs/policy-simulate.md).

use serde_json::{Map, Value, json};

use crate::compile::CompiledPolicy;
use crate::context::{ContextValue, Principal, RequestContext};
use crate::decision::{Decision, StatementRef};
use crate::eval::OwnedPolicySet;
use crate::model::{Effect, Policy, PolicyType};

/// A scenario that cannot be simulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    /// The scenario is not valid JSON or not an object.
    #[error("the scenario is not a JSON object: {0}")]
    NotAnObject(String),
    /// A required field is missing or has the wrong type.
    #[error("the scenario field \"{field}\" {problem}")]
    Field {
        /// The field's path.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A policy in the scenario is invalid.
    #[error("the policy at \"{field}\" is invalid: {message}")]
    Policy {
        /// The policy's path in the scenario.
        field: String,
        /// The parser's errors.
        message: String,
    },
}

/// A parsed scenario: the request and the compiled policies.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The request.
    pub request: RequestContext,
    /// The policies.
    pub policies: OwnedPolicySet,
}

impl Scenario {
    /// Parses a scenario from JSON text.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| ScenarioError::NotAnObject(e.to_string()))?;
        Scenario::from_json(&v)
    }

    /// Parses a decoded scenario.
    pub fn from_json(v: &Value) -> Result<Scenario, ScenarioError> {
        let Value::Object(o) = v else {
            return Err(ScenarioError::NotAnObject("expected an object".to_owned()));
        };
        let principal_text =
            string(o, "principal")?.ok_or_else(|| field("principal", "is required"))?;
        let mut principal =
            Principal::parse(principal_text).map_err(|e| field("principal", e.to_string()))?;
        if let Some(acct) = string(o, "principal_account")? {
            principal.account = Some(acct.to_owned());
        }
        if let Some(role) = string(o, "principal_role_arn")? {
            principal.role_arn = Some(role.to_owned());
        }
        let action = string(o, "action")?.ok_or_else(|| field("action", "is required"))?;
        let resource = string(o, "resource")?.unwrap_or("*");
        let mut request = RequestContext::new(principal, action, resource);
        if let Some(acct) = string(o, "resource_account")? {
            request.set_resource_account(Some(acct.to_owned()));
        }
        match o.get("context") {
            None | Some(Value::Null) => {}
            Some(Value::Object(keys)) => {
                for (k, v) in keys {
                    request.insert(
                        k,
                        context_value(v).ok_or_else(|| {
                            field(
                                &format!("context.{k}"),
                                "must be a string, number, boolean or a list of them",
                            )
                        })?,
                    );
                }
            }
            Some(_) => return Err(field("context", "must be an object")),
        }
        let mut policies = OwnedPolicySet {
            identity: list(o, "identity_policies", PolicyType::Identity)?,
            permissions_boundary: one(o, "permissions_boundary", PolicyType::Identity)?,
            session_policies: one(o, "session_policy", PolicyType::Identity)?
                .into_iter()
                .collect(),
            resource_policy: one(o, "resource_policy", PolicyType::Resource)?,
            endpoint_policies: list(o, "endpoint_policies", PolicyType::Endpoint)?,
            scps: levels(o, "scps", PolicyType::Scp)?,
            rcps: levels(o, "rcps", PolicyType::Rcp)?,
            ..OwnedPolicySet::default()
        };
        policies.principal_in_management_account = flag(o, "management_account")?;
        policies.resource_in_management_account = flag(o, "resource_in_management_account")?;
        policies.same_organization = flag(o, "same_organization")?;
        Ok(Scenario { request, policies })
    }

    /// Evaluates the scenario and renders the decision as JSON:
    /// `{"decision", "deciding": {"kind", "policy", "sid"} | null, "message", "matched"}`.
    pub fn run(&self) -> Value {
        let (d, matched) = self.policies.as_set().evaluate_traced(&self.request);
        decision_json(&d, &matched, &self.request)
    }
}

/// Renders a decision and its matched statements as JSON.
pub fn decision_json(
    d: &Decision<'_>,
    matched: &[StatementRef<'_>],
    ctx: &RequestContext,
) -> Value {
    let deciding = d.deciding.map(|x| {
        json!({
            "kind": x.kind.name(),
            "policy": x.statement.and_then(|s| s.policy),
            "sid": x.statement.and_then(|s| s.sid),
            "statement": x.statement.map(|s| s.index),
            "level": x.level,
        })
    });
    json!({
        "decision": d.outcome.name(),
        "deciding": deciding,
        "message": d.message(ctx),
        "matched": matched.iter().map(|s| json!({
            "kind": s.kind.name(),
            "policy": s.policy,
            "sid": s.sid,
            "statement": s.index,
            "level": s.level,
            "effect": match s.effect { Effect::Allow => "Allow", Effect::Deny => "Deny" },
        })).collect::<Vec<_>>(),
    })
}

fn field(name: &str, problem: impl Into<String>) -> ScenarioError {
    ScenarioError::Field {
        field: name.to_owned(),
        problem: problem.into(),
    }
}

fn string<'a>(o: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ScenarioError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(field(key, "must be a string")),
    }
}

fn flag(o: &Map<String, Value>, key: &str) -> Result<bool, ScenarioError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(field(key, "must be true or false")),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn context_value(v: &Value) -> Option<ContextValue> {
    match v {
        Value::Array(a) => a
            .iter()
            .map(scalar_text)
            .collect::<Option<Vec<_>>>()
            .map(ContextValue::Multi),
        other => scalar_text(other).map(ContextValue::Single),
    }
}

/// A policy: a document, or `{"label": "<arn or name>", "policy": {document}}`.
fn compile(v: &Value, path: &str, ty: PolicyType) -> Result<CompiledPolicy, ScenarioError> {
    let (doc, label) = match v {
        Value::Object(o) if o.contains_key("policy") && !o.contains_key("Statement") => {
            let label = match o.get("label") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(field(&format!("{path}.label"), "must be a string")),
            };
            (o.get("policy").unwrap_or(&Value::Null), label)
        }
        other => (other, None),
    };
    // Re-serialised compactly so that the size and character limits apply (whitespace of the
    // scenario file is not counted).
    let policy = Policy::parse(&doc.to_string(), ty).map_err(|e| ScenarioError::Policy {
        field: path.to_owned(),
        message: e.to_string(),
    })?;
    let compiled = CompiledPolicy::compile(&policy);
    Ok(match label {
        Some(l) => compiled.with_label(l),
        None => compiled,
    })
}

fn one(
    o: &Map<String, Value>,
    key: &str,
    ty: PolicyType,
) -> Result<Option<CompiledPolicy>, ScenarioError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => compile(v, key, ty).map(Some),
    }
}

fn list(
    o: &Map<String, Value>,
    key: &str,
    ty: PolicyType,
) -> Result<Vec<CompiledPolicy>, ScenarioError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| compile(v, &format!("{key}[{i}]"), ty))
            .collect(),
        Some(_) => Err(field(key, "must be a list of policies")),
    }
}

fn levels(
    o: &Map<String, Value>,
    key: &str,
    ty: PolicyType,
) -> Result<Vec<Vec<CompiledPolicy>>, ScenarioError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(levels)) => levels
            .iter()
            .enumerate()
            .map(|(i, level)| match level {
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(j, v)| compile(v, &format!("{key}[{i}][{j}]"), ty))
                    .collect(),
                _ => Err(field(
                    &format!("{key}[{i}]"),
                    "must be a list of policies (one organization level)",
                )),
            })
            .collect(),
        Some(_) => Err(field(key, "must be a list of levels, root first")),
    }
}
