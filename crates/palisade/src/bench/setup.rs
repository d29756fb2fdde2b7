//! Before the measurement: wait for the server's first answer, create the table, wait until it is
//! ACTIVE, preload the items; after it: delete the table again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};

use super::client::{Answer, Connection, Endpoint};
use super::workload::{BATCH_SIZE, BATCH_WRITE_ITEM, QUERY_ITEMS, Shape};

const CREATE_TABLE: &str = "DynamoDB_20120810.CreateTable";
const DESCRIBE_TABLE: &str = "DynamoDB_20120810.DescribeTable";
const DELETE_TABLE: &str = "DynamoDB_20120810.DeleteTable";
const LIST_TABLES: &str = "DynamoDB_20120810.ListTables";

/// How long a new table may take to become ACTIVE.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);
/// Attempts at writing a preload batch whose items come back unprocessed.
const PRELOAD_ATTEMPTS: u32 = 20;

/// Sends one request on a fresh connection; non-200 answers are errors naming the DynamoDB error.
async fn call_once(endpoint: &Endpoint, target: &str, body: Value) -> Result<Answer, String> {
    let mut connection = Connection::open(endpoint).await?;
    connection
        .call(endpoint, target, Bytes::from(body.to_string()))
        .await
}

fn failure(what: &str, answer: &Answer) -> String {
    format!(
        "{what} failed: {} {}",
        answer.error_kind(),
        answer.error_message()
    )
}

/// Sends ListTables until one succeeds and returns when it did; `Err` after `timeout`.
pub async fn wait_for_first_answer(endpoint: &Endpoint, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        match call_once(endpoint, LIST_TABLES, json!({})).await {
            Ok(answer) if answer.status == 200 => return Ok(()),
            Ok(answer) => last = failure("ListTables", &answer),
            Err(message) => last = message,
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Err(format!(
        "the server gave no successful answer within {} s: {last}",
        timeout.as_secs()
    ))
}

/// Creates the table (`pk` hash key, `sk` range key, both strings, on-demand) and waits until it
/// is ACTIVE. Returns whether this call created it (`false`: it existed already).
pub async fn create_table(endpoint: &Endpoint, table: &str) -> Result<bool, String> {
    let body = json!({
        "TableName": table,
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    });
    let answer = call_once(endpoint, CREATE_TABLE, body).await?;
    let created = match answer.status {
        200 => true,
        _ if answer.error_kind() == "ResourceInUseException" => false,
        _ => return Err(failure("CreateTable", &answer)),
    };
    let deadline = Instant::now() + ACTIVE_TIMEOUT;
    loop {
        let answer = call_once(endpoint, DESCRIBE_TABLE, json!({ "TableName": table })).await?;
        if answer.status != 200 {
            return Err(failure("DescribeTable", &answer));
        }
        let status = serde_json::from_slice::<Value>(&answer.body)
            .ok()
            .and_then(|v| v["Table"]["TableStatus"].as_str().map(str::to_owned))
            .unwrap_or_default();
        if status == "ACTIVE" {
            return Ok(created);
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "table {table} is still {status:?} after {} s",
                ACTIVE_TIMEOUT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Deletes the table.
pub async fn delete_table(endpoint: &Endpoint, table: &str) -> Result<(), String> {
    let answer = call_once(endpoint, DELETE_TABLE, json!({ "TableName": table })).await?;
    if answer.status == 200 {
        Ok(())
    } else {
        Err(failure("DeleteTable", &answer))
    }
}

/// Writes the preloaded items (`item-0 ..`) and the query partition with BatchWriteItem over
/// `connections` connections; returns how long it took.
pub async fn preload(
    endpoint: &Endpoint,
    shape: &Arc<Shape>,
    connections: usize,
) -> Result<Duration, String> {
    let started = Instant::now();
    let item_batches = (shape.items as usize).div_ceil(BATCH_SIZE);
    let query_batches = QUERY_ITEMS.div_ceil(BATCH_SIZE);
    let total = item_batches + query_batches;
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections.clamp(1, total.max(1)) {
        let endpoint = endpoint.clone();
        let shape = Arc::clone(shape);
        let next = Arc::clone(&next);
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(&endpoint).await?;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let body = if n < item_batches {
                    let first = (n * BATCH_SIZE) as u64;
                    let last = (first + BATCH_SIZE as u64).min(shape.items);
                    shape.batch(&(first..last).collect::<Vec<_>>())
                } else if n < total {
                    let first = (n - item_batches) * BATCH_SIZE;
                    shape.batch_query_partition(first, BATCH_SIZE.min(QUERY_ITEMS - first))
                } else {
                    return Ok::<(), String>(());
                };
                write_batch(&mut connection, &endpoint, body).await?;
            }
        }));
    }
    for task in tasks {
        task.await
            .map_err(|e| format!("a preload task failed: {e}"))??;
    }
    Ok(started.elapsed())
}

/// Writes one batch, resending unprocessed items with a growing pause.
async fn write_batch(
    connection: &mut Connection,
    endpoint: &Endpoint,
    mut body: Bytes,
) -> Result<(), String> {
    for attempt in 0..PRELOAD_ATTEMPTS {
        let answer = connection.call(endpoint, BATCH_WRITE_ITEM, body).await?;
        let unprocessed = match answer.status {
            200 => serde_json::from_slice::<Value>(&answer.body)
                .map_err(|e| format!("BatchWriteItem answered unreadable JSON: {e}"))?
                .get("UnprocessedItems")
                .filter(|u| u.as_object().is_some_and(|m| !m.is_empty()))
                .cloned(),
            _ => return Err(failure("BatchWriteItem (preload)", &answer)),
        };
        let Some(unprocessed) = unprocessed else {
            return Ok(());
        };
        body = Bytes::from(json!({ "RequestItems": unprocessed }).to_string());
        tokio::time::sleep(Duration::from_millis(10 << attempt.min(8))).await;
    }
    Err(format!(
        "preloading gave up: items stayed unprocessed after {PRELOAD_ATTEMPTS} attempts"
    ))
}
