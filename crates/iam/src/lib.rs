//! The AWS IAM policy language and evaluator: parsing, validation and decisions with reasons.
//!
//! Text goes through [`Policy::parse`] (typed model, per-type rules) or [`validate`] (every
//! finding, Access Analyzer style), then [`CompiledPolicy::compile`] once per policy change.
//! Each request is a [`RequestContext`]; [`PolicySet::evaluate`] returns a [`Decision`] that
//! names the deciding policy and statement and renders AWS's AccessDenied text.
//!
//! This crate does no I/O and knows no DynamoDB or storage types: it must not depend on
//! other Palisade crates, the network, or the file system.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod actions;
mod compile;
mod condition;
mod context;
mod decision;
mod eval;
mod findings;
mod glob;
mod model;
mod parse;
mod scenario;
mod validate;

pub use compile::{CompiledPolicy, Grant};
pub use context::{
    ContextBase, ContextValue, Principal, PrincipalError, PrincipalType, RequestContext,
    RequestContextOf,
};
pub use decision::{Deciding, Decision, Outcome, PolicyKind, StatementRef};
pub use eval::{OwnedPolicySet, PolicySet};
pub use findings::{Finding, Findings, PolicyError, Severity};
pub use model::{
    ActionClause, Condition, ConditionOperator, Effect, OperatorFamily, OperatorKind, Policy,
    PolicyType, PrincipalClause, PrincipalMap, Principals, ResourceClause, SetQualifier, Statement,
    Version,
};
pub use scenario::{Scenario, ScenarioError, decision_json};
pub use validate::validate;
