//! The DynamoDB expression language: parsing and evaluation of condition, filter, key-condition, projection and update expressions. Depends only on palisade-model; knows nothing of storage, HTTP or IAM.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
