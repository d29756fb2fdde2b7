//! BatchWriteItem's, TransactWriteItems' and PutItem's requests, and GetItem's, UpdateItem's
//! and DeleteItem's keys, decoded straight from the body's bytes, their items without a
//! `serde_json::Value` tree: building and dropping the tree of 25 items of 1 KiB was a fifth of
//! the server's CPU per BatchWriteItem, and a GetItem's tree about a tenth of its instructions.
//!
//! The decoders are strict: they accept only a request the tree path
//! ([`super::batch::batch_write`], [`super::batch::transact_write`]) decodes without an error,
//! and give the same input. Anything else (an error by DynamoDB's rules, and also a `null`
//! member, an unknown member where the items are, a name given twice) makes `decode` answer
//! `None`, and the caller decodes the body as a tree, which answers with DynamoDB's exact
//! error, in DynamoDB's order, or with the tree's result. They run before authentication in
//! place of the tree's parse and never fail a request by themselves.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use palisade_engine::BatchWrite;
use palisade_model::StrictItem;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A BatchWriteItem request decoded by the strict decoder.
#[derive(Debug)]
pub(crate) struct BatchWriteInput {
    /// `RequestItems`: each table's writes, tables in the order of their names (the order of
    /// a tree's map).
    pub requests: Vec<(String, Vec<BatchWrite>)>,
    /// The other top-level members (`ReturnConsumedCapacity`, ...), as the tree holds them.
    pub others: Map<String, Value>,
}

impl BatchWriteInput {
    /// The request in `body`, or `None` when the tree path must decide (see the module
    /// documentation). `None` says nothing about whether `body` is JSON.
    pub(crate) fn decode(body: &[u8]) -> Option<BatchWriteInput> {
        let (requests, others) = decode_request(body, "RequestItems", RequestItems)?;
        Some(BatchWriteInput { requests, others })
    }
}

/// Fails the strict decoding: the tree path decides.
fn left_to_tree<E: de::Error>(why: &str) -> E {
    E::custom(why)
}

/// Decodes `body` as a request object whose member `name` is read by `seed` and whose other
/// members are kept as the tree holds them; `None` when the tree path must decide (not an
/// object, no such member, a member given twice, trailing bytes, or whatever `seed` leaves to
/// the tree).
fn decode_request<'de, S: DeserializeSeed<'de>>(
    body: &'de [u8],
    name: &'static str,
    seed: S,
) -> Option<(S::Value, Map<String, Value>)> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let request = Deserializer::deserialize_map(&mut deserializer, Request { name, seed }).ok()?;
    deserializer.end().ok()?;
    Some(request)
}

/// The visitor of [`decode_request`].
struct Request<S> {
    name: &'static str,
    seed: S,
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Request<S> {
    type Value = (S::Value, Map<String, Value>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a request with {}", self.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Self::Value, A::Error> {
        let mut seed = Some(self.seed);
        let mut decoded = None;
        let mut others = Map::new();
        while let Some(name) = members.next_key::<String>()? {
            if name == self.name {
                let seed = seed
                    .take()
                    .ok_or_else(|| left_to_tree("a member given twice"))?;
                decoded = Some(members.next_value_seed(seed)?);
            } else {
                // Read as the tree reads it, so that what the tree refuses (a number out of
                // range) is refused here too.
                let value: Value = members.next_value()?;
                if others.insert(name, value).is_some() {
                    return Err(left_to_tree("a member given twice"));
                }
            }
        }
        let decoded = decoded.ok_or_else(|| left_to_tree("the member is missing"))?;
        Ok((decoded, others))
    }
}

/// `RequestItems`: table name to the list of its write requests.
struct RequestItems;

impl<'de> DeserializeSeed<'de> for RequestItems {
    type Value = Vec<(String, Vec<BatchWrite>)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RequestItems {
    type Value = Vec<(String, Vec<BatchWrite>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of table name to write requests")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut tables: A) -> Result<Self::Value, A::Error> {
        let mut by_name = BTreeMap::new();
        while let Some(table) = tables.next_key::<String>()? {
            let writes = tables.next_value_seed(WriteList)?;
            if by_name.insert(table, writes).is_some() {
                return Err(left_to_tree("a table given twice"));
            }
        }
        Ok(by_name.into_iter().collect())
    }
}

/// One table's list of write requests.
struct WriteList;

impl<'de> DeserializeSeed<'de> for WriteList {
    type Value = Vec<BatchWrite>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for WriteList {
    type Value = Vec<BatchWrite>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of write requests")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut list: A) -> Result<Self::Value, A::Error> {
        let mut writes = Vec::new();
        while let Some(write) = list.next_element_seed(WriteRequest)? {
            writes.push(write);
        }
        Ok(writes)
    }
}

/// `{"PutRequest": {"Item": ..}}` or `{"DeleteRequest": {"Key": ..}}`, nothing else.
struct WriteRequest;

impl<'de> DeserializeSeed<'de> for WriteRequest {
    type Value = BatchWrite;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<BatchWrite, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for WriteRequest {
    type Value = BatchWrite;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a write request")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<BatchWrite, A::Error> {
        let name = members
            .next_key::<MemberName>()?
            .ok_or_else(|| left_to_tree("an empty write request"))?;
        let write = match name {
            MemberName::PutRequest => BatchWrite::Put(members.next_value_seed(OnlyMember {
                name: MemberName::Item,
            })?),
            MemberName::DeleteRequest => {
                BatchWrite::Delete(members.next_value_seed(OnlyMember {
                    name: MemberName::Key,
                })?)
            }
            MemberName::Item | MemberName::Key => {
                return Err(left_to_tree("an unexpected member"));
            }
        };
        if members.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(left_to_tree("a second member"));
        }
        Ok(write)
    }
}

/// The member names the strict decoder knows below `RequestItems`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MemberName {
    PutRequest,
    DeleteRequest,
    Item,
    Key,
}

impl<'de> de::Deserialize<'de> for MemberName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MemberName, D::Error> {
        deserializer.deserialize_str(MemberNameVisitor)
    }
}

struct MemberNameVisitor;

impl Visitor<'_> for MemberNameVisitor {
    type Value = MemberName;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<MemberName, E> {
        match name {
            "PutRequest" => Ok(MemberName::PutRequest),
            "DeleteRequest" => Ok(MemberName::DeleteRequest),
            "Item" => Ok(MemberName::Item),
            "Key" => Ok(MemberName::Key),
            _ => Err(left_to_tree("an unknown member")),
        }
    }
}

/// A `PutRequest` or `DeleteRequest` object whose only member is the item (`Item` or `Key`).
struct OnlyMember {
    name: MemberName,
}

impl<'de> DeserializeSeed<'de> for OnlyMember {
    type Value = palisade_model::Item;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OnlyMember {
    type Value = palisade_model::Item;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a put or delete request")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Self::Value, A::Error> {
        match members.next_key::<MemberName>()? {
            Some(name) if name == self.name => {}
            _ => return Err(left_to_tree("not the item alone")),
        }
        let StrictItem(item) = members.next_value()?;
        if members.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(left_to_tree("a second member"));
        }
        Ok(item)
    }
}

/// A TransactWriteItems request decoded by the strict decoder: each element's item (`Item`
/// of a `Put`, `Key` of the others) without a tree, everything else as the tree holds it.
#[derive(Debug)]
pub(crate) struct TransactWriteInput {
    /// `TransactItems`: each element as a tree without its item (`{"Put": {"TableName": ..}}`),
    /// and the item.
    pub elements: Vec<(Value, palisade_model::Item)>,
    /// The other top-level members (`ClientRequestToken`, ...), as the tree holds them.
    pub others: Map<String, Value>,
}

impl TransactWriteInput {
    /// The request in `body`, or `None` when the tree path must decide (see the module
    /// documentation). `None` says nothing about whether `body` is JSON.
    pub(crate) fn decode(body: &[u8]) -> Option<TransactWriteInput> {
        let (elements, others) = decode_request(body, "TransactItems", TransactItems)?;
        Some(TransactWriteInput { elements, others })
    }
}

/// `TransactItems`: the list of elements.
struct TransactItems;

impl<'de> DeserializeSeed<'de> for TransactItems {
    type Value = Vec<(Value, palisade_model::Item)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TransactItems {
    type Value = Vec<(Value, palisade_model::Item)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of transaction elements")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut list: A) -> Result<Self::Value, A::Error> {
        let mut elements = Vec::new();
        while let Some(element) = list.next_element_seed(TransactElement)? {
            elements.push(element);
        }
        Ok(elements)
    }
}

/// One element: exactly one of `Put`, `Update`, `Delete`, `ConditionCheck`.
struct TransactElement;

impl<'de> DeserializeSeed<'de> for TransactElement {
    type Value = (Value, palisade_model::Item);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TransactElement {
    type Value = (Value, palisade_model::Item);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a transaction element")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Self::Value, A::Error> {
        let kind = members
            .next_key::<String>()?
            .ok_or_else(|| left_to_tree("an empty element"))?;
        let item_member = match kind.as_str() {
            "Put" => "Item",
            "Update" | "Delete" | "ConditionCheck" => "Key",
            _ => return Err(left_to_tree("an unknown member")),
        };
        let (action, item) = members.next_value_seed(TransactAction { item_member })?;
        if members.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(left_to_tree("a second member"));
        }
        let mut element = Map::new();
        element.insert(kind, Value::Object(action));
        Ok((Value::Object(element), item))
    }
}

/// The object of one element: `item_member` decoded strictly, the other members as trees.
struct TransactAction {
    item_member: &'static str,
}

impl<'de> DeserializeSeed<'de> for TransactAction {
    type Value = (Map<String, Value>, palisade_model::Item);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TransactAction {
    type Value = (Map<String, Value>, palisade_model::Item);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a transaction action")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Self::Value, A::Error> {
        let mut item = None;
        let mut action = Map::new();
        while let Some(name) = members.next_key::<String>()? {
            if name == self.item_member {
                if item.is_some() {
                    return Err(left_to_tree("a member given twice"));
                }
                let StrictItem(decoded) = members.next_value()?;
                item = Some(decoded);
            } else {
                let value: Value = members.next_value()?;
                if action.insert(name, value).is_some() {
                    return Err(left_to_tree("a member given twice"));
                }
            }
        }
        let item = item.ok_or_else(|| left_to_tree("no item"))?;
        Ok((action, item))
    }
}

/// The single-item operations whose item or key the strict decoder reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemOp {
    Put,
    Get,
    Update,
    Delete,
}

impl ItemOp {
    /// The operation named `op`, when it is one of these.
    pub(crate) fn named(op: &str) -> Option<ItemOp> {
        Some(match op {
            "PutItem" => ItemOp::Put,
            "GetItem" => ItemOp::Get,
            "UpdateItem" => ItemOp::Update,
            "DeleteItem" => ItemOp::Delete,
            _ => return None,
        })
    }

    /// The member holding the item: PutItem's `Item`, the others' `Key`.
    fn member(self) -> &'static str {
        match self {
            ItemOp::Put => "Item",
            ItemOp::Get | ItemOp::Update | ItemOp::Delete => "Key",
        }
    }
}

/// A PutItem, GetItem, UpdateItem or DeleteItem request decoded by the strict decoder: its
/// item (`Item` or `Key`) without a tree, the other members as the tree holds them.
pub(crate) struct ItemInput {
    pub op: ItemOp,
    pub item: palisade_model::Item,
    /// The other top-level members (`TableName`, `ConditionExpression`, ...).
    pub others: Map<String, Value>,
}

impl ItemInput {
    /// The request of operation `op` in `body`, or `None` when the tree path must decide (see
    /// the module documentation). `None` says nothing about whether `body` is JSON.
    pub(crate) fn decode(op: ItemOp, body: &[u8]) -> Option<ItemInput> {
        let (StrictItem(item), others) =
            decode_request(body, op.member(), PhantomData::<StrictItem>)?;
        Some(ItemInput { op, item, others })
    }
}

#[cfg(test)]
#[path = "batch_decode_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "item_decode_tests.rs"]
mod item_tests;

#[cfg(test)]
#[path = "transact_decode_tests.rs"]
mod transact_tests;
