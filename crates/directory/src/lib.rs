//! The identity directory: IAM users, groups, roles, access keys, managed and inline policies,
//! permissions boundaries, tags and STS sessions, kept durably in a storage backend, with
//! secret access keys encrypted under a key that is not kept in the same store.
//!
//! Depends on the storage traits and the IAM policy language. It must not depend on a concrete
//! storage backend, on HTTP or wire formats, or on DynamoDB tables.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
