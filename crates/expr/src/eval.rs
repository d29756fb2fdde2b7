//! Evaluation of conditions against an item, with DynamoDB's semantics: comparisons between
//! different types are false (`<>` true), ordering exists only within S, N and B, sets compare
//! as sets, `size` counts UTF-16 code units of strings, bytes of binaries and elements of
//! collections.

use std::borrow::Cow;
use std::cmp::Ordering;

use palisade_model::{AttributeValue, Item, Number};

use crate::ast::{CompareOp, Cond, Operand, Path, PathElem};

/// The value at `path` in `item`, if there is one.
pub fn lookup<'i>(item: &'i Item, path: &Path) -> Option<&'i AttributeValue> {
    let mut cur = item.get(&path.head)?;
    for e in &path.rest {
        cur = match (e, cur) {
            (PathElem::Attr(k), AttributeValue::M(m)) => m.get(k)?,
            (PathElem::Index(i), AttributeValue::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Order of two scalars of the same type (S by UTF-8 bytes, N numerically, B by bytes);
/// `None` for other types or different types.
pub(crate) fn compare_scalars(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn same_members<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x)) && b.iter().all(|y| a.contains(y))
}

/// DynamoDB equality: same type and same value; sets ignore order, lists and maps compare
/// element by element.
pub fn values_equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (a, b) {
        (V::Ss(x), V::Ss(y)) => same_members(x, y),
        (V::Ns(x), V::Ns(y)) => same_members(x, y),
        (V::Bs(x), V::Bs(y)) => same_members(x, y),
        (V::L(x), V::L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (V::M(x), V::M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

/// The `size()` of a value: UTF-16 code units of a string, bytes of a binary, elements of a
/// set, list or map; none for other types.
pub fn size_of(v: &AttributeValue) -> Option<usize> {
    use AttributeValue as V;
    Some(match v {
        V::S(s) => s.encode_utf16().count(),
        V::B(b) => b.len(),
        V::Ss(x) => x.len(),
        V::Ns(x) => x.len(),
        V::Bs(x) => x.len(),
        V::L(x) => x.len(),
        V::M(x) => x.len(),
        V::N(_) | V::Null | V::Bool(_) => return None,
    })
}

fn operand_value<'i>(op: &'i Operand, item: &'i Item) -> Option<Cow<'i, AttributeValue>> {
    match op {
        Operand::Path(p) => lookup(item, p).map(Cow::Borrowed),
        Operand::Value(v) => Some(Cow::Borrowed(v)),
        Operand::Size(inner) => {
            let v = operand_value(inner, item)?;
            let n = size_of(&v)?;
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            Some(Cow::Owned(AttributeValue::N(Number::from(n))))
        }
    }
}

fn compare(op: CompareOp, a: Option<&AttributeValue>, b: Option<&AttributeValue>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return op == CompareOp::Ne;
    };
    match op {
        CompareOp::Eq => values_equal(a, b),
        CompareOp::Ne => !values_equal(a, b),
        CompareOp::Lt => compare_scalars(a, b) == Some(Ordering::Less),
        CompareOp::Le => matches!(
            compare_scalars(a, b),
            Some(Ordering::Less | Ordering::Equal)
        ),
        CompareOp::Gt => compare_scalars(a, b) == Some(Ordering::Greater),
        CompareOp::Ge => matches!(
            compare_scalars(a, b),
            Some(Ordering::Greater | Ordering::Equal)
        ),
    }
}

fn begins_with(a: &AttributeValue, prefix: &AttributeValue) -> bool {
    match (a, prefix) {
        (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
        (AttributeValue::B(s), AttributeValue::B(p)) => s.starts_with(p),
        _ => false,
    }
}

fn contains(a: &AttributeValue, x: &AttributeValue) -> bool {
    use AttributeValue as V;
    match (a, x) {
        (V::S(s), V::S(sub)) => s.contains(sub.as_str()),
        (V::Ss(set), V::S(e)) => set.contains(e),
        (V::Ns(set), V::N(e)) => set.contains(e),
        (V::Bs(set), V::B(e)) => set.contains(e),
        (V::L(list), e) => list.iter().any(|v| values_equal(v, e)),
        _ => false,
    }
}

impl Cond {
    /// Whether `item` satisfies this condition. A missing item is an empty one.
    pub fn evaluate(&self, item: &Item) -> bool {
        match self {
            Cond::True => true,
            Cond::And(a, b) => a.evaluate(item) && b.evaluate(item),
            Cond::Or(a, b) => a.evaluate(item) || b.evaluate(item),
            Cond::Not(a) => !a.evaluate(item),
            Cond::Compare(op, a, b) => {
                let a = operand_value(a, item);
                let b = operand_value(b, item);
                compare(*op, a.as_deref(), b.as_deref())
            }
            Cond::Between(x, lo, hi) => {
                let (Some(x), Some(lo), Some(hi)) = (
                    operand_value(x, item),
                    operand_value(lo, item),
                    operand_value(hi, item),
                ) else {
                    return false;
                };
                matches!(
                    compare_scalars(&x, &lo),
                    Some(Ordering::Greater | Ordering::Equal)
                ) && matches!(
                    compare_scalars(&x, &hi),
                    Some(Ordering::Less | Ordering::Equal)
                )
            }
            Cond::In(x, list) => {
                let Some(x) = operand_value(x, item) else {
                    return false;
                };
                list.iter()
                    .any(|o| operand_value(o, item).is_some_and(|v| values_equal(&x, &v)))
            }
            Cond::AttributeExists(p) => lookup(item, p).is_some(),
            Cond::AttributeNotExists(p) => lookup(item, p).is_none(),
            Cond::AttributeType(p, t) => match (operand_value(p, item), operand_value(t, item)) {
                (Some(v), Some(t)) => match t.as_ref() {
                    AttributeValue::S(name) => v.type_name() == name,
                    _ => false,
                },
                _ => false,
            },
            Cond::BeginsWith(a, b) => match (operand_value(a, item), operand_value(b, item)) {
                (Some(a), Some(b)) => begins_with(&a, &b),
                _ => false,
            },
            Cond::Contains(a, b) => match (operand_value(a, item), operand_value(b, item)) {
                (Some(a), Some(b)) => contains(&a, &b),
                _ => false,
            },
        }
    }
}
