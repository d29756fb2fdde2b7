//! Expressions and their legacy equivalents, parsed once per request and handed to the engine
//! as closures.

use std::collections::HashMap;
use std::sync::Arc;

use palisade_engine::{Condition, Projector, Updater};
use palisade_expr::{
    ExprContext, ExprError, ExprKind, LegacyAction, LegacyCondition, LegacyUpdate,
    attribute_updates, attributes_to_get, expected, filter,
};
use palisade_model::{AttributeValue, attribute_value_from_json};
use serde_json::Value;

use super::params::{Params, value_error, wrong_type};
use crate::error::ApiError;

pub fn expr_error(e: ExprError) -> ApiError {
    ApiError::validation(e.to_string())
}

/// The placeholder maps of a request.
pub struct Placeholders {
    pub names: Option<HashMap<String, String>>,
    pub values: Option<HashMap<String, AttributeValue>>,
}

impl Placeholders {
    pub fn read(p: &Params<'_>) -> Result<Placeholders, ApiError> {
        let names = p.names()?;
        let values = p.values()?;
        let expressions = [
            "ConditionExpression",
            "UpdateExpression",
            "ProjectionExpression",
            "FilterExpression",
            "KeyConditionExpression",
        ];
        // Most requests give neither map: then there is nothing to check.
        let maps_given = names.is_some() || values.is_some();
        if maps_given && !expressions.iter().any(|e| p.get(e).is_some()) {
            for (map, given) in [
                ("ExpressionAttributeNames", names.is_some()),
                ("ExpressionAttributeValues", values.is_some()),
            ] {
                if given {
                    return Err(ApiError::validation(format!(
                        "{map} can only be specified when using expressions"
                    )));
                }
            }
        }
        Ok(Placeholders { names, values })
    }

    /// A parsing context over these maps, after DynamoDB's checks of the maps themselves.
    pub fn context(&self) -> Result<ExprContext<'_>, ApiError> {
        let ctx = ExprContext::new(self.names.as_ref(), self.values.as_ref());
        ctx.check_maps().map_err(expr_error)?;
        Ok(ctx)
    }
}

/// Reads a legacy condition map (`Expected`, `QueryFilter`, `ScanFilter`, `KeyConditions`).
pub fn legacy_conditions(
    p: &Params<'_>,
    name: &str,
) -> Result<Option<Vec<(String, LegacyCondition)>>, ApiError> {
    let Some(map) = p.map(name)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (attr, v) in map {
        let c = Params::new(v)?;
        let values = match c.list("AttributeValueList")? {
            Some(list) => Some(
                list.iter()
                    .map(|v| attribute_value_from_json(v).map_err(value_error))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        let value = match c.get("Value") {
            Some(v) => Some(attribute_value_from_json(v).map_err(value_error)?),
            None => None,
        };
        out.push((
            attr.clone(),
            LegacyCondition {
                operator: c.str("ComparisonOperator")?.map(str::to_string),
                values,
                exists: c.bool("Exists")?,
                value,
            },
        ));
    }
    Ok(Some(out))
}

fn mixed(legacy: &str, expr: &str) -> ApiError {
    ApiError::validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{legacy}}} Expression parameters: {{{expr}}}"
    ))
}

/// Checks that a request does not mix legacy parameters with expressions.
pub fn check_not_mixed(p: &Params<'_>, legacy: &[&str], exprs: &[&str]) -> Result<(), ApiError> {
    let present = |names: &[&str]| names.iter().any(|n| p.get(n).is_some());
    if !present(legacy) || !present(exprs) {
        return Ok(());
    }
    let given = |names: &[&str]| -> String {
        let given: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| p.get(n).is_some())
            .collect();
        given.join(", ")
    };
    Err(mixed(&given(legacy), &given(exprs)))
}

fn to_condition(c: palisade_expr::Condition) -> Condition {
    Arc::new(move |item| c.evaluate(item))
}

/// `ConditionExpression` or `Expected` (+ `ConditionalOperator`).
pub fn write_condition(
    p: &Params<'_>,
    ctx: &mut ExprContext<'_>,
) -> Result<Option<Condition>, ApiError> {
    if let Some(text) = p.str("ConditionExpression")? {
        return ctx
            .condition(text, ExprKind::Condition)
            .map(to_condition)
            .map(Some)
            .map_err(expr_error);
    }
    match legacy_conditions(p, "Expected")? {
        Some(entries) => expected(&entries, p.str("ConditionalOperator")?)
            .map(to_condition)
            .map(Some)
            .map_err(expr_error),
        None => Ok(None),
    }
}

/// `FilterExpression` or `QueryFilter`/`ScanFilter` (+ `ConditionalOperator`).
pub fn read_filter(
    p: &Params<'_>,
    ctx: &mut ExprContext<'_>,
    legacy: &str,
) -> Result<Option<Condition>, ApiError> {
    if let Some(text) = p.str("FilterExpression")? {
        return ctx
            .condition(text, ExprKind::Filter)
            .map(to_condition)
            .map(Some)
            .map_err(expr_error);
    }
    match legacy_conditions(p, legacy)? {
        Some(entries) => filter(&entries, p.str("ConditionalOperator")?)
            .map(to_condition)
            .map(Some)
            .map_err(expr_error),
        None => Ok(None),
    }
}

/// `ProjectionExpression` or `AttributesToGet`.
pub fn projection(
    p: &Params<'_>,
    ctx: &mut ExprContext<'_>,
) -> Result<Option<Projector>, ApiError> {
    if let Some(text) = p.str("ProjectionExpression")? {
        let proj = ctx.projection(text).map_err(expr_error)?;
        return Ok(Some(Arc::new(move |item| proj.apply(item))));
    }
    match p.str_list("AttributesToGet")? {
        Some(names) => {
            if names.is_empty() {
                return Err(ApiError::validation(
                    "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
                ));
            }
            let proj = attributes_to_get(&names).map_err(expr_error)?;
            Ok(Some(Arc::new(move |item| proj.apply(item))))
        }
        None => Ok(None),
    }
}

/// `UpdateExpression` or `AttributeUpdates`.
pub fn update(p: &Params<'_>, ctx: &mut ExprContext<'_>) -> Result<Option<Updater>, ApiError> {
    let parsed = if let Some(text) = p.str("UpdateExpression")? {
        Some(ctx.update(text).map_err(expr_error)?)
    } else if let Some(map) = p.map("AttributeUpdates")? {
        let mut entries = Vec::new();
        for (name, v) in map {
            let u = Params::new(v)?;
            let action = match u.str("Action")? {
                Some(a) => Some(LegacyAction::parse(a).ok_or_else(|| {
                    ApiError::validation(format!(
                        "1 validation error detected: Value '{a}' at 'attributeUpdates.{name}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
                    ))
                })?),
                None => None,
            };
            let value = match u.get("Value") {
                Some(v) => Some(attribute_value_from_json(v).map_err(value_error)?),
                None => None,
            };
            entries.push((name.clone(), LegacyUpdate { action, value }));
        }
        Some(attribute_updates(&entries).map_err(expr_error)?)
    } else {
        None
    };
    Ok(parsed.map(|u| -> Updater {
        Arc::new(move |item| {
            let paths = u.apply(item).map_err(|e| e.to_string())?;
            Ok(Arc::new(move |i: &palisade_model::Item| paths.project(i)) as Projector)
        })
    }))
}

/// A JSON value expected to be an array of objects.
pub fn objects<'a>(v: &'a Value) -> Result<Vec<Params<'a>>, ApiError> {
    match v {
        Value::Array(a) => a.iter().map(Params::new).collect(),
        other => Err(wrong_type(other, "List")),
    }
}
