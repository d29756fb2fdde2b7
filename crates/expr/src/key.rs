//! Key conditions of Query: equality on every partition-key attribute and an optional
//! condition on the sort key, checked against the key schema being queried.

use std::cmp::Ordering;

use palisade_model::{AttributeValue, Item, ScalarType};

use crate::ast::{CompareOp, Cond, Operand, Path};
use crate::error::ExprError;
use crate::eval::{compare_scalars, values_equal};

/// One key attribute of a table or index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttribute {
    /// Attribute name.
    pub name: String,
    /// Its declared type.
    pub ty: ScalarType,
}

/// The key schema a query runs against. Base tables and most indexes have one partition
/// attribute and at most one sort attribute; multi-attribute index keys have up to four of
/// each, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    pub partition: Vec<KeyAttribute>,
    pub sort: Vec<KeyAttribute>,
}

/// The condition on one sort-key attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum SortOp {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

impl SortOp {
    /// Whether a sort-key value satisfies this condition.
    pub fn matches(&self, v: &AttributeValue) -> bool {
        let cmp = |b: &AttributeValue| compare_scalars(v, b);
        match self {
            SortOp::Eq(b) => values_equal(v, b),
            SortOp::Lt(b) => cmp(b) == Some(Ordering::Less),
            SortOp::Le(b) => matches!(cmp(b), Some(Ordering::Less | Ordering::Equal)),
            SortOp::Gt(b) => cmp(b) == Some(Ordering::Greater),
            SortOp::Ge(b) => matches!(cmp(b), Some(Ordering::Greater | Ordering::Equal)),
            SortOp::Between(lo, hi) => {
                matches!(cmp(lo), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(cmp(hi), Some(Ordering::Less | Ordering::Equal))
            }
            SortOp::BeginsWith(p) => match (v, p) {
                (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
                (AttributeValue::B(s), AttributeValue::B(p)) => s.starts_with(p),
                _ => false,
            },
        }
    }

    fn values(&self) -> Vec<&AttributeValue> {
        match self {
            SortOp::Eq(v)
            | SortOp::Lt(v)
            | SortOp::Le(v)
            | SortOp::Gt(v)
            | SortOp::Ge(v)
            | SortOp::BeginsWith(v) => vec![v],
            SortOp::Between(a, b) => vec![a, b],
        }
    }
}

/// A condition on one sort-key attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct SortCondition {
    pub attribute: String,
    pub op: SortOp,
}

/// A validated key condition.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    /// Every partition-key attribute with the value it must equal, in schema order.
    pub partition: Vec<(String, AttributeValue)>,
    /// Conditions on a leading run of the sort-key attributes, in schema order; all but the
    /// last are equalities. Empty when the query has no sort-key condition.
    pub sort: Vec<SortCondition>,
}

impl KeyCondition {
    /// The range condition on the sort key (the last one), if any.
    pub fn sort_condition(&self) -> Option<&SortCondition> {
        self.sort.last()
    }

    /// The key attribute names the condition refers to.
    pub fn attributes(&self) -> impl Iterator<Item = &str> {
        self.partition
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(self.sort.iter().map(|s| s.attribute.as_str()))
    }

    /// Whether `item`'s key attributes satisfy the condition.
    pub fn matches(&self, item: &Item) -> bool {
        self.partition
            .iter()
            .all(|(n, v)| item.get(n).is_some_and(|x| values_equal(x, v)))
            && self
                .sort
                .iter()
                .all(|s| item.get(&s.attribute).is_some_and(|x| s.op.matches(x)))
    }
}

/// One `attribute op value` term of a key condition.
pub(crate) struct KeyTerm {
    pub path: Path,
    pub op: SortOp,
}

fn flatten(cond: Cond, out: &mut Vec<Cond>) -> Result<(), ExprError> {
    let op = match cond {
        Cond::And(a, b) => {
            flatten(*a, out)?;
            return flatten(*b, out);
        }
        Cond::Or(..) => "OR",
        Cond::Not(..) => "NOT",
        Cond::In(..) => "IN",
        Cond::Compare(CompareOp::Ne, ..) => "<>",
        Cond::Contains(..) => "contains",
        Cond::AttributeExists(..) => "attribute_exists",
        Cond::AttributeNotExists(..) => "attribute_not_exists",
        Cond::AttributeType(..) => "attribute_type",
        other => {
            out.push(other);
            return Ok(());
        }
    };
    Err(ExprError::KeyInvalidOperator(op.to_string()))
}

fn flip(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        other => other,
    }
}

/// The one key attribute among `operands` (its position and path) and the values, with
/// DynamoDB's errors for conditions that are not `attribute op value`.
fn split(operands: Vec<Operand>) -> Result<(usize, Path, Vec<AttributeValue>), ExprError> {
    let mut attr: Option<(usize, Path)> = None;
    let mut values = Vec::new();
    for (i, o) in operands.into_iter().enumerate() {
        match o {
            Operand::Path(p) => {
                if attr.is_some() {
                    return Err(ExprError::KeyMultipleAttributes);
                }
                if !p.rest.is_empty() {
                    return Err(ExprError::KeyNestedAttribute);
                }
                attr = Some((i, p));
            }
            Operand::Size(_) => return Err(ExprError::KeyNestedOperation),
            Operand::Value(v) => values.push(v),
        }
    }
    let (i, p) = attr.ok_or(ExprError::KeyNoAttribute)?;
    Ok((i, p, values))
}

fn term(cond: Cond) -> Result<KeyTerm, ExprError> {
    let (op, operands) = match cond {
        Cond::Compare(op, a, b) => (Some(op), vec![a, b]),
        Cond::Between(x, lo, hi) => (None, vec![x, lo, hi]),
        Cond::BeginsWith(a, b) => (None, vec![a, b]),
        _ => return Err(ExprError::KeyConditionNotSupported),
    };
    let is_between = operands.len() == 3;
    let (at, path, mut values) = split(operands)?;
    let mut value = || values.pop().unwrap_or(AttributeValue::Null);
    let op = match op {
        Some(op) => {
            let op = if at == 0 { op } else { flip(op) };
            match op {
                CompareOp::Eq => SortOp::Eq(value()),
                CompareOp::Lt => SortOp::Lt(value()),
                CompareOp::Le => SortOp::Le(value()),
                CompareOp::Gt => SortOp::Gt(value()),
                CompareOp::Ge => SortOp::Ge(value()),
                CompareOp::Ne => return Err(ExprError::KeyInvalidOperator("<>".to_string())),
            }
        }
        None if at != 0 => {
            let name = if is_between { "BETWEEN" } else { "begins_with" };
            return Err(ExprError::KeyAttributeNotFirst(name));
        }
        None if is_between => {
            let hi = value();
            let lo = value();
            SortOp::Between(lo, hi)
        }
        None => SortOp::BeginsWith(value()),
    };
    Ok(KeyTerm { path, op })
}

/// Builds a key condition from a validated condition tree.
pub(crate) fn key_condition_from(
    cond: Cond,
    schema: &KeySchema,
) -> Result<KeyCondition, ExprError> {
    let mut conds = Vec::new();
    flatten(cond, &mut conds)?;
    let terms = conds.into_iter().map(term).collect::<Result<Vec<_>, _>>()?;
    build_key_condition(terms, schema)
}

/// Checks terms against the schema: every partition attribute with `=`, sort attributes in
/// order with only the last one a range, nothing else.
pub(crate) fn build_key_condition(
    terms: Vec<KeyTerm>,
    schema: &KeySchema,
) -> Result<KeyCondition, ExprError> {
    let mut partition: Vec<Option<AttributeValue>> = vec![None; schema.partition.len()];
    let mut sort: Vec<Option<SortOp>> = vec![None; schema.sort.len()];
    let mut unsupported = false;
    for t in terms {
        if !t.path.rest.is_empty() {
            unsupported = true;
            continue;
        }
        let name = &t.path.head;
        if let Some(i) = schema.partition.iter().position(|k| &k.name == name) {
            let SortOp::Eq(v) = t.op else {
                return Err(ExprError::KeyConditionNotSupported);
            };
            if partition[i].is_some() {
                return Err(ExprError::KeyConditionDuplicate);
            }
            if v.scalar_type() != Some(schema.partition[i].ty) {
                return Err(ExprError::KeyTypeMismatch);
            }
            partition[i] = Some(v);
        } else if let Some(i) = schema.sort.iter().position(|k| &k.name == name) {
            if sort[i].is_some() {
                return Err(ExprError::KeyConditionDuplicate);
            }
            if t.op
                .values()
                .iter()
                .any(|v| v.scalar_type() != Some(schema.sort[i].ty))
            {
                return Err(ExprError::KeyTypeMismatch);
            }
            sort[i] = Some(t.op);
        } else {
            unsupported = true;
        }
    }
    let mut out = KeyCondition {
        partition: Vec::with_capacity(partition.len()),
        sort: Vec::new(),
    };
    for (k, v) in schema.partition.iter().zip(partition) {
        match v {
            Some(v) => out.partition.push((k.name.clone(), v)),
            None => return Err(ExprError::MissedKeyElement(k.name.clone())),
        }
    }
    if unsupported {
        return Err(ExprError::KeyConditionNotSupported);
    }
    let used = sort.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    for (i, (k, op)) in schema.sort.iter().zip(sort).take(used).enumerate() {
        let Some(op) = op else {
            return Err(ExprError::MissedKeyElement(k.name.clone()));
        };
        if i + 1 < used && !matches!(op, SortOp::Eq(_)) {
            return Err(ExprError::KeyConditionNotSupported);
        }
        out.sort.push(SortCondition {
            attribute: k.name.clone(),
            op,
        });
    }
    Ok(out)
}
