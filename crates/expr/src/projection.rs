//! Projections: copying the parts of an item that a list of document paths names.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use palisade_model::{AttributeValue, Item};

use crate::ast::{Path, PathElem};

/// A validated projection (ProjectionExpression or AttributesToGet).
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    paths: Vec<Path>,
}

/// Part of a projected value: the whole value, or selected map keys / list positions.
enum Node {
    Whole(AttributeValue),
    Map(BTreeMap<String, Node>),
    List(BTreeMap<usize, Node>),
}

fn extract(src: &AttributeValue, rest: &[PathElem]) -> Option<Node> {
    let Some((first, tail)) = rest.split_first() else {
        return Some(Node::Whole(src.clone()));
    };
    match (first, src) {
        (PathElem::Attr(k), AttributeValue::M(m)) => {
            let child = extract(m.get(k)?, tail)?;
            Some(Node::Map(BTreeMap::from([(k.clone(), child)])))
        }
        (PathElem::Index(i), AttributeValue::L(l)) => {
            let child = extract(l.get(*i)?, tail)?;
            Some(Node::List(BTreeMap::from([(*i, child)])))
        }
        _ => None,
    }
}

fn merge(into: &mut Node, other: Node) {
    match (into, other) {
        (Node::Whole(_), _) => {}
        (slot, Node::Whole(v)) => *slot = Node::Whole(v),
        (Node::Map(a), Node::Map(b)) => merge_maps(a, b),
        (Node::List(a), Node::List(b)) => merge_maps(a, b),
        // One source value cannot be both a map and a list.
        _ => {}
    }
}

fn merge_maps<K: Ord>(a: &mut BTreeMap<K, Node>, b: BTreeMap<K, Node>) {
    for (k, n) in b {
        match a.entry(k) {
            Entry::Vacant(e) => {
                e.insert(n);
            }
            Entry::Occupied(mut e) => merge(e.get_mut(), n),
        }
    }
}

fn build(node: Node) -> AttributeValue {
    match node {
        Node::Whole(v) => v,
        Node::Map(m) => AttributeValue::M(m.into_iter().map(|(k, n)| (k, build(n))).collect()),
        Node::List(l) => AttributeValue::L(l.into_values().map(build).collect()),
    }
}

/// The parts of `item` named by `paths`, nested as in the item; list elements keep their
/// relative order and are packed together, as DynamoDB returns them.
pub fn project_paths<'p>(item: &Item, paths: impl IntoIterator<Item = &'p Path>) -> Item {
    let mut out: BTreeMap<String, Node> = BTreeMap::new();
    for path in paths {
        let Some(top) = item.get(&path.head) else {
            continue;
        };
        let Some(node) = extract(top, &path.rest) else {
            continue;
        };
        match out.entry(path.head.clone()) {
            Entry::Vacant(e) => {
                e.insert(node);
            }
            Entry::Occupied(mut e) => merge(e.get_mut(), node),
        }
    }
    out.into_iter().map(|(k, n)| (k, build(n))).collect()
}

impl Projection {
    /// A projection of these paths (already validated).
    pub fn from_paths(paths: Vec<Path>) -> Projection {
        Projection { paths }
    }

    /// The projected paths, in the order written.
    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// The top-level attribute names the projection reads.
    pub fn top_level_attributes(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().map(|p| p.head.as_str())
    }

    /// The projected item.
    pub fn apply(&self, item: &Item) -> Item {
        project_paths(item, &self.paths)
    }
}
