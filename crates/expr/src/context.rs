//! The entry point: [`ExprContext`] parses the expressions of one request against its
//! `ExpressionAttributeNames` / `ExpressionAttributeValues` and accounts for placeholders.

use std::collections::{BTreeSet, HashMap};

use palisade_model::{AttributeValue, Item};

use crate::ast::{Cond, Path};
use crate::check::{Checker, Placeholders};
use crate::error::{ExprError, ExprKind, Invalid};
use crate::key::{KeyCondition, KeySchema, key_condition_from};
use crate::parse_cache;
use crate::parser::parse_projection;
use crate::projection::Projection;
use crate::update::Update;

/// Longest expression DynamoDB accepts, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// A validated condition (ConditionExpression, FilterExpression or a legacy condition).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    cond: Cond,
}

impl Condition {
    /// Wraps an already validated condition tree.
    pub fn from_cond(cond: Cond) -> Condition {
        Condition { cond }
    }

    /// The condition tree.
    pub fn cond(&self) -> &Cond {
        &self.cond
    }

    /// Whether `item` satisfies the condition (pass an empty item when there is none).
    pub fn evaluate(&self, item: &Item) -> bool {
        self.cond.evaluate(item)
    }

    /// Top-level attribute names the condition refers to.
    pub fn top_level_attributes(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        condition_attributes(&self.cond, &mut out);
        out
    }
}

/// Parses and validates the expressions of one request and tracks which placeholders they
/// used. Parse every expression of the request through the same context, then call
/// [`ExprContext::finish`] for DynamoDB's unused-placeholder errors.
#[derive(Debug)]
pub struct ExprContext<'a> {
    ph: Placeholders<'a>,
}

fn precheck(text: &str, kind: ExprKind) -> Result<(), ExprError> {
    if text.is_empty() {
        return Err(ExprError::invalid(kind, Invalid::Empty));
    }
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(ExprError::invalid(kind, Invalid::TooLarge(text.len())));
    }
    Ok(())
}

impl<'a> ExprContext<'a> {
    /// A context for a request with these placeholder maps (either may be absent).
    pub fn new(
        names: Option<&'a HashMap<String, String>>,
        values: Option<&'a HashMap<String, AttributeValue>>,
    ) -> ExprContext<'a> {
        ExprContext {
            ph: Placeholders {
                names,
                values,
                ..Placeholders::default()
            },
        }
    }

    /// DynamoDB's checks of the placeholder maps themselves, made before any expression is
    /// parsed: a map that is present must not be empty, and every key must be a `#name`
    /// (names) or `:name` (values) placeholder.
    pub fn check_maps(&self) -> Result<(), ExprError> {
        const NAMES: &str = "ExpressionAttributeNames";
        const VALUES: &str = "ExpressionAttributeValues";
        if self.ph.names.is_some_and(HashMap::is_empty) {
            return Err(ExprError::EmptyMap(NAMES));
        }
        if self.ph.values.is_some_and(HashMap::is_empty) {
            return Err(ExprError::EmptyMap(VALUES));
        }
        let mut name_keys: Vec<(&String, &String)> =
            self.ph.names.iter().flat_map(|m| m.iter()).collect();
        name_keys.sort();
        for (key, name) in name_keys {
            check_map_key(NAMES, key, '#')?;
            if name.is_empty() {
                return Err(ExprError::EmptyAttributeName(key.clone()));
            }
        }
        let mut value_keys: Vec<&String> = self.ph.values.iter().flat_map(|m| m.keys()).collect();
        value_keys.sort();
        for key in value_keys {
            check_map_key(VALUES, key, ':')?;
        }
        Ok(())
    }

    /// Parses a condition or filter expression; `kind` names it in error messages
    /// ([`ExprKind::Condition`] or [`ExprKind::Filter`]).
    pub fn condition(&mut self, text: &str, kind: ExprKind) -> Result<Condition, ExprError> {
        precheck(text, kind)?;
        let raw = parse_cache::condition(text).map_err(|p| ExprError::invalid(kind, p))?;
        let cond = Checker::new(&mut self.ph, kind).condition(&raw)?;
        Ok(Condition { cond })
    }

    /// Parses an update expression.
    pub fn update(&mut self, text: &str) -> Result<Update, ExprError> {
        let kind = ExprKind::Update;
        precheck(text, kind)?;
        let raw = parse_cache::update(text).map_err(|p| ExprError::invalid(kind, p))?;
        let actions = Checker::new(&mut self.ph, kind).update(&raw)?;
        Ok(Update::from_actions(actions, false))
    }

    /// Parses a projection expression.
    pub fn projection(&mut self, text: &str) -> Result<Projection, ExprError> {
        let kind = ExprKind::Projection;
        precheck(text, kind)?;
        let raw = parse_projection(text).map_err(|p| ExprError::invalid(kind, p))?;
        let paths = Checker::new(&mut self.ph, kind).projection(&raw)?;
        Ok(Projection::from_paths(paths))
    }

    /// Parses a key condition expression and checks it against the key schema of the table
    /// or index being queried.
    pub fn key_condition(
        &mut self,
        text: &str,
        schema: &KeySchema,
    ) -> Result<KeyCondition, ExprError> {
        let kind = ExprKind::KeyCondition;
        precheck(text, kind)?;
        let raw = parse_cache::condition(text).map_err(|p| ExprError::invalid(kind, p))?;
        let cond = Checker::new(&mut self.ph, kind).condition(&raw)?;
        key_condition_from(cond, schema)
    }

    /// Top-level attribute names referred to by the expressions parsed so far (after name
    /// substitution): what IAM's `dynamodb:Attributes` condition key is compared with.
    pub fn referenced_attributes(&self) -> &BTreeSet<String> {
        &self.ph.attributes
    }

    /// DynamoDB's checks after all expressions of a request are parsed: names defined but
    /// not used, then values defined but not used.
    pub fn finish(self) -> Result<(), ExprError> {
        if let Some(names) = self.ph.names {
            let mut unused: Vec<String> = names
                .keys()
                .filter(|k| !self.ph.used_names.contains(*k))
                .cloned()
                .collect();
            if !unused.is_empty() {
                unused.sort();
                return Err(ExprError::UnusedNames(unused));
            }
        }
        if let Some(values) = self.ph.values {
            let mut unused: Vec<String> = values
                .keys()
                .filter(|k| !self.ph.used_values.contains(*k))
                .cloned()
                .collect();
            if !unused.is_empty() {
                unused.sort();
                return Err(ExprError::UnusedValues(unused));
            }
        }
        Ok(())
    }
}

/// Longest placeholder DynamoDB accepts, in bytes.
const MAX_PLACEHOLDER_BYTES: usize = 255;

/// Checks that `key` is `sigil` followed by letters, digits and underscores.
fn check_map_key(map: &'static str, key: &str, sigil: char) -> Result<(), ExprError> {
    if key.len() > MAX_PLACEHOLDER_BYTES {
        return Err(ExprError::MapKeyTooLong {
            map,
            size: key.len(),
        });
    }
    let body = key.strip_prefix(sigil).unwrap_or("");
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ExprError::InvalidMapKey {
            map,
            key: key.to_string(),
        });
    }
    Ok(())
}

/// Adds the top-level attribute names `cond` refers to into `out`.
fn condition_attributes<'c>(cond: &'c Cond, out: &mut BTreeSet<&'c str>) {
    use crate::ast::Operand;
    fn operand<'c>(o: &'c Operand, out: &mut BTreeSet<&'c str>) {
        match o {
            Operand::Path(p) => {
                out.insert(p.head.as_str());
            }
            Operand::Size(inner) => operand(inner, out),
            Operand::Value(_) => {}
        }
    }
    let path = |p: &'c Path, out: &mut BTreeSet<&'c str>| {
        out.insert(p.head.as_str());
    };
    match cond {
        Cond::True => {}
        Cond::And(a, b) | Cond::Or(a, b) => {
            condition_attributes(a, out);
            condition_attributes(b, out);
        }
        Cond::Not(a) => condition_attributes(a, out),
        Cond::Compare(_, a, b)
        | Cond::AttributeType(a, b)
        | Cond::BeginsWith(a, b)
        | Cond::Contains(a, b) => {
            operand(a, out);
            operand(b, out);
        }
        Cond::Between(a, b, c) => {
            operand(a, out);
            operand(b, out);
            operand(c, out);
        }
        Cond::In(a, list) => {
            operand(a, out);
            for o in list {
                operand(o, out);
            }
        }
        Cond::AttributeExists(p) | Cond::AttributeNotExists(p) => path(p, out),
    }
}
