//! DynamoDB operations: each request body parsed into a typed operation, executed on the engine,
//! and its result encoded as DynamoDB's JSON.

use palisade_engine::Engine;

use crate::error::{ApiError, ErrorKind};

/// Executes the operation named `op` (from `X-Amz-Target: DynamoDB_20120810.<op>`) with the JSON
/// request `body`, returning the JSON response body.
pub async fn dispatch(engine: &Engine, op: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let _ = (engine, body);
    Err(ApiError::new(ErrorKind::UnknownOperation, format!("unknown operation {op}")))
}
