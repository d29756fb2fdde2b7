//! The DynamoDB expression language: parsing and evaluation of condition, filter,
//! key-condition, projection and update expressions, and the legacy parameters (`Expected`,
//! `KeyConditions`, `QueryFilter`, `ScanFilter`, `AttributesToGet`, `AttributeUpdates`) that
//! predate them.
//!
//! Expressions go text → tokens (`lexer`) → raw syntax tree with source positions (`parser`,
//! recursion bounded by [`MAX_NESTING`]) → validated tree ([`ast`]) with placeholders resolved
//! and DynamoDB's checks applied in DynamoDB's order (`check`, through an [`ExprContext`]) →
//! evaluation ([`Condition::evaluate`], [`Update::apply`], [`Projection::apply`],
//! [`KeyCondition::matches`]). The legacy parameters build the same trees directly (`legacy`).
//! Raw trees are kept per thread by their text (`parse_cache`), since clients repeat the same
//! expressions; the checks against each request's placeholders always run.
//! Every error is a `ValidationException` whose text is DynamoDB's ([`ExprError`]).
//!
//! A request is handled as: `ExprContext::new(names, values)`, `check_maps()`, parse each of the
//! request's expressions, `finish()` for unused placeholders, then evaluate/apply.
//!
//! Depends only on palisade-model; must not depend on storage, HTTP, IAM or an async runtime.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod ast;
mod check;
mod context;
mod error;
mod eval;
mod key;
mod legacy;
mod lexer;
mod parse_cache;
mod parser;
mod projection;
pub mod reserved;
mod update;

pub use ast::{CompareOp, Cond, Operand, Path, PathElem, UpdateAction, ValueExpr};
pub use check::{MAX_IN_OPERANDS, MAX_OPERATORS, MAX_PATH_DEPTH};
pub use context::{Condition, ExprContext, MAX_EXPRESSION_BYTES};
pub use error::{ExprError, ExprKind, Invalid};
pub use eval::{lookup, size_of, values_equal};
pub use key::{KeyAttribute, KeyCondition, KeySchema, SortCondition, SortOp};
pub use legacy::{
    LegacyAction, LegacyCondition, LegacyUpdate, attribute_updates, attributes_to_get, expected,
    filter, key_conditions,
};
pub use parser::MAX_NESTING;
pub use projection::Projection;
pub use update::{Update, UpdatedPaths};
