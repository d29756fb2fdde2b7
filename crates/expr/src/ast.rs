//! Validated expressions: placeholders resolved, types checked where the text allows it.
//! Parsing produces these through [`crate::ExprContext`]; the legacy front end builds them
//! directly.

use std::fmt;

use palisade_model::AttributeValue;

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathElem {
    /// A map key (or, first in a path, a top-level attribute name).
    Attr(String),
    /// A list index.
    Index(usize),
}

/// A document path such as `a.b[2].c`; never empty and always starting with an attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path {
    /// The top-level attribute name.
    pub head: String,
    /// The steps after the top-level attribute.
    pub rest: Vec<PathElem>,
}

impl Path {
    /// A path naming one top-level attribute.
    pub fn attr(name: impl Into<String>) -> Path {
        Path {
            head: name.into(),
            rest: Vec::new(),
        }
    }

    /// All steps, the top-level attribute first.
    pub fn elems(&self) -> impl Iterator<Item = PathElem> + '_ {
        std::iter::once(PathElem::Attr(self.head.clone())).chain(self.rest.iter().cloned())
    }

    /// Number of steps including the top-level attribute.
    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Always false: a path has at least its top-level attribute.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// DynamoDB's rendering in messages: `[a, b, [2], c]`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}", self.head)?;
        for e in &self.rest {
            match e {
                PathElem::Attr(a) => write!(f, ", {a}")?,
                PathElem::Index(i) => write!(f, ", [{i}]")?,
            }
        }
        f.write_str("]")
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    /// The operator as written in expressions.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// A value in a condition: an attribute, a literal, or the size of one of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(AttributeValue),
    Size(Box<Operand>),
}

/// A condition (ConditionExpression, FilterExpression, legacy Expected/filters).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Compare(CompareOp, Operand, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    AttributeExists(Path),
    AttributeNotExists(Path),
    AttributeType(Operand, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    /// Always true; what an empty legacy condition map means.
    True,
}

/// A value computed by a SET action.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueExpr {
    Path(Path),
    Value(AttributeValue),
    IfNotExists(Path, Box<ValueExpr>),
    ListAppend(Box<ValueExpr>, Box<ValueExpr>),
    Plus(Box<ValueExpr>, Box<ValueExpr>),
    Minus(Box<ValueExpr>, Box<ValueExpr>),
}

/// One action of an update.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    Set(Path, ValueExpr),
    Remove(Path),
    /// Add a number, or union a set (legacy updates may also append a list).
    Add(Path, AttributeValue),
    /// Remove elements from a set.
    Delete(Path, AttributeValue),
}

impl UpdateAction {
    /// The path the action writes.
    pub fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }
}
