//! Query and Scan.

use palisade_engine::schema::KeyDef;
use palisade_engine::{
    Engine, KeyQuery, ReadInput, ReadOutput, Select, SortCondition, write_stored_item_json,
};
use palisade_expr::{KeyAttribute, KeySchema, SortOp, key_conditions};
use palisade_model::{item_size, write_item_json};

use super::authz::{Authorizer, Check, key_string};
use super::exprs::{
    Placeholders, check_not_mixed, expr_error, legacy_conditions, projection, read_filter,
};
use super::params::{Params, table_name};
use super::{
    CapacityMode, JsonObject, capacity_json, capacity_mode, engine_error, gsi_names, table_check,
};
use crate::error::ApiError;

fn schema_of(keys: &KeyDef) -> KeySchema {
    let conv = |v: &Vec<palisade_engine::schema::KeyAttr>| {
        v.iter()
            .map(|a| KeyAttribute {
                name: a.name.clone(),
                ty: a.ty.into(),
            })
            .collect()
    };
    KeySchema {
        partition: conv(&keys.partition),
        sort: conv(&keys.sort),
    }
}

fn common(account: &str, p: &Params<'_>) -> Result<(ReadInput, Placeholders), ApiError> {
    let table = table_name(p, "TableName", "tableName")?;
    let ph = Placeholders::read(p)?;
    let select = match p.enum_str(
        "Select",
        "select",
        &[
            "ALL_ATTRIBUTES",
            "ALL_PROJECTED_ATTRIBUTES",
            "SPECIFIC_ATTRIBUTES",
            "COUNT",
        ],
    )? {
        Some("ALL_PROJECTED_ATTRIBUTES") => Select::AllProjectedAttributes,
        Some("SPECIFIC_ATTRIBUTES") => Select::SpecificAttributes,
        Some("COUNT") => Select::Count,
        Some(_) => Select::AllAttributes,
        None if p.get("ProjectionExpression").is_some() || p.get("AttributesToGet").is_some() => {
            Select::SpecificAttributes
        }
        None => match p.str("IndexName")? {
            Some(_) => Select::AllProjectedAttributes,
            None => Select::AllAttributes,
        },
    };
    let has_projection =
        p.get("ProjectionExpression").is_some() || p.get("AttributesToGet").is_some();
    if has_projection && select != Select::SpecificAttributes {
        return Err(ApiError::validation(
            "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES",
        ));
    }
    let limit = match p.int("Limit")? {
        Some(l) if l < 1 => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{l}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )));
        }
        Some(l) => Some(l as usize),
        None => None,
    };
    let input = ReadInput {
        account: account.to_string(),
        table,
        index: p.str("IndexName")?.map(str::to_string),
        forward: p.bool("ScanIndexForward")?.unwrap_or(true),
        limit,
        exclusive_start_key: p.item("ExclusiveStartKey")?,
        consistent: p.bool("ConsistentRead")?.unwrap_or(false),
        filter: None,
        select,
        projection: None,
        segment: None,
        // The answer is written straight from the stored items when it can be.
        stored: true,
        // A malformed ReturnConsumedCapacity is reported where it was before: after the
        // read, which then counts the capacity as usual.
        without_capacity: matches!(capacity_mode(p), Ok(CapacityMode::None)),
    };
    Ok((input, ph))
}

fn response(
    engine: &Engine,
    account: &str,
    p: &Params<'_>,
    input: &ReadInput,
    out: ReadOutput,
) -> Result<Vec<u8>, ApiError> {
    let name = engine
        .table(account, &input.table)
        .map(|t| t.name.clone())
        .unwrap_or(input.table.clone());
    let capacity = capacity_json(capacity_mode(p)?, &name, &out.consumed, || {
        gsi_names(engine, account, &input.table)
    });
    // Members in key order, as a JSON object tree would write them.
    let size: usize = out
        .items
        .iter()
        .map(|i| item_size(i) + 16 * i.len())
        .sum::<usize>()
        + out
            .stored
            .iter()
            .map(|s| s.len() + s.len() / 8)
            .sum::<usize>();
    let mut o = JsonObject::with_capacity(size + 256);
    if let Some(c) = &capacity {
        o.value("ConsumedCapacity", c)?;
    }
    o.count("Count", out.count);
    if input.select != Select::Count {
        let items = o.member("Items");
        items.push(b'[');
        for (i, item) in out.items.iter().enumerate() {
            if i > 0 {
                items.push(b',');
            }
            write_item_json(item, items);
        }
        for (i, stored) in out.stored.iter().enumerate() {
            if i > 0 || !out.items.is_empty() {
                items.push(b',');
            }
            write_stored_item_json(stored, items).map_err(engine_error)?;
        }
        items.push(b']');
    }
    if let Some(k) = &out.last_evaluated_key {
        o.item("LastEvaluatedKey", k);
    }
    o.count("ScannedCount", out.scanned_count);
    Ok(o.finish())
}

fn select_name(select: Select) -> &'static str {
    match select {
        Select::AllAttributes => "ALL_ATTRIBUTES",
        Select::AllProjectedAttributes => "ALL_PROJECTED_ATTRIBUTES",
        Select::SpecificAttributes => "SPECIFIC_ATTRIBUTES",
        Select::Count => "COUNT",
    }
}

/// The check of a Query or Scan: the table ARN, or the index ARN when IndexName is given.
fn read_check(
    engine: &Engine,
    account: &str,
    action: &'static str,
    input: &ReadInput,
    p: &Params<'_>,
    attributes: Vec<String>,
) -> Result<Check, ApiError> {
    let (mut check, _) = table_check(engine, account, &input.table, action, p)?;
    if let Some(index) = &input.index {
        check.resource = format!("{}/index/{index}", check.resource);
    }
    let mut attributes = attributes;
    attributes.sort();
    attributes.dedup();
    Ok(check
        .keys("dynamodb:Attributes", attributes)
        .key("dynamodb:Select", select_name(input.select))
        .key_opt("dynamodb:ReturnValues", p.str("ReturnValues")?))
}

pub fn query(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
) -> Result<Vec<u8>, ApiError> {
    check_not_mixed(
        p,
        &["KeyConditions", "QueryFilter", "AttributesToGet"],
        &[
            "KeyConditionExpression",
            "FilterExpression",
            "ProjectionExpression",
        ],
    )?;
    let (mut input, ph) = common(account, p)?;
    let table = match engine.table(account, &input.table) {
        Ok(t) => t,
        Err(e) => {
            // Authorization comes before the existence of the table is revealed.
            authz.authorize(&[read_check(
                engine,
                account,
                "dynamodb:Query",
                &input,
                p,
                Vec::new(),
            )?])?;
            return Err(engine_error(e));
        }
    };
    let keys = match &input.index {
        Some(name) => match table.index(name) {
            Some(i) => &i.keys,
            None => {
                return Err(ApiError::validation(format!(
                    "The table does not have the specified index: {name}"
                )));
            }
        },
        None => &table.keys,
    };
    let schema = schema_of(keys);
    let mut ctx = ph.context()?;
    let kc = if let Some(text) = p.str("KeyConditionExpression")? {
        ctx.key_condition(text, &schema).map_err(expr_error)?
    } else if let Some(entries) = legacy_conditions(p, "KeyConditions")? {
        key_conditions(&entries, &schema).map_err(expr_error)?
    } else {
        return Err(ApiError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    };
    input.filter = read_filter(p, &mut ctx, "QueryFilter")?;
    input.projection = projection(p, &mut ctx)?;
    let mut referenced: Vec<String> = ctx.referenced_attributes().iter().cloned().collect();
    referenced.extend(p.str_list("AttributesToGet")?.unwrap_or_default());
    for legacy in ["KeyConditions", "QueryFilter"] {
        if let Some(m) = p.map(legacy)? {
            referenced.extend(m.keys().cloned());
        }
    }
    ctx.finish().map_err(expr_error)?;
    let sort = kc.sort_condition().map(|s| match &s.op {
        SortOp::Eq(v) => SortCondition::Eq(v.clone()),
        SortOp::Lt(v) => SortCondition::Lt(v.clone()),
        SortOp::Le(v) => SortCondition::Le(v.clone()),
        SortOp::Gt(v) => SortCondition::Gt(v.clone()),
        SortOp::Ge(v) => SortCondition::Ge(v.clone()),
        SortOp::Between(a, b) => SortCondition::Between(a.clone(), b.clone()),
        SortOp::BeginsWith(v) => SortCondition::BeginsWith(v.clone()),
    });
    let mut sort_equal = Vec::new();
    for c in kc.sort.iter().take(kc.sort.len().saturating_sub(1)) {
        match &c.op {
            SortOp::Eq(v) => sort_equal.push(v.clone()),
            _ => return Err(ApiError::validation("Query key condition not supported")),
        }
    }
    let key = KeyQuery {
        partition: kc.partition.iter().map(|(_, v)| v.clone()).collect(),
        sort_equal,
        sort,
    };
    let leading: Vec<String> = kc
        .partition
        .first()
        .map(|(_, v)| key_string(v))
        .into_iter()
        .collect();
    let check = read_check(engine, account, "dynamodb:Query", &input, p, referenced)?
        .keys("dynamodb:LeadingKeys", leading);
    authz.authorize(&[check])?;
    let out = engine.query(&input, &key).map_err(engine_error)?;
    response(engine, account, p, &input, out)
}

pub fn scan(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
) -> Result<Vec<u8>, ApiError> {
    check_not_mixed(
        p,
        &["ScanFilter", "AttributesToGet"],
        &["FilterExpression", "ProjectionExpression"],
    )?;
    let (mut input, ph) = common(account, p)?;
    let mut ctx = ph.context()?;
    input.filter = read_filter(p, &mut ctx, "ScanFilter")?;
    input.projection = projection(p, &mut ctx)?;
    let mut referenced: Vec<String> = ctx.referenced_attributes().iter().cloned().collect();
    referenced.extend(p.str_list("AttributesToGet")?.unwrap_or_default());
    if let Some(m) = p.map("ScanFilter")? {
        referenced.extend(m.keys().cloned());
    }
    ctx.finish().map_err(expr_error)?;
    let segment = p.int("Segment")?;
    let total = p.int("TotalSegments")?;
    input.segment = match (segment, total) {
        (None, None) => None,
        (Some(s), Some(t)) => {
            if !(1..=1_000_000).contains(&t) {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{t}' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000"
                )));
            }
            if s < 0 || s >= t {
                return Err(ApiError::validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
                )));
            }
            Some((s as u32, t as u32))
        }
        (Some(_), None) => {
            return Err(ApiError::validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ));
        }
        (None, Some(_)) => {
            return Err(ApiError::validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ));
        }
    };
    authz.authorize(&[read_check(
        engine,
        account,
        "dynamodb:Scan",
        &input,
        p,
        referenced,
    )?])?;
    let out = engine.scan(&input).map_err(engine_error)?;
    response(engine, account, p, &input, out)
}
