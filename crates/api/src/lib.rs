//! The request pipeline: DynamoDB's JSON 1.0 protocol parsed into typed operations, then
//! authenticate, authorize and execute against the engine, with one wire error type.
//!
//! Never touches a storage backend directly (only through `palisade-engine`), and knows nothing
//! of sockets or listeners: the binary hands it whole HTTP requests.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod dynamodb;
pub mod error;

pub use error::{ApiError, ErrorKind};
