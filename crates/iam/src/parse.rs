//! JSON text -> typed [`Policy`], with the per-type rules IAM applies when a document is
//! stored. Every problem becomes a [`Finding`](crate::Finding) with its JSON path; a policy is
//! returned only when there is no error.

use serde_json::{Map, Value};

use crate::findings::{Findings, PolicyError};
use crate::model::{
    ActionClause, Condition, ConditionOperator, Effect, Policy, PolicyType, PrincipalClause,
    PrincipalMap, Principals, ResourceClause, Statement, Version,
};

/// The documented size limit of a policy type and whether whitespace counts.
pub(crate) fn size_limit(ty: PolicyType) -> (usize, bool) {
    match ty {
        // Customer managed policy: 6,144 characters, whitespace not counted.
        PolicyType::Identity => (6_144, false),
        // Role trust policy: 2,048 characters by default.
        PolicyType::Trust => (2_048, false),
        // SCP and RCP: 5,120 characters, all characters count.
        PolicyType::Scp | PolicyType::Rcp => (5_120, true),
        // DynamoDB resource policy: 20 KB, whitespace counted.
        PolicyType::Resource => (20_480, true),
        // VPC endpoint policy: 20,480 characters including whitespace.
        PolicyType::Endpoint => (20_480, true),
    }
}

impl Policy {
    /// Parses a document of the given type. Fails with every error found.
    pub fn parse(text: &str, ty: PolicyType) -> Result<Policy, PolicyError> {
        let mut findings = Findings::default();
        match parse_document(text, ty, &mut findings) {
            Some((p, _)) if !findings.has_errors() => Ok(p),
            _ => Err(PolicyError {
                errors: findings.errors().cloned().collect(),
            }),
        }
    }

    /// Parses an already-decoded JSON value (size and character limits are not checked).
    pub fn from_json(value: &Value, ty: PolicyType) -> Result<Policy, PolicyError> {
        let mut findings = Findings::default();
        match parse_value(value, ty, &mut findings) {
            Some((p, _)) if !findings.has_errors() => Ok(p),
            _ => Err(PolicyError {
                errors: findings.errors().cloned().collect(),
            }),
        }
    }
}

/// The JSON path of each statement of a parsed policy.
pub(crate) type StatementPaths = Vec<String>;

/// Parses text, recording every finding; returns the policy (with the valid statements and
/// their paths) if the structure was usable.
pub(crate) fn parse_document(
    text: &str,
    ty: PolicyType,
    f: &mut Findings,
) -> Option<(Policy, StatementPaths)> {
    let (limit, whitespace_counts) = size_limit(ty);
    let size = if whitespace_counts {
        text.chars().count()
    } else {
        text.chars().filter(|c| !c.is_whitespace()).count()
    };
    if size > limit {
        f.error(
            "POLICY_SIZE_EXCEEDED",
            "$",
            format!(
                "the {} policy is {size} characters long; the limit is {limit}{}",
                ty.name(),
                if whitespace_counts {
                    ""
                } else {
                    " (whitespace not counted)"
                }
            ),
        );
    }
    if let Some(c) = text
        .chars()
        .find(|c| !matches!(*c, '\t' | '\n' | '\r' | ' '..='\u{ff}'))
    {
        f.error(
            "INVALID_CHARACTER",
            "$",
            format!(
                "the character U+{:04X} is not allowed in a policy document",
                c as u32
            ),
        );
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            f.error(
                "JSON_SYNTAX",
                "$",
                format!("the document is not valid JSON: {e}"),
            );
            return None;
        }
    };
    parse_value(&value, ty, f)
}

/// Parses a decoded JSON document.
pub(crate) fn parse_value(
    value: &Value,
    ty: PolicyType,
    f: &mut Findings,
) -> Option<(Policy, StatementPaths)> {
    let Value::Object(doc) = value else {
        f.error(
            "JSON_SYNTAX",
            "$",
            "a policy document must be a JSON object",
        );
        return None;
    };
    for key in doc.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            f.error(
                "UNKNOWN_ELEMENT",
                key,
                format!("unknown policy element \"{key}\""),
            );
        }
    }
    let (version, version_given) = match doc.get("Version") {
        None => {
            f.warning(
                "MISSING_VERSION",
                "Version",
                "no Version: IAM treats the policy as 2008-10-17, where policy variables are literal text; use \"2012-10-17\"",
            );
            (Version::V2008_10_17, false)
        }
        Some(Value::String(s)) if s == "2012-10-17" => (Version::V2012_10_17, true),
        Some(Value::String(s)) if s == "2008-10-17" => (Version::V2008_10_17, true),
        Some(other) => {
            f.error(
                "INVALID_VERSION",
                "Version",
                format!("the policy version {other} is not valid; use \"2012-10-17\""),
            );
            (Version::V2012_10_17, true)
        }
    };
    let id = match doc.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            f.error("INVALID_TYPE", "Id", "Id must be a string");
            None
        }
    };
    let raw: Vec<(String, &Map<String, Value>)> = match doc.get("Statement") {
        None => {
            f.error(
                "MISSING_STATEMENT",
                "Statement",
                "the policy has no Statement",
            );
            return None;
        }
        Some(Value::Object(o)) => vec![("Statement".to_owned(), o)],
        Some(Value::Array(a)) => {
            if a.is_empty() {
                f.error(
                    "MISSING_STATEMENT",
                    "Statement",
                    "the Statement array is empty",
                );
            }
            let mut out = Vec::new();
            for (i, s) in a.iter().enumerate() {
                let path = format!("Statement[{i}]");
                match s {
                    Value::Object(o) => out.push((path, o)),
                    _ => f.error("INVALID_TYPE", &path, "a statement must be a JSON object"),
                }
            }
            out
        }
        Some(_) => {
            f.error(
                "INVALID_TYPE",
                "Statement",
                "Statement must be an object or an array",
            );
            return None;
        }
    };
    let mut statements = Vec::with_capacity(raw.len());
    let mut paths = Vec::with_capacity(raw.len());
    let mut sids: Vec<&str> = Vec::new();
    for (path, obj) in &raw {
        if let Some(st) = parse_statement(obj, path, ty, f) {
            statements.push(st);
            paths.push(path.clone());
        }
        if let Some(Value::String(sid)) = obj.get("Sid") {
            if sids.contains(&sid.as_str()) {
                let msg = format!("the Sid \"{sid}\" is used by more than one statement");
                if ty == PolicyType::Identity {
                    f.error("DUPLICATE_SID", &format!("{path}.Sid"), msg);
                } else {
                    f.warning("DUPLICATE_SID", &format!("{path}.Sid"), msg);
                }
            }
            sids.push(sid);
        }
    }
    Some((
        Policy {
            version,
            version_given,
            id,
            statements,
        },
        paths,
    ))
}

fn parse_statement(
    obj: &Map<String, Value>,
    path: &str,
    ty: PolicyType,
    f: &mut Findings,
) -> Option<Statement> {
    let before = f.items.len();
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            f.error(
                "UNKNOWN_ELEMENT",
                &format!("{path}.{key}"),
                format!("unknown statement element \"{key}\""),
            );
        }
    }
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => {
            if matches!(ty, PolicyType::Identity | PolicyType::Scp)
                && !s.chars().all(|c| c.is_ascii_alphanumeric())
            {
                f.error(
                    "INVALID_SID",
                    &format!("{path}.Sid"),
                    "Statement IDs (SID) must be alpha-numeric",
                );
            }
            Some(s.clone())
        }
        Some(_) => {
            f.error(
                "INVALID_TYPE",
                &format!("{path}.Sid"),
                "Sid must be a string",
            );
            None
        }
    };
    let effect = match obj.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Some(Effect::Allow),
        Some(Value::String(s)) if s == "Deny" => Some(Effect::Deny),
        Some(other) => {
            f.error(
                "INVALID_EFFECT",
                &format!("{path}.Effect"),
                format!("Effect must be \"Allow\" or \"Deny\", not {other}"),
            );
            None
        }
        None => {
            f.error(
                "MISSING_EFFECT",
                &format!("{path}.Effect"),
                "the statement has no Effect",
            );
            None
        }
    };
    let principal = parse_principal_clause(obj, path, ty, f);
    let action = match (obj.get("Action"), obj.get("NotAction")) {
        (Some(v), None) => strings(v, &format!("{path}.Action"), f).map(ActionClause::Action),
        (None, Some(v)) => {
            if ty == PolicyType::Rcp {
                f.error(
                    "NOT_ACTION_NOT_ALLOWED",
                    &format!("{path}.NotAction"),
                    "resource control policies do not support NotAction",
                );
            }
            strings(v, &format!("{path}.NotAction"), f).map(ActionClause::NotAction)
        }
        (Some(_), Some(_)) => {
            f.error(
                "ACTION_AND_NOT_ACTION",
                path,
                "a statement cannot have both Action and NotAction",
            );
            None
        }
        (None, None) => {
            f.error(
                "MISSING_ACTION",
                path,
                "the statement has neither Action nor NotAction",
            );
            None
        }
    };
    let resource = match (obj.get("Resource"), obj.get("NotResource")) {
        (Some(v), None) => strings(v, &format!("{path}.Resource"), f).map(ResourceClause::Resource),
        (None, Some(v)) => {
            strings(v, &format!("{path}.NotResource"), f).map(ResourceClause::NotResource)
        }
        (Some(_), Some(_)) => {
            f.error(
                "RESOURCE_AND_NOT_RESOURCE",
                path,
                "a statement cannot have both Resource and NotResource",
            );
            None
        }
        (None, None) => None,
    };
    if ty == PolicyType::Trust {
        if resource.is_some() {
            f.error("PROHIBITED_ELEMENT", path, "Has prohibited field Resource");
        }
    } else if resource.is_none()
        && !obj.contains_key("Resource")
        && !obj.contains_key("NotResource")
    {
        f.error(
            "MISSING_RESOURCE",
            path,
            "the statement has neither Resource nor NotResource",
        );
    }
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(v) => parse_conditions(v, &format!("{path}.Condition"), f),
    };
    if ty == PolicyType::Rcp && effect == Some(Effect::Allow) && !is_full_access(obj) {
        f.error(
            "RCP_ALLOW",
            &format!("{path}.Effect"),
            "resource control policies only support Deny statements (Allow is reserved for RCPFullAWSAccess)",
        );
    }
    if f.items[before..]
        .iter()
        .any(|x| x.severity == crate::Severity::Error)
    {
        return None;
    }
    Some(Statement {
        sid,
        effect: effect?,
        principal,
        action: action?,
        resource: if ty == PolicyType::Trust {
            None
        } else {
            Some(resource?)
        },
        conditions,
    })
}

/// Whether a statement is `Allow * on *` for everyone without conditions (RCPFullAWSAccess).
fn is_full_access(obj: &Map<String, Value>) -> bool {
    let star = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s == "*",
        Some(Value::Array(a)) => a.len() == 1 && a[0] == "*",
        _ => false,
    };
    star(obj.get("Action"))
        && star(obj.get("Resource"))
        && star(obj.get("Principal"))
        && !obj.contains_key("Condition")
}

fn parse_principal_clause(
    obj: &Map<String, Value>,
    path: &str,
    ty: PolicyType,
    f: &mut Findings,
) -> Option<PrincipalClause> {
    let (key, value) = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (None, None) => {
            if ty.requires_principal() {
                f.error(
                    "MISSING_PRINCIPAL",
                    path,
                    format!("a {} policy statement must have a Principal", ty.name()),
                );
            }
            return None;
        }
        (Some(_), Some(_)) => {
            f.error(
                "PRINCIPAL_AND_NOT_PRINCIPAL",
                path,
                "a statement cannot have both Principal and NotPrincipal",
            );
            return None;
        }
        (Some(v), None) => ("Principal", v),
        (None, Some(v)) => ("NotPrincipal", v),
    };
    let p = format!("{path}.{key}");
    if !ty.requires_principal() {
        f.error(
            "PROHIBITED_ELEMENT",
            &p,
            format!(
                "Has prohibited field {key} (a {} policy names no principal)",
                ty.name()
            ),
        );
        return None;
    }
    if key == "NotPrincipal" && matches!(ty, PolicyType::Trust | PolicyType::Rcp) {
        f.error(
            "PROHIBITED_ELEMENT",
            &p,
            format!("a {} policy cannot use NotPrincipal", ty.name()),
        );
        return None;
    }
    let principals = match value {
        Value::String(s) if s == "*" => Principals::Any,
        Value::Object(m) => {
            let mut map = PrincipalMap::default();
            for (k, v) in m {
                let list = match k.as_str() {
                    "AWS" => &mut map.aws,
                    "Service" => &mut map.service,
                    "Federated" => &mut map.federated,
                    "CanonicalUser" => &mut map.canonical_user,
                    _ => {
                        f.error(
                            "INVALID_PRINCIPAL",
                            &format!("{p}.{k}"),
                            format!("unknown principal type \"{k}\""),
                        );
                        continue;
                    }
                };
                if let Some(values) = strings(v, &format!("{p}.{k}"), f) {
                    *list = values;
                }
            }
            if map.aws.is_empty()
                && map.service.is_empty()
                && map.federated.is_empty()
                && map.canonical_user.is_empty()
            {
                f.error("INVALID_PRINCIPAL", &p, "the principal names nobody");
            }
            Principals::Listed(map)
        }
        _ => {
            f.error(
                "INVALID_PRINCIPAL",
                &p,
                "a principal must be \"*\" or an object",
            );
            return None;
        }
    };
    if ty == PolicyType::Rcp && principals != Principals::Any {
        f.error(
            "RCP_PRINCIPAL",
            &p,
            "a resource control policy's Principal must be \"*\"",
        );
    }
    Some(if key == "Principal" {
        PrincipalClause::Principal(principals)
    } else {
        PrincipalClause::NotPrincipal(principals)
    })
}

fn parse_conditions(v: &Value, path: &str, f: &mut Findings) -> Vec<Condition> {
    let Value::Object(ops) = v else {
        f.error("INVALID_TYPE", path, "Condition must be an object");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (op_name, block) in ops {
        let op_path = format!("{path}.{op_name}");
        let Some(operator) = ConditionOperator::parse(op_name) else {
            f.error(
                "UNKNOWN_OPERATOR",
                &op_path,
                format!("\"{op_name}\" is not a condition operator"),
            );
            continue;
        };
        let Value::Object(keys) = block else {
            f.error(
                "INVALID_TYPE",
                &op_path,
                "a condition operator must map keys to values",
            );
            continue;
        };
        if keys.is_empty() {
            f.error(
                "EMPTY_CONDITION",
                &op_path,
                "the condition operator has no keys",
            );
        }
        for (key, vals) in keys {
            let key_path = format!("{op_path}.{key}");
            let values = match vals {
                Value::Array(a) => {
                    if a.is_empty() {
                        f.error("EMPTY_VALUES", &key_path, "the condition key has no values");
                    }
                    a.iter()
                        .enumerate()
                        .filter_map(|(i, x)| scalar(x, &format!("{key_path}[{i}]"), f))
                        .collect()
                }
                other => scalar(other, &key_path, f).into_iter().collect(),
            };
            out.push(Condition {
                operator,
                key: key.clone(),
                values,
            });
        }
    }
    out
}

/// A condition value: strings as is, numbers and booleans as their JSON text.
fn scalar(v: &Value, path: &str, f: &mut Findings) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => {
            f.error(
                "INVALID_TYPE",
                path,
                "a condition value must be a string, number or boolean",
            );
            None
        }
    }
}

/// A string or a non-empty array of strings.
fn strings(v: &Value, path: &str, f: &mut Findings) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => {
            if a.is_empty() {
                f.error("EMPTY_VALUES", path, "the list is empty");
                return None;
            }
            let mut out = Vec::with_capacity(a.len());
            for (i, x) in a.iter().enumerate() {
                match x {
                    Value::String(s) => out.push(s.clone()),
                    _ => {
                        f.error("INVALID_TYPE", &format!("{path}[{i}]"), "expected a string");
                        return None;
                    }
                }
            }
            Some(out)
        }
        _ => {
            f.error(
                "INVALID_TYPE",
                path,
                "expected a string or an array of strings",
            );
            None
        }
    }
}
