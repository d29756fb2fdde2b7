//! Condition operators, compiled: policy values are parsed once (numbers, dates, CIDRs,
//! base64, wildcard patterns) and evaluated against the request's keys.
//!
//! Rules (IAM User Guide, "IAM JSON policy elements: Condition operators" and "Creating a
//! condition with multiple keys or values"):
//! - several values for one key are OR'd; a negated operator requires that no value matches;
//! - an absent key makes positive operators false and negated operators true;
//! - `...IfExists` is true when the key is absent;
//! - `ForAllValues:` is true when the key is absent or empty, `ForAnyValue:` false.

use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::context::{ContextValue, RequestContextOf};
use crate::glob::{ArnPattern, Pattern, Syntax, Variable};
use crate::model::{Condition, ConditionOperator, OperatorFamily, OperatorKind, SetQualifier};

/// The parsed values of one condition entry.
#[derive(Debug, Clone)]
enum Values {
    Str(Vec<Pattern>),
    Arn(Vec<ArnPattern>),
    Num(Vec<f64>),
    Date(Vec<i128>),
    Bool(Vec<bool>),
    Bin(Vec<Vec<u8>>),
    Ip(Vec<IpNet>),
    Null(Vec<bool>),
}

/// One compiled `operator: {key: values}` entry.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCondition {
    op: ConditionOperator,
    key: Box<str>,
    hash: u64,
    values: Values,
}

impl CompiledCondition {
    /// Compiles a condition entry. Values that do not parse for the operator's type are
    /// dropped: they can never match (validation reports them).
    pub(crate) fn new(c: &Condition, variables: bool) -> CompiledCondition {
        let vals = c.values.iter().map(String::as_str);
        let values = match c.operator.kind.family() {
            OperatorFamily::String => {
                let wildcards = matches!(
                    c.operator.kind,
                    OperatorKind::StringLike | OperatorKind::StringNotLike
                );
                let syntax = Syntax {
                    wildcards,
                    variables,
                };
                Values::Str(vals.map(|v| Pattern::parse(v, syntax)).collect())
            }
            OperatorFamily::Arn => Values::Arn(
                vals.map(|v| ArnPattern::parse(v, variables, true))
                    .collect(),
            ),
            OperatorFamily::Numeric => Values::Num(vals.filter_map(parse_number).collect()),
            OperatorFamily::Date => Values::Date(vals.filter_map(parse_date).collect()),
            OperatorFamily::Bool | OperatorFamily::Null => {
                let b = vals.filter_map(parse_bool).collect();
                if c.operator.kind == OperatorKind::Null {
                    Values::Null(b)
                } else {
                    Values::Bool(b)
                }
            }
            OperatorFamily::Binary => Values::Bin(vals.filter_map(parse_base64).collect()),
            OperatorFamily::Ip => Values::Ip(vals.filter_map(parse_cidr).collect()),
        };
        CompiledCondition {
            op: c.operator,
            key: c.key.to_ascii_lowercase().into(),
            hash: crate::context::key_hash(&c.key),
            values,
        }
    }

    /// The request-context keys the entry reads (lower case): its own key, and the keys of
    /// the policy variables in its values. Nothing else of the context decides its result.
    pub(crate) fn context_keys(&self) -> impl Iterator<Item = &str> {
        let variables: Box<dyn Iterator<Item = &Variable>> = match &self.values {
            Values::Str(ps) => Box::new(ps.iter().flat_map(Pattern::variables)),
            Values::Arn(ps) => Box::new(ps.iter().flat_map(ArnPattern::variables)),
            Values::Num(_)
            | Values::Date(_)
            | Values::Bool(_)
            | Values::Bin(_)
            | Values::Ip(_)
            | Values::Null(_) => Box::new(std::iter::empty()),
        };
        std::iter::once(&*self.key).chain(variables.map(|v| &*v.key))
    }

    /// Evaluates the entry against the request.
    pub(crate) fn evaluate(&self, ctx: &RequestContextOf<'_>) -> bool {
        let present: &[String] = match ctx.get_hashed(&self.key, self.hash) {
            None => &[],
            Some(ContextValue::Single(s)) => std::slice::from_ref(s),
            Some(ContextValue::Multi(v)) => v,
        };
        if let Values::Null(expected) = &self.values {
            // Null: "true" matches an absent key, "false" a present one.
            let absent = present.is_empty();
            return expected.contains(&absent);
        }
        let negated = self.op.kind.is_negated();
        if present.is_empty() {
            if self.op.if_exists {
                return true;
            }
            return match self.op.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => negated,
            };
        }
        let one = |x: &String| self.positive(x, ctx) != negated;
        match self.op.qualifier {
            // A multi-valued key without a set operator never matches (decision: see
            // docs/iam-evaluation.md); a one-element list is a single value.
            None => present.len() == 1 && one(&present[0]),
            Some(SetQualifier::ForAllValues) => present.iter().all(one),
            Some(SetQualifier::ForAnyValue) => present.iter().any(one),
        }
    }

    /// Whether one request value matches any policy value under the positive form of the
    /// operator.
    fn positive(&self, x: &str, ctx: &RequestContextOf<'_>) -> bool {
        use OperatorKind as O;
        match &self.values {
            Values::Str(ps) => {
                let ci = matches!(
                    self.op.kind,
                    O::StringEqualsIgnoreCase | O::StringNotEqualsIgnoreCase
                );
                ps.iter().any(|p| p.matches(x, ci, ctx) == Some(true))
            }
            Values::Arn(ps) => ps.iter().any(|p| p.matches(x, ctx) == Some(true)),
            Values::Num(ns) => {
                let Some(x) = parse_number(x) else {
                    return false;
                };
                ns.iter().any(|p| compare(self.op.kind, x.partial_cmp(p)))
            }
            Values::Date(ds) => {
                let Some(x) = parse_date(x) else { return false };
                ds.iter().any(|p| compare(self.op.kind, Some(x.cmp(p))))
            }
            Values::Bool(bs) => parse_bool(x).is_some_and(|x| bs.contains(&x)),
            Values::Bin(bs) => {
                let Some(x) = parse_base64(x) else {
                    return false;
                };
                bs.contains(&x)
            }
            Values::Ip(nets) => {
                let Ok(addr) = x.trim().parse::<IpAddr>() else {
                    return false;
                };
                nets.iter().any(|n| n.contains(&addr))
            }
            Values::Null(_) => false,
        }
    }
}

/// Applies a numeric or date operator (positive form) to `request.cmp(policy)`.
fn compare(kind: OperatorKind, ord: Option<std::cmp::Ordering>) -> bool {
    use OperatorKind as O;
    use std::cmp::Ordering::{Equal, Greater, Less};
    let Some(ord) = ord else { return false };
    match kind {
        O::NumericEquals | O::NumericNotEquals | O::DateEquals | O::DateNotEquals => ord == Equal,
        O::NumericLessThan | O::DateLessThan => ord == Less,
        O::NumericLessThanEquals | O::DateLessThanEquals => ord != Greater,
        O::NumericGreaterThan | O::DateGreaterThan => ord == Greater,
        O::NumericGreaterThanEquals | O::DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}

/// An integer or decimal number (no `NaN`, `inf` or hexadecimal).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A date: ISO 8601 (W3C profile: date, date-time with `Z` or offset, optional fraction)
/// or epoch seconds. Returned as nanoseconds since the epoch.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok().map(|n| i128::from(n) * 1_000_000_000);
    }
    if let Some(t) = parse_utc_seconds(s) {
        return Some(t);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp_nanos());
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(t.unix_timestamp_nanos());
    }
    if let Ok(t) = PrimitiveDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(t.assume_utc().unix_timestamp_nanos());
    }
    if let Ok(d) = Date::parse(s, &Iso8601::DEFAULT) {
        return Some(d.midnight().assume_utc().unix_timestamp_nanos());
    }
    None
}

/// Fast path for the form the server produces for `aws:CurrentTime`:
/// `YYYY-MM-DDTHH:MM:SSZ`. Other forms go through the `time` crate.
fn parse_utc_seconds(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()?;
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let days = i64::from(date.to_julian_day()) - 2_440_588;
    Some(i128::from(days * 86_400 + hh * 3_600 + mm * 60 + ss) * 1_000_000_000)
}

/// `true` / `false`, case-insensitive.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Standard base64 (with padding).
pub(crate) fn parse_base64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

/// A CIDR block; a bare address is a /32 (IPv4) or /128 (IPv6).
pub(crate) fn parse_cidr(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(n) = s.parse::<IpNet>() {
        return Some(n);
    }
    s.parse::<IpAddr>().ok().map(IpNet::from)
}
