//! The AWS IAM policy language and evaluator: parsing, validation and decisions with reasons. No I/O and no DynamoDB types.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
