//! Decoding DynamoDB JSON attribute values straight from a serde deserializer (the request's
//! bytes), without building a `serde_json::Value` tree first: the fast path of request
//! decoders.
//!
//! This decoder is strict on purpose. It accepts only what the tree decoder
//! ([`item_from_json`](crate::item_from_json)) accepts without an error, and builds the same
//! item. Anything else fails with an unspecified error: everything DynamoDB refuses, but
//! also shapes the tree decoder accepts that are rare in practice (a member set to `null`,
//! a member with an unknown name, an attribute or map member named twice). A caller that
//! gets an error decodes the request as a tree, which answers with DynamoDB's exact error or
//! with the result the tree gives. Errors never have to be reported in DynamoDB's order
//! here, which is what allows one pass.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::json::{MAX_NESTING_DEPTH, decode_base64, parse_number};
use crate::{AttributeValue, Item, Number};

/// An item decoded by the strict decoder (see the module documentation): an object of
/// attribute name to attribute value, with no name twice.
#[derive(Debug, Clone, PartialEq)]
pub struct StrictItem(pub Item);

impl<'de> de::Deserialize<'de> for StrictItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<StrictItem, D::Error> {
        deserializer
            .deserialize_map(MapOfValues { depth: 1 })
            .map(StrictItem)
    }
}

/// The strict decoding of one attribute value at nesting level `depth` (1 for an item's
/// attribute).
struct ValueSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = AttributeValue;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<AttributeValue, D::Error> {
        if self.depth > MAX_NESTING_DEPTH {
            return Err(de::Error::custom("nested too deeply"));
        }
        deserializer.deserialize_map(self)
    }
}

/// The type member of an attribute value.
#[derive(Clone, Copy)]
enum Tag {
    S,
    N,
    B,
    Ss,
    Ns,
    Bs,
    M,
    L,
    Null,
    Bool,
}

impl<'de> de::Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Tag, D::Error> {
        deserializer.deserialize_str(TagVisitor)
    }
}

struct TagVisitor;

impl Visitor<'_> for TagVisitor {
    type Value = Tag;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute value type")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Tag, E> {
        Ok(match name {
            "S" => Tag::S,
            "N" => Tag::N,
            "B" => Tag::B,
            "SS" => Tag::Ss,
            "NS" => Tag::Ns,
            "BS" => Tag::Bs,
            "M" => Tag::M,
            "L" => Tag::L,
            "NULL" => Tag::Null,
            "BOOL" => Tag::Bool,
            // The tree decoder ignores it; left to the tree.
            _ => return Err(E::custom("unknown member")),
        })
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<AttributeValue, A::Error> {
        let Some(tag) = members.next_key::<Tag>()? else {
            return Err(de::Error::custom("no type set"));
        };
        let depth = self.depth;
        let value = match tag {
            Tag::S => AttributeValue::S(members.next_value()?),
            Tag::N => AttributeValue::N(members.next_value_seed(NumberSeed)?),
            Tag::B => AttributeValue::B(members.next_value_seed(BinarySeed)?),
            Tag::Ss => AttributeValue::Ss(members.next_value_seed(SetSeed(StringSeed))?),
            Tag::Ns => AttributeValue::Ns(members.next_value_seed(SetSeed(NumberSeed))?),
            Tag::Bs => AttributeValue::Bs(members.next_value_seed(SetSeed(BinarySeed))?),
            Tag::M => AttributeValue::M(members.next_value_seed(MapOfValues { depth: depth + 1 })?),
            Tag::L => AttributeValue::L(members.next_value_seed(ListSeed { depth: depth + 1 })?),
            Tag::Null => {
                if !members.next_value::<bool>()? {
                    return Err(de::Error::custom("NULL must be true"));
                }
                AttributeValue::Null
            }
            Tag::Bool => AttributeValue::Bool(members.next_value()?),
        };
        // A second member is either a second type or a member the tree decoder ignores.
        if members.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("more than one member"));
        }
        Ok(value)
    }
}

/// An object of name to attribute value at level `depth`: an item (level 1) or an `M`.
struct MapOfValues {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for MapOfValues {
    type Value = BTreeMap<String, AttributeValue>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MapOfValues {
    type Value = BTreeMap<String, AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of attribute values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Self::Value, A::Error> {
        let mut map = BTreeMap::new();
        while let Some(name) = entries.next_key::<String>()? {
            let value = entries.next_value_seed(ValueSeed { depth: self.depth })?;
            // The tree keeps the last of two members with one name; left to the tree.
            if map.insert(name, value).is_some() {
                return Err(de::Error::custom("a name given twice"));
            }
        }
        Ok(map)
    }
}

/// An `L`: a list of attribute values at level `depth`.
struct ListSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Vec<AttributeValue>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of attribute values")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut elements: A) -> Result<Self::Value, A::Error> {
        let mut list = Vec::with_capacity(elements.size_hint().unwrap_or(0).min(64));
        while let Some(value) = elements.next_element_seed(ValueSeed { depth: self.depth })? {
            list.push(value);
        }
        Ok(list)
    }
}

/// An `SS`, `NS` or `BS`: a non-empty list of distinct elements.
#[derive(Clone, Copy)]
struct SetSeed<E>(E);

impl<'de, E: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for SetSeed<E>
where
    E::Value: Eq + std::hash::Hash,
{
    type Value = Vec<E::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, E: DeserializeSeed<'de> + Copy> Visitor<'de> for SetSeed<E>
where
    E::Value: Eq + std::hash::Hash,
{
    type Value = Vec<E::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a set")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut elements: A) -> Result<Self::Value, A::Error> {
        let mut set = Vec::with_capacity(elements.size_hint().unwrap_or(0).min(64));
        while let Some(element) = elements.next_element_seed(self.0)? {
            set.push(element);
        }
        if set.is_empty() {
            return Err(de::Error::custom("an empty set"));
        }
        let mut seen = HashSet::with_capacity(set.len());
        if !set.iter().all(|e| seen.insert(e)) {
            return Err(de::Error::custom("duplicates in a set"));
        }
        Ok(set)
    }
}

/// A string element of an `SS`.
#[derive(Clone, Copy)]
struct StringSeed;

impl<'de> DeserializeSeed<'de> for StringSeed {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        de::Deserialize::deserialize(deserializer)
    }
}

/// An `N` or an element of an `NS`: a string holding a valid number.
#[derive(Clone, Copy)]
struct NumberSeed;

impl<'de> DeserializeSeed<'de> for NumberSeed {
    type Value = Number;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Number, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for NumberSeed {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number as a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Number, E> {
        parse_number(text).map_err(E::custom)
    }
}

/// A `B` or an element of a `BS`: a string holding canonical base64.
#[derive(Clone, Copy)]
struct BinarySeed;

impl<'de> DeserializeSeed<'de> for BinarySeed {
    type Value = Vec<u8>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for BinarySeed {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("base64 as a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
        decode_base64(text).map_err(E::custom)
    }
}

#[cfg(test)]
#[path = "json_de_tests.rs"]
mod tests;
