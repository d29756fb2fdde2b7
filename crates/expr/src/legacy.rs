//! The legacy parameters, an alternative front end producing the same validated trees as
//! expressions: `Expected`, `QueryFilter` / `ScanFilter`, `KeyConditions`, `AttributesToGet`
//! and `AttributeUpdates`.

use std::collections::BTreeSet;

use palisade_model::AttributeValue;

use crate::ast::{CompareOp, Cond, Operand, Path, UpdateAction, ValueExpr};
use crate::context::Condition;
use crate::error::ExprError;
use crate::key::{KeyCondition, KeySchema, KeyTerm, SortOp, build_key_condition};
use crate::projection::Projection;
use crate::update::Update;

/// One entry of `Expected`, `QueryFilter`, `ScanFilter` or `KeyConditions`, as sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LegacyCondition {
    /// `ComparisonOperator` (`EQ`, `NE`, `LE`, `LT`, `GE`, `GT`, `NOT_NULL`, `NULL`,
    /// `CONTAINS`, `NOT_CONTAINS`, `BEGINS_WITH`, `IN`, `BETWEEN`).
    pub operator: Option<String>,
    /// `AttributeValueList`, when present.
    pub values: Option<Vec<AttributeValue>>,
    /// `Exists` (Expected only).
    pub exists: Option<bool>,
    /// `Value` (Expected only).
    pub value: Option<AttributeValue>,
}

/// The `Action` of an `AttributeUpdates` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyAction {
    Put,
    Add,
    Delete,
}

impl LegacyAction {
    /// Parses `PUT`, `ADD` or `DELETE`.
    pub fn parse(s: &str) -> Option<LegacyAction> {
        match s {
            "PUT" => Some(LegacyAction::Put),
            "ADD" => Some(LegacyAction::Add),
            "DELETE" => Some(LegacyAction::Delete),
            _ => None,
        }
    }
}

/// One entry of `AttributeUpdates`, as sent (`Action` absent means `PUT`).
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyUpdate {
    pub action: Option<LegacyAction>,
    pub value: Option<AttributeValue>,
}

const INVALID: &str = "One or more parameter values were invalid: ";
const FILTER_COUNT: &str =
    "The attempted filter operation is not supported for the provided filter argument count";

fn invalid(msg: impl std::fmt::Display) -> ExprError {
    ExprError::Legacy(format!("{INVALID}{msg}"))
}

/// How many values an operator takes: exact, or at least one.
fn arity(op: &str) -> Option<(usize, bool)> {
    Some(match op {
        "EQ" | "NE" | "LE" | "LT" | "GE" | "GT" | "CONTAINS" | "NOT_CONTAINS" | "BEGINS_WITH" => {
            (1, false)
        }
        "NOT_NULL" | "NULL" => (0, false),
        "IN" => (1, true),
        "BETWEEN" => (2, false),
        _ => return None,
    })
}

fn unknown_operator(op: &str) -> ExprError {
    ExprError::Legacy(format!(
        "1 validation error detected: Value '{op}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
    ))
}

fn scalar(v: &AttributeValue) -> bool {
    v.scalar_type().is_some()
}

/// Checks value types for an operator with the right number of values.
fn check_types(op: &str, values: &[AttributeValue]) -> Result<(), ExprError> {
    let allowed = |v: &AttributeValue| match op {
        "EQ" | "NE" => true,
        "BEGINS_WITH" => matches!(v, AttributeValue::S(_) | AttributeValue::B(_)),
        _ => scalar(v),
    };
    if let Some(bad) = values.iter().find(|v| !allowed(v)) {
        return Err(invalid(format_args!(
            "ComparisonOperator {op} is not valid for {} AttributeValue type",
            bad.type_name()
        )));
    }
    if let [lo, hi] = values
        && op == "BETWEEN"
    {
        if lo.type_name() != hi.type_name() {
            return Err(invalid(
                "AttributeValues inside AttributeValueList must be of same type",
            ));
        }
        if crate::eval::compare_scalars(lo, hi) == Some(std::cmp::Ordering::Greater) {
            return Err(ExprError::Legacy(
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
                    .to_string(),
            ));
        }
    }
    Ok(())
}

/// The condition tree for `attribute op values` (arity and types already checked).
fn operator_cond(name: &str, op: &str, values: Vec<AttributeValue>) -> Cond {
    let path = || Operand::Path(Path::attr(name));
    let mut vals = values.into_iter().map(Operand::Value);
    let mut one = || vals.next().unwrap_or(Operand::Value(AttributeValue::Null));
    let cmp = |c: CompareOp, v: Operand| Cond::Compare(c, path(), v);
    match op {
        "EQ" => cmp(CompareOp::Eq, one()),
        "NE" => cmp(CompareOp::Ne, one()),
        "LE" => cmp(CompareOp::Le, one()),
        "LT" => cmp(CompareOp::Lt, one()),
        "GE" => cmp(CompareOp::Ge, one()),
        "GT" => cmp(CompareOp::Gt, one()),
        "NOT_NULL" => Cond::AttributeExists(Path::attr(name)),
        "NULL" => Cond::AttributeNotExists(Path::attr(name)),
        "CONTAINS" => Cond::Contains(path(), one()),
        "NOT_CONTAINS" => Cond::Not(Box::new(Cond::Contains(path(), one()))),
        "BEGINS_WITH" => Cond::BeginsWith(path(), one()),
        "BETWEEN" => {
            let lo = one();
            let hi = one();
            Cond::Between(path(), lo, hi)
        }
        // IN
        _ => Cond::In(path(), vals.collect()),
    }
}

fn combine(conds: Vec<Cond>, conditional_operator: Option<&str>) -> Result<Cond, ExprError> {
    let or = match conditional_operator {
        None | Some("AND") => false,
        Some("OR") => true,
        Some(other) => {
            return Err(ExprError::Legacy(format!(
                "1 validation error detected: Value '{other}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"
            )));
        }
    };
    let mut it = conds.into_iter();
    let Some(mut acc) = it.next() else {
        return Ok(Cond::True);
    };
    for c in it {
        acc = if or {
            Cond::Or(Box::new(acc), Box::new(c))
        } else {
            Cond::And(Box::new(acc), Box::new(c))
        };
    }
    Ok(acc)
}

/// `Expected` (with `ConditionalOperator`) as a condition.
pub fn expected(
    entries: &[(String, LegacyCondition)],
    conditional_operator: Option<&str>,
) -> Result<Condition, ExprError> {
    let mut conds = Vec::with_capacity(entries.len());
    for (name, c) in entries {
        let cond = if let Some(op) = &c.operator {
            if c.exists.is_some() {
                return Err(invalid(format_args!(
                    "Exists and ComparisonOperator cannot be used together for Attribute: {name}"
                )));
            }
            if c.values.is_some() && c.value.is_some() {
                return Err(invalid(format_args!(
                    "Value and AttributeValueList cannot be used together for Attribute: {name}"
                )));
            }
            let values = match (&c.values, &c.value) {
                (Some(list), _) => list.clone(),
                (None, Some(v)) => vec![v.clone()],
                (None, None) => Vec::new(),
            };
            let (n, at_least) = arity(op).ok_or_else(|| unknown_operator(op))?;
            if values.len() != n && !(at_least && values.len() >= n) {
                return Err(invalid(format_args!(
                    "Invalid number of argument(s) for the {op} ComparisonOperator"
                )));
            }
            check_types(op, &values)?;
            operator_cond(name, op, values)
        } else if c.values.is_some() {
            return Err(invalid(format_args!(
                "AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}"
            )));
        } else {
            match (c.exists, &c.value) {
                (Some(false), None) => Cond::AttributeNotExists(Path::attr(name.as_str())),
                (Some(false), Some(_)) => {
                    return Err(invalid(format_args!(
                        "Value cannot be used when Exists is false for Attribute: {name}"
                    )));
                }
                (exists, None) => {
                    let shown = if exists.is_some() { "true" } else { "null" };
                    return Err(invalid(format_args!(
                        "Value must be provided when Exists is {shown} for Attribute: {name}"
                    )));
                }
                (_, Some(v)) => Cond::Compare(
                    CompareOp::Eq,
                    Operand::Path(Path::attr(name.as_str())),
                    Operand::Value(v.clone()),
                ),
            }
        };
        conds.push(cond);
    }
    Ok(Condition::from_cond(combine(conds, conditional_operator)?))
}

fn operator_values(c: &LegacyCondition) -> Result<(&str, Vec<AttributeValue>), ExprError> {
    let op = c.operator.as_deref().ok_or_else(|| {
        ExprError::Legacy(
            "1 validation error detected: Value null at 'comparisonOperator' failed to satisfy constraint: Member must not be null"
                .to_string(),
        )
    })?;
    let values = c.values.clone().unwrap_or_default();
    let (n, at_least) = arity(op).ok_or_else(|| unknown_operator(op))?;
    if values.len() != n && !(at_least && values.len() >= n) {
        return Err(ExprError::Legacy(FILTER_COUNT.to_string()));
    }
    Ok((op, values))
}

/// `QueryFilter` or `ScanFilter` (with `ConditionalOperator`) as a condition.
pub fn filter(
    entries: &[(String, LegacyCondition)],
    conditional_operator: Option<&str>,
) -> Result<Condition, ExprError> {
    let mut conds = Vec::with_capacity(entries.len());
    for (name, c) in entries {
        let (op, values) = operator_values(c)?;
        check_types(op, &values)?;
        conds.push(operator_cond(name, op, values));
    }
    Ok(Condition::from_cond(combine(conds, conditional_operator)?))
}

/// `KeyConditions` of Query, checked against the key schema.
pub fn key_conditions(
    entries: &[(String, LegacyCondition)],
    schema: &KeySchema,
) -> Result<KeyCondition, ExprError> {
    let mut terms = Vec::with_capacity(entries.len());
    for (_, c) in entries {
        operator_values(c)?;
    }
    let most = schema.partition.len() + schema.sort.len().max(1);
    if entries.is_empty() || entries.len() > most {
        return Err(ExprError::Legacy(if most == 2 {
            "Conditions can be of length 1 or 2 only".to_string()
        } else {
            format!("Conditions can be of length 1 to {most} only")
        }));
    }
    for (name, c) in entries {
        let (op, mut values) = operator_values(c)?;
        check_types(op, &values)?;
        let mut one = || values.pop().unwrap_or(AttributeValue::Null);
        let op = match op {
            "EQ" => SortOp::Eq(one()),
            "LE" => SortOp::Le(one()),
            "LT" => SortOp::Lt(one()),
            "GE" => SortOp::Ge(one()),
            "GT" => SortOp::Gt(one()),
            "BEGINS_WITH" => SortOp::BeginsWith(one()),
            "BETWEEN" => {
                let hi = one();
                let lo = one();
                SortOp::Between(lo, hi)
            }
            _ => {
                return Err(ExprError::Legacy(
                    "Attempted conditional constraint is not an indexable operation".to_string(),
                ));
            }
        };
        terms.push(KeyTerm {
            path: Path::attr(name.as_str()),
            op,
        });
    }
    build_key_condition(terms, schema)
}

/// `AttributesToGet` as a projection.
pub fn attributes_to_get(names: &[String]) -> Result<Projection, ExprError> {
    let mut seen = BTreeSet::new();
    for n in names {
        if !seen.insert(n.as_str()) {
            return Err(invalid(format_args!(
                "Duplicate value in attribute name: {n}"
            )));
        }
    }
    Ok(Projection::from_paths(
        names.iter().map(|n| Path::attr(n.as_str())).collect(),
    ))
}

/// `AttributeUpdates` as an update.
pub fn attribute_updates(entries: &[(String, LegacyUpdate)]) -> Result<Update, ExprError> {
    let mut actions = Vec::with_capacity(entries.len());
    for (name, u) in entries {
        let path = Path::attr(name.as_str());
        let action = match (u.action.unwrap_or(LegacyAction::Put), &u.value) {
            (LegacyAction::Delete, None) => UpdateAction::Remove(path),
            (LegacyAction::Put | LegacyAction::Add, None) => {
                return Err(invalid(
                    "Only DELETE action is allowed when no attribute value is specified",
                ));
            }
            (LegacyAction::Put, Some(v)) => UpdateAction::Set(path, ValueExpr::Value(v.clone())),
            (LegacyAction::Add, Some(v)) => match v {
                AttributeValue::N(_)
                | AttributeValue::Ss(_)
                | AttributeValue::Ns(_)
                | AttributeValue::Bs(_)
                | AttributeValue::L(_) => UpdateAction::Add(path, v.clone()),
                other => {
                    return Err(invalid(format_args!(
                        "ADD action is not supported for the type {}",
                        other.type_name()
                    )));
                }
            },
            (LegacyAction::Delete, Some(v)) => match v {
                AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => {
                    UpdateAction::Delete(path, v.clone())
                }
                other => {
                    return Err(invalid(format_args!(
                        "DELETE action with value is not supported for the type {}",
                        other.type_name()
                    )));
                }
            },
        };
        actions.push(action);
    }
    Ok(Update::from_actions(actions, true))
}
