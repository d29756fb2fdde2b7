//! The DynamoDB JSON wire form of attribute values: `{"S": "x"}`, `{"N": "1.5"}`,
//! `{"B": "<base64>"}`, `{"SS": [..]}`, `{"NS": [..]}`, `{"BS": [..]}`, `{"M": {..}}`,
//! `{"L": [..]}`, `{"NULL": true}`, `{"BOOL": b}`.
//!
//! Decoding works as DynamoDB does, in two passes. The first pass only looks at the JSON
//! shape and reports the first misfit as a `SerializationException` (DynamoDB reads the
//! whole request before validating anything, so a shape error anywhere wins over a rule
//! broken earlier in the document). The second pass builds the value and enforces the rules
//! (`ValidationException`). As in DynamoDB, a member set to `null` counts as absent and
//! members with unknown names are ignored.
//!
//! Numbers are written back in DynamoDB's normalised positional form (`1E+3` comes back as
//! `1000`), binary as standard padded base64.

use std::collections::{BTreeMap, HashSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::{Map, Value};

use crate::value_error::{JsonToken, SerializationError, ValidationError, ValueError};
use crate::{AttributeValue, Item, Number, NumberError};

/// Deepest nesting DynamoDB accepts: a top-level attribute value is at level 1, a value
/// inside a list or map one level deeper than the list or map. A scalar wrapped in 31 maps
/// is accepted, one wrapped in 32 is refused.
pub const MAX_NESTING_DEPTH: usize = 32;

/// How deep the shape pass descends before giving up with the nesting error, so that a
/// hostile document cannot exhaust the stack. Far above [`MAX_NESTING_DEPTH`], so every
/// shape error DynamoDB would report within a legal depth is still found.
const SHAPE_DEPTH_LIMIT: usize = 4 * MAX_NESTING_DEPTH;

/// How DynamoDB names the Java type of an attribute value, an item and their collections in
/// `SerializationException` messages.
const AV_CLASS: &str = "class com.amazonaws.dynamodb.v20120810.AttributeValue";
const AV_MAP_CLASS: &str =
    "java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>";

/// Decodes one attribute value from DynamoDB JSON, with DynamoDB's errors.
pub fn attribute_value_from_json(v: &Value) -> Result<AttributeValue, ValueError> {
    shape_value_struct(v, 1)?;
    Ok(decode_value(v, 1)?)
}

/// Decodes an item (an object of attribute name to attribute value) from DynamoDB JSON, with
/// DynamoDB's errors. `null` is an absent map and gives an empty item.
pub fn item_from_json(v: &Value) -> Result<Item, ValueError> {
    let map = match v {
        Value::Object(map) => map,
        Value::Null => return Ok(Item::new()),
        Value::Array(_) => {
            return Err(SerializationError::UnrecognizedCollection(AV_MAP_CLASS).into());
        }
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            return Err(SerializationError::NotAnItem.into());
        }
    };
    for value in map.values() {
        shape_value_struct(value, 1)?;
    }
    let mut item = Item::new();
    for (name, value) in map {
        item.insert(name.clone(), decode_value(value, 1)?);
    }
    Ok(item)
}

/// The DynamoDB JSON form of an item.
pub fn item_to_json(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), attribute_value_to_json(value)))
            .collect(),
    )
}

/// The DynamoDB JSON form of one attribute value.
pub fn attribute_value_to_json(v: &AttributeValue) -> Value {
    let (tag, inner) = match v {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.to_string())),
        AttributeValue::B(b) => ("B", Value::String(STANDARD.encode(b))),
        AttributeValue::Ss(set) => ("SS", set.iter().cloned().map(Value::String).collect()),
        AttributeValue::Ns(set) => (
            "NS",
            set.iter().map(|n| Value::String(n.to_string())).collect(),
        ),
        AttributeValue::Bs(set) => (
            "BS",
            set.iter()
                .map(|b| Value::String(STANDARD.encode(b)))
                .collect(),
        ),
        AttributeValue::M(map) => (
            "M",
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), attribute_value_to_json(v)))
                    .collect(),
            ),
        ),
        AttributeValue::L(list) => ("L", list.iter().map(attribute_value_to_json).collect()),
        AttributeValue::Null => ("NULL", Value::Bool(true)),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
    };
    let mut object = Map::new();
    object.insert(tag.to_owned(), inner);
    Value::Object(object)
}

/// Writes the wire form, `{"S": "x"}` and so on.
impl serde::Serialize for AttributeValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            AttributeValue::S(s) => map.serialize_entry("S", s)?,
            AttributeValue::N(n) => map.serialize_entry("N", &n.to_string())?,
            AttributeValue::B(b) => map.serialize_entry("B", &STANDARD.encode(b))?,
            AttributeValue::Ss(set) => map.serialize_entry("SS", set)?,
            AttributeValue::Ns(set) => map.serialize_entry("NS", &NumberSeq(set))?,
            AttributeValue::Bs(set) => map.serialize_entry("BS", &BinarySeq(set))?,
            AttributeValue::M(m) => map.serialize_entry("M", m)?,
            AttributeValue::L(l) => map.serialize_entry("L", l)?,
            AttributeValue::Null => map.serialize_entry("NULL", &true)?,
            AttributeValue::Bool(b) => map.serialize_entry("BOOL", b)?,
        }
        map.end()
    }
}

/// Numbers written as strings.
struct NumberSeq<'a>(&'a [Number]);

impl serde::Serialize for NumberSeq<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for n in self.0 {
            seq.serialize_element(&n.to_string())?;
        }
        seq.end()
    }
}

/// Binary values written as base64.
struct BinarySeq<'a>(&'a [Vec<u8>]);

impl serde::Serialize for BinarySeq<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            seq.serialize_element(&STANDARD.encode(b))?;
        }
        seq.end()
    }
}

/// Reads the wire form through [`attribute_value_from_json`]. The error text is DynamoDB's
/// message, but serde cannot carry whether it is a `SerializationException` or a
/// `ValidationException`: request decoders that must answer with the right error type
/// should call [`attribute_value_from_json`] or [`item_from_json`] instead.
impl<'de> serde::Deserialize<'de> for AttributeValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(deserializer)?;
        attribute_value_from_json(&v).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------
// First pass: JSON shape (SerializationException).

/// A position that must hold an AttributeValue object: an item value, a list element, a map
/// value. `null` passes (it is refused later as an empty value).
fn shape_value_struct(v: &Value, depth: usize) -> Result<(), ValueError> {
    match v {
        Value::Object(members) => shape_members(members, depth),
        Value::Null => Ok(()),
        Value::Array(_) => Err(SerializationError::UnrecognizedCollection(AV_CLASS).into()),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            Err(SerializationError::UnexpectedValueType.into())
        }
    }
}

fn shape_members(members: &Map<String, Value>, depth: usize) -> Result<(), ValueError> {
    if depth > SHAPE_DEPTH_LIMIT {
        return Err(ValidationError::TooDeep.into());
    }
    for (name, field) in members {
        match name.as_str() {
            "S" | "N" => shape_string(field)?,
            "B" => shape_blob(field)?,
            "SS" | "NS" => shape_list(field, shape_string)?,
            "BS" => shape_list(field, shape_blob)?,
            "L" => shape_list(field, |e| shape_value_struct(e, depth + 1))?,
            "M" => shape_map(field, |e| shape_value_struct(e, depth + 1))?,
            "NULL" | "BOOL" => shape_bool(field)?,
            // DynamoDB ignores members it does not know.
            _ => {}
        }
    }
    Ok(())
}

/// The token name of a JSON number: integers are `NUMBER_VALUE`, anything with a fraction
/// or an exponent `DECIMAL_VALUE`.
fn number_token(n: &serde_json::Number) -> JsonToken {
    if n.is_i64() || n.is_u64() {
        JsonToken::Number
    } else {
        JsonToken::Decimal
    }
}

fn shape_string(v: &Value) -> Result<(), ValueError> {
    let token = match v {
        Value::String(_) | Value::Null => return Ok(()),
        Value::Bool(true) => JsonToken::True,
        Value::Bool(false) => JsonToken::False,
        Value::Number(n) => number_token(n),
        Value::Array(_) => {
            return Err(
                SerializationError::UnrecognizedCollection("class java.lang.String").into(),
            );
        }
        Value::Object(_) => return Err(SerializationError::StructureNotExpected.into()),
    };
    Err(SerializationError::CannotConvert {
        token,
        target: "String",
    }
    .into())
}

fn shape_bool(v: &Value) -> Result<(), ValueError> {
    let token = match v {
        Value::Bool(_) | Value::Null => return Ok(()),
        Value::String(_) => return Err(SerializationError::UnexpectedToken.into()),
        Value::Number(n) => number_token(n),
        Value::Array(_) => {
            return Err(
                SerializationError::UnrecognizedCollection("class java.lang.Boolean").into(),
            );
        }
        Value::Object(_) => return Err(SerializationError::StructureNotExpected.into()),
    };
    Err(SerializationError::CannotConvert {
        token,
        target: "Boolean",
    }
    .into())
}

fn shape_blob(v: &Value) -> Result<(), ValueError> {
    match v {
        Value::String(text) => check_base64(text).map_err(ValueError::from),
        Value::Null => Ok(()),
        Value::Bool(_) | Value::Number(_) => Err(SerializationError::NotBase64String.into()),
        Value::Array(_) => {
            Err(SerializationError::UnrecognizedCollection("class java.nio.ByteBuffer").into())
        }
        Value::Object(_) => Err(SerializationError::StructureNotExpected.into()),
    }
}

fn shape_list(
    v: &Value,
    element: impl Fn(&Value) -> Result<(), ValueError>,
) -> Result<(), ValueError> {
    match v {
        Value::Array(elements) => elements.iter().try_for_each(element),
        Value::Null => Ok(()),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            Err(SerializationError::UnexpectedFieldType.into())
        }
        Value::Object(_) => Err(SerializationError::StructureNotExpected.into()),
    }
}

fn shape_map(
    v: &Value,
    value: impl Fn(&Value) -> Result<(), ValueError>,
) -> Result<(), ValueError> {
    match v {
        Value::Object(members) => members.values().try_for_each(value),
        Value::Null => Ok(()),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            Err(SerializationError::UnexpectedFieldType.into())
        }
        Value::Array(_) => Err(SerializationError::UnrecognizedCollection(AV_MAP_CLASS).into()),
    }
}

/// Checks, without decoding, that `text` is standard padded base64 in canonical form, which
/// is what [`decode_base64`] (and DynamoDB) accepts. Lets the shape pass look at binary
/// values without decoding them twice.
fn check_base64(text: &str) -> Result<(), SerializationError> {
    // DynamoDB counts UTF-16 units (it is written in Java).
    let length = text.encode_utf16().count();
    if !length.is_multiple_of(4) {
        return Err(SerializationError::Base64Length(length));
    }
    let bytes = text.as_bytes();
    let padding = bytes.iter().rev().take_while(|&&b| b == b'=').count();
    let data = &bytes[..bytes.len() - padding];
    if padding > 2 || !data.iter().all(|&b| base64_value(b).is_some()) {
        return Err(SerializationError::Base64Invalid);
    }
    // The bits after the last whole byte must be zero: 2 of them with one '=', 4 with two.
    let spare_bits_mask = match padding {
        0 => 0,
        1 => 0b11,
        _ => 0b1111,
    };
    match data.last().and_then(|&b| base64_value(b)) {
        Some(last) if last & spare_bits_mask != 0 => Err(SerializationError::Base64Invalid),
        _ => Ok(()),
    }
}

/// The 6-bit value of a character of the standard base64 alphabet.
fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes standard padded base64 as DynamoDB accepts it.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, SerializationError> {
    check_base64(text)?;
    STANDARD
        .decode(text)
        .map_err(|_| SerializationError::Base64Invalid)
}

// ---------------------------------------------------------------------------------------
// Second pass: build the value and enforce DynamoDB's rules (ValidationException).

/// The type members of an attribute value, in the order they are validated.
const TYPE_TAGS: [&str; 10] = ["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"];

/// The position of a type member in [`TYPE_TAGS`]; `None` for members DynamoDB ignores.
fn type_tag_index(name: &str) -> Option<usize> {
    TYPE_TAGS.iter().position(|tag| *tag == name)
}

/// Decodes a value already checked by the shape pass. `depth` is the level of this value
/// (1 for a top-level attribute).
fn decode_value(v: &Value, depth: usize) -> Result<AttributeValue, ValidationError> {
    if depth > MAX_NESTING_DEPTH {
        return Err(ValidationError::TooDeep);
    }
    let Value::Object(members) = v else {
        return Err(ValidationError::Empty);
    };
    // Every member that is set is validated before the "more than one type" check, as
    // DynamoDB does; the order is fixed so the first error reported does not depend on the
    // order of the JSON members.
    let mut set: [Option<&Value>; TYPE_TAGS.len()] = [None; TYPE_TAGS.len()];
    for (name, field) in members {
        if let Some(slot) = type_tag_index(name) {
            set[slot] = Some(field).filter(|f| !f.is_null());
        }
    }
    let mut decoded: Option<AttributeValue> = None;
    let mut types_set = 0usize;
    for (tag, field) in TYPE_TAGS.iter().zip(set) {
        let Some(field) = field else {
            continue;
        };
        types_set += 1;
        let value = decode_member(tag, field, depth)?;
        decoded.get_or_insert(value);
    }
    match (types_set, decoded) {
        (1, Some(value)) => Ok(value),
        (0, _) | (_, None) => Err(ValidationError::Empty),
        _ => Err(ValidationError::MultipleTypes),
    }
}

fn decode_member(
    tag: &str,
    field: &Value,
    depth: usize,
) -> Result<AttributeValue, ValidationError> {
    Ok(match tag {
        "S" => AttributeValue::S(as_str(field).to_owned()),
        "N" => AttributeValue::N(parse_number(as_str(field))?),
        "B" => AttributeValue::B(decode_binary(field)),
        "SS" => AttributeValue::Ss(decode_string_set(field)?),
        "NS" => AttributeValue::Ns(decode_number_set(field)?),
        "BS" => AttributeValue::Bs(decode_binary_set(field)?),
        "M" => {
            let mut map = BTreeMap::new();
            if let Value::Object(entries) = field {
                for (name, value) in entries {
                    map.insert(name.clone(), decode_value(value, depth + 1)?);
                }
            }
            AttributeValue::M(map)
        }
        "L" => AttributeValue::L(
            elements(field)
                .iter()
                .map(|e| decode_value(e, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        "NULL" => {
            if field.as_bool() == Some(true) {
                AttributeValue::Null
            } else {
                return Err(ValidationError::NullNotTrue);
            }
        }
        _ => AttributeValue::Bool(field.as_bool() == Some(true)),
    })
}

/// The text of a member the shape pass found to be a string.
fn as_str(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The elements of a member the shape pass found to be a list.
fn elements(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// Bytes of a member the shape pass found to be valid base64.
fn decode_binary(v: &Value) -> Vec<u8> {
    decode_base64(as_str(v)).unwrap_or_default()
}

/// Parses a number member, with DynamoDB's messages.
pub(crate) fn parse_number(text: &str) -> Result<Number, ValidationError> {
    Number::parse(text).map_err(|e| match e {
        NumberError::Invalid => ValidationError::InvalidNumber(text.to_owned()),
        other => ValidationError::Number(other),
    })
}

fn decode_string_set(field: &Value) -> Result<Vec<String>, ValidationError> {
    let elements = elements(field);
    if elements.is_empty() {
        return Err(ValidationError::EmptyStringSet);
    }
    let mut set = Vec::with_capacity(elements.len());
    for e in elements {
        match e.as_str() {
            Some(s) => set.push(s.to_owned()),
            None => return Err(ValidationError::NullInStringSet),
        }
    }
    let mut seen = HashSet::with_capacity(set.len());
    if !set.iter().all(|s| seen.insert(s.as_str())) {
        return Err(ValidationError::DuplicateStrings(set));
    }
    Ok(set)
}

fn decode_number_set(field: &Value) -> Result<Vec<Number>, ValidationError> {
    let elements = elements(field);
    if elements.is_empty() {
        return Err(ValidationError::EmptyNumberSet);
    }
    let set = elements
        .iter()
        .map(|e| parse_number(e.as_str().unwrap_or_default()))
        .collect::<Result<Vec<_>, _>>()?;
    // Numbers are normalised, so numerically equal members compare equal (1 and 1.0).
    let mut seen = HashSet::with_capacity(set.len());
    if !set.iter().all(|n| seen.insert(n)) {
        return Err(ValidationError::DuplicateNumbers);
    }
    Ok(set)
}

fn decode_binary_set(field: &Value) -> Result<Vec<Vec<u8>>, ValidationError> {
    let elements = elements(field);
    if elements.is_empty() {
        return Err(ValidationError::EmptyBinarySet);
    }
    if elements.iter().any(Value::is_null) {
        return Err(ValidationError::NullInBinarySet);
    }
    let set: Vec<Vec<u8>> = elements.iter().map(decode_binary).collect();
    let mut seen = HashSet::with_capacity(set.len());
    if !set.iter().all(|b| seen.insert(b.as_slice())) {
        let shown = elements.iter().map(|e| as_str(e).to_owned()).collect();
        return Err(ValidationError::DuplicateBinaries(shown));
    }
    Ok(set)
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
