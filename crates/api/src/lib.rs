//! The request pipeline: DynamoDB JSON 1.0 protocol parsed into typed operations, then authenticate, authorize and execute against the engine, with one wire error type. Never touches a storage backend directly.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
