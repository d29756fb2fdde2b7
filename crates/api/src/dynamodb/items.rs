//! PutItem, GetItem, UpdateItem, DeleteItem.

use palisade_engine::{Engine, ReturnValues, WriteOptions, WriteOutcome, write_stored_item_json};
use palisade_model::{item_size, item_to_json};
use serde_json::{Map, Value, json};

use super::authz::{Authorizer, Check, leading_keys};
use super::exprs::{
    Placeholders, check_not_mixed, expr_error, projection, update, write_condition,
};
use super::params::{Params, missing, table_name};
use super::{JsonObject, capacity_json, capacity_mode, engine_error, gsi_names, table_check};
use crate::error::ApiError;

fn return_values(p: &Params<'_>) -> Result<ReturnValues, ApiError> {
    Ok(
        match p.enum_str(
            "ReturnValues",
            "returnValues",
            &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
        )? {
            Some("ALL_OLD") => ReturnValues::AllOld,
            Some("UPDATED_OLD") => ReturnValues::UpdatedOld,
            Some("ALL_NEW") => ReturnValues::AllNew,
            Some("UPDATED_NEW") => ReturnValues::UpdatedNew,
            _ => ReturnValues::None,
        },
    )
}

fn return_on_failure(p: &Params<'_>) -> Result<bool, ApiError> {
    Ok(p.enum_str(
        "ReturnValuesOnConditionCheckFailure",
        "returnValuesOnConditionCheckFailure",
        &["ALL_OLD", "NONE"],
    )? == Some("ALL_OLD"))
}

/// `ItemCollectionMetrics` when the request asked for SIZE and the table has local secondary
/// indexes: the collection's partition key and its size estimate in GB.
pub(crate) fn item_collection_metrics(
    p: &Params<'_>,
    consumed: &palisade_engine::Consumed,
) -> Result<Option<Value>, ApiError> {
    let asked = p.enum_str(
        "ReturnItemCollectionMetrics",
        "returnItemCollectionMetrics",
        &["SIZE", "NONE"],
    )? == Some("SIZE");
    Ok(match (&consumed.item_collection, asked) {
        (Some((key, bytes)), true) => {
            let gb = (*bytes as f64 / (1u64 << 30) as f64).floor();
            Some(
                json!({"ItemCollectionKey": item_to_json(key), "SizeEstimateRangeGB": [gb, gb + 1.0]}),
            )
        }
        _ => None,
    })
}

fn write_response(
    engine: &Engine,
    account: &str,
    table: &str,
    p: &Params<'_>,
    out: WriteOutcome,
) -> Result<Value, ApiError> {
    let mut o = Map::new();
    if let Some(a) = out.attributes {
        o.insert("Attributes".into(), item_to_json(&a));
    }
    let name = engine
        .table(account, table)
        .map(|t| t.name.clone())
        .unwrap_or_else(|_| table.to_string());
    if let Some(c) = capacity_json(capacity_mode(p)?, &name, &out.consumed, || {
        gsi_names(engine, account, table)
    }) {
        o.insert("ConsumedCapacity".into(), c);
    }
    if let Some(m) = item_collection_metrics(p, &out.consumed)? {
        o.insert("ItemCollectionMetrics".into(), m);
    }
    Ok(Value::Object(o))
}

/// The check of a single-item operation: table ARN, `dynamodb:LeadingKeys` of the addressed item,
/// `dynamodb:Attributes` named by the request, `dynamodb:ReturnValues`.
fn item_check(
    engine: &Engine,
    account: &str,
    table: &str,
    action: &'static str,
    p: &Params<'_>,
    item: &palisade_model::Item,
    mut attributes: Vec<String>,
) -> Result<Check, ApiError> {
    let (mut check, meta) = table_check(engine, account, table, action, p)?;
    if let Some(pk) = meta.as_ref().and_then(|m| m.keys.partition.first()) {
        check = check.keys("dynamodb:LeadingKeys", leading_keys(&pk.name, [item]));
    }
    for name in item.keys() {
        if !attributes.contains(name) {
            attributes.push(name.clone());
        }
    }
    attributes.sort();
    let check = check.keys("dynamodb:Attributes", attributes);
    Ok(check.key_opt("dynamodb:ReturnValues", p.str("ReturnValues")?))
}

/// What the three single-item writes share once parsed: the update (UpdateItem only), the
/// write options, and the attribute names the expressions refer to.
struct ParsedWrite {
    update: Option<palisade_engine::Updater>,
    opts: WriteOptions,
    referenced: Vec<String>,
}

/// Parses the expressions (or their legacy forms) and options of a single-item write.
fn parse_write(p: &Params<'_>, with_update: bool) -> Result<ParsedWrite, ApiError> {
    if with_update {
        check_not_mixed(
            p,
            &["Expected", "AttributeUpdates"],
            &["ConditionExpression", "UpdateExpression"],
        )?;
    } else {
        check_not_mixed(p, &["Expected"], &["ConditionExpression"])?;
    }
    let ph = Placeholders::read(p)?;
    let mut ctx = ph.context()?;
    let upd = if with_update {
        update(p, &mut ctx)?
    } else {
        None
    };
    let condition = write_condition(p, &mut ctx)?;
    let mut referenced: Vec<String> = ctx.referenced_attributes().iter().cloned().collect();
    if let Some(m) = p.map("AttributeUpdates")? {
        referenced.extend(m.keys().cloned());
    }
    ctx.finish().map_err(expr_error)?;
    let opts = WriteOptions {
        condition,
        return_values: return_values(p)?,
        return_old_on_condition_failure: return_on_failure(p)?,
    };
    Ok(ParsedWrite {
        update: upd,
        opts,
        referenced,
    })
}

/// The item or key the strict decoder already read (`decoded`), or the member `name` of `p`
/// (`what` names it in the error when it is missing). Read after the table name, as the tree
/// path reads it; a decoded item is one the tree path would have read without an error.
fn item_member(
    p: &Params<'_>,
    decoded: Option<palisade_model::Item>,
    name: &str,
    what: &str,
) -> Result<palisade_model::Item, ApiError> {
    match decoded {
        Some(item) => Ok(item),
        None => p.item(name)?.ok_or_else(|| missing(what)),
    }
}

/// PutItem; `decoded` is the item when the strict decoder read it (`p` then holds the other
/// members).
pub async fn put_item(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
    decoded: Option<palisade_model::Item>,
) -> Result<Value, ApiError> {
    let table = table_name(p, "TableName", "tableName")?;
    let item = item_member(p, decoded, "Item", "item")?;
    let w = parse_write(p, false)?;
    let check = item_check(
        engine,
        account,
        &table,
        "dynamodb:PutItem",
        p,
        &item,
        w.referenced,
    )?;
    authz.authorize(&[check])?;
    let out = engine
        .put_item(account, &table, item, w.opts)
        .await
        .map_err(engine_error)?;
    write_response(engine, account, &table, p, out)
}

/// DeleteItem; `decoded` is the key when the strict decoder read it.
pub async fn delete_item(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
    decoded: Option<palisade_model::Item>,
) -> Result<Value, ApiError> {
    let table = table_name(p, "TableName", "tableName")?;
    let key = item_member(p, decoded, "Key", "key")?;
    let w = parse_write(p, false)?;
    let check = item_check(
        engine,
        account,
        &table,
        "dynamodb:DeleteItem",
        p,
        &key,
        w.referenced,
    )?;
    authz.authorize(&[check])?;
    let out = engine
        .delete_item(account, &table, key, w.opts)
        .await
        .map_err(engine_error)?;
    write_response(engine, account, &table, p, out)
}

/// UpdateItem; `decoded` is the key when the strict decoder read it.
pub async fn update_item(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
    decoded: Option<palisade_model::Item>,
) -> Result<Value, ApiError> {
    let table = table_name(p, "TableName", "tableName")?;
    let key = item_member(p, decoded, "Key", "key")?;
    let w = parse_write(p, true)?;
    let check = item_check(
        engine,
        account,
        &table,
        "dynamodb:UpdateItem",
        p,
        &key,
        w.referenced,
    )?;
    authz.authorize(&[check])?;
    let out = engine
        .update_item(account, &table, key, w.update, w.opts)
        .await
        .map_err(engine_error)?;
    write_response(engine, account, &table, p, out)
}

/// GetItem; `decoded` is the key when the strict decoder read it.
pub fn get_item(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
    decoded: Option<palisade_model::Item>,
) -> Result<Vec<u8>, ApiError> {
    let table = table_name(p, "TableName", "tableName")?;
    let key = item_member(p, decoded, "Key", "key")?;
    check_not_mixed(p, &["AttributesToGet"], &["ProjectionExpression"])?;
    let ph = Placeholders::read(p)?;
    let mut ctx = ph.context()?;
    let proj = projection(p, &mut ctx)?;
    let mut referenced: Vec<String> = ctx.referenced_attributes().iter().cloned().collect();
    referenced.extend(p.str_list("AttributesToGet")?.unwrap_or_default());
    ctx.finish().map_err(expr_error)?;
    let consistent = p.bool("ConsistentRead")?.unwrap_or(false);
    let select = if proj.is_some() {
        "SPECIFIC_ATTRIBUTES"
    } else {
        "ALL_ATTRIBUTES"
    };
    let check = item_check(
        engine,
        account,
        &table,
        "dynamodb:GetItem",
        p,
        &key,
        referenced,
    )?
    .key("dynamodb:Select", select);
    authz.authorize(&[check])?;
    // The item as stored: written out as it is, or decoded when a projection applies.
    let (stored, consumed) = engine
        .get_item_stored(account, &table, &key, consistent)
        .map_err(engine_error)?;
    let projected = match (&stored, &proj) {
        (Some(stored), Some(f)) => Some(f(&decode_item(stored).map_err(engine_error)?)),
        _ => None,
    };
    let name = engine
        .table(account, &table)
        .map(|t| t.name.clone())
        .unwrap_or(table.clone());
    let capacity = capacity_json(capacity_mode(p)?, &name, &consumed, Vec::new);
    // Members in key order, as a JSON object tree would write them.
    let size = match (&projected, &stored) {
        (Some(i), _) => item_size(i) + 16 * i.len(),
        (None, Some(s)) => s.len() + s.len() / 8,
        (None, None) => 0,
    };
    let mut o = JsonObject::with_capacity(size + 128);
    if let Some(c) = &capacity {
        o.value("ConsumedCapacity", c)?;
    }
    match (&projected, &stored) {
        (Some(item), _) => o.item("Item", item),
        (None, Some(stored)) => {
            write_stored_item_json(stored, o.member("Item")).map_err(engine_error)?;
        }
        (None, None) => {}
    }
    Ok(o.finish())
}

/// Decodes a stored item (for a projection).
fn decode_item(stored: &[u8]) -> Result<palisade_model::Item, palisade_engine::EngineError> {
    Ok(palisade_engine::codec::decode_item(stored)?)
}
