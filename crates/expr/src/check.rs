//! Semantic validation: resolves placeholders, checks reserved words, functions, operand
//! counts and types, path overlaps and DynamoDB's limits, turning raw syntax trees into
//! [`crate::ast`] values. Problems are collected by category and the one DynamoDB reports
//! first is returned, so that messages match DynamoDB when an expression has several faults.

use std::collections::{BTreeSet, HashMap, HashSet};

use palisade_model::AttributeValue;

use crate::ast::{CompareOp, Cond, Operand, Path, PathElem, UpdateAction, ValueExpr};
use crate::error::{ExprError, ExprKind, Invalid};
use crate::eval::compare_scalars;
use crate::parser::{Arith, RawAction, RawCond, RawElem, RawOperand, RawPath, RawUpdate};
use crate::reserved::is_reserved;

/// Most operators and functions in one expression.
pub const MAX_OPERATORS: usize = 300;
/// Most operands in the list of an `IN`.
pub const MAX_IN_OPERANDS: usize = 100;
/// Most levels in a document path, the top-level attribute included.
pub const MAX_PATH_DEPTH: usize = 32;

/// Placeholder maps of a request and what its expressions used of them.
#[derive(Debug, Default)]
pub(crate) struct Placeholders<'a> {
    pub names: Option<&'a HashMap<String, String>>,
    pub values: Option<&'a HashMap<String, AttributeValue>>,
    pub used_names: HashSet<String>,
    pub used_values: HashSet<String>,
    pub attributes: BTreeSet<String>,
}

/// The first problem found in each category.
#[derive(Default)]
struct Slots {
    limit: Option<Invalid>,
    parens: Option<Invalid>,
    function_name: Option<Invalid>,
    misused: Option<Invalid>,
    reserved: Option<Invalid>,
    section: Option<Invalid>,
    placeholder: Option<Invalid>,
    name: Option<Invalid>,
    value: Option<Invalid>,
    overlap: Option<Invalid>,
    conflict: Option<Invalid>,
    action_type: Option<Invalid>,
    count: Option<Invalid>,
    distinct: Option<Invalid>,
    function: Option<Invalid>,
}

fn put(slot: &mut Option<Invalid>, problem: Invalid) {
    if slot.is_none() {
        *slot = Some(problem);
    }
}

/// A condition operand with what validation knows about it.
struct Typed {
    operand: Operand,
    /// Type when known from the text (a literal, or `size` which is a number).
    ty: Option<&'static str>,
    /// Name of a function other than `size` standing as an operand (a misuse).
    function: Option<String>,
}

pub(crate) struct Checker<'c, 'a> {
    ph: &'c mut Placeholders<'a>,
    kind: ExprKind,
    slots: Slots,
    operators: usize,
}

const CONDITION_FUNCTIONS: [&str; 6] = [
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
    "size",
];
const UPDATE_FUNCTIONS: [&str; 2] = ["if_not_exists", "list_append"];
const TYPE_NAMES: [&str; 10] = ["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"];

/// `{N:10}`-style rendering of a literal, as in DynamoDB's BETWEEN messages.
fn render_literal(v: &AttributeValue) -> String {
    let body = match v {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        AttributeValue::B(b) => String::from_utf8_lossy(b).into_owned(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Null => "true".to_string(),
        other => format!("{other:?}"),
    };
    format!("{{{}:{}}}", v.type_name(), body)
}

/// DynamoDB's long type names used by ADD/DELETE operand errors.
fn long_type_name(v: &AttributeValue) -> Option<&'static str> {
    match v {
        AttributeValue::S(_) => Some("STRING"),
        AttributeValue::N(_) => Some("NUMBER"),
        AttributeValue::B(_) => Some("BINARY"),
        AttributeValue::Null => Some("NULL"),
        AttributeValue::Bool(_) => Some("BOOLEAN"),
        AttributeValue::L(_) => Some("LIST"),
        AttributeValue::M(_) => Some("MAP"),
        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => None,
    }
}

impl<'c, 'a> Checker<'c, 'a> {
    pub fn new(ph: &'c mut Placeholders<'a>, kind: ExprKind) -> Checker<'c, 'a> {
        Checker {
            ph,
            kind,
            slots: Slots::default(),
            operators: 0,
        }
    }

    fn count_operator(&mut self) {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            let n = self.operators;
            self.slots.limit = Some(Invalid::TooManyOperators(n));
        }
    }

    /// The error DynamoDB reports first, if any problem was found.
    fn verdict(self) -> Result<(), ExprError> {
        let s = self.slots;
        let order: Vec<Option<Invalid>> = match self.kind {
            ExprKind::Update => vec![
                s.limit,
                s.reserved,
                s.function_name,
                s.section,
                s.name,
                s.value,
                s.overlap,
                s.conflict,
                s.action_type,
                s.count,
                s.function,
            ],
            ExprKind::Projection => vec![s.limit, s.reserved, s.name, s.overlap, s.conflict],
            ExprKind::Condition | ExprKind::Filter | ExprKind::KeyCondition => vec![
                s.limit,
                s.parens,
                s.function_name,
                s.misused,
                s.reserved,
                s.placeholder,
                s.count,
                s.distinct,
                s.function,
            ],
        };
        match order.into_iter().flatten().next() {
            Some(problem) => Err(ExprError::invalid(self.kind, problem)),
            None => Ok(()),
        }
    }

    // ---- placeholders and paths ----

    fn resolve_name(&mut self, placeholder: &str) -> String {
        match self.ph.names.and_then(|m| m.get(placeholder)) {
            Some(n) => {
                self.ph.used_names.insert(placeholder.to_string());
                n.clone()
            }
            None => {
                let p = Invalid::UndefinedName(placeholder.to_string());
                put(&mut self.slots.placeholder, p.clone());
                put(&mut self.slots.name, p);
                placeholder.to_string()
            }
        }
    }

    fn resolve_value(&mut self, placeholder: &str) -> Option<AttributeValue> {
        match self.ph.values.and_then(|m| m.get(placeholder)) {
            Some(v) => {
                self.ph.used_values.insert(placeholder.to_string());
                Some(v.clone())
            }
            None => {
                let p = Invalid::UndefinedValue(placeholder.to_string());
                put(&mut self.slots.placeholder, p.clone());
                put(&mut self.slots.value, p);
                None
            }
        }
    }

    fn path(&mut self, raw: &RawPath) -> Path {
        if raw.elems.len() > MAX_PATH_DEPTH {
            put(&mut self.slots.limit, Invalid::PathTooDeep(raw.elems.len()));
        }
        let mut elems = Vec::with_capacity(raw.elems.len());
        for e in &raw.elems {
            let elem = match e {
                RawElem::Ident(word) => {
                    if is_reserved(word) {
                        put(
                            &mut self.slots.reserved,
                            Invalid::ReservedKeyword(word.clone()),
                        );
                    }
                    PathElem::Attr(word.clone())
                }
                RawElem::Name(placeholder) => PathElem::Attr(self.resolve_name(placeholder)),
                RawElem::Index(digits) => match digits.parse::<i32>() {
                    Ok(i) => PathElem::Index(i as usize),
                    Err(_) => {
                        put(
                            &mut self.slots.limit,
                            Invalid::ListIndexOutOfRange(digits.clone()),
                        );
                        PathElem::Index(0)
                    }
                },
            };
            elems.push(elem);
        }
        let mut it = elems.into_iter();
        let head = match it.next() {
            Some(PathElem::Attr(a)) => a,
            _ => String::new(),
        };
        self.ph.attributes.insert(head.clone());
        Path {
            head,
            rest: it.collect(),
        }
    }

    /// Records overlap and conflict problems between `path` and those already seen.
    fn check_overlap(&mut self, seen: &mut Vec<Path>, path: &Path) {
        for earlier in seen.iter().filter(|p| p.head == path.head) {
            let mut relation = Some(Invalid::PathOverlap as fn(String, String) -> Invalid);
            for (x, y) in earlier.rest.iter().zip(&path.rest) {
                match (x, y) {
                    (PathElem::Attr(a), PathElem::Attr(b)) if a == b => {}
                    (PathElem::Index(a), PathElem::Index(b)) if a == b => {}
                    (PathElem::Attr(_), PathElem::Attr(_))
                    | (PathElem::Index(_), PathElem::Index(_)) => {
                        relation = None;
                        break;
                    }
                    _ => {
                        relation = Some(Invalid::PathConflict);
                        break;
                    }
                }
            }
            match relation {
                Some(f) if self.slots.overlap.is_none() || self.slots.conflict.is_none() => {
                    let problem = f(earlier.to_string(), path.to_string());
                    let slot = if matches!(problem, Invalid::PathOverlap(..)) {
                        &mut self.slots.overlap
                    } else {
                        &mut self.slots.conflict
                    };
                    put(slot, problem);
                }
                _ => {}
            }
        }
        seen.push(path.clone());
    }

    // ---- conditions ----

    pub fn condition(mut self, raw: &RawCond) -> Result<Cond, ExprError> {
        let cond = self.cond(raw);
        self.verdict().map(|()| cond)
    }

    fn cond(&mut self, raw: &RawCond) -> Cond {
        match raw {
            RawCond::Paren(inner) => {
                if matches!(**inner, RawCond::Paren(_)) {
                    put(&mut self.slots.parens, Invalid::RedundantParentheses);
                }
                self.cond(inner)
            }
            RawCond::And(a, b) => {
                self.count_operator();
                Cond::And(Box::new(self.cond(a)), Box::new(self.cond(b)))
            }
            RawCond::Or(a, b) => {
                self.count_operator();
                Cond::Or(Box::new(self.cond(a)), Box::new(self.cond(b)))
            }
            RawCond::Not(a) => {
                self.count_operator();
                Cond::Not(Box::new(self.cond(a)))
            }
            RawCond::Compare(op, l, r) => {
                self.count_operator();
                let l = self.operand(l);
                let r = self.operand(r);
                self.misused(&[&l, &r]);
                self.distinct(op.as_str(), &l.operand, &[&r.operand]);
                if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                    self.orderable(op.as_str(), &[&l, &r]);
                }
                Cond::Compare(*op, l.operand, r.operand)
            }
            RawCond::Between(x, lo, hi) => {
                self.count_operator();
                let x = self.operand(x);
                let lo = self.operand(lo);
                let hi = self.operand(hi);
                self.misused(&[&x, &lo, &hi]);
                self.distinct("BETWEEN", &x.operand, &[&lo.operand, &hi.operand]);
                self.orderable("BETWEEN", &[&x, &lo, &hi]);
                if let (Operand::Value(a), Operand::Value(b)) = (&lo.operand, &hi.operand) {
                    if a.type_name() != b.type_name() {
                        put(
                            &mut self.slots.function,
                            Invalid::BetweenTypes(render_literal(a), render_literal(b)),
                        );
                    } else if compare_scalars(a, b) == Some(std::cmp::Ordering::Greater) {
                        put(
                            &mut self.slots.function,
                            Invalid::BetweenOrder(render_literal(a), render_literal(b)),
                        );
                    }
                }
                Cond::Between(x.operand, lo.operand, hi.operand)
            }
            RawCond::In(x, list) => {
                self.count_operator();
                if list.len() > MAX_IN_OPERANDS {
                    put(
                        &mut self.slots.limit,
                        Invalid::TooManyInOperands(list.len()),
                    );
                }
                let x = self.operand(x);
                let items: Vec<Typed> = list.iter().map(|o| self.operand(o)).collect();
                let mut all: Vec<&Typed> = vec![&x];
                all.extend(items.iter());
                self.misused(&all);
                let rest: Vec<&Operand> = items.iter().map(|t| &t.operand).collect();
                self.distinct("IN", &x.operand, &rest);
                Cond::In(x.operand, items.into_iter().map(|t| t.operand).collect())
            }
            RawCond::Call(call) => {
                let mut inner = call;
                while let RawOperand::Paren(i) = inner {
                    inner = i;
                }
                match inner {
                    RawOperand::Call(name, _, args) => self.function_condition(name, args),
                    _ => Cond::True,
                }
            }
        }
    }

    fn misused(&mut self, operands: &[&Typed]) {
        for t in operands {
            if let Some(f) = &t.function {
                put(&mut self.slots.misused, Invalid::FunctionMisused(f.clone()));
                return;
            }
        }
    }

    /// The first operand, when a path, must differ from every other operand.
    fn distinct(&mut self, op: &str, first: &Operand, rest: &[&Operand]) {
        if let Operand::Path(x) = first
            && rest.iter().any(|r| matches!(r, Operand::Path(y) if y == x))
        {
            put(
                &mut self.slots.distinct,
                Invalid::NotDistinct {
                    op: op.to_string(),
                    first: x.to_string(),
                },
            );
        }
    }

    /// Operands of an ordering comparison whose type is known must be S, N or B.
    fn orderable(&mut self, op: &str, operands: &[&Typed]) {
        for t in operands {
            if let Some(ty) = t.ty
                && !matches!(ty, "S" | "N" | "B")
            {
                self.operand_type_error(op, ty);
                return;
            }
        }
    }

    /// Checks a function's name and operand count; false when the call is unusable.
    fn function_known(&mut self, name: &str, args: usize) -> bool {
        let expected = match name {
            "attribute_exists" | "attribute_not_exists" | "size" => 1,
            "attribute_type" | "begins_with" | "contains" => 2,
            _ => {
                let problem = if UPDATE_FUNCTIONS.contains(&name) {
                    Invalid::FunctionNotAllowedInCondition(name.to_string())
                } else {
                    Invalid::UnknownFunction(name.to_string())
                };
                put(&mut self.slots.function_name, problem);
                return false;
            }
        };
        if args != expected {
            put(
                &mut self.slots.count,
                Invalid::OperandCount {
                    op: name.to_string(),
                    count: args,
                },
            );
            return false;
        }
        true
    }

    fn operand_type_error(&mut self, op: &str, ty: &str) {
        put(
            &mut self.slots.function,
            Invalid::OperandType {
                op: op.to_string(),
                ty: ty.to_string(),
            },
        );
    }

    fn function_condition(&mut self, name: &str, raw_args: &[RawOperand]) -> Cond {
        self.count_operator();
        let args: Vec<Typed> = raw_args.iter().map(|a| self.operand(a)).collect();
        if name == "size" {
            put(
                &mut self.slots.misused,
                Invalid::FunctionMisused(name.to_string()),
            );
        }
        let refs: Vec<&Typed> = args.iter().collect();
        self.misused(&refs);
        if !self.function_known(name, args.len()) {
            return Cond::True;
        }
        let mut it = args.into_iter();
        let (Some(first), second) = (it.next(), it.next()) else {
            return Cond::True;
        };
        if let Some(second) = &second {
            self.distinct(name, &first.operand, &[&second.operand]);
        }
        match (name, second) {
            ("attribute_exists" | "attribute_not_exists", None) => match first.operand {
                Operand::Path(p) if name == "attribute_exists" => Cond::AttributeExists(p),
                Operand::Path(p) => Cond::AttributeNotExists(p),
                _ => {
                    put(
                        &mut self.slots.function,
                        Invalid::RequiresPath(name.to_string()),
                    );
                    Cond::True
                }
            },
            ("attribute_type", Some(t)) => {
                if !matches!(first.operand, Operand::Path(_)) {
                    put(
                        &mut self.slots.function,
                        Invalid::RequiresPath(name.to_string()),
                    );
                }
                match &t.operand {
                    Operand::Value(AttributeValue::S(s)) => {
                        if !TYPE_NAMES.contains(&s.as_str()) {
                            put(
                                &mut self.slots.function,
                                Invalid::InvalidTypeName(s.clone()),
                            );
                        }
                    }
                    Operand::Value(v) => self.operand_type_error(name, v.type_name()),
                    _ => self
                        .operand_type_error(name, t.ty.unwrap_or("{NS,SS,L,BS,N,M,B,BOOL,NULL,S}")),
                }
                Cond::AttributeType(first.operand, t.operand)
            }
            ("begins_with", Some(b)) => {
                for ty in [first.ty, b.ty].into_iter().flatten() {
                    if ty != "S" && ty != "B" {
                        self.operand_type_error(name, ty);
                        break;
                    }
                }
                Cond::BeginsWith(first.operand, b.operand)
            }
            ("contains", Some(b)) => Cond::Contains(first.operand, b.operand),
            _ => Cond::True,
        }
    }

    fn operand(&mut self, raw: &RawOperand) -> Typed {
        let plain = |operand: Operand, ty| Typed {
            operand,
            ty,
            function: None,
        };
        match raw {
            RawOperand::Paren(inner) => {
                if matches!(**inner, RawOperand::Paren(_)) {
                    put(&mut self.slots.parens, Invalid::RedundantParentheses);
                }
                self.operand(inner)
            }
            RawOperand::Path(p) => plain(Operand::Path(self.path(p)), None),
            RawOperand::Value(name, _) => match self.resolve_value(name) {
                Some(v) => {
                    let ty = v.type_name();
                    plain(Operand::Value(v), Some(ty))
                }
                None => plain(Operand::Value(AttributeValue::Null), None),
            },
            RawOperand::Call(name, _, args) if name == "size" => {
                self.count_operator();
                let args: Vec<Typed> = args.iter().map(|a| self.operand(a)).collect();
                let refs: Vec<&Typed> = args.iter().collect();
                self.misused(&refs);
                if !self.function_known(name, args.len()) {
                    return plain(Operand::Value(AttributeValue::Null), Some("N"));
                }
                let Some(arg) = args.into_iter().next() else {
                    return plain(Operand::Value(AttributeValue::Null), Some("N"));
                };
                if let Some(ty) = arg.ty
                    && !matches!(ty, "S" | "B" | "SS" | "NS" | "BS" | "L" | "M")
                {
                    self.operand_type_error(name, ty);
                }
                plain(Operand::Size(Box::new(arg.operand)), Some("N"))
            }
            RawOperand::Call(name, _, args) => {
                // Validate the call as if it stood alone, then report the misuse.
                let _ = self.function_condition(name, args);
                let known = CONDITION_FUNCTIONS.contains(&name.as_str());
                Typed {
                    operand: Operand::Value(AttributeValue::Null),
                    ty: None,
                    function: known.then(|| name.clone()),
                }
            }
            RawOperand::Arith(..) => plain(Operand::Value(AttributeValue::Null), None),
        }
    }

    // ---- updates ----

    pub fn update(mut self, raw: &RawUpdate) -> Result<Vec<UpdateAction>, ExprError> {
        let mut seen_sections = Vec::new();
        let mut seen_paths = Vec::new();
        let mut actions = Vec::new();
        for (section, raw_actions) in raw {
            if seen_sections.contains(section) {
                put(
                    &mut self.slots.section,
                    Invalid::DuplicateSection(section.as_str()),
                );
            }
            seen_sections.push(*section);
            for a in raw_actions {
                let action = match a {
                    RawAction::Set(p, v) => {
                        let path = self.path(p);
                        let value = self.value_expr(v);
                        UpdateAction::Set(path, value)
                    }
                    RawAction::Remove(p) => UpdateAction::Remove(self.path(p)),
                    RawAction::Add(p, v) | RawAction::Delete(p, v) => {
                        let is_add = matches!(a, RawAction::Add(..));
                        let path = self.path(p);
                        let value = self.resolve_value(v).unwrap_or(AttributeValue::Null);
                        let bad = match (&value, long_type_name(&value)) {
                            (AttributeValue::N(_), _) if is_add => None,
                            (_, ty) => ty,
                        };
                        if let Some(ty) = bad
                            && self.slots.value.is_none()
                        {
                            put(
                                &mut self.slots.action_type,
                                Invalid::ActionOperandType {
                                    op: if is_add { "ADD" } else { "DELETE" },
                                    ty,
                                },
                            );
                        }
                        if is_add {
                            UpdateAction::Add(path, value)
                        } else {
                            UpdateAction::Delete(path, value)
                        }
                    }
                };
                self.check_overlap(&mut seen_paths, action.path());
                actions.push(action);
            }
        }
        self.verdict().map(|()| actions)
    }

    fn update_function_known(&mut self, name: &str, args: usize) -> bool {
        if !UPDATE_FUNCTIONS.contains(&name) {
            let problem = if CONDITION_FUNCTIONS.contains(&name) {
                Invalid::FunctionNotAllowedInUpdate(name.to_string())
            } else {
                Invalid::UnknownFunction(name.to_string())
            };
            put(&mut self.slots.function_name, problem);
            return false;
        }
        if args != 2 {
            put(
                &mut self.slots.count,
                Invalid::OperandCount {
                    op: name.to_string(),
                    count: args,
                },
            );
            return false;
        }
        true
    }

    fn literal_type(v: &ValueExpr) -> Option<&'static str> {
        match v {
            ValueExpr::Value(v) => Some(v.type_name()),
            _ => None,
        }
    }

    fn value_expr(&mut self, raw: &RawOperand) -> ValueExpr {
        let null = ValueExpr::Value(AttributeValue::Null);
        match raw {
            RawOperand::Paren(inner) => self.value_expr(inner),
            RawOperand::Path(p) => ValueExpr::Path(self.path(p)),
            RawOperand::Value(name, _) => match self.resolve_value(name) {
                Some(v) => ValueExpr::Value(v),
                None => null,
            },
            RawOperand::Arith(op, a, b) => {
                self.count_operator();
                let a = self.value_expr(a);
                let b = self.value_expr(b);
                let sym = if *op == Arith::Plus { "+" } else { "-" };
                for ty in [Self::literal_type(&a), Self::literal_type(&b)]
                    .into_iter()
                    .flatten()
                {
                    if ty != "N" {
                        self.operand_type_error(sym, ty);
                        break;
                    }
                }
                match op {
                    Arith::Plus => ValueExpr::Plus(Box::new(a), Box::new(b)),
                    Arith::Minus => ValueExpr::Minus(Box::new(a), Box::new(b)),
                }
            }
            RawOperand::Call(name, _, raw_args) => {
                self.count_operator();
                let args: Vec<ValueExpr> = raw_args.iter().map(|a| self.value_expr(a)).collect();
                if !self.update_function_known(name, args.len()) {
                    return null;
                }
                let mut it = args.into_iter();
                let (Some(a), Some(b)) = (it.next(), it.next()) else {
                    return null;
                };
                if name == "if_not_exists" {
                    match a {
                        ValueExpr::Path(p) => ValueExpr::IfNotExists(p, Box::new(b)),
                        _ => {
                            put(
                                &mut self.slots.function,
                                Invalid::RequiresPath(name.clone()),
                            );
                            null
                        }
                    }
                } else {
                    for ty in [Self::literal_type(&a), Self::literal_type(&b)]
                        .into_iter()
                        .flatten()
                    {
                        if ty != "L" {
                            self.operand_type_error(name, ty);
                            break;
                        }
                    }
                    ValueExpr::ListAppend(Box::new(a), Box::new(b))
                }
            }
        }
    }

    // ---- projections ----

    pub fn projection(mut self, raw: &[RawPath]) -> Result<Vec<Path>, ExprError> {
        let mut seen = Vec::new();
        let mut out = Vec::with_capacity(raw.len());
        for p in raw {
            let path = self.path(p);
            self.check_overlap(&mut seen, &path);
            out.push(path);
        }
        self.verdict().map(|()| out)
    }
}
