//! BatchGetItem, BatchWriteItem, TransactGetItems, TransactWriteItems.

use std::collections::BTreeSet;

use palisade_engine::{
    BatchGetTable, BatchWrite, Engine, RequestToken, TransactAction, TransactWrite,
};
use palisade_model::{Item, item_to_json};
use serde_json::{Map, Value, json};

use super::authz::{Authorizer, Check, leading_keys};
use super::exprs::{Placeholders, expr_error, objects, projection, update, write_condition};
use super::params::{Params, missing};
use super::{capacity_json, capacity_mode, engine_error, gsi_names, table_check};
use crate::error::ApiError;

const MAX_BATCH_WRITE: usize = 25;
const MAX_BATCH_GET: usize = 100;
const MAX_TRANSACT: usize = 100;

fn too_many(param: &str, n: usize, max: usize) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value at '{param}' failed to satisfy constraint: Member must have length less than or equal to {max} (got {n})"
    ))
}

/// The check of one table of a batch or one element of a transaction: table ARN,
/// `dynamodb:LeadingKeys` of the items, `dynamodb:Attributes` they name.
fn items_check<'a>(
    engine: &Engine,
    account: &str,
    table: &str,
    action: &'static str,
    p: &Params<'_>,
    items: impl IntoIterator<Item = &'a palisade_model::Item> + Clone,
    extra_attributes: Vec<String>,
) -> Result<Check, ApiError> {
    let (check, meta) = table_check(engine, account, table, action, p)?;
    let leading = match meta.as_ref().and_then(|m| m.keys.partition.first()) {
        Some(pk) => leading_keys(&pk.name, items.clone()),
        None => Vec::new(),
    };
    // Every name once, in order, copied once.
    let mut names: BTreeSet<&str> = extra_attributes.iter().map(String::as_str).collect();
    for item in items {
        names.extend(item.keys().map(String::as_str));
    }
    let attributes: Vec<String> = names.into_iter().map(str::to_owned).collect();
    Ok(check
        .keys("dynamodb:LeadingKeys", leading)
        .keys("dynamodb:Attributes", attributes))
}

pub async fn batch_write(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let requests = batch_write_requests(p)?;
    batch_write_decoded(engine, authz, account, p, requests).await
}

/// `RequestItems` of a BatchWriteItem request as a tree: each table's writes, tables in the
/// order of the tree's map. [`super::batch_decode`] decodes the same from the body's bytes.
pub(super) fn batch_write_requests(
    p: &Params<'_>,
) -> Result<Vec<(String, Vec<BatchWrite>)>, ApiError> {
    let map = p
        .map("RequestItems")?
        .ok_or_else(|| missing("requestItems"))?;
    let mut requests = Vec::new();
    for (table, list) in map {
        let mut writes = Vec::new();
        for r in objects(list)? {
            if let Some(put) = r.obj("PutRequest")? {
                writes.push(BatchWrite::Put(
                    put.item("Item")?.ok_or_else(|| missing("item"))?,
                ));
            } else if let Some(del) = r.obj("DeleteRequest")? {
                writes.push(BatchWrite::Delete(
                    del.item("Key")?.ok_or_else(|| missing("key"))?,
                ));
            } else {
                return Err(ApiError::validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                ));
            }
        }
        requests.push((table.clone(), writes));
    }
    Ok(requests)
}

/// BatchWriteItem once its `RequestItems` are decoded: `p` holds the request's other members.
pub async fn batch_write_decoded(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
    requests: Vec<(String, Vec<BatchWrite>)>,
) -> Result<Value, ApiError> {
    let total: usize = requests.iter().map(|(_, w)| w.len()).sum();
    if total == 0 || requests.iter().any(|(_, w)| w.is_empty()) {
        return Err(ApiError::validation(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    if total > MAX_BATCH_WRITE {
        return Err(too_many("requestItems", total, MAX_BATCH_WRITE));
    }
    let mut checks = Vec::new();
    for (table, writes) in &requests {
        let items = writes.iter().map(|w| match w {
            BatchWrite::Put(i) | BatchWrite::Delete(i) => i,
        });
        checks.push(items_check(
            engine,
            account,
            table,
            "dynamodb:BatchWriteItem",
            p,
            items,
            Vec::new(),
        )?);
    }
    authz.authorize(&checks)?;
    let mode = capacity_mode(p)?;
    let consumed = engine
        .batch_write(account, requests)
        .await
        .map_err(engine_error)?;
    let mut o = Map::new();
    o.insert("UnprocessedItems".into(), json!({}));
    let caps: Vec<Value> = consumed
        .iter()
        .filter_map(|(t, c)| capacity_json(mode, t, c, || gsi_names(engine, account, t)))
        .collect();
    if !caps.is_empty() {
        o.insert("ConsumedCapacity".into(), Value::Array(caps));
    }
    Ok(Value::Object(o))
}

pub fn batch_get(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let map = p
        .map("RequestItems")?
        .ok_or_else(|| missing("requestItems"))?;
    let mut requests = Vec::new();
    let mut total = 0;
    let mut holders = Vec::new();
    for (table, v) in map {
        let t = Params::new(v)?;
        let keys_v = t
            .get("Keys")
            .ok_or_else(|| missing("requestItems.member.keys"))?;
        let Value::Array(list) = keys_v else {
            return Err(super::params::wrong_type(keys_v, "List"));
        };
        let keys = list
            .iter()
            .map(|k| palisade_model::item_from_json(k).map_err(super::params::value_error))
            .collect::<Result<Vec<_>, _>>()?;
        total += keys.len();
        holders.push((
            table.clone(),
            keys,
            t.bool("ConsistentRead")?.unwrap_or(false),
            v,
        ));
    }
    if total > MAX_BATCH_GET {
        return Err(ApiError::validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let mut checks = Vec::new();
    for (table, keys, consistent, v) in holders {
        let t = Params::new(v)?;
        let ph = Placeholders::read(&t)?;
        let mut ctx = ph.context()?;
        let proj = projection(&t, &mut ctx)?;
        let mut referenced: Vec<String> = ctx.referenced_attributes().iter().cloned().collect();
        referenced.extend(t.str_list("AttributesToGet")?.unwrap_or_default());
        ctx.finish().map_err(expr_error)?;
        let select = if proj.is_some() {
            "SPECIFIC_ATTRIBUTES"
        } else {
            "ALL_ATTRIBUTES"
        };
        checks.push(
            items_check(
                engine,
                account,
                &table,
                "dynamodb:BatchGetItem",
                p,
                &keys,
                referenced,
            )?
            .key("dynamodb:Select", select),
        );
        requests.push(BatchGetTable {
            table,
            keys,
            consistent,
            projection: proj,
        });
    }
    authz.authorize(&checks)?;
    let mode = capacity_mode(p)?;
    let results = engine.batch_get(account, &requests).map_err(engine_error)?;
    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    let mut caps = Vec::new();
    for (r, req) in results.iter().zip(&requests) {
        responses.insert(
            r.table.clone(),
            Value::Array(r.items.iter().map(item_to_json).collect()),
        );
        if !r.unprocessed.is_empty() {
            unprocessed.insert(
                r.table.clone(),
                json!({"Keys": r.unprocessed.iter().map(item_to_json).collect::<Vec<_>>(), "ConsistentRead": req.consistent}),
            );
        }
        if let Some(c) = capacity_json(mode, &r.table, &r.consumed, Vec::new) {
            caps.push(c);
        }
    }
    let mut o = Map::new();
    o.insert("Responses".into(), Value::Object(responses));
    o.insert("UnprocessedKeys".into(), Value::Object(unprocessed));
    if !caps.is_empty() {
        o.insert("ConsumedCapacity".into(), Value::Array(caps));
    }
    Ok(Value::Object(o))
}

pub fn transact_get(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let list = p
        .get("TransactItems")
        .ok_or_else(|| missing("transactItems"))?;
    let items = objects(list)?;
    if items.is_empty() || items.len() > MAX_TRANSACT {
        return Err(too_many("transactItems", items.len(), MAX_TRANSACT));
    }
    let mut gets = Vec::new();
    let mut checks = Vec::new();
    for it in &items {
        let g = it
            .obj("Get")?
            .ok_or_else(|| missing("transactItems.member.get"))?;
        let table =
            super::params::table_name(&g, "TableName", "transactItems.member.get.tableName")?;
        let key = g
            .item("Key")?
            .ok_or_else(|| missing("transactItems.member.get.key"))?;
        let ph = Placeholders::read(&g)?;
        let mut ctx = ph.context()?;
        let proj = projection(&g, &mut ctx)?;
        let referenced: Vec<String> = ctx.referenced_attributes().iter().cloned().collect();
        ctx.finish().map_err(expr_error)?;
        checks.push(
            items_check(
                engine,
                account,
                &table,
                "dynamodb:GetItem",
                &g,
                [&key],
                referenced,
            )?
            .key("dynamodb:EnclosingOperation", "TransactGetItems"),
        );
        gets.push((table, key, proj));
    }
    authz.authorize(&checks)?;
    let mode = capacity_mode(p)?;
    let results = engine.transact_get(account, &gets).map_err(engine_error)?;
    let mut responses = Vec::new();
    let mut per_table: Vec<(String, palisade_engine::Consumed)> = Vec::new();
    for (table, item, c) in results {
        responses.push(match item {
            Some(i) => json!({"Item": item_to_json(&i)}),
            None => json!({}),
        });
        match per_table.iter_mut().find(|(t, _)| *t == table) {
            Some((_, acc)) => acc.merge(&c),
            None => per_table.push((table, c)),
        }
    }
    let mut o = Map::new();
    o.insert("Responses".into(), Value::Array(responses));
    let caps: Vec<Value> = per_table
        .iter()
        .filter_map(|(t, c)| capacity_json(mode, t, c, Vec::new))
        .collect();
    if !caps.is_empty() {
        o.insert("ConsumedCapacity".into(), Value::Array(caps));
    }
    Ok(Value::Object(o))
}

fn fingerprint(body: &[u8]) -> u64 {
    // FNV-1a of the request body minus nothing: identical retries send identical bodies.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

pub async fn transact_write(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
    body: &[u8],
) -> Result<Value, ApiError> {
    let list = p
        .get("TransactItems")
        .ok_or_else(|| missing("transactItems"))?;
    let items = objects(list)?.into_iter().map(|it| (it, None)).collect();
    transact_write_decoded(engine, authz, account, p, items, body).await
}

/// TransactWriteItems once its `TransactItems` are read: each element, and its item (`Item`
/// of a `Put`, `Key` of the others) when [`super::batch_decode`] decoded it (the element's
/// tree then lacks it). `p` holds the request's other members.
pub async fn transact_write_decoded(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
    items: Vec<(Params<'_>, Option<Item>)>,
    body: &[u8],
) -> Result<Value, ApiError> {
    if items.is_empty() || items.len() > MAX_TRANSACT {
        return Err(too_many("transactItems", items.len(), MAX_TRANSACT));
    }
    let mut actions = Vec::new();
    let mut checks = Vec::new();
    for (it, mut decoded) in items {
        // The element's item: decoded already, or read from its tree where the tree path
        // reads it.
        let mut item = |a: &Params<'_>, name: &str| match decoded.take() {
            Some(item) => Ok(Some(item)),
            None => a.item(name),
        };
        let (kind, a) = if let Some(a) = it.obj("Put")? {
            ("Put", a)
        } else if let Some(a) = it.obj("Update")? {
            ("Update", a)
        } else if let Some(a) = it.obj("Delete")? {
            ("Delete", a)
        } else if let Some(a) = it.obj("ConditionCheck")? {
            ("ConditionCheck", a)
        } else {
            return Err(ApiError::validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            ));
        };
        let table = super::params::table_name(&a, "TableName", "tableName")?;
        let ph = Placeholders::read(&a)?;
        let mut ctx = ph.context()?;
        let action = match kind {
            "Put" => TransactAction::Put {
                item: item(&a, "Item")?.ok_or_else(|| missing("item"))?,
            },
            "Update" => {
                let key = item(&a, "Key")?.ok_or_else(|| missing("key"))?;
                if a.get("UpdateExpression").is_none() {
                    return Err(missing("transactItems.member.update.updateExpression"));
                }
                TransactAction::Update {
                    key,
                    update: update(&a, &mut ctx)?,
                }
            }
            "Delete" => TransactAction::Delete {
                key: item(&a, "Key")?.ok_or_else(|| missing("key"))?,
            },
            _ => {
                if a.get("ConditionExpression").is_none() {
                    return Err(missing(
                        "transactItems.member.conditionCheck.conditionExpression",
                    ));
                }
                TransactAction::ConditionCheck {
                    key: item(&a, "Key")?.ok_or_else(|| missing("key"))?,
                }
            }
        };
        let condition = write_condition(&a, &mut ctx)?;
        let referenced: Vec<String> = ctx.referenced_attributes().iter().cloned().collect();
        ctx.finish().map_err(expr_error)?;
        let on_failure = a.enum_str(
            "ReturnValuesOnConditionCheckFailure",
            "returnValuesOnConditionCheckFailure",
            &["ALL_OLD", "NONE"],
        )?;
        let return_old = on_failure == Some("ALL_OLD");
        let (iam_action, target) = match &action {
            TransactAction::Put { item } => ("dynamodb:PutItem", item),
            TransactAction::Update { key, .. } => ("dynamodb:UpdateItem", key),
            TransactAction::Delete { key } => ("dynamodb:DeleteItem", key),
            TransactAction::ConditionCheck { key } => ("dynamodb:ConditionCheckItem", key),
        };
        checks.push(
            items_check(
                engine,
                account,
                &table,
                iam_action,
                &a,
                [target],
                referenced,
            )?
            .key("dynamodb:EnclosingOperation", "TransactWriteItems")
            .key_opt("dynamodb:ReturnValues", on_failure),
        );
        actions.push(TransactWrite {
            table,
            action,
            condition,
            return_old_on_condition_failure: return_old,
        });
    }
    authz.authorize(&checks)?;
    let token = p.str("ClientRequestToken")?.map(|t| RequestToken {
        token: t.to_string(),
        fingerprint: fingerprint(body),
    });
    let mode = capacity_mode(p)?;
    let consumed = engine
        .transact_write(account, actions, token)
        .await
        .map_err(engine_error)?;
    let mut o = Map::new();
    let caps: Vec<Value> = consumed
        .iter()
        .filter_map(|(t, c)| capacity_json(mode, t, c, || gsi_names(engine, account, t)))
        .collect();
    if !caps.is_empty() {
        o.insert("ConsumedCapacity".into(), Value::Array(caps));
    }
    Ok(Value::Object(o))
}
