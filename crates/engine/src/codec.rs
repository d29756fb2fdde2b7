//! The compact binary form in which items are stored (documented in docs/storage-format.md).
//!
//! `item := VERSION(0x01) varint(count) (name value)*`, `name := varint(len) utf8`,
//! `value := tag payload` with tags S=0 N=1 B=2 SS=3 NS=4 BS=5 M=6 L=7 NULL=8 FALSE=9 TRUE=10;
//! strings, numbers (canonical text) and binaries are `varint(len) bytes`; sets and lists are
//! `varint(count)` followed by their elements; maps are `varint(count) (name value)*`.

use std::collections::BTreeMap;

use palisade_model::{AttributeValue, Item, Number};

pub(crate) const VERSION: u8 = 1;

/// Stored bytes that do not decode: corruption, or a format this build does not know.
#[derive(Debug, thiserror::Error)]
#[error("stored item is corrupt: {0}")]
pub struct DecodeError(pub(crate) &'static str);

/// Encodes an item into its stored form.
pub fn encode_item(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(VERSION);
    put_varint(&mut out, item.len() as u64);
    for (name, value) in item {
        put_bytes(&mut out, name.as_bytes());
        encode_value(value, &mut out);
    }
    out
}

/// Decodes a stored item.
pub fn decode_item(mut input: &[u8]) -> Result<Item, DecodeError> {
    let version = take_byte(&mut input)?;
    if version != VERSION {
        return Err(DecodeError("unknown item format version"));
    }
    let item = decode_map(&mut input, 0)?;
    if !input.is_empty() {
        return Err(DecodeError("trailing bytes"));
    }
    Ok(item)
}

fn encode_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => {
            out.push(0);
            put_bytes(out, s.as_bytes());
        }
        AttributeValue::N(n) => {
            out.push(1);
            put_bytes(out, n.to_string().as_bytes());
        }
        AttributeValue::B(b) => {
            out.push(2);
            put_bytes(out, b);
        }
        AttributeValue::Ss(v) => {
            out.push(3);
            put_varint(out, v.len() as u64);
            v.iter().for_each(|s| put_bytes(out, s.as_bytes()));
        }
        AttributeValue::Ns(v) => {
            out.push(4);
            put_varint(out, v.len() as u64);
            v.iter()
                .for_each(|n| put_bytes(out, n.to_string().as_bytes()));
        }
        AttributeValue::Bs(v) => {
            out.push(5);
            put_varint(out, v.len() as u64);
            v.iter().for_each(|b| put_bytes(out, b));
        }
        AttributeValue::M(m) => {
            out.push(6);
            put_varint(out, m.len() as u64);
            for (k, v) in m {
                put_bytes(out, k.as_bytes());
                encode_value(v, out);
            }
        }
        AttributeValue::L(l) => {
            out.push(7);
            put_varint(out, l.len() as u64);
            l.iter().for_each(|v| encode_value(v, out));
        }
        AttributeValue::Null => out.push(8),
        AttributeValue::Bool(false) => out.push(9),
        AttributeValue::Bool(true) => out.push(10),
    }
}

/// Maximum nesting accepted when decoding (DynamoDB allows 32 levels; stored data never exceeds it).
const MAX_DEPTH: usize = 64;

fn decode_map(
    input: &mut &[u8],
    depth: usize,
) -> Result<BTreeMap<String, AttributeValue>, DecodeError> {
    let count = take_varint(input)?;
    let mut map = BTreeMap::new();
    for _ in 0..count {
        let name = take_string(input)?;
        let value = decode_value(input, depth + 1)?;
        map.insert(name, value);
    }
    Ok(map)
}

fn decode_value(input: &mut &[u8], depth: usize) -> Result<AttributeValue, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError("nesting too deep"));
    }
    let tag = take_byte(input)?;
    Ok(match tag {
        0 => AttributeValue::S(take_string(input)?),
        1 => AttributeValue::N(take_number(input)?),
        2 => AttributeValue::B(take_bytes(input)?.to_vec()),
        3 => {
            let n = take_varint(input)?;
            let mut v = Vec::with_capacity(n.min(1024) as usize);
            for _ in 0..n {
                v.push(take_string(input)?);
            }
            AttributeValue::Ss(v)
        }
        4 => {
            let n = take_varint(input)?;
            let mut v = Vec::with_capacity(n.min(1024) as usize);
            for _ in 0..n {
                v.push(take_number(input)?);
            }
            AttributeValue::Ns(v)
        }
        5 => {
            let n = take_varint(input)?;
            let mut v = Vec::with_capacity(n.min(1024) as usize);
            for _ in 0..n {
                v.push(take_bytes(input)?.to_vec());
            }
            AttributeValue::Bs(v)
        }
        6 => AttributeValue::M(decode_map(input, depth)?),
        7 => {
            let n = take_varint(input)?;
            let mut v = Vec::with_capacity(n.min(1024) as usize);
            for _ in 0..n {
                v.push(decode_value(input, depth + 1)?);
            }
            AttributeValue::L(v)
        }
        8 => AttributeValue::Null,
        9 => AttributeValue::Bool(false),
        10 => AttributeValue::Bool(true),
        _ => return Err(DecodeError("unknown value tag")),
    })
}

/// Appends `v` as an unsigned LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn take_byte(input: &mut &[u8]) -> Result<u8, DecodeError> {
    let (&b, rest) = input.split_first().ok_or(DecodeError("truncated"))?;
    *input = rest;
    Ok(b)
}

/// Reads an unsigned LEB128 varint.
#[inline]
pub fn take_varint(input: &mut &[u8]) -> Result<u64, DecodeError> {
    // Most varints (counts, and lengths below 128) are one byte.
    if let Some((&b, rest)) = input.split_first()
        && b < 0x80
    {
        *input = rest;
        return Ok(u64::from(b));
    }
    take_long_varint(input)
}

fn take_long_varint(input: &mut &[u8]) -> Result<u64, DecodeError> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = take_byte(input)?;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(DecodeError("varint too long"))
}

fn take_bytes<'a>(input: &mut &'a [u8]) -> Result<&'a [u8], DecodeError> {
    let len = take_varint(input)?;
    let len = usize::try_from(len).map_err(|_| DecodeError("length overflow"))?;
    if input.len() < len {
        return Err(DecodeError("truncated"));
    }
    let (b, rest) = input.split_at(len);
    *input = rest;
    Ok(b)
}

fn take_string(input: &mut &[u8]) -> Result<String, DecodeError> {
    let b = take_bytes(input)?;
    String::from_utf8(b.to_vec()).map_err(|_| DecodeError("invalid utf-8"))
}

fn take_number(input: &mut &[u8]) -> Result<Number, DecodeError> {
    let b = take_bytes(input)?;
    let s = std::str::from_utf8(b).map_err(|_| DecodeError("invalid number"))?;
    Number::parse(s).map_err(|_| DecodeError("invalid number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_type() {
        let mut inner = BTreeMap::new();
        inner.insert(
            "x".to_string(),
            AttributeValue::L(vec![AttributeValue::Null, AttributeValue::Bool(true)]),
        );
        let mut item = Item::new();
        item.insert("s".into(), AttributeValue::S("héllo".into()));
        item.insert(
            "n".into(),
            AttributeValue::N(Number::parse("-12.5e3").unwrap()),
        );
        item.insert("b".into(), AttributeValue::B(vec![0, 1, 255]));
        item.insert(
            "ss".into(),
            AttributeValue::Ss(vec!["a".into(), "b".into()]),
        );
        item.insert(
            "ns".into(),
            AttributeValue::Ns(vec![Number::from(1), Number::from(-2)]),
        );
        item.insert("bs".into(), AttributeValue::Bs(vec![vec![1], vec![]]));
        item.insert("m".into(), AttributeValue::M(inner));
        item.insert("f".into(), AttributeValue::Bool(false));
        let bytes = encode_item(&item);
        assert_eq!(decode_item(&bytes).unwrap(), item);
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            &[][..],
            &[2][..],
            &[1, 5, 0][..],
            &[1, 1, 1, b'a', 99][..],
            &[1, 0xff, 0xff, 0xff][..],
        ] {
            assert!(decode_item(bad).is_err());
        }
    }
}
