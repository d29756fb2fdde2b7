//! Writing the DynamoDB JSON wire form straight into bytes, without building a
//! `serde_json::Value` tree first. Responses that carry many items (Query, Scan) spend most of
//! their time here, so strings are escaped a chunk at a time: a chunk without a byte to escape
//! is copied whole.
//!
//! The output is byte for byte what `serde_json::to_vec(&item_to_json(item))` gives (compact,
//! keys in order, the same escapes), so callers may mix both.

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::{AttributeValue, Item, Number};

/// Bytes looked at together when searching for a byte to escape. The test of a whole chunk
/// (a fold without early exit over an array of this fixed size) compiles to vector
/// instructions: about 1.1 instructions per byte with 64-byte arrays, 1.75 with 32-byte
/// slices, where eight-byte word tricks took four.
const CHUNK: usize = 64;

/// Appends the JSON form of an item (`{"name":{"S":"x"},...}`) to `out`.
pub fn write_item_json(item: &Item, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (name, value)) in item.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json_str(name, out);
        out.push(b':');
        write_attribute_value_json(value, out);
    }
    out.push(b'}');
}

/// Appends the JSON form of one attribute value (`{"S":"x"}`, ...) to `out`.
pub fn write_attribute_value_json(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => {
            out.extend_from_slice(b"{\"S\":");
            write_json_str(s, out);
        }
        AttributeValue::N(n) => {
            out.extend_from_slice(b"{\"N\":");
            write_number(n, out);
        }
        AttributeValue::B(b) => {
            out.extend_from_slice(b"{\"B\":");
            write_json_binary(b, out);
        }
        AttributeValue::Ss(set) => {
            out.extend_from_slice(b"{\"SS\":");
            write_array(set, out, |s, out| write_json_str(s, out));
        }
        AttributeValue::Ns(set) => {
            out.extend_from_slice(b"{\"NS\":");
            write_array(set, out, write_number);
        }
        AttributeValue::Bs(set) => {
            out.extend_from_slice(b"{\"BS\":");
            write_array(set, out, |b, out| write_json_binary(b, out));
        }
        AttributeValue::M(map) => {
            out.extend_from_slice(b"{\"M\":");
            write_item_json(map, out);
        }
        AttributeValue::L(list) => {
            out.extend_from_slice(b"{\"L\":");
            write_array(list, out, write_attribute_value_json);
        }
        AttributeValue::Null => out.extend_from_slice(b"{\"NULL\":true"),
        AttributeValue::Bool(true) => out.extend_from_slice(b"{\"BOOL\":true"),
        AttributeValue::Bool(false) => out.extend_from_slice(b"{\"BOOL\":false"),
    }
    out.push(b'}');
}

fn write_array<T>(items: &[T], out: &mut Vec<u8>, mut each: impl FnMut(&T, &mut Vec<u8>)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(item, out);
    }
    out.push(b']');
}

fn write_number(n: &Number, out: &mut Vec<u8>) {
    // A number's text has only digits, a sign and a point: nothing to escape.
    out.push(b'"');
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{n}");
    out.push(b'"');
}

/// Appends binary data as a JSON string of its standard padded base64.
pub fn write_json_binary(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = STANDARD.encode_slice(bytes, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

/// Whether JSON needs `b` escaped inside a string.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends `s` as a JSON string, with serde_json's escapes (`\"`, `\\`, `\b`, `\f`, `\n`,
/// `\r`, `\t`, and `\u00xx` for the other control characters).
pub fn write_json_str(s: &str, out: &mut Vec<u8>) {
    write_json_utf8(s.as_bytes(), out);
}

/// [`write_json_str`] for text held as bytes that are known to be UTF-8 (such as strings
/// stored by Palisade, checked when they were written), without checking them again: only
/// ASCII bytes are ever escaped, so multi-byte sequences are copied as they are. Bytes that
/// are not UTF-8 give a JSON string that is not UTF-8 either (never a panic).
#[inline]
pub fn write_json_utf8(bytes: &[u8], out: &mut Vec<u8>) {
    if bytes.len() > SHORT || !write_short(bytes, out) {
        write_json_escaped(bytes, out);
    }
}

/// Longest string [`write_short`] takes: with its quotes it fills one 16-byte block.
const SHORT: usize = 14;

/// Appends a string of at most [`SHORT`] bytes with nothing to escape (names, keys, short
/// values), quoted, as one 16-byte block cut back to its length: its bytes are moved as
/// words, two overlapping ones, not by a call to `memcpy`. Returns false, having written
/// nothing, when a byte needs escaping.
#[inline]
fn write_short(bytes: &[u8], out: &mut Vec<u8>) -> bool {
    let len = bytes.len();
    let mut block = [b'"'; SHORT + 2];
    // Each branch copies the string's first and last bytes (overlapping when it is short)
    // and tests them as one or two words.
    let clean = if let (Some(first), Some(last)) = (bytes.first_chunk::<8>(), bytes.last_chunk()) {
        block[1..9].copy_from_slice(first);
        block[len - 7..=len].copy_from_slice(last);
        !word_needs_escape(u64::from_le_bytes(*first))
            && !word_needs_escape(u64::from_le_bytes(*last))
    } else if let (Some(first), Some(last)) = (bytes.first_chunk::<4>(), bytes.last_chunk()) {
        block[1..5].copy_from_slice(first);
        block[len - 3..=len].copy_from_slice(last);
        let (first, last) = (u32::from_le_bytes(*first), u32::from_le_bytes(*last));
        !word_needs_escape(u64::from(first) | u64::from(last) << 32)
    } else if let (Some(first), Some(last)) = (bytes.first_chunk::<2>(), bytes.last_chunk()) {
        block[1..3].copy_from_slice(first);
        block[len - 1..=len].copy_from_slice(last);
        let (first, last) = (u16::from_le_bytes(*first), u16::from_le_bytes(*last));
        // The word's other bytes are letters, which need no escaping.
        let padding = u64::from_le_bytes(*b"\0\0\0\0aaaa");
        !word_needs_escape(u64::from(first) | u64::from(last) << 16 | padding)
    } else if let Some(&b) = bytes.first() {
        block[1] = b;
        !needs_escape(b)
    } else {
        true
    };
    if clean {
        // The closing quote is already in place after the string.
        out.extend_from_slice(&block);
        out.truncate(out.len() - (SHORT - len));
    }
    clean
}

/// [`write_json_utf8`] for any string, escaping what needs it.
fn write_json_escaped(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let copied = match bytes.len() {
        CHUNK.. => escape_by_chunks::<CHUNK>(bytes, out),
        SMALL_CHUNK.. => escape_by_chunks::<SMALL_CHUNK>(bytes, out),
        _ if short_needs_escape(bytes) => escape_run(bytes, 0, bytes, 0, out),
        _ => 0,
    };
    out.extend_from_slice(&bytes[copied..]);
    out.push(b'"');
}

/// Chunk size for strings shorter than [`CHUNK`] (names, keys, short values).
const SMALL_CHUNK: usize = 16;

/// Appends the escapes of `bytes` (at least `N` long) and the text before each, testing `N`
/// bytes at a time. The bytes after the last whole chunk are tested together with the end of
/// that chunk (the last `N` bytes of `bytes`), so no byte is tested alone. Returns where the
/// text not yet appended starts.
fn escape_by_chunks<const N: usize>(bytes: &[u8], out: &mut Vec<u8>) -> usize {
    let mut copied = 0;
    let (chunks, rest) = bytes.as_chunks::<N>();
    for (n, chunk) in chunks.iter().enumerate() {
        if any_to_escape(chunk) {
            copied = escape_run(bytes, n * N, chunk, copied, out);
        }
    }
    if !rest.is_empty() && bytes.last_chunk::<N>().is_some_and(any_to_escape) {
        copied = escape_run(bytes, bytes.len() - rest.len(), rest, copied, out);
    }
    copied
}

/// Whether any byte of `run` needs escaping (looking at all of them, which vectorises).
/// `b ^ 2` takes the control characters and `"`, and only them, below 0x21: one comparison
/// fewer per byte than [`needs_escape`].
fn any_to_escape<const N: usize>(run: &[u8; N]) -> bool {
    run.iter()
        .fold(false, |any, &b| any | ((b ^ 2) < 0x21) | (b == b'\\'))
}

/// Whether any byte of a string shorter than [`SMALL_CHUNK`] needs escaping: from 8 bytes on,
/// its first and last 8 bytes as two words; below that, byte by byte.
fn short_needs_escape(bytes: &[u8]) -> bool {
    match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(first), Some(last)) => {
            word_needs_escape(u64::from_le_bytes(*first))
                || word_needs_escape(u64::from_le_bytes(*last))
        }
        _ => bytes.iter().any(|&b| needs_escape(b)),
    }
}

/// Whether any of the eight bytes of `word` needs escaping: a byte below 0x20, or one equal
/// to `"` or `\\` (a byte equal to `c` is a zero byte of `word ^ c`). Each test is exact: the
/// borrow that could mark a wrong byte only follows a byte that really matches.
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let zero = |x: u64| below(x, 1);
    below(word, 0x20)
        | zero(word ^ (ONES * u64::from(b'"')))
        | zero(word ^ (ONES * u64::from(b'\\')))
        != 0
}

/// Escapes the bytes of `run`, which starts at `start` in `bytes`: appends the text from
/// `copied` up to each byte to escape, then its escape. Returns where the text not yet
/// appended starts.
fn escape_run(
    bytes: &[u8],
    start: usize,
    run: &[u8],
    mut copied: usize,
    out: &mut Vec<u8>,
) -> usize {
    for (i, &b) in run.iter().enumerate() {
        if needs_escape(b) {
            out.extend_from_slice(&bytes[copied..start + i]);
            write_escape(b, out);
            copied = start + i + 1;
        }
    }
    copied
}

fn write_escape(b: u8, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(b >> 4)],
            HEX[usize::from(b & 0xf)],
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item_to_json;
    use proptest::prelude::*;

    fn same_as_serde(item: &Item) {
        let mut ours = Vec::new();
        write_item_json(item, &mut ours);
        let theirs = serde_json::to_vec(&item_to_json(item)).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs).unwrap()
        );
    }

    #[test]
    fn every_type_and_escape_matches_serde_json() {
        let mut item = Item::new();
        item.insert(
            "s\"\\\n".into(),
            AttributeValue::S("a\"b\\c\u{1}\u{8}\u{c}\t\r\n\u{1f}\u{7f}é€😀".repeat(5)),
        );
        item.insert(
            "n".into(),
            AttributeValue::N(Number::parse("-1.5e3").unwrap()),
        );
        item.insert("b".into(), AttributeValue::B(vec![0, 1, 2, 255, 254]));
        item.insert("empty".into(), AttributeValue::S(String::new()));
        item.insert(
            "ss".into(),
            AttributeValue::Ss(vec!["x".into(), "y\"".into()]),
        );
        item.insert(
            "ns".into(),
            AttributeValue::Ns(vec![
                Number::parse("1").unwrap(),
                Number::parse("0.25").unwrap(),
            ]),
        );
        item.insert("bs".into(), AttributeValue::Bs(vec![vec![1], vec![2, 3]]));
        item.insert("null".into(), AttributeValue::Null);
        item.insert("t".into(), AttributeValue::Bool(true));
        item.insert("f".into(), AttributeValue::Bool(false));
        let inner = item.clone();
        item.insert("m".into(), AttributeValue::M(inner.clone()));
        item.insert(
            "l".into(),
            AttributeValue::L(vec![AttributeValue::M(inner), AttributeValue::Null]),
        );
        same_as_serde(&item);
        same_as_serde(&Item::new());
    }

    #[test]
    fn every_byte_at_every_position_of_a_chunk() {
        for b in 0..=255u8 {
            // Three whole chunks and a remainder of 17 bytes.
            let len = 3 * CHUNK + 17;
            for pos in [
                0,
                1,
                CHUNK - 1,
                CHUNK,
                CHUNK + 5,
                2 * CHUNK + 3,
                3 * CHUNK,
                len - 1,
            ] {
                let mut text = vec![b'a'; len];
                text[pos] = b;
                let Ok(text) = String::from_utf8(text) else {
                    continue;
                };
                assert_written_as_serde_json(&text, format_args!("byte {b:#x} at {pos}"));
            }
        }
    }

    /// Checks that `text` is written as serde_json writes it; `what` says which case failed.
    fn assert_written_as_serde_json(text: &str, what: std::fmt::Arguments<'_>) {
        let mut ours = Vec::new();
        write_json_str(text, &mut ours);
        assert_eq!(ours, serde_json::to_vec(text).unwrap(), "{what}");
    }

    /// Lengths around every boundary of the chunked tests (8-byte words, 16- and 64-byte
    /// chunks, the overlapping last chunk).
    fn boundary_lengths() -> Vec<usize> {
        let mut lengths: Vec<usize> = (0..=40).collect();
        lengths.extend([47, 48, 49, 63, 64, 65, 79, 80, 81, 127, 128, 129, 130, 145]);
        lengths
    }

    #[test]
    fn every_ascii_byte_at_every_position_of_every_length() {
        for len in boundary_lengths() {
            for pos in 0..len {
                for b in 0..0x80u8 {
                    let mut text = vec![b'a'; len];
                    text[pos] = b;
                    let text = String::from_utf8(text).unwrap();
                    assert_written_as_serde_json(
                        &text,
                        format_args!("byte {b:#x} at {pos} of {len}"),
                    );
                }
            }
        }
    }

    #[test]
    fn two_escapes_anywhere_are_each_written_once() {
        // Covers a byte to escape in the part of a chunk that the overlapping last chunk
        // tests again, together with one in the remainder.
        for len in [9, 15, 16, 17, 21, 40, 64, 65, 81, 100] {
            for first in 0..len {
                for second in first + 1..len {
                    let mut text = vec![b'z'; len];
                    text[first] = b'"';
                    text[second] = b'\n';
                    let text = String::from_utf8(text).unwrap();
                    assert_written_as_serde_json(
                        &text,
                        format_args!("{first} and {second} of {len}"),
                    );
                }
            }
        }
    }

    #[test]
    fn words_find_exactly_the_bytes_to_escape() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut word = [b'a'; 8];
                word[pos] = b;
                assert_eq!(
                    word_needs_escape(u64::from_le_bytes(word)),
                    needs_escape(b),
                    "byte {b:#x} at {pos}"
                );
                // A byte to escape before another byte must not hide it or invent one.
                let mut word = [b; 8];
                word[pos] = b'a';
                assert_eq!(word_needs_escape(u64::from_le_bytes(word)), needs_escape(b));
            }
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_copied_without_panicking() {
        let mut out = Vec::new();
        write_json_utf8(b"a\xff\"\xc3", &mut out);
        assert_eq!(out, b"\"a\xff\\\"\xc3\"");
        for clean in [&b"\xff"[..], b"\xc3\xa9\xff", b"\x80abcdefghij\xfe"] {
            let mut out = Vec::new();
            write_json_utf8(clean, &mut out);
            assert_eq!(out, [&b"\""[..], clean, b"\""].concat());
        }
    }

    proptest! {
        #[test]
        fn strings_match_serde_json(s in any::<String>(), ctl in proptest::collection::vec(0u8..0x21, 0..40)) {
            // Mix control characters and quotes into arbitrary text.
            let mut text = s;
            for c in ctl {
                text.push(char::from(c));
                text.push(if c % 2 == 0 { '"' } else { '\\' });
            }
            let mut ours = Vec::new();
            write_json_str(&text, &mut ours);
            prop_assert_eq!(ours, serde_json::to_vec(&text).unwrap());
        }
    }
}
