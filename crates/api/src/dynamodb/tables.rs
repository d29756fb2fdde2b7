//! CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, DescribeEndpoints,
//! DescribeLimits.

use palisade_engine::schema::{AttrType, BillingMode, IndexKind, KeyAttr, Projection, Throughput};
use palisade_engine::{CreateTableInput, Engine, IndexInput, TableDescription, UpdateTableInput};
use serde_json::{Map, Value, json};

use super::authz::{Authorizer, Check};
use super::exprs::objects;
use super::params::{Params, missing, table_name};
use super::{engine_error, table_check};
use crate::error::ApiError;

fn attribute_definitions(p: &Params<'_>) -> Result<Vec<KeyAttr>, ApiError> {
    let Some(list) = p.get("AttributeDefinitions") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for d in objects(list)? {
        let name = d.req_str("AttributeName", "attributeDefinitions.member.attributeName")?;
        let ty = match d.req_str("AttributeType", "attributeDefinitions.member.attributeType")? {
            "S" => AttrType::S,
            "N" => AttrType::N,
            "B" => AttrType::B,
            other => {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]"
                )));
            }
        };
        out.push(KeyAttr {
            name: name.to_string(),
            ty,
        });
    }
    Ok(out)
}

fn key_schema(v: Option<&Value>, param: &str) -> Result<Vec<(String, bool)>, ApiError> {
    let v = v.ok_or_else(|| missing(param))?;
    let mut out = Vec::new();
    for e in objects(v)? {
        let name = e.req_str("AttributeName", &format!("{param}.member.attributeName"))?;
        let is_hash = match e.req_str("KeyType", &format!("{param}.member.keyType"))? {
            "HASH" => true,
            "RANGE" => false,
            other => {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{other}' at '{param}.1.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]"
                )));
            }
        };
        out.push((name.to_string(), is_hash));
    }
    if out.is_empty() {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '[]' at '{param}' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )));
    }
    Ok(out)
}

fn throughput(p: &Params<'_>) -> Result<Option<Throughput>, ApiError> {
    let Some(t) = p.obj("ProvisionedThroughput")? else {
        return Ok(None);
    };
    let read = t
        .int("ReadCapacityUnits")?
        .ok_or_else(|| missing("provisionedThroughput.readCapacityUnits"))?;
    let write = t
        .int("WriteCapacityUnits")?
        .ok_or_else(|| missing("provisionedThroughput.writeCapacityUnits"))?;
    for (v, n) in [(read, "readCapacityUnits"), (write, "writeCapacityUnits")] {
        if v < 1 {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{v}' at 'provisionedThroughput.{n}' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )));
        }
    }
    Ok(Some(Throughput {
        read: read as u64,
        write: write as u64,
    }))
}

fn projection(p: &Params<'_>) -> Result<Projection, ApiError> {
    let Some(pr) = p.obj("Projection")? else {
        return Err(missing("projection"));
    };
    let non_key = pr.str_list("NonKeyAttributes")?;
    let kind = pr.enum_str(
        "ProjectionType",
        "projection.projectionType",
        &["ALL", "KEYS_ONLY", "INCLUDE"],
    )?;
    match (kind, non_key) {
        (Some("INCLUDE"), Some(names)) => Ok(Projection::Include(names)),
        (Some("INCLUDE"), None) => Err(ApiError::validation(
            "One or more parameter values were invalid: NonKeyAttributes must be specified when ProjectionType is INCLUDE",
        )),
        (_, Some(_)) => Err(ApiError::validation(
            "One or more parameter values were invalid: ProjectionType is ALL or KEYS_ONLY, but NonKeyAttributes is specified",
        )),
        (Some("KEYS_ONLY"), None) => Ok(Projection::KeysOnly),
        (Some(_), None) => Ok(Projection::All),
        (None, None) => Err(ApiError::validation(
            "One or more parameter values were invalid: Unknown ProjectionType: null",
        )),
    }
}

fn index_inputs(p: &Params<'_>, name: &str) -> Result<Vec<IndexInput>, ApiError> {
    let Some(list) = p.get(name) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for ix in objects(list)? {
        out.push(IndexInput {
            name: ix.req_str("IndexName", "indexName")?.to_string(),
            key_schema: key_schema(ix.get("KeySchema"), "keySchema")?,
            projection: projection(&ix)?,
            throughput: throughput(&ix)?,
        });
    }
    Ok(out)
}

fn billing_mode(p: &Params<'_>) -> Result<Option<BillingMode>, ApiError> {
    Ok(
        match p.enum_str(
            "BillingMode",
            "billingMode",
            &["PROVISIONED", "PAY_PER_REQUEST"],
        )? {
            Some("PROVISIONED") => Some(BillingMode::Provisioned),
            Some(_) => Some(BillingMode::PayPerRequest),
            None => None,
        },
    )
}

fn stream_view(p: &Params<'_>) -> Result<Option<Option<String>>, ApiError> {
    let Some(s) = p.obj("StreamSpecification")? else {
        return Ok(None);
    };
    let enabled = s
        .bool("StreamEnabled")?
        .ok_or_else(|| missing("streamSpecification.streamEnabled"))?;
    let view = s.enum_str(
        "StreamViewType",
        "streamSpecification.streamViewType",
        &["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"],
    )?;
    match (enabled, view) {
        (true, Some(v)) => Ok(Some(Some(v.to_string()))),
        (true, None) => Err(ApiError::validation(
            "One or more parameter values were invalid: StreamViewType must be specified when StreamEnabled is true",
        )),
        (false, Some(_)) => Err(ApiError::validation(
            "One or more parameter values were invalid: StreamViewType must not be specified when StreamEnabled is false",
        )),
        (false, None) => Ok(Some(None)),
    }
}

fn tags(p: &Params<'_>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(list) = p.get("Tags") else {
        return Ok(Vec::new());
    };
    objects(list)?
        .iter()
        .map(|t| {
            Ok((
                t.req_str("Key", "tags.member.key")?.to_string(),
                t.req_str("Value", "tags.member.value")?.to_string(),
            ))
        })
        .collect()
}

/// The TableDescription object of DescribeTable and friends.
pub fn describe(engine: &Engine, d: &TableDescription) -> Value {
    let t = &d.table;
    let region = &engine.config().region;
    let arn = t.arn(region);
    let key_schema = |k: &palisade_engine::schema::KeyDef| -> Value {
        Value::Array(
            k.partition
                .iter()
                .map(|a| json!({"AttributeName": a.name, "KeyType": "HASH"}))
                .chain(
                    k.sort
                        .iter()
                        .map(|a| json!({"AttributeName": a.name, "KeyType": "RANGE"})),
                )
                .collect(),
        )
    };
    let tp = |tp: Option<Throughput>| -> Value {
        let tp = tp.unwrap_or(Throughput { read: 0, write: 0 });
        json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": tp.read, "WriteCapacityUnits": tp.write})
    };
    let projection = |p: &Projection| -> Value {
        match p {
            Projection::All => json!({"ProjectionType": "ALL"}),
            Projection::KeysOnly => json!({"ProjectionType": "KEYS_ONLY"}),
            Projection::Include(n) => json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": n}),
        }
    };
    let mut o = Map::new();
    o.insert(
        "AttributeDefinitions".into(),
        Value::Array(
            t.attribute_definitions
                .iter()
                .map(|a| json!({"AttributeName": a.name, "AttributeType": palisade_model::ScalarType::from(a.ty).as_str()}))
                .collect(),
        ),
    );
    o.insert("TableName".into(), json!(t.name));
    o.insert("KeySchema".into(), key_schema(&t.keys));
    o.insert("TableStatus".into(), json!(t.status.as_str()));
    o.insert("CreationDateTime".into(), json!(t.created_at));
    o.insert("ProvisionedThroughput".into(), tp(t.throughput));
    o.insert("TableSizeBytes".into(), json!(d.stats.bytes));
    o.insert("ItemCount".into(), json!(d.stats.items));
    o.insert("TableArn".into(), json!(arn));
    o.insert("TableId".into(), json!(t.uuid));
    let mut billing = Map::new();
    billing.insert("BillingMode".into(), json!(t.billing_mode.as_str()));
    if let (BillingMode::PayPerRequest, Some(at)) = (t.billing_mode, t.billing_mode_changed_at) {
        billing.insert("LastUpdateToPayPerRequestDateTime".into(), json!(at));
    }
    o.insert("BillingModeSummary".into(), Value::Object(billing));
    let stats_of = |n: u16| {
        d.index_stats
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, s)| *s)
            .unwrap_or_default()
    };
    let mut lsis = Vec::new();
    let mut gsis = Vec::new();
    for ix in &t.indexes {
        let s = stats_of(ix.number);
        let mut io = Map::new();
        io.insert("IndexName".into(), json!(ix.name));
        io.insert("KeySchema".into(), key_schema(&ix.keys));
        io.insert("Projection".into(), projection(&ix.projection));
        io.insert("IndexSizeBytes".into(), json!(s.bytes));
        io.insert("ItemCount".into(), json!(s.items));
        io.insert("IndexArn".into(), json!(format!("{arn}/index/{}", ix.name)));
        if ix.kind == IndexKind::Global {
            io.insert("IndexStatus".into(), json!(ix.status.as_str()));
            io.insert("ProvisionedThroughput".into(), tp(ix.throughput));
            gsis.push(Value::Object(io));
        } else {
            lsis.push(Value::Object(io));
        }
    }
    if !lsis.is_empty() {
        o.insert("LocalSecondaryIndexes".into(), Value::Array(lsis));
    }
    if !gsis.is_empty() {
        o.insert("GlobalSecondaryIndexes".into(), Value::Array(gsis));
    }
    if let (Some(view), Some(label)) = (&t.stream_view_type, &t.stream_label) {
        o.insert(
            "StreamSpecification".into(),
            json!({"StreamEnabled": true, "StreamViewType": view}),
        );
        o.insert("LatestStreamLabel".into(), json!(label));
        o.insert(
            "LatestStreamArn".into(),
            json!(format!("{arn}/stream/{label}")),
        );
    }
    if t.table_class != "STANDARD" {
        o.insert(
            "TableClassSummary".into(),
            json!({"TableClass": t.table_class}),
        );
    }
    o.insert(
        "DeletionProtectionEnabled".into(),
        json!(t.deletion_protection),
    );
    Value::Object(o)
}

/// `aws:RequestTag/k` and `aws:TagKeys` of a request that sets tags.
fn with_request_tags(mut check: Check, tags: &[(String, String)]) -> Check {
    for (k, v) in tags {
        check = check.key(&format!("aws:RequestTag/{k}"), v.clone());
    }
    check.keys("aws:TagKeys", tags.iter().map(|(k, _)| k.clone()).collect())
}

pub async fn create_table(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let name = table_name(p, "TableName", "tableName")?;
    let table_class = p.enum_str(
        "TableClass",
        "tableClass",
        &["STANDARD", "STANDARD_INFREQUENT_ACCESS"],
    )?;
    let input = CreateTableInput {
        account: account.to_string(),
        name,
        attribute_definitions: attribute_definitions(p)?,
        key_schema: key_schema(p.get("KeySchema"), "keySchema")?,
        billing_mode: billing_mode(p)?,
        throughput: throughput(p)?,
        local_indexes: index_inputs(p, "LocalSecondaryIndexes")?,
        global_indexes: index_inputs(p, "GlobalSecondaryIndexes")?,
        tags: tags(p)?,
        stream_view_type: stream_view(p)?.flatten(),
        table_class: table_class.map(str::to_string),
        deletion_protection: p.bool("DeletionProtectionEnabled")?.unwrap_or(false),
        resource_policy: p.str("ResourcePolicy")?.map(str::to_string),
    };
    let (check, _) = table_check(engine, account, &input.name, "dynamodb:CreateTable", p)?;
    let mut checks = vec![with_request_tags(check.clone(), &input.tags)];
    if !input.tags.is_empty() {
        let mut tag = with_request_tags(check.clone(), &input.tags);
        tag.action = "dynamodb:TagResource".into();
        checks.push(tag);
    }
    if input.resource_policy.is_some() {
        let mut put = check;
        put.action = "dynamodb:PutResourcePolicy".into();
        checks.push(put);
    }
    authz.authorize(&checks)?;
    if let Some(policy) = &input.resource_policy {
        super::policies::validate_policy(policy)?;
    }
    let d = engine.create_table(input).await.map_err(engine_error)?;
    Ok(json!({"TableDescription": describe(engine, &d)}))
}

pub fn describe_table(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let name = table_name(p, "TableName", "tableName")?;
    authz.authorize(&[table_check(engine, account, &name, "dynamodb:DescribeTable", p)?.0])?;
    let d = engine.describe_table(account, &name).map_err(|e| match e {
        palisade_engine::EngineError::ResourceNotFound(_) => ApiError::not_found(format!(
            "Requested resource not found: Table: {name} not found"
        )),
        other => engine_error(other),
    })?;
    Ok(json!({"Table": describe(engine, &d)}))
}

pub fn list_tables(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    authz.authorize(&[Check::new("dynamodb:ListTables", "*")])?;
    let limit = match p.int("Limit")? {
        Some(l) if !(1..=100).contains(&l) => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{l}' at 'limit' failed to satisfy constraint: Member must have value {} 100",
                if l < 1 {
                    "greater than or equal to 1, Member must have value less than or equal to"
                } else {
                    "less than or equal to"
                }
            )));
        }
        Some(l) => l as usize,
        None => 100,
    };
    let start = p.str("ExclusiveStartTableName")?;
    let (names, last) = engine.list_tables(account, start, limit);
    let mut o = Map::new();
    o.insert("TableNames".into(), json!(names));
    if let Some(l) = last {
        o.insert("LastEvaluatedTableName".into(), json!(l));
    }
    Ok(Value::Object(o))
}

pub async fn update_table(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let name = table_name(p, "TableName", "tableName")?;
    authz.authorize(&[table_check(engine, account, &name, "dynamodb:UpdateTable", p)?.0])?;
    let mut input = UpdateTableInput {
        account: account.to_string(),
        name,
        attribute_definitions: attribute_definitions(p)?,
        billing_mode: billing_mode(p)?,
        throughput: throughput(p)?,
        deletion_protection: p.bool("DeletionProtectionEnabled")?,
        table_class: p
            .enum_str(
                "TableClass",
                "tableClass",
                &["STANDARD", "STANDARD_INFREQUENT_ACCESS"],
            )?
            .map(str::to_string),
        stream_view_type: stream_view(p)?,
        ..UpdateTableInput::default()
    };
    if let Some(list) = p.get("GlobalSecondaryIndexUpdates") {
        for u in objects(list)? {
            if let Some(c) = u.obj("Create")? {
                input.create_indexes.push(IndexInput {
                    name: c.req_str("IndexName", "indexName")?.to_string(),
                    key_schema: key_schema(c.get("KeySchema"), "keySchema")?,
                    projection: projection(&c)?,
                    throughput: throughput(&c)?,
                });
            }
            if let Some(d) = u.obj("Delete")? {
                input
                    .delete_indexes
                    .push(d.req_str("IndexName", "indexName")?.to_string());
            }
            if let Some(up) = u.obj("Update")? {
                let tp = throughput(&up)?.ok_or_else(|| missing("provisionedThroughput"))?;
                input
                    .update_indexes
                    .push((up.req_str("IndexName", "indexName")?.to_string(), tp));
            }
        }
    }
    let d = engine.update_table(input).await.map_err(engine_error)?;
    Ok(json!({"TableDescription": describe(engine, &d)}))
}

pub async fn delete_table(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let name = table_name(p, "TableName", "tableName")?;
    authz.authorize(&[table_check(engine, account, &name, "dynamodb:DeleteTable", p)?.0])?;
    let d = engine
        .delete_table(account, &name)
        .await
        .map_err(|e| match e {
            palisade_engine::EngineError::ResourceNotFound(_) => ApiError::not_found(format!(
                "Requested resource not found: Table: {name} not found"
            )),
            other => engine_error(other),
        })?;
    Ok(json!({"TableDescription": describe(engine, &d)}))
}

pub fn describe_endpoints(engine: &Engine, authz: &dyn Authorizer) -> Result<Value, ApiError> {
    authz.authorize(&[Check::new("dynamodb:DescribeEndpoints", "*")])?;
    Ok(
        json!({"Endpoints": [{"Address": format!("dynamodb.{}.amazonaws.com", engine.config().region), "CachePeriodInMinutes": 1440}]}),
    )
}

pub fn describe_limits(_engine: &Engine, authz: &dyn Authorizer) -> Result<Value, ApiError> {
    authz.authorize(&[Check::new("dynamodb:DescribeLimits", "*")])?;
    Ok(json!({
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000
    }))
}

fn resource_arn(p: &Params<'_>) -> Result<String, ApiError> {
    Ok(p.req_str("ResourceArn", "resourceArn")?.to_string())
}

/// The check of a tagging operation on the resource `arn`.
fn resource_check(engine: &Engine, action: &'static str, arn: &str) -> Check {
    let check = Check::new(action, arn);
    match engine.table_by_arn(arn) {
        Ok(t) => check.tags(&t.tags),
        Err(_) => check,
    }
}

pub async fn tag_resource(
    engine: &Engine,
    authz: &dyn Authorizer,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let arn = resource_arn(p)?;
    let tags = tags(p)?;
    if tags.is_empty() {
        return Err(missing("tags"));
    }
    authz.authorize(&[with_request_tags(
        resource_check(engine, "dynamodb:TagResource", &arn),
        &tags,
    )])?;
    engine
        .tag_resource(&arn, tags)
        .await
        .map_err(engine_error)?;
    Ok(json!({}))
}

pub async fn untag_resource(
    engine: &Engine,
    authz: &dyn Authorizer,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let arn = resource_arn(p)?;
    let keys = p.str_list("TagKeys")?.ok_or_else(|| missing("tagKeys"))?;
    let check =
        resource_check(engine, "dynamodb:UntagResource", &arn).keys("aws:TagKeys", keys.clone());
    authz.authorize(&[check])?;
    engine
        .untag_resource(&arn, &keys)
        .await
        .map_err(engine_error)?;
    Ok(json!({}))
}

pub fn list_tags_of_resource(
    engine: &Engine,
    authz: &dyn Authorizer,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let arn = resource_arn(p)?;
    authz.authorize(&[resource_check(engine, "dynamodb:ListTagsOfResource", &arn)])?;
    let table = engine.table_by_arn(&arn).map_err(engine_error)?;
    let tags: Vec<Value> = table
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({"Tags": tags}))
}
