//! The order-preserving, self-delimiting byte encoding of DynamoDB key values.
//!
//! Encoded values compare (as unsigned byte strings) exactly as DynamoDB orders the values:
//! strings by their UTF-8 bytes, binaries by their unsigned bytes, numbers numerically. Each
//! encoding carries its own end, so a concatenation of encoded components (table prefix,
//! partition key, sort key) compares component by component. The byte layout is written down
//! in `docs/storage-format.md`; changing it changes the on-disk format.

use palisade_model::{AttributeValue, Number, ScalarType};

use crate::StorageError;

/// Escape marker: a 0x00 byte inside a string or binary is written as 0x00 0xFF.
const ESCAPED_ZERO: u8 = 0xFF;
/// Terminator of a string or binary: 0x00 0x01.
const TERMINATOR: u8 = 0x01;

/// First byte of an encoded number: its sign class.
const NUM_NEGATIVE: u8 = 0x01;
const NUM_ZERO: u8 = 0x02;
const NUM_POSITIVE: u8 = 0x03;
/// Added to a number's exponent to store it as an unsigned big-endian `u16`.
const EXPONENT_BIAS: i32 = 0x8000;
/// Ends the digits of a number's magnitude; digits are stored as 1..=10.
const DIGITS_END: u8 = 0x00;

/// Why a value cannot be encoded as a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyEncodeError {
    /// Only strings, numbers and binaries can be keys.
    #[error("a key value must be of type S, N or B, not {0}")]
    NotAKeyType(&'static str),
    /// The number's exponent is beyond any DynamoDB number (cannot happen for a valid number).
    #[error("number exponent {0} is out of range for a key")]
    ExponentOutOfRange(i32),
}

/// Appends the encoding of the key value `v` (S, N or B) to `out`.
pub fn encode_key_value(v: &AttributeValue, out: &mut Vec<u8>) -> Result<(), KeyEncodeError> {
    match v {
        AttributeValue::S(s) => {
            encode_bytes(s.as_bytes(), out);
            Ok(())
        }
        AttributeValue::B(b) => {
            encode_bytes(b, out);
            Ok(())
        }
        AttributeValue::N(n) => encode_number(n, out),
        other => Err(KeyEncodeError::NotAKeyType(other.type_name())),
    }
}

/// Reads one encoded key value of type `ty` from the front of `input`, advancing it past the
/// value.
pub fn decode_key_value(ty: ScalarType, input: &mut &[u8]) -> Result<AttributeValue, StorageError> {
    match ty {
        ScalarType::S => {
            let bytes = decode_bytes(input)?;
            String::from_utf8(bytes)
                .map(AttributeValue::S)
                .map_err(|_| StorageError::Corrupt("encoded string key is not UTF-8".into()))
        }
        ScalarType::B => decode_bytes(input).map(AttributeValue::B),
        ScalarType::N => decode_number(input).map(AttributeValue::N),
    }
}

/// Appends an order-preserving, self-delimiting encoding of an arbitrary byte string (the
/// encoding of S and B values; also usable for names such as a table's in a key prefix).
pub fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 2);
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(ESCAPED_ZERO);
        }
    }
    out.push(0);
    out.push(TERMINATOR);
}

/// Reads one byte string written by [`encode_bytes`] from the front of `input`.
pub fn decode_bytes(input: &mut &[u8]) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let Some(&b) = input.get(i) else {
            return Err(StorageError::Corrupt(
                "encoded key ends inside a string".into(),
            ));
        };
        if b != 0 {
            out.push(b);
            i += 1;
            continue;
        }
        match input.get(i + 1) {
            Some(&ESCAPED_ZERO) => {
                out.push(0);
                i += 2;
            }
            Some(&TERMINATOR) => {
                *input = &input[i + 2..];
                return Ok(out);
            }
            _ => {
                return Err(StorageError::Corrupt(
                    "invalid escape in encoded key".into(),
                ));
            }
        }
    }
}

fn encode_number(n: &Number, out: &mut Vec<u8>) -> Result<(), KeyEncodeError> {
    if n.is_zero() {
        out.push(NUM_ZERO);
        return Ok(());
    }
    let biased = u16::try_from(n.exponent() + EXPONENT_BIAS)
        .map_err(|_| KeyEncodeError::ExponentOutOfRange(n.exponent()))?;
    let start = out.len();
    out.push(if n.is_negative() {
        NUM_NEGATIVE
    } else {
        NUM_POSITIVE
    });
    out.extend_from_slice(&biased.to_be_bytes());
    out.extend(n.digits().iter().map(|d| d + 1));
    out.push(DIGITS_END);
    if n.is_negative() {
        // A larger magnitude must sort lower: complement everything after the sign byte.
        for b in &mut out[start + 1..] {
            *b = !*b;
        }
    }
    Ok(())
}

fn decode_number(input: &mut &[u8]) -> Result<Number, StorageError> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("encoded number key {what}"));
    let (&sign, rest) = input.split_first().ok_or_else(|| corrupt("is empty"))?;
    let negative = match sign {
        NUM_ZERO => {
            *input = rest;
            return Ok(Number::zero());
        }
        NUM_NEGATIVE => true,
        NUM_POSITIVE => false,
        _ => return Err(corrupt("has an invalid sign byte")),
    };
    let flip = |b: u8| if negative { !b } else { b };
    let (exp_bytes, rest) = rest
        .split_at_checked(2)
        .ok_or_else(|| corrupt("is truncated"))?;
    let exponent =
        i32::from(u16::from_be_bytes([flip(exp_bytes[0]), flip(exp_bytes[1])])) - EXPONENT_BIAS;
    let mut text = String::with_capacity(48);
    if negative {
        text.push('-');
    }
    text.push_str("0.");
    let mut used = 0;
    loop {
        let b = flip(*rest.get(used).ok_or_else(|| corrupt("is truncated"))?);
        used += 1;
        match b {
            DIGITS_END => break,
            1..=10 => text.push(char::from(b'0' + b - 1)),
            _ => return Err(corrupt("has an invalid digit")),
        }
    }
    if used == 1 {
        return Err(corrupt("has no digits"));
    }
    text.push('E');
    text.push_str(&exponent.to_string());
    let n = Number::parse(&text).map_err(|e| corrupt(&format!("is not a number: {e}")))?;
    *input = &rest[used..];
    Ok(n)
}

/// The smallest byte string greater than every byte string starting with `prefix`, or `None`
/// when there is none (the prefix is empty or all 0xFF): use it as the exclusive end of a
/// prefix scan, `None` meaning unbounded.
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&b| b != 0xFF)?;
    let mut out = prefix[..=last].to_vec();
    out[last] += 1;
    Some(out)
}

#[cfg(test)]
#[path = "keyenc_tests.rs"]
mod tests;
