//! The DynamoDB expression language: parsing and evaluation of condition, filter,
//! key-condition, projection and update expressions, and the legacy parameters (`Expected`,
//! `KeyConditions`, `QueryFilter`, `ScanFilter`, `AttributesToGet`, `AttributeUpdates`) that
//! predate them.
//!
//! Expressions go text → tokens ([`lexer`](crate)) → raw syntax tree with source positions →
//! validated tree ([`ast`]) with placeholders resolved through an [`ExprContext`] →
//! evaluation ([`Condition::evaluate`], [`Update::apply`], [`Projection::apply`],
//! [`KeyCondition::matches`]). Errors carry DynamoDB's exact `ValidationException` messages.
//!
//! Depends only on palisade-model; knows nothing of storage, HTTP or IAM.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod ast;
mod check;
mod context;
mod error;
mod eval;
mod key;
mod legacy;
mod lexer;
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
