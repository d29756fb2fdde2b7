//! Applying updates to an item, with DynamoDB's run-time errors.

use std::collections::BTreeSet;

use palisade_model::{AttributeValue, Item};

use crate::ast::{Path, PathElem, UpdateAction, ValueExpr};
use crate::error::ExprError;
use crate::eval::lookup;
use crate::projection::project_paths;

/// A validated update (UpdateExpression or legacy AttributeUpdates).
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    actions: Vec<UpdateAction>,
    legacy: bool,
}

/// What an applied update wrote: the path of every action, in the order written. Callers use
/// it for `ReturnValues` `UPDATED_OLD` / `UPDATED_NEW`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatedPaths {
    /// Paths of the actions that ran.
    pub paths: Vec<Path>,
}

impl UpdatedPaths {
    /// Top-level attribute names touched.
    pub fn top_level(&self) -> BTreeSet<&str> {
        self.paths.iter().map(|p| p.head.as_str()).collect()
    }

    /// The updated parts of `item` (call with the old item for `UPDATED_OLD`, the new one for
    /// `UPDATED_NEW`).
    pub fn project(&self, item: &Item) -> Item {
        project_paths(item, &self.paths)
    }
}

fn eval(v: &ValueExpr, item: &Item) -> Result<AttributeValue, ExprError> {
    match v {
        ValueExpr::Value(v) => Ok(v.clone()),
        ValueExpr::Path(p) => lookup(item, p).cloned().ok_or(ExprError::MissingAttribute),
        ValueExpr::IfNotExists(p, default) => match lookup(item, p) {
            Some(v) => Ok(v.clone()),
            None => eval(default, item),
        },
        ValueExpr::ListAppend(a, b) => match (eval(a, item)?, eval(b, item)?) {
            (AttributeValue::L(mut x), AttributeValue::L(y)) => {
                x.extend(y);
                Ok(AttributeValue::L(x))
            }
            _ => Err(ExprError::IncorrectDataType),
        },
        ValueExpr::Plus(a, b) | ValueExpr::Minus(a, b) => match (eval(a, item)?, eval(b, item)?) {
            (AttributeValue::N(x), AttributeValue::N(y)) => {
                let n = if matches!(v, ValueExpr::Plus(..)) {
                    x.checked_add(&y)?
                } else {
                    x.checked_sub(&y)?
                };
                Ok(AttributeValue::N(n))
            }
            _ => Err(ExprError::IncorrectDataType),
        },
    }
}

/// The container holding the last step of `path`, which must exist.
fn parent_mut<'i>(item: &'i mut Item, path: &Path) -> Result<&'i mut AttributeValue, ExprError> {
    let n = path.rest.len();
    let mut cur = item
        .get_mut(&path.head)
        .ok_or(ExprError::InvalidDocumentPath)?;
    for e in path.rest.iter().take(n.saturating_sub(1)) {
        cur = match (e, cur) {
            (PathElem::Attr(k), AttributeValue::M(m)) => m.get_mut(k),
            (PathElem::Index(i), AttributeValue::L(l)) => l.get_mut(*i),
            _ => None,
        }
        .ok_or(ExprError::InvalidDocumentPath)?;
    }
    Ok(cur)
}

fn set_at(item: &mut Item, path: &Path, value: AttributeValue) -> Result<(), ExprError> {
    let Some(last) = path.rest.last() else {
        item.insert(path.head.clone(), value);
        return Ok(());
    };
    match (last, parent_mut(item, path)?) {
        (PathElem::Attr(k), AttributeValue::M(m)) => {
            m.insert(k.clone(), value);
        }
        (PathElem::Index(i), AttributeValue::L(l)) => match l.get_mut(*i) {
            Some(slot) => *slot = value,
            None => l.push(value),
        },
        _ => return Err(ExprError::InvalidDocumentPath),
    }
    Ok(())
}

fn remove_at(item: &mut Item, path: &Path) -> Result<(), ExprError> {
    let Some(last) = path.rest.last() else {
        item.remove(&path.head);
        return Ok(());
    };
    match (last, parent_mut(item, path)?) {
        (PathElem::Attr(k), AttributeValue::M(m)) => {
            m.remove(k);
        }
        (PathElem::Index(i), AttributeValue::L(l)) => {
            if *i < l.len() {
                l.remove(*i);
            }
        }
        _ => return Err(ExprError::InvalidDocumentPath),
    }
    Ok(())
}

fn union<T: Clone + PartialEq>(mut a: Vec<T>, b: &[T]) -> Vec<T> {
    for x in b {
        if !a.contains(x) {
            a.push(x.clone());
        }
    }
    a
}

fn difference<T: PartialEq>(a: Vec<T>, b: &[T]) -> Vec<T> {
    a.into_iter().filter(|x| !b.contains(x)).collect()
}

impl Update {
    /// An update made of these actions (already validated). `legacy` selects the messages of
    /// `AttributeUpdates` for type mismatches and allows ADD to append lists.
    pub fn from_actions(actions: Vec<UpdateAction>, legacy: bool) -> Update {
        Update { actions, legacy }
    }

    /// The actions, in the order written.
    pub fn actions(&self) -> &[UpdateAction] {
        &self.actions
    }

    /// The top-level attribute names the update writes.
    pub fn top_level_attributes(&self) -> BTreeSet<&str> {
        self.actions
            .iter()
            .map(|a| a.path().head.as_str())
            .collect()
    }

    fn mismatch(&self) -> ExprError {
        if self.legacy {
            ExprError::LegacyTypeMismatch
        } else {
            ExprError::IncorrectDataType
        }
    }

    /// Applies the update to `item` (an empty item when none exists). Every SET value is
    /// computed from the item as it was before the update. On error `item` is unchanged.
    pub fn apply(&self, item: &mut Item) -> Result<UpdatedPaths, ExprError> {
        let mut values = Vec::new();
        for a in &self.actions {
            if let UpdateAction::Set(_, v) = a {
                values.push(eval(v, item)?);
            }
        }
        let mut work = item.clone();
        let mut values = values.into_iter();
        let mut removes: Vec<&Path> = Vec::new();
        for a in &self.actions {
            match a {
                UpdateAction::Set(p, _) => {
                    let v = values.next().ok_or(ExprError::MissingAttribute)?;
                    set_at(&mut work, p, v)?;
                }
                UpdateAction::Remove(p) => removes.push(p),
                UpdateAction::Add(p, v) => self.add(&mut work, p, v)?,
                UpdateAction::Delete(p, v) => self.delete(&mut work, p, v)?,
            }
        }
        // Later list positions first, so that every index means the element it named
        // before the update.
        removes.sort_by(|a, b| b.cmp(a));
        for p in removes {
            remove_at(&mut work, p)?;
        }
        *item = work;
        Ok(UpdatedPaths {
            paths: self.actions.iter().map(|a| a.path().clone()).collect(),
        })
    }

    fn add(&self, item: &mut Item, path: &Path, v: &AttributeValue) -> Result<(), ExprError> {
        use AttributeValue as V;
        let new = match (lookup(item, path), v) {
            (None, _) => v.clone(),
            (Some(V::N(a)), V::N(b)) => V::N(a.checked_add(b)?),
            (Some(V::Ss(a)), V::Ss(b)) => V::Ss(union(a.clone(), b)),
            (Some(V::Ns(a)), V::Ns(b)) => V::Ns(union(a.clone(), b)),
            (Some(V::Bs(a)), V::Bs(b)) => V::Bs(union(a.clone(), b)),
            (Some(V::L(a)), V::L(b)) if self.legacy => {
                let mut a = a.clone();
                a.extend(b.iter().cloned());
                V::L(a)
            }
            _ => return Err(self.mismatch()),
        };
        set_at(item, path, new)
    }

    fn delete(&self, item: &mut Item, path: &Path, v: &AttributeValue) -> Result<(), ExprError> {
        use AttributeValue as V;
        let new = match (lookup(item, path), v) {
            (None, _) => {
                // The parent must still exist for a nested path.
                if !path.rest.is_empty() {
                    parent_mut(item, path)?;
                }
                return Ok(());
            }
            (Some(V::Ss(a)), V::Ss(b)) => V::Ss(difference(a.clone(), b)),
            (Some(V::Ns(a)), V::Ns(b)) => V::Ns(difference(a.clone(), b)),
            (Some(V::Bs(a)), V::Bs(b)) => V::Bs(difference(a.clone(), b)),
            _ => return Err(self.mismatch()),
        };
        let empty = matches!(&new, V::Ss(x) if x.is_empty())
            || matches!(&new, V::Ns(x) if x.is_empty())
            || matches!(&new, V::Bs(x) if x.is_empty());
        if empty {
            remove_at(item, path)
        } else {
            set_at(item, path, new)
        }
    }
}
