//! The embedded storage backend on fjall, with a single writer that group-commits transactions. Depends only on palisade-storage and fjall.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
