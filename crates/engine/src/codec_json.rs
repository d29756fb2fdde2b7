//! Stored items read without decoding them into an [`Item`](palisade_model::Item): their
//! DynamoDB size, and their DynamoDB JSON written straight from the stored bytes. Query and
//! Scan pages without a filter or projection take this path, which copies each stored string
//! once (into the answer) instead of into a `String`, a JSON tree and the answer.
//!
//! Both walk the format of [`crate::codec`] and give exactly what decoding and then
//! [`item_size`](palisade_model::item_size) or
//! [`write_item_json`](palisade_model::write_item_json) give; stored bytes that do not decode
//! are an error here as there, except that stored strings are not checked to be UTF-8 again
//! (they were when they were written: docs/decisions/0014-stored-strings-are-trusted-utf8.md).

use std::io::Write as _;

use palisade_model::{Number, write_json_binary, write_json_utf8};

use crate::codec::{DecodeError, take_varint};

/// Overhead of a list or a map, and of each of their elements (as in `palisade_model::size`).
const CONTAINER_OVERHEAD: usize = 3;
const ELEMENT_OVERHEAD: usize = 1;
/// Deepest nesting accepted (as [`crate::codec::decode_item`]).
const MAX_DEPTH: usize = 64;

/// The DynamoDB size of a stored item.
pub fn stored_item_size(stored: &[u8]) -> Result<usize, DecodeError> {
    let mut input = body(stored)?;
    let size = map_size(&mut input, 0, 0)?;
    end(input)?;
    Ok(size)
}

/// An upper bound of the DynamoDB size of a stored item that does not read it: twice its
/// stored length. By induction, a value's size is at most twice its stored length less one:
/// a string or binary counts its n bytes and is stored in at least n + 2; a number of k
/// digits counts at most k + 3 and is stored in at least k + 2; NULL and BOOL count 1 and are
/// stored in 1; a list or map counts 3, plus per element 1, the element's size (and a map the
/// name's bytes), and is stored in at least 2 bytes plus its elements (and a map each name
/// after its length). A top-level attribute counts its name and value, stored after the
/// name's length.
pub fn stored_item_size_bound(stored: &[u8]) -> usize {
    2 * stored.len()
}

/// Appends the DynamoDB JSON of a stored item (`{"name":{"S":"x"},...}`) to `out`.
pub fn write_stored_item_json(stored: &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let mut input = body(stored)?;
    write_map(&mut input, 0, out)?;
    end(input)
}

/// The stored item after its version byte.
fn body(stored: &[u8]) -> Result<&[u8], DecodeError> {
    match stored.split_first() {
        Some((&crate::codec::VERSION, rest)) => Ok(rest),
        Some(_) => Err(DecodeError("unknown item format version")),
        None => Err(DecodeError("truncated")),
    }
}

fn end(input: &[u8]) -> Result<(), DecodeError> {
    if input.is_empty() {
        Ok(())
    } else {
        Err(DecodeError("trailing bytes"))
    }
}

fn take_byte(input: &mut &[u8]) -> Result<u8, DecodeError> {
    let (&b, rest) = input.split_first().ok_or(DecodeError("truncated"))?;
    *input = rest;
    Ok(b)
}

fn take_bytes<'a>(input: &mut &'a [u8]) -> Result<&'a [u8], DecodeError> {
    let len = usize::try_from(take_varint(input)?).map_err(|_| DecodeError("length overflow"))?;
    if input.len() < len {
        return Err(DecodeError("truncated"));
    }
    let (b, rest) = input.split_at(len);
    *input = rest;
    Ok(b)
}

/// Writes a stored string (a name or an S value) as a JSON string. Its bytes were checked to
/// be UTF-8 when the item was written and are not checked again.
fn write_text(input: &mut &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    write_json_utf8(take_bytes(input)?, out);
    Ok(())
}

fn take_number<'a>(input: &mut &'a [u8]) -> Result<(&'a str, Number), DecodeError> {
    let text =
        std::str::from_utf8(take_bytes(input)?).map_err(|_| DecodeError("invalid number"))?;
    let n = Number::parse(text).map_err(|_| DecodeError("invalid number"))?;
    Ok((text, n))
}

fn count(input: &mut &[u8]) -> Result<u64, DecodeError> {
    take_varint(input)
}

/// Size of a map's entries; `overhead` is added per entry (1 inside a value, 0 at the top).
fn map_size(input: &mut &[u8], depth: usize, overhead: usize) -> Result<usize, DecodeError> {
    let mut size = 0;
    for _ in 0..count(input)? {
        size += overhead + take_bytes(input)?.len() + value_size(input, depth + 1)?;
    }
    Ok(size)
}

fn value_size(input: &mut &[u8], depth: usize) -> Result<usize, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError("nesting too deep"));
    }
    // A string's size is its length in bytes (its UTF-8 was checked when it was stored).
    Ok(match take_byte(input)? {
        0 => take_bytes(input)?.len(),
        1 => palisade_model::number_size(&take_number(input)?.1),
        2 => take_bytes(input)?.len(),
        3 => {
            let mut size = 0;
            for _ in 0..count(input)? {
                size += take_bytes(input)?.len();
            }
            size
        }
        4 => {
            let mut size = 0;
            for _ in 0..count(input)? {
                size += palisade_model::number_size(&take_number(input)?.1);
            }
            size
        }
        5 => {
            let mut size = 0;
            for _ in 0..count(input)? {
                size += take_bytes(input)?.len();
            }
            size
        }
        6 => CONTAINER_OVERHEAD + map_size(input, depth, ELEMENT_OVERHEAD)?,
        7 => {
            let mut size = CONTAINER_OVERHEAD;
            for _ in 0..count(input)? {
                size += ELEMENT_OVERHEAD + value_size(input, depth + 1)?;
            }
            size
        }
        8..=10 => 1,
        _ => return Err(DecodeError("unknown value tag")),
    })
}

fn write_map(input: &mut &[u8], depth: usize, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    out.push(b'{');
    for i in 0..count(input)? {
        if i > 0 {
            out.push(b',');
        }
        write_text(input, out)?;
        out.push(b':');
        write_value(input, depth + 1, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// Writes `n` elements, each with `each`, as a JSON array.
fn write_elements(
    input: &mut &[u8],
    out: &mut Vec<u8>,
    mut each: impl FnMut(&mut &[u8], &mut Vec<u8>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    out.push(b'[');
    for i in 0..count(input)? {
        if i > 0 {
            out.push(b',');
        }
        each(input, out)?;
    }
    out.push(b']');
    Ok(())
}

fn write_number(input: &mut &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    // The number's normalised text, as decoding and writing the value would give (a number's
    // text holds nothing to escape; writing to a Vec cannot fail).
    let (_, n) = take_number(input)?;
    let _ = write!(out, "\"{n}\"");
    Ok(())
}

fn write_binary(input: &mut &[u8], out: &mut Vec<u8>) -> Result<(), DecodeError> {
    write_json_binary(take_bytes(input)?, out);
    Ok(())
}

fn write_value(input: &mut &[u8], depth: usize, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError("nesting too deep"));
    }
    match take_byte(input)? {
        0 => {
            out.extend_from_slice(b"{\"S\":");
            write_text(input, out)?;
        }
        1 => {
            out.extend_from_slice(b"{\"N\":");
            write_number(input, out)?;
        }
        2 => {
            out.extend_from_slice(b"{\"B\":");
            write_binary(input, out)?;
        }
        3 => {
            out.extend_from_slice(b"{\"SS\":");
            write_elements(input, out, write_text)?;
        }
        4 => {
            out.extend_from_slice(b"{\"NS\":");
            write_elements(input, out, write_number)?;
        }
        5 => {
            out.extend_from_slice(b"{\"BS\":");
            write_elements(input, out, write_binary)?;
        }
        6 => {
            out.extend_from_slice(b"{\"M\":");
            write_map(input, depth, out)?;
        }
        7 => {
            out.extend_from_slice(b"{\"L\":");
            write_elements(input, out, |input, out| write_value(input, depth + 1, out))?;
        }
        8 => out.extend_from_slice(b"{\"NULL\":true"),
        9 => out.extend_from_slice(b"{\"BOOL\":false"),
        10 => out.extend_from_slice(b"{\"BOOL\":true"),
        _ => return Err(DecodeError("unknown value tag")),
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use palisade_model::{AttributeValue, Item, item_size, write_item_json};

    use super::*;
    use crate::codec::encode_item;

    fn sample() -> Item {
        let mut inner = BTreeMap::new();
        inner.insert(
            "x\"".to_string(),
            AttributeValue::L(vec![
                AttributeValue::Null,
                AttributeValue::Bool(true),
                AttributeValue::N(Number::parse("-0.00125").unwrap()),
            ]),
        );
        let mut item = Item::new();
        item.insert("s".into(), AttributeValue::S("héllo\n\"q\"\u{1}".repeat(9)));
        item.insert(
            "n".into(),
            AttributeValue::N(Number::parse("-12.5e3").unwrap()),
        );
        item.insert("zero".into(), AttributeValue::N(Number::zero()));
        item.insert("b".into(), AttributeValue::B(vec![0, 1, 255, 7]));
        item.insert(
            "ss".into(),
            AttributeValue::Ss(vec!["a".into(), "b\\".into()]),
        );
        item.insert(
            "ns".into(),
            AttributeValue::Ns(vec![Number::from(1), Number::parse("123456.789").unwrap()]),
        );
        item.insert("bs".into(), AttributeValue::Bs(vec![vec![1], vec![]]));
        item.insert("m".into(), AttributeValue::M(inner.clone()));
        item.insert(
            "l".into(),
            AttributeValue::L(vec![
                AttributeValue::M(inner),
                AttributeValue::S(String::new()),
            ]),
        );
        item.insert("f".into(), AttributeValue::Bool(false));
        item
    }

    #[test]
    fn size_and_json_match_decoding() {
        for item in [sample(), Item::new()] {
            let stored = encode_item(&item);
            assert_eq!(stored_item_size(&stored).unwrap(), item_size(&item));
            let mut ours = Vec::new();
            write_stored_item_json(&stored, &mut ours).unwrap();
            let mut expected = Vec::new();
            write_item_json(&item, &mut expected);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }

    #[test]
    fn the_bound_is_at_least_the_size() {
        let nulls = AttributeValue::L(vec![AttributeValue::Null; 300]);
        let mut nested = AttributeValue::L(Vec::new());
        for _ in 0..30 {
            nested = AttributeValue::L(vec![nested, AttributeValue::M(BTreeMap::new())]);
        }
        let numbers = AttributeValue::Ns(
            [
                "1",
                "-1",
                "0",
                "0.000001",
                "1E+125",
                "-9.9999999999999999999999999999999999999E+125",
            ]
            .iter()
            .map(|n| Number::parse(n).unwrap())
            .collect(),
        );
        let mut items = vec![sample(), Item::new()];
        for value in [nulls, nested, numbers, AttributeValue::S(String::new())] {
            let mut item = Item::new();
            item.insert("x".into(), value.clone());
            item.insert("m".into(), AttributeValue::M(item.clone()));
            items.push(item);
        }
        for item in items {
            let stored = encode_item(&item);
            let size = stored_item_size(&stored).unwrap();
            assert_eq!(size, item_size(&item));
            assert!(size <= stored_item_size_bound(&stored), "{item:?}");
        }
    }

    #[test]
    fn garbage_is_an_error() {
        let stored = encode_item(&sample());
        for cut in 0..stored.len() {
            let mut out = Vec::new();
            assert!(write_stored_item_json(&stored[..cut], &mut out).is_err());
            assert!(stored_item_size(&stored[..cut]).is_err());
        }
        let mut extra = stored.clone();
        extra.push(0);
        assert!(stored_item_size(&extra).is_err());
        assert!(write_stored_item_json(&[2, 0], &mut Vec::new()).is_err());
    }
}
