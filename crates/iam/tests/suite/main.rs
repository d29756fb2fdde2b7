//! Behaviour tests of the policy language and evaluator, taken from AWS's documented rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod decisions;
mod model;
mod operators;
mod parsing;
mod properties;
mod validation;
