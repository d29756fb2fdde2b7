//! AWS Organizations: the organization, its root, organizational units, member accounts, and
//! service and resource control policies with their attachments, kept durably in a storage
//! backend; answers "which SCPs and RCPs apply to this account, level by level".
//!
//! Depends on the storage traits and the IAM policy language. It must not depend on a concrete
//! storage backend, on HTTP or wire formats, or on DynamoDB tables.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
