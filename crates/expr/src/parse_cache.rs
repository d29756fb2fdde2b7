//! Recently parsed expression texts, per thread: clients send the same few expressions over
//! and over, and parsing one is a sizeable share of a small write (about 3 % of the server's
//! CPU per `SET n = if_not_exists(n, :zero) + :one` UpdateItem). Only the raw syntax tree
//! is kept, keyed by the exact text; checking it against the request's placeholders is done
//! for every request, so the errors and the resolved values are those of that request. Texts
//! that do not parse are not kept: their errors are made afresh.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::error::Invalid;
use crate::parser::{RawCond, RawUpdate, parse_condition, parse_update};

/// Most texts kept per kind and thread; the cache starts over beyond that, so memory stays
/// bounded (texts are at most 4 KiB) whatever clients send.
const LIMIT: usize = 128;

struct Cache<T> {
    parsed: HashMap<Box<str>, Rc<T>>,
}

impl<T> Cache<T> {
    fn new() -> Cache<T> {
        Cache {
            parsed: HashMap::new(),
        }
    }

    fn get_or_parse(
        &mut self,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Result<Rc<T>, Invalid> {
        if let Some(tree) = self.parsed.get(text) {
            return Ok(Rc::clone(tree));
        }
        let tree = Rc::new(parse(text)?);
        if self.parsed.len() >= LIMIT {
            self.parsed.clear();
        }
        self.parsed.insert(text.into(), Rc::clone(&tree));
        Ok(tree)
    }
}

thread_local! {
    static CONDITIONS: RefCell<Cache<RawCond>> = RefCell::new(Cache::new());
    static UPDATES: RefCell<Cache<RawUpdate>> = RefCell::new(Cache::new());
}

/// [`parse_condition`], remembered per thread.
pub(crate) fn condition(text: &str) -> Result<Rc<RawCond>, Invalid> {
    CONDITIONS.with(|c| c.borrow_mut().get_or_parse(text, parse_condition))
}

/// [`parse_update`], remembered per thread.
pub(crate) fn update(text: &str) -> Result<Rc<RawUpdate>, Invalid> {
    UPDATES.with(|c| c.borrow_mut().get_or_parse(text, parse_update))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_the_parser_s_trees_and_errors() {
        for text in [
            "a = :v",
            "attribute_not_exists(locked) AND #n < :x",
            "a = = b",
            "a IN ()",
        ] {
            let first = condition(text).map(|t| format!("{t:?}"));
            let again = condition(text).map(|t| format!("{t:?}"));
            let direct = parse_condition(text).map(|t| format!("{t:?}"));
            assert_eq!(first, direct, "{text}");
            assert_eq!(again, direct, "{text}");
        }
        for text in [
            "SET n = if_not_exists(n, :zero) + :one",
            "REMOVE a, SET b = :v",
            "SET",
        ] {
            let first = update(text).map(|t| format!("{t:?}"));
            let again = update(text).map(|t| format!("{t:?}"));
            let direct = parse_update(text).map(|t| format!("{t:?}"));
            assert_eq!(first, direct, "{text}");
            assert_eq!(again, direct, "{text}");
        }
    }

    #[test]
    fn stays_bounded() {
        for i in 0..3 * LIMIT {
            condition(&format!("a{i} = :v")).unwrap();
            let kept = CONDITIONS.with(|c| c.borrow().parsed.len());
            assert!(kept <= LIMIT, "{kept}");
        }
    }
}
