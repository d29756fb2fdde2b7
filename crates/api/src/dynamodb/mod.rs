//! DynamoDB operations: each request body parsed into typed engine inputs, executed on the
//! engine, and its result encoded as DynamoDB's JSON.

pub mod authz;
mod batch;
mod batch_decode;
mod exprs;
mod items;
mod params;
mod policies;
mod policy_rules;
mod reads;
mod tables;

use palisade_engine::{Consumed, Engine, EngineError};
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorKind};
pub use authz::{AllowAll, Authorizer, Check};
use batch_decode::{BatchWriteInput, ItemInput, ItemOp, TransactWriteInput};
use params::Params;

/// Executes the operation named `op` (from `X-Amz-Target: DynamoDB_20120810.<op>`) with the JSON
/// request `body`, returning the JSON response body.
pub async fn dispatch(engine: &Engine, op: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let account = engine.config().account.clone();
    dispatch_with(engine, &authz::AllowAll, &account, op, body).await
}

/// [`dispatch`] with an authorizer: every handler parses its request, asks `authz` about each
/// action and resource it will touch, and only then executes. A BatchWriteItem,
/// TransactWriteItems, PutItem, GetItem, UpdateItem or DeleteItem body is first offered to the
/// strict decoders ([`batch_decode`]), which build no JSON tree of the items or keys.
pub async fn dispatch_with(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    op: &str,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    match strict_decode(op, body) {
        Some(ParsedBody::BatchWrite(input)) => {
            return dispatch_batch_write(engine, authz, account, *input).await;
        }
        Some(ParsedBody::TransactWrite(input)) => {
            return dispatch_transact_write(engine, authz, account, *input, body).await;
        }
        Some(ParsedBody::Item(input)) => {
            return dispatch_item(engine, authz, account, *input).await;
        }
        _ => {}
    }
    let value = Params::parse(body)?;
    dispatch_parsed(engine, authz, account, op, &value, body).await
}

/// A request body that passed the pipeline's first check (the body is JSON), decoded as far
/// as can be done before authentication without refusing anything.
pub(crate) enum ParsedBody {
    /// The body as a tree.
    Tree(Value),
    /// A BatchWriteItem request decoded straight from the bytes, without a tree.
    BatchWrite(Box<BatchWriteInput>),
    /// A TransactWriteItems request whose items were decoded straight from the bytes.
    TransactWrite(Box<TransactWriteInput>),
    /// A PutItem request whose item, or a GetItem, UpdateItem or DeleteItem request whose
    /// key, was decoded straight from the bytes.
    Item(Box<ItemInput>),
    /// JSON that is empty or that a tree cannot hold (a number out of range): left to the
    /// operation, which answers it from the bytes.
    Unparsed,
}

/// The pipeline's parse step: DynamoDB checks that a non-empty body is JSON before it looks
/// at the target, and answers `SerializationException` otherwise. `op` is the operation the
/// target names, when it names one: a body of an operation with a strict decoder
/// ([`strict_decode`]) is decoded by it here, and falls back to the tree when the strict decoder leaves it to
/// the tree.
pub(crate) fn parse_body(op: Option<&str>, body: &[u8]) -> Result<ParsedBody, ApiError> {
    if body.is_empty() {
        return Ok(ParsedBody::Unparsed);
    }
    if let Some(parsed) = op.and_then(|op| strict_decode(op, body)) {
        return Ok(parsed);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => Ok(ParsedBody::Tree(value)),
        Err(_) if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() => {
            Ok(ParsedBody::Unparsed)
        }
        Err(_) => Err(ApiError::serialization("")),
    }
}

/// The strict decoding of `body` for operation `op`, for the operations that have one, when
/// the strict decoder accepts it.
fn strict_decode(op: &str, body: &[u8]) -> Option<ParsedBody> {
    match op {
        "BatchWriteItem" => {
            BatchWriteInput::decode(body).map(|i| ParsedBody::BatchWrite(Box::new(i)))
        }
        "TransactWriteItems" => {
            TransactWriteInput::decode(body).map(|i| ParsedBody::TransactWrite(Box::new(i)))
        }
        _ => ItemInput::decode(ItemOp::named(op)?, body).map(|i| ParsedBody::Item(Box::new(i))),
    }
}

/// Executes the operation `op` on a body [`parse_body`] decoded; `body` is its bytes.
pub(crate) async fn dispatch_body(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    op: &str,
    parsed: ParsedBody,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    match parsed {
        ParsedBody::Tree(value) => dispatch_parsed(engine, authz, account, op, &value, body).await,
        ParsedBody::BatchWrite(input) => dispatch_batch_write(engine, authz, account, *input).await,
        ParsedBody::TransactWrite(input) => {
            dispatch_transact_write(engine, authz, account, *input, body).await
        }
        ParsedBody::Item(input) => dispatch_item(engine, authz, account, *input).await,
        ParsedBody::Unparsed => dispatch_with(engine, authz, account, op, body).await,
    }
}

/// PutItem, GetItem, UpdateItem or DeleteItem with its item or key decoded without a tree:
/// the same steps as from [`dispatch_parsed`].
async fn dispatch_item(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    input: ItemInput,
) -> Result<Vec<u8>, ApiError> {
    let p = Params::from_map(&input.others);
    let item = Some(input.item);
    let out = match input.op {
        ItemOp::Put => items::put_item(engine, authz, account, &p, item).await?,
        ItemOp::Get => return items::get_item(engine, authz, account, &p, item),
        ItemOp::Update => items::update_item(engine, authz, account, &p, item).await?,
        ItemOp::Delete => items::delete_item(engine, authz, account, &p, item).await?,
    };
    serde_json::to_vec(&out).map_err(ApiError::internal)
}

/// BatchWriteItem decoded without a tree: the same steps as from [`dispatch_parsed`].
async fn dispatch_batch_write(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    input: BatchWriteInput,
) -> Result<Vec<u8>, ApiError> {
    let p = Params::from_map(&input.others);
    let out = batch::batch_write_decoded(engine, authz, account, &p, input.requests).await?;
    serde_json::to_vec(&out).map_err(ApiError::internal)
}

/// TransactWriteItems with its items decoded without a tree: the same steps as from
/// [`dispatch_parsed`].
async fn dispatch_transact_write(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    input: TransactWriteInput,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    let p = Params::from_map(&input.others);
    let (trees, items): (Vec<Value>, Vec<_>) = input.elements.into_iter().unzip();
    let elements = trees
        .iter()
        .zip(items)
        .map(|(tree, item)| Params::new(tree).map(|element| (element, Some(item))))
        .collect::<Result<Vec<_>, _>>()?;
    let out = batch::transact_write_decoded(engine, authz, account, &p, elements, body).await?;
    serde_json::to_vec(&out).map_err(ApiError::internal)
}

/// [`dispatch_with`] for a request body the caller has already parsed: `value` is `body` as
/// JSON (the pipeline parses it once, when it checks that the body is JSON).
pub async fn dispatch_parsed(
    engine: &Engine,
    authz: &dyn Authorizer,
    account: &str,
    op: &str,
    value: &Value,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    if !value.is_object() {
        // What Params::parse answers.
        return Err(ApiError::serialization(
            "Start of structure or map found where not expected.",
        ));
    }
    let p = Params::new(value)?;
    let out = match op {
        "CreateTable" => tables::create_table(engine, authz, account, &p).await?,
        "DescribeTable" => tables::describe_table(engine, authz, account, &p)?,
        "ListTables" => tables::list_tables(engine, authz, account, &p)?,
        "UpdateTable" => tables::update_table(engine, authz, account, &p).await?,
        "DeleteTable" => tables::delete_table(engine, authz, account, &p).await?,
        "DescribeEndpoints" => tables::describe_endpoints(engine, authz)?,
        "DescribeLimits" => tables::describe_limits(engine, authz)?,
        "TagResource" => tables::tag_resource(engine, authz, &p).await?,
        "UntagResource" => tables::untag_resource(engine, authz, &p).await?,
        "ListTagsOfResource" => tables::list_tags_of_resource(engine, authz, &p)?,
        "PutResourcePolicy" => policies::put_resource_policy(engine, authz, &p).await?,
        "GetResourcePolicy" => policies::get_resource_policy(engine, authz, &p)?,
        "DeleteResourcePolicy" => policies::delete_resource_policy(engine, authz, &p).await?,
        "PutItem" => items::put_item(engine, authz, account, &p, None).await?,
        // These three write their answers straight to bytes (they may carry many items).
        "GetItem" => return items::get_item(engine, authz, account, &p, None),
        "UpdateItem" => items::update_item(engine, authz, account, &p, None).await?,
        "DeleteItem" => items::delete_item(engine, authz, account, &p, None).await?,
        "Query" => return reads::query(engine, authz, account, &p),
        "Scan" => return reads::scan(engine, authz, account, &p),
        "BatchGetItem" => batch::batch_get(engine, authz, account, &p)?,
        "BatchWriteItem" => batch::batch_write(engine, authz, account, &p).await?,
        "TransactGetItems" => batch::transact_get(engine, authz, account, &p)?,
        "TransactWriteItems" => batch::transact_write(engine, authz, account, &p, body).await?,
        _ => {
            return Err(ApiError::new(
                ErrorKind::UnknownOperation,
                format!("{op} is not supported by this server yet"),
            ));
        }
    };
    serde_json::to_vec(&out).map_err(ApiError::internal)
}

/// A JSON object written straight to bytes, members in the order they are added (add them in
/// key order to match what a `serde_json::Value` object gives).
pub(crate) struct JsonObject {
    out: Vec<u8>,
    empty: bool,
}

impl JsonObject {
    /// An object whose body is expected to take about `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> JsonObject {
        let mut out = Vec::with_capacity(capacity);
        out.push(b'{');
        JsonObject { out, empty: true }
    }

    /// Starts a member: writes its name; the caller writes the value into the buffer.
    pub(crate) fn member(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        palisade_model::write_json_str(name, &mut self.out);
        self.out.push(b':');
        &mut self.out
    }

    /// Adds a member whose value is a JSON tree.
    pub(crate) fn value(&mut self, name: &str, value: &Value) -> Result<(), ApiError> {
        serde_json::to_writer(self.member(name), value).map_err(ApiError::internal)
    }

    /// Adds a member whose value is an item.
    pub(crate) fn item(&mut self, name: &str, item: &palisade_model::Item) {
        let out = self.member(name);
        palisade_model::write_item_json(item, out);
    }

    /// Adds a member whose value is an unsigned integer.
    pub(crate) fn count(&mut self, name: &str, n: usize) {
        use std::io::Write as _;
        // Writing to a Vec cannot fail.
        let _ = write!(self.member(name), "{n}");
    }

    /// The object's bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.push(b'}');
        self.out
    }
}

/// The wire error for an engine error.
pub(crate) fn engine_error(e: EngineError) -> ApiError {
    match e {
        EngineError::Validation(m) => ApiError::validation(m),
        EngineError::ResourceNotFound(m) => ApiError::not_found(m),
        EngineError::ResourceInUse(m) => ApiError::new(ErrorKind::ResourceInUse, m),
        EngineError::LimitExceeded(m) => ApiError::new(ErrorKind::LimitExceeded, m),
        EngineError::ConditionalCheckFailed { item } => {
            let mut err = ApiError::new(
                ErrorKind::ConditionalCheckFailed,
                "The conditional request failed",
            );
            if let Some(i) = item {
                err.extra
                    .insert("Item".into(), palisade_model::item_to_json(&i));
            }
            err
        }
        EngineError::TransactionCanceled(reasons) => {
            let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
            let mut err = ApiError::new(
                ErrorKind::TransactionCanceled,
                format!(
                    "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                    codes.join(", ")
                ),
            );
            err.extra.insert(
                "CancellationReasons".into(),
                Value::Array(
                    reasons
                        .iter()
                        .map(|r| {
                            let mut o = serde_json::Map::new();
                            o.insert("Code".into(), json!(r.code));
                            if let Some(m) = &r.message {
                                o.insert("Message".into(), json!(m));
                            }
                            if let Some(i) = &r.item {
                                o.insert("Item".into(), palisade_model::item_to_json(i));
                            }
                            Value::Object(o)
                        })
                        .collect(),
                ),
            );
            err
        }
        EngineError::IdempotentParameterMismatch(m) => {
            ApiError::new(ErrorKind::IdempotentParameterMismatch, m)
        }
        EngineError::ItemCollectionSizeLimitExceeded(m) => {
            ApiError::new(ErrorKind::ItemCollectionSizeLimitExceeded, m)
        }
        EngineError::PolicyNotFound(m) => ApiError::new(ErrorKind::PolicyNotFound, m),
        EngineError::Internal(detail) => ApiError::internal(detail),
    }
}

/// `ReturnConsumedCapacity`: NONE, TOTAL or INDEXES.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CapacityMode {
    None,
    Total,
    Indexes,
}

pub(crate) fn capacity_mode(p: &Params<'_>) -> Result<CapacityMode, ApiError> {
    Ok(
        match p.enum_str(
            "ReturnConsumedCapacity",
            "returnConsumedCapacity",
            &["INDEXES", "TOTAL", "NONE"],
        )? {
            Some("TOTAL") => CapacityMode::Total,
            Some("INDEXES") => CapacityMode::Indexes,
            _ => CapacityMode::None,
        },
    )
}

/// The `ConsumedCapacity` object of one table, or None when not requested. `gsis` names the
/// table's global indexes; it is called only for `INDEXES`, so requests that ask for no
/// capacity pay nothing for it.
pub(crate) fn capacity_json(
    mode: CapacityMode,
    table: &str,
    c: &Consumed,
    gsis: impl FnOnce() -> Vec<String>,
) -> Option<Value> {
    if mode == CapacityMode::None {
        return None;
    }
    let mut o = serde_json::Map::new();
    o.insert("TableName".into(), json!(table));
    o.insert("CapacityUnits".into(), json!(c.total()));
    if c.read > 0.0 {
        o.insert(
            "ReadCapacityUnits".into(),
            json!(
                c.read
                    + if c.write == 0.0 {
                        c.indexes.values().sum::<f64>()
                    } else {
                        0.0
                    }
            ),
        );
    }
    if c.write > 0.0 {
        o.insert(
            "WriteCapacityUnits".into(),
            json!(c.write + c.indexes.values().sum::<f64>()),
        );
    }
    if mode == CapacityMode::Indexes {
        let gsis = gsis();
        o.insert("Table".into(), json!({"CapacityUnits": c.read + c.write}));
        let mut g = serde_json::Map::new();
        let mut l = serde_json::Map::new();
        for (name, units) in &c.indexes {
            let target = if gsis.contains(name) { &mut g } else { &mut l };
            target.insert(name.clone(), json!({"CapacityUnits": units}));
        }
        if !g.is_empty() {
            o.insert("GlobalSecondaryIndexes".into(), Value::Object(g));
        }
        if !l.is_empty() {
            o.insert("LocalSecondaryIndexes".into(), Value::Object(l));
        }
    }
    Some(Value::Object(o))
}

/// Names of a table's global secondary indexes (to place index capacity correctly).
pub(crate) fn gsi_names(engine: &Engine, account: &str, table: &str) -> Vec<String> {
    engine
        .table(account, table)
        .map(|t| {
            t.indexes
                .iter()
                .filter(|i| i.kind == palisade_engine::schema::IndexKind::Global)
                .map(|i| i.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The check for `action` on the table a request names (a name or an ARN), with the table's
/// metadata when the table exists (its tags feed `aws:ResourceTag/*`).
pub(crate) fn table_check(
    engine: &Engine,
    account: &str,
    name: &str,
    action: &'static str,
    p: &Params<'_>,
) -> Result<
    (
        Check,
        Option<std::sync::Arc<palisade_engine::schema::TableMeta>>,
    ),
    ApiError,
> {
    let (acct, table) = engine.resolve_table_name(account, name);
    // Pieced together: `format!` was 1.1 % of the server's CPU per GetItem.
    let region = engine.config().region.as_str();
    let parts = ["arn:aws:dynamodb:", region, ":", acct, ":table/", table];
    let mut arn = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        arn.push_str(p);
    }
    let meta = engine.table(account, name).ok();
    let mut check = Check::new(action, arn);
    if let Some(m) = &meta {
        check = check.tags(&m.tags);
    }
    let check = check.key_opt(
        "dynamodb:ReturnConsumedCapacity",
        p.str("ReturnConsumedCapacity")?,
    );
    Ok((check, meta))
}
