//! AWS Signature Version 4 verification. No DynamoDB types, no HTTP framework, no I/O.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
