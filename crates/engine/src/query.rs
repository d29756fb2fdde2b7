//! Query and Scan: one read path over a byte range of the table or an index, with Limit, the
//! 1 MB page limit, ExclusiveStartKey/LastEvaluatedKey, filters, projections and parallel scan
//! segments.

use std::ops::Bound;
use std::sync::Arc;

use palisade_model::{AttributeValue, Item};
use palisade_storage::{Bytes, keyenc};

use crate::capacity::{Consumed, read_units};
use crate::codec_json::{stored_item_size, stored_item_size_bound};
use crate::error::{EngineError, Result};
use crate::items::{Condition, read_item};
use crate::schema::{IndexKind, IndexMeta, KeyDef, Projection, TableMeta};
use crate::size::item_size;
use crate::{Engine, codec, keys};

/// DynamoDB stops a Query or Scan page after reading 1 MB.
const PAGE_BYTES: usize = 1024 * 1024;

/// Stored items a page makes room for at first.
const STORED_RESERVE: usize = 128;

/// A projection of result items (ProjectionExpression / AttributesToGet).
pub type Projector = Arc<dyn Fn(&Item) -> Item + Send + Sync>;

/// A condition on the sort key of a Query.
#[derive(Debug, Clone, PartialEq)]
pub enum SortCondition {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// What a Query or Scan returns per item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Select {
    #[default]
    AllAttributes,
    AllProjectedAttributes,
    SpecificAttributes,
    Count,
}

/// Parameters common to Query and Scan.
#[derive(Clone, Default)]
pub struct ReadInput {
    pub account: String,
    pub table: String,
    pub index: Option<String>,
    pub forward: bool,
    pub limit: Option<usize>,
    pub exclusive_start_key: Option<Item>,
    pub consistent: bool,
    pub filter: Option<Condition>,
    pub select: Select,
    pub projection: Option<Projector>,
    /// Parallel scan: (segment, total segments).
    pub segment: Option<(u32, u32)>,
    /// Return the items of a page without a filter or a projection in their stored form
    /// ([`ReadOutput::stored`], written out with [`write_stored_item_json`]) rather than
    /// decoded: a caller that only writes them out skips decoding them.
    pub stored: bool,
    /// The caller does not report the capacity consumed: a page of stored items then sizes
    /// its items only once they could reach the 1 MB page limit, and leaves
    /// [`ReadOutput::consumed`] at zero unless it had to size them all.
    pub without_capacity: bool,
}

/// The key of a Query: partition-key values (in key-schema order), equalities on a leading
/// run of the sort-key attributes (multi-attribute GSI keys), and a condition on the next one.
#[derive(Debug, Clone, Default)]
pub struct KeyQuery {
    pub partition: Vec<AttributeValue>,
    pub sort_equal: Vec<AttributeValue>,
    pub sort: Option<SortCondition>,
}

/// A page of results.
#[derive(Debug, Clone, Default)]
pub struct ReadOutput {
    pub items: Vec<Item>,
    pub count: usize,
    pub scanned_count: usize,
    pub last_evaluated_key: Option<Item>,
    /// The capacity consumed (see [`ReadInput::without_capacity`]).
    pub consumed: Consumed,
    /// The index read, if any, for capacity reporting.
    pub index: Option<String>,
    /// The items in their stored form (shared with the storage backend, not copied), in
    /// order, when [`ReadInput::stored`] asked for it and no filter or projection applied;
    /// `items` is then empty.
    pub stored: Vec<Bytes>,
}

/// Appends the DynamoDB JSON of an item of [`ReadOutput::stored`] to `out`.
pub fn write_stored_item_json(stored: &[u8], out: &mut Vec<u8>) -> Result<()> {
    Ok(crate::codec_json::write_stored_item_json(stored, out)?)
}

fn bound_of(v: &Option<Vec<u8>>) -> Bound<&[u8]> {
    match v {
        Some(k) => Bound::Excluded(k.as_slice()),
        None => Bound::Unbounded,
    }
}

fn encoded(prefix: &[u8], v: &AttributeValue) -> Result<Vec<u8>> {
    let mut k = prefix.to_vec();
    keys::push_value(&mut k, v)?;
    Ok(k)
}

/// The byte range [start, end) of a partition under a sort condition.
fn sort_range(prefix: &[u8], sort: Option<&SortCondition>) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let succ = |k: &[u8]| keyenc::prefix_successor(k);
    Ok(match sort {
        None => (prefix.to_vec(), succ(prefix)),
        Some(SortCondition::Eq(v)) => {
            let k = encoded(prefix, v)?;
            let end = succ(&k);
            (k, end)
        }
        Some(SortCondition::Lt(v)) => (prefix.to_vec(), Some(encoded(prefix, v)?)),
        Some(SortCondition::Le(v)) => (prefix.to_vec(), succ(&encoded(prefix, v)?)),
        Some(SortCondition::Gt(v)) => {
            (succ(&encoded(prefix, v)?).unwrap_or_default(), succ(prefix))
        }
        Some(SortCondition::Ge(v)) => (encoded(prefix, v)?, succ(prefix)),
        Some(SortCondition::Between(a, b)) => (encoded(prefix, a)?, succ(&encoded(prefix, b)?)),
        Some(SortCondition::BeginsWith(v)) => {
            let mut k = encoded(prefix, v)?;
            // Drop the terminator (0x00 0x01) so that every longer value matches.
            k.truncate(k.len().saturating_sub(2));
            let end = succ(&k);
            (k, end)
        }
    })
}

/// Which keys identify an entry of the table or index being read.
fn entry_keys<'a>(
    table: &'a TableMeta,
    index: Option<&'a IndexMeta>,
) -> Vec<&'a crate::schema::KeyAttr> {
    let mut v: Vec<_> = index.map(|i| i.keys.attrs().collect()).unwrap_or_default();
    for a in table.keys.attrs() {
        if !v.iter().any(|b| b.name == a.name) {
            v.push(a);
        }
    }
    v
}

fn key_item(attrs: &[&crate::schema::KeyAttr], item: &Item) -> Item {
    attrs
        .iter()
        .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect()
}

fn check_start_key(table: &TableMeta, index: Option<&IndexMeta>, esk: &Item) -> Result<()> {
    let attrs = entry_keys(table, index);
    let ok = esk.len() == attrs.len()
        && attrs
            .iter()
            .all(|a| esk.get(&a.name).and_then(AttributeValue::scalar_type) == Some(a.ty.into()));
    if ok {
        Ok(())
    } else {
        Err(EngineError::validation(
            "The provided starting key is invalid: The provided key element does not match the schema",
        ))
    }
}

fn segment_of(item: &Item, keys: &KeyDef, total: u32) -> u32 {
    // FNV-1a over the encoded partition key: stable across restarts and platforms.
    let mut h: u64 = 0xcbf29ce484222325;
    for a in &keys.partition {
        let mut buf = Vec::new();
        if let Some(v) = item.get(&a.name) {
            let _ = keyenc::encode_key_value(v, &mut buf);
        }
        for b in buf {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    (h % u64::from(total.max(1))) as u32
}

impl Engine {
    fn resolve_index<'a>(
        &self,
        table: &'a TableMeta,
        input: &ReadInput,
    ) -> Result<Option<&'a IndexMeta>> {
        let Some(name) = &input.index else {
            if input.select == Select::AllProjectedAttributes {
                return Err(EngineError::validation(
                    "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is not supported when IndexName is not specified",
                ));
            }
            return Ok(None);
        };
        let index = table.index(name).ok_or_else(|| {
            EngineError::validation(format!(
                "The table does not have the specified index: {name}"
            ))
        })?;
        if index.kind == IndexKind::Global && input.consistent {
            return Err(EngineError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        if index.kind == IndexKind::Global
            && input.select == Select::AllAttributes
            && index.projection != Projection::All
            && input.projection.is_none()
        {
            return Err(EngineError::validation(format!(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                index.name
            )));
        }
        Ok(Some(index))
    }

    /// Query: the items of one partition of the table or an index, in sort-key order.
    pub fn query(&self, input: &ReadInput, key: &KeyQuery) -> Result<ReadOutput> {
        let table = self.table(&input.account, &input.table)?;
        let index = self.resolve_index(&table, input)?;
        let (number, kdef) = match index {
            Some(i) => (i.number, &i.keys),
            None => (0, &table.keys),
        };
        let values: Vec<&AttributeValue> = key.partition.iter().chain(&key.sort_equal).collect();
        if key.partition.len() != kdef.partition.len()
            || key.sort_equal.len() + usize::from(key.sort.is_some()) > kdef.sort.len()
        {
            return Err(EngineError::validation("Query key condition not supported"));
        }
        let prefix = keys::partition_prefix(table.id, number, &values)?;
        let (start, end) = sort_range(&prefix, key.sort.as_ref())?;
        self.read_range(&table, index, input, start, end)
    }

    /// Scan: every item of the table or an index, optionally one segment of a parallel scan.
    pub fn scan(&self, input: &ReadInput) -> Result<ReadOutput> {
        let table = self.table(&input.account, &input.table)?;
        let index = self.resolve_index(&table, input)?;
        let number = index.map_or(0, |i| i.number);
        let prefix = keys::index_prefix(table.id, number);
        let end = keyenc::prefix_successor(&prefix);
        self.read_range(&table, index, input, prefix, end)
    }

    fn read_range(
        &self,
        table: &TableMeta,
        index: Option<&IndexMeta>,
        input: &ReadInput,
        start: Vec<u8>,
        end: Option<Vec<u8>>,
    ) -> Result<ReadOutput> {
        let number = index.map_or(0, |i| i.number);
        let key_attrs = entry_keys(table, index);
        let start_after = match &input.exclusive_start_key {
            Some(esk) => {
                check_start_key(table, index, esk)?;
                Some(match index {
                    Some(i) => keys::index_entry_key(table, number, &i.keys, esk)?,
                    None => keys::item_key(table, esk)?,
                })
            }
            None => None,
        };
        let (lo, hi): (Bound<&[u8]>, Bound<&[u8]>) = match (&start_after, input.forward) {
            (Some(k), true) if k.as_slice() >= start.as_slice() => {
                (Bound::Excluded(k), bound_of(&end))
            }
            (Some(k), false) => (Bound::Included(&start), Bound::Excluded(k)),
            _ => (Bound::Included(&start), bound_of(&end)),
        };
        let snap = self.storage.snapshot()?;
        let fetch_base = index.is_some_and(|i| {
            i.kind == IndexKind::Local
                && i.projection != Projection::All
                && input.select == Select::AllAttributes
        });
        let mut out = ReadOutput {
            index: index.map(|i| i.name.clone()),
            ..ReadOutput::default()
        };
        // The DynamoDB size of the items read, when `sized`.
        let mut bytes = 0usize;
        let mut last: Option<Item> = None;
        let mut cut = false;
        let keep_stored = input.stored
            && input.filter.is_none()
            && input.projection.is_none()
            && input.segment.is_none()
            && !fetch_base
            && input.select != Select::Count;
        if keep_stored {
            // Room for a page of small items (or the Limit) without growing several times.
            out.stored
                .reserve(input.limit.unwrap_or(STORED_RESERVE).min(STORED_RESERVE));
        }
        // Stored items are sized only when the capacity is reported or the page could reach
        // its limit; until then an upper bound of their sizes is enough.
        let mut sized = !(keep_stored && input.without_capacity);
        let mut bound = 0usize;
        for entry in snap.range_shared(lo, hi, !input.forward) {
            let (_, value) = entry?;
            if keep_stored {
                // Every item is returned as stored: only its size is needed here.
                if !sized {
                    bound += stored_item_size_bound(&value);
                    if bound >= PAGE_BYTES {
                        bytes = out
                            .stored
                            .iter()
                            .map(|s| stored_item_size(s))
                            .sum::<Result<_, _>>()?;
                        sized = true;
                    }
                }
                if sized {
                    bytes += stored_item_size(&value)?;
                }
                out.scanned_count += 1;
                out.count += 1;
                let page_ends =
                    input.limit.is_some_and(|l| out.scanned_count >= l) || bytes >= PAGE_BYTES;
                if page_ends {
                    last = Some(key_item(&key_attrs, &codec::decode_item(&value)?));
                }
                out.stored.push(value);
                if page_ends {
                    cut = true;
                    break;
                }
                continue;
            }
            let mut item = codec::decode_item(&value)?;
            if let Some((seg, total)) = input.segment
                && segment_of(&item, &table.keys, total) != seg
            {
                continue;
            }
            if fetch_base && let Some(full) = read_item(&*snap, table, &item)? {
                item = full;
            }
            bytes += item_size(&item);
            out.scanned_count += 1;
            let page_ends =
                input.limit.is_some_and(|l| out.scanned_count >= l) || bytes >= PAGE_BYTES;
            if page_ends {
                // Only the last item read becomes LastEvaluatedKey.
                last = Some(key_item(&key_attrs, &item));
            }
            if input.filter.as_ref().is_none_or(|f| f(&item)) {
                out.count += 1;
                if input.select != Select::Count {
                    out.items.push(match &input.projection {
                        Some(p) => p(&item),
                        None => item,
                    });
                }
            }
            if page_ends {
                cut = true;
                break;
            }
        }
        if cut {
            out.last_evaluated_key = last;
        }
        if !sized {
            return Ok(out);
        }
        let units = read_units(bytes, input.consistent);
        match index {
            Some(i) => {
                out.consumed.indexes.insert(i.name.clone(), units);
            }
            None => out.consumed.read = units,
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
