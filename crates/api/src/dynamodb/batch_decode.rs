//! BatchWriteItem's request decoded straight from the body's bytes into the engine's writes,
//! without a `serde_json::Value` tree: building and dropping the tree of 25 items of 1 KiB was
//! a fifth of the server's CPU per request.
//!
//! The decoder is strict: it accepts only a request the tree path
//! ([`super::batch::batch_write`]) decodes without an error, and gives the same writes. Anything
//! else (an error by DynamoDB's rules, and also a `null` member, an unknown member inside
//! `RequestItems`, a name given twice) makes [`BatchWriteInput::decode`] answer `None`, and the
//! caller decodes the body as a tree, which answers with DynamoDB's exact error, in DynamoDB's
//! order, or with the tree's result. It runs before authentication in place of the tree's
//! parse and never fails a request by itself.

use std::collections::BTreeMap;
use std::fmt;

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
        serde_json::from_slice(body).ok()
    }
}

/// Fails the strict decoding: the tree path decides.
fn left_to_tree<E: de::Error>(why: &str) -> E {
    E::custom(why)
}

impl<'de> de::Deserialize<'de> for BatchWriteInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BatchWriteInput, D::Error> {
        deserializer.deserialize_map(RequestVisitor)
    }
}

struct RequestVisitor;

impl<'de> Visitor<'de> for RequestVisitor {
    type Value = BatchWriteInput;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a BatchWriteItem request")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<BatchWriteInput, A::Error> {
        let mut requests = None;
        let mut others = Map::new();
        while let Some(name) = members.next_key::<String>()? {
            if name == "RequestItems" {
                if requests.is_some() {
                    return Err(left_to_tree("a member given twice"));
                }
                requests = Some(members.next_value_seed(RequestItems)?);
            } else {
                // Read as the tree reads it, so that what the tree refuses (a number out of
                // range) is refused here too.
                let value: Value = members.next_value()?;
                if others.insert(name, value).is_some() {
                    return Err(left_to_tree("a member given twice"));
                }
            }
        }
        let requests = requests.ok_or_else(|| left_to_tree("no RequestItems"))?;
        Ok(BatchWriteInput { requests, others })
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

#[cfg(test)]
#[path = "batch_decode_tests.rs"]
mod tests;
