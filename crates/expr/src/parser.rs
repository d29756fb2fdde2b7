//! Recursive-descent parser from tokens to a raw syntax tree (placeholders unresolved,
//! positions kept). Nesting is bounded so that no input can exhaust the stack.

use crate::ast::CompareOp;
use crate::error::Invalid;
use crate::lexer::{Tok, Token, syntax_error, tokenize};

/// Deepest nesting of parentheses, NOT and function calls the parser accepts. DynamoDB
/// publishes no such limit; this one keeps the recursive parser well inside a 2 MB thread
/// stack even in debug builds (about 8 KB per level there), and real expressions are far
/// shallower.
pub const MAX_NESTING: usize = 128;

/// One step of a raw path.
#[derive(Debug, Clone)]
pub(crate) enum RawElem {
    /// A plain attribute name as written.
    Ident(String),
    /// A `#name` placeholder.
    Name(String),
    /// A list index as written (digits).
    Index(String),
}

/// A document path as written, with its byte span.
#[derive(Debug, Clone)]
pub(crate) struct RawPath {
    pub elems: Vec<RawElem>,
    #[expect(
        dead_code,
        reason = "kept for diagnostics; DynamoDB's messages show no positions"
    )]
    pub span: (usize, usize),
}

/// `+` or `-` in a SET value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arith {
    Plus,
    Minus,
}

/// An operand as written.
#[derive(Debug, Clone)]
pub(crate) enum RawOperand {
    Path(RawPath),
    /// A `:name` placeholder and its byte offset.
    Value(
        String,
        #[expect(
            dead_code,
            reason = "kept for diagnostics; DynamoDB's messages show no positions"
        )]
        usize,
    ),
    /// A function call: name, byte offset, arguments.
    Call(
        String,
        #[expect(
            dead_code,
            reason = "kept for diagnostics; DynamoDB's messages show no positions"
        )]
        usize,
        Vec<RawOperand>,
    ),
    Arith(Arith, Box<RawOperand>, Box<RawOperand>),
    Paren(Box<RawOperand>),
}

/// A condition as written.
#[derive(Debug, Clone)]
pub(crate) enum RawCond {
    Compare(CompareOp, RawOperand, RawOperand),
    Between(RawOperand, RawOperand, RawOperand),
    In(RawOperand, Vec<RawOperand>),
    And(Box<RawCond>, Box<RawCond>),
    Or(Box<RawCond>, Box<RawCond>),
    Not(Box<RawCond>),
    /// A function call standing as a condition.
    Call(RawOperand),
    Paren(Box<RawCond>),
}

/// The four clauses of an update expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Set,
    Remove,
    Add,
    Delete,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Set => "SET",
            Section::Remove => "REMOVE",
            Section::Add => "ADD",
            Section::Delete => "DELETE",
        }
    }
}

/// One action of an update as written.
#[derive(Debug, Clone)]
pub(crate) enum RawAction {
    Set(RawPath, RawOperand),
    Remove(RawPath),
    Add(RawPath, String),
    Delete(RawPath, String),
}

/// A parsed update: sections in the order written.
pub(crate) type RawUpdate = Vec<(Section, Vec<RawAction>)>;

/// Why parsing stopped.
enum Fail {
    /// A syntax error somewhere; the parser reports the furthest token that failed.
    Syntax,
    /// A limit was hit; reported as is, never backtracked over.
    Limit(Invalid),
}

type PResult<T> = Result<T, Fail>;

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    furthest: usize,
    depth: usize,
    update_mode: bool,
    keywords: &'static [&'static str],
}

const COND_KEYWORDS: [&str; 5] = ["AND", "OR", "NOT", "BETWEEN", "IN"];
const UPDATE_KEYWORDS: [&str; 4] = ["SET", "REMOVE", "ADD", "DELETE"];

impl<'s> Parser<'s> {
    fn new(src: &'s str, update_mode: bool, keywords: &'static [&'static str]) -> Parser<'s> {
        Parser {
            src,
            toks: tokenize(src),
            pos: 0,
            furthest: 0,
            depth: 0,
            update_mode,
            keywords,
        }
    }

    fn kind(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::Eof, |t| &t.kind)
    }

    fn kind_at(&self, i: usize) -> &Tok {
        self.toks.get(i).map_or(&Tok::Eof, |t| &t.kind)
    }

    fn text(&self) -> &'s str {
        self.toks.get(self.pos).map_or("", |t| t.text(self.src))
    }

    fn start(&self) -> usize {
        self.toks.get(self.pos).map_or(self.src.len(), |t| t.start)
    }

    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(0, |t| t.end)
    }

    fn fail<T>(&mut self) -> PResult<T> {
        self.furthest = self.furthest.max(self.pos);
        Err(Fail::Syntax)
    }

    fn expect(&mut self, kind: Tok) -> PResult<()> {
        if *self.kind() == kind {
            self.pos += 1;
            Ok(())
        } else {
            self.fail()
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        *self.kind() == Tok::Ident && self.text().eq_ignore_ascii_case(kw)
    }

    fn is_any_kw(&self) -> bool {
        self.keywords.iter().any(|w| self.is_kw(w))
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(Fail::Limit(Invalid::NestingTooDeep(self.depth)));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn finish(&mut self) -> PResult<()> {
        if *self.kind() == Tok::Eof {
            Ok(())
        } else {
            self.fail()
        }
    }

    fn into_error(self, fail: Fail) -> Invalid {
        match fail {
            Fail::Limit(inv) => inv,
            Fail::Syntax => syntax_error(self.src, &self.toks, self.furthest),
        }
    }

    // ---- paths and operands ----

    fn path_elem_name(&mut self) -> PResult<RawElem> {
        match self.kind() {
            Tok::Ident if !self.is_any_kw() => {
                let e = RawElem::Ident(self.text().to_string());
                self.pos += 1;
                Ok(e)
            }
            Tok::Name => {
                let e = RawElem::Name(self.text().to_string());
                self.pos += 1;
                Ok(e)
            }
            _ => self.fail(),
        }
    }

    fn path(&mut self) -> PResult<RawPath> {
        let start = self.start();
        let mut elems = vec![self.path_elem_name()?];
        loop {
            match self.kind() {
                Tok::Dot => {
                    self.pos += 1;
                    elems.push(self.path_elem_name()?);
                }
                Tok::LBracket => {
                    self.pos += 1;
                    if *self.kind() != Tok::Digits {
                        return self.fail();
                    }
                    elems.push(RawElem::Index(self.text().to_string()));
                    self.pos += 1;
                    self.expect(Tok::RBracket)?;
                }
                _ => break,
            }
        }
        Ok(RawPath {
            elems,
            span: (start, self.prev_end()),
        })
    }

    /// An operand; in update mode a parenthesised operand may hold `+`/`-`.
    fn operand(&mut self) -> PResult<RawOperand> {
        match self.kind() {
            Tok::LParen => {
                self.enter()?;
                self.pos += 1;
                let inner = if self.update_mode {
                    self.set_value()?
                } else {
                    self.operand()?
                };
                self.expect(Tok::RParen)?;
                self.leave();
                Ok(RawOperand::Paren(Box::new(inner)))
            }
            Tok::Value => {
                let v = RawOperand::Value(self.text().to_string(), self.start());
                self.pos += 1;
                Ok(v)
            }
            Tok::Ident if *self.kind_at(self.pos + 1) == Tok::LParen && !self.is_any_kw() => {
                let name = self.text().to_string();
                let at = self.start();
                self.enter()?;
                self.pos += 2;
                let mut args = vec![self.operand()?];
                while *self.kind() == Tok::Comma {
                    self.pos += 1;
                    args.push(self.operand()?);
                }
                self.expect(Tok::RParen)?;
                self.leave();
                Ok(RawOperand::Call(name, at, args))
            }
            Tok::Ident | Tok::Name => Ok(RawOperand::Path(self.path()?)),
            _ => self.fail(),
        }
    }

    // ---- conditions ----

    fn or(&mut self) -> PResult<RawCond> {
        let mut left = self.and()?;
        while self.is_kw("OR") {
            self.pos += 1;
            let right = self.and()?;
            left = RawCond::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> PResult<RawCond> {
        let mut left = self.not()?;
        while self.is_kw("AND") {
            self.pos += 1;
            let right = self.not()?;
            left = RawCond::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> PResult<RawCond> {
        if self.is_kw("NOT") {
            self.enter()?;
            self.pos += 1;
            let inner = self.not()?;
            self.leave();
            return Ok(RawCond::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn at_comparison_operator(&self) -> bool {
        matches!(
            self.kind(),
            Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge
        ) || self.is_kw("BETWEEN")
            || self.is_kw("IN")
    }

    fn primary(&mut self) -> PResult<RawCond> {
        if *self.kind() == Tok::LParen {
            let save = self.pos;
            let saved_depth = self.depth;
            self.enter()?;
            self.pos += 1;
            let attempt = match self.or() {
                Ok(c) => self.expect(Tok::RParen).map(|()| c),
                Err(e) => Err(e),
            };
            match attempt {
                Ok(c) if !self.at_comparison_operator() => {
                    self.leave();
                    return Ok(RawCond::Paren(Box::new(c)));
                }
                Err(Fail::Limit(inv)) => return Err(Fail::Limit(inv)),
                _ => {
                    // Not a parenthesised condition: read it again as an operand.
                    self.pos = save;
                    self.depth = saved_depth;
                }
            }
        }
        self.comparison()
    }

    fn comparison(&mut self) -> PResult<RawCond> {
        let left = self.operand()?;
        let op = match self.kind() {
            Tok::Eq => Some(CompareOp::Eq),
            Tok::Ne => Some(CompareOp::Ne),
            Tok::Lt => Some(CompareOp::Lt),
            Tok::Le => Some(CompareOp::Le),
            Tok::Gt => Some(CompareOp::Gt),
            Tok::Ge => Some(CompareOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let right = self.operand()?;
            return Ok(RawCond::Compare(op, left, right));
        }
        if self.is_kw("BETWEEN") {
            self.pos += 1;
            let low = self.operand()?;
            if !self.is_kw("AND") {
                return self.fail();
            }
            self.pos += 1;
            let high = self.operand()?;
            return Ok(RawCond::Between(left, low, high));
        }
        if self.is_kw("IN") {
            self.pos += 1;
            self.expect(Tok::LParen)?;
            let mut list = vec![self.operand()?];
            while *self.kind() == Tok::Comma {
                self.pos += 1;
                list.push(self.operand()?);
            }
            self.expect(Tok::RParen)?;
            return Ok(RawCond::In(left, list));
        }
        if matches!(left, RawOperand::Call(..)) {
            return Ok(RawCond::Call(left));
        }
        self.fail()
    }

    // ---- updates ----

    fn set_value(&mut self) -> PResult<RawOperand> {
        let left = self.operand()?;
        let op = match self.kind() {
            Tok::Plus => Arith::Plus,
            Tok::Minus => Arith::Minus,
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.operand()?;
        Ok(RawOperand::Arith(op, Box::new(left), Box::new(right)))
    }

    fn section_keyword(&self) -> Option<Section> {
        if self.is_kw("SET") {
            Some(Section::Set)
        } else if self.is_kw("REMOVE") {
            Some(Section::Remove)
        } else if self.is_kw("ADD") {
            Some(Section::Add)
        } else if self.is_kw("DELETE") {
            Some(Section::Delete)
        } else {
            None
        }
    }

    fn update(&mut self) -> PResult<RawUpdate> {
        let mut sections = Vec::new();
        loop {
            let Some(section) = self.section_keyword() else {
                return self.fail();
            };
            self.pos += 1;
            let mut actions = Vec::new();
            loop {
                let path = self.path()?;
                let action = match section {
                    Section::Set => {
                        self.expect(Tok::Eq)?;
                        RawAction::Set(path, self.set_value()?)
                    }
                    Section::Remove => RawAction::Remove(path),
                    Section::Add | Section::Delete => {
                        if *self.kind() != Tok::Value {
                            return self.fail();
                        }
                        let v = self.text().to_string();
                        self.pos += 1;
                        if section == Section::Add {
                            RawAction::Add(path, v)
                        } else {
                            RawAction::Delete(path, v)
                        }
                    }
                };
                actions.push(action);
                if *self.kind() == Tok::Comma {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            sections.push((section, actions));
            if *self.kind() == Tok::Eof {
                return Ok(sections);
            }
        }
    }
}

/// Parses a condition (also filter and key-condition) expression.
pub(crate) fn parse_condition(src: &str) -> Result<RawCond, Invalid> {
    let mut p = Parser::new(src, false, &COND_KEYWORDS);
    match p.or().and_then(|c| p.finish().map(|()| c)) {
        Ok(c) => Ok(c),
        Err(f) => Err(p.into_error(f)),
    }
}

/// Parses an update expression.
pub(crate) fn parse_update(src: &str) -> Result<RawUpdate, Invalid> {
    let mut p = Parser::new(src, true, &UPDATE_KEYWORDS);
    match p.update() {
        Ok(u) => Ok(u),
        Err(f) => Err(p.into_error(f)),
    }
}

/// Parses a projection expression: paths separated by commas.
pub(crate) fn parse_projection(src: &str) -> Result<Vec<RawPath>, Invalid> {
    let mut p = Parser::new(src, false, &[]);
    let result = (|| {
        let mut paths = vec![p.path()?];
        while *p.kind() == Tok::Comma {
            p.pos += 1;
            paths.push(p.path()?);
        }
        p.finish()?;
        Ok(paths)
    })();
    match result {
        Ok(v) => Ok(v),
        Err(f) => Err(p.into_error(f)),
    }
}
