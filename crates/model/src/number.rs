//! DynamoDB numbers: decimals with up to 38 significant digits, positive magnitudes from 1E-130
//! to 9.9999999999999999999999999999999999999E+125 (and the same negated), and zero.
//!
//! Kept as sign, significant digits and exponent, so that comparison, arithmetic and the
//! order-preserving key encoding never go through floating point.

use std::cmp::Ordering;
use std::fmt;

/// Most significant digits DynamoDB keeps in a number.
pub const MAX_DIGITS: usize = 38;
/// Value of the exponent (in the `0.d1d2… × 10^e` form) of the largest magnitude allowed:
/// 9.99…E+125 is 0.999… × 10^126.
const MAX_EXPONENT: i32 = 126;
/// 1E-130 is 0.1 × 10^-129.
const MIN_EXPONENT: i32 = -129;

/// A DynamoDB number, normalised: no leading or trailing zero digits, zero has no digits and is
/// never negative. Its value is `0.d1d2…dn × 10^exponent`, sign applied.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// Significant digits, each 0..=9; the first and the last are non-zero. Empty for zero.
    digits: Vec<u8>,
    exponent: i32,
}

/// Why a string is not a DynamoDB number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("A value provided cannot be converted into a number")]
    Invalid,
    #[error("Attempting to store more than 38 significant digits in a Number")]
    TooManyDigits,
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Overflow,
    #[error(
        "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    )]
    Underflow,
}

impl Number {
    /// Zero.
    pub fn zero() -> Number {
        Number {
            negative: false,
            digits: Vec::new(),
            exponent: 0,
        }
    }

    /// Parses DynamoDB's textual form: an optional sign, digits with an optional decimal point,
    /// and an optional exponent (`e` or `E`, optional sign, digits).
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&c) = bytes.first()
            && (c == b'-' || c == b'+')
        {
            negative = c == b'-';
            i = 1;
        }
        let mut mantissa: Vec<u8> = Vec::new();
        let mut point_at: Option<usize> = None;
        let mut saw_digit = false;
        while i < bytes.len() {
            match bytes[i] {
                c @ b'0'..=b'9' => {
                    mantissa.push(c - b'0');
                    saw_digit = true;
                }
                b'.' if point_at.is_none() => point_at = Some(mantissa.len()),
                b'e' | b'E' => break,
                _ => return Err(NumberError::Invalid),
            }
            i += 1;
        }
        if !saw_digit {
            return Err(NumberError::Invalid);
        }
        let mut exp10: i64 = 0;
        if i < bytes.len() {
            // bytes[i] is 'e' or 'E'
            i += 1;
            let mut exp_negative = false;
            if let Some(&c) = bytes.get(i)
                && (c == b'-' || c == b'+')
            {
                exp_negative = c == b'-';
                i += 1;
            }
            if i >= bytes.len() {
                return Err(NumberError::Invalid);
            }
            for &c in &bytes[i..] {
                if !c.is_ascii_digit() {
                    return Err(NumberError::Invalid);
                }
                exp10 = (exp10 * 10 + i64::from(c - b'0')).min(1_000_000);
            }
            if exp_negative {
                exp10 = -exp10;
            }
        }
        // value = 0.mantissa × 10^(integer_digits + exp10)
        let integer_digits = point_at.unwrap_or(mantissa.len()) as i64;
        let leading = mantissa.iter().take_while(|&&d| d == 0).count();
        mantissa.drain(..leading);
        while mantissa.last() == Some(&0) {
            mantissa.pop();
        }
        if mantissa.is_empty() {
            return Ok(Number::zero());
        }
        let exponent = integer_digits - leading as i64 + exp10;
        Number::from_parts(negative, mantissa, exponent)
    }

    /// Builds a number from normalised digits, checking DynamoDB's precision and range.
    fn from_parts(negative: bool, digits: Vec<u8>, exponent: i64) -> Result<Number, NumberError> {
        if digits.is_empty() {
            return Ok(Number::zero());
        }
        // Range before precision, in the order DynamoDB reports them.
        if exponent > i64::from(MAX_EXPONENT) {
            return Err(NumberError::Overflow);
        }
        if exponent < i64::from(MIN_EXPONENT) {
            return Err(NumberError::Underflow);
        }
        if digits.len() > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        Ok(Number {
            negative,
            digits,
            exponent: exponent as i32,
        })
    }

    /// Whether this number is zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Whether this number is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The significant digits (each 0..=9, no leading or trailing zeros; empty for zero).
    pub fn digits(&self) -> &[u8] {
        &self.digits
    }

    /// The exponent `e` in `0.d1d2…dn × 10^e`. Zero for zero.
    pub fn exponent(&self) -> i32 {
        self.exponent
    }

    /// The negated number.
    pub fn negated(&self) -> Number {
        let mut n = self.clone();
        if !n.is_zero() {
            n.negative = !n.negative;
        }
        n
    }

    /// `self + other`, with DynamoDB's precision and range checks on the result.
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        // Align both on the lowest digit position: value = int × 10^(low).
        let low = (self.exponent - self.digits.len() as i32)
            .min(other.exponent - other.digits.len() as i32);
        let a = self.aligned(low);
        let b = other.aligned(low);
        let (negative, mut sum) = if self.negative == other.negative {
            (self.negative, add_digits(&a, &b))
        } else {
            match cmp_digits(&a, &b) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (self.negative, sub_digits(&a, &b)),
                Ordering::Less => (other.negative, sub_digits(&b, &a)),
            }
        };
        // sum holds the integer (most significant first) to be multiplied by 10^low.
        let leading = sum.iter().take_while(|&&d| d == 0).count();
        sum.drain(..leading);
        let exponent = i64::from(low) + sum.len() as i64;
        while sum.last() == Some(&0) {
            sum.pop();
        }
        Number::from_parts(negative, sum, exponent)
    }

    /// `self - other`, with DynamoDB's precision and range checks on the result.
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.checked_add(&other.negated())
    }

    /// The digits as an integer (most significant first) whose unit is 10^low.
    fn aligned(&self, low: i32) -> Vec<u8> {
        let mut v = self.digits.clone();
        let pad = (self.exponent - self.digits.len() as i32) - low;
        v.extend(std::iter::repeat_n(0, pad.max(0) as usize));
        v
    }

    /// The value as an `f64` (approximate), for size estimates and diagnostics only.
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(0.0)
    }

    /// The value as an `i64`, when it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_zero() {
            return Some(0);
        }
        if self.exponent < self.digits.len() as i32 || self.exponent > 19 {
            return None;
        }
        let mut v: i128 = 0;
        for i in 0..self.exponent as usize {
            v = v * 10 + i128::from(self.digits.get(i).copied().unwrap_or(0));
        }
        if self.negative {
            v = -v;
        }
        i64::try_from(v).ok()
    }

    /// Compares magnitudes, ignoring signs.
    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        self.exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    // Same unit; compare as integers (strip leading zeros implicitly by length after trimming).
    let a = &a[a.iter().take_while(|&&d| d == 0).count()..];
    let b = &b[b.iter().take_while(|&&d| d == 0).count()..];
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn add_digits(a: &[u8], b: &[u8]) -> Vec<u8> {
    let n = a.len().max(b.len());
    let mut out = vec![0u8; n + 1];
    let mut carry = 0u8;
    for i in 0..n {
        let da = if i < a.len() { a[a.len() - 1 - i] } else { 0 };
        let db = if i < b.len() { b[b.len() - 1 - i] } else { 0 };
        let s = da + db + carry;
        out[n - i] = s % 10;
        carry = s / 10;
    }
    out[0] = carry;
    out
}

/// `a - b` for `a >= b`.
fn sub_digits(a: &[u8], b: &[u8]) -> Vec<u8> {
    let n = a.len().max(b.len());
    let mut out = vec![0u8; n];
    let mut borrow = 0i8;
    for i in 0..n {
        let da = if i < a.len() {
            a[a.len() - 1 - i] as i8
        } else {
            0
        };
        let db = if i < b.len() {
            b[b.len() - 1 - i] as i8
        } else {
            0
        };
        let mut d = da - db - borrow;
        if d < 0 {
            d += 10;
            borrow = 1;
        } else {
            borrow = 0;
        }
        out[n - 1 - i] = d as u8;
    }
    out
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Number {
        // An i64 always has fewer than 38 digits and is in range.
        Number::parse(&v.to_string()).unwrap_or_else(|_| Number::zero())
    }
}

/// Positional notation without exponent, as DynamoDB returns numbers: `-12.5`, `0.001`, `1000`.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut s = String::with_capacity(self.digits.len() + 8);
        if self.negative {
            s.push('-');
        }
        let n = self.digits.len() as i32;
        let e = self.exponent;
        let digit = |d: &u8| char::from(b'0' + d);
        if e <= 0 {
            s.push_str("0.");
            s.extend(std::iter::repeat_n('0', (-e) as usize));
            s.extend(self.digits.iter().map(digit));
        } else if e >= n {
            s.extend(self.digits.iter().map(digit));
            s.extend(std::iter::repeat_n('0', (e - n) as usize));
        } else {
            s.extend(self.digits[..e as usize].iter().map(digit));
            s.push('.');
            s.extend(self.digits[e as usize..].iter().map(digit));
        }
        f.write_str(&s)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(n("1.0").to_string(), "1");
        assert_eq!(n("-0").to_string(), "0");
        assert_eq!(n("0012.500").to_string(), "12.5");
        assert_eq!(n("1e3").to_string(), "1000");
        assert_eq!(n("1.5E-3").to_string(), "0.0015");
        assert_eq!(n("-.5").to_string(), "-0.5");
        assert_eq!(n("+7").to_string(), "7");
    }

    #[test]
    fn rejects_what_dynamodb_rejects() {
        for bad in [
            "", "-", ".", "1e", "abc", "1..2", "1e+", "0x10", " 1", "-.", "1e-",
        ] {
            assert_eq!(Number::parse(bad), Err(NumberError::Invalid), "{bad:?}");
        }
        assert_eq!(Number::parse("1e126"), Err(NumberError::Overflow));
        assert!(Number::parse("9.9999999999999999999999999999999999999E+125").is_ok());
        assert_eq!(Number::parse("1e-131"), Err(NumberError::Underflow));
        assert!(Number::parse("1e-130").is_ok());
        assert_eq!(
            Number::parse("123456789012345678901234567890123456789"),
            Err(NumberError::TooManyDigits)
        );
        assert!(Number::parse("12345678901234567890123456789012345678").is_ok());
    }

    #[test]
    fn accepts_dynamodb_syntax() {
        // Observed on DynamoDB: a leading '+' on the mantissa and signed exponents are
        // accepted and dropped from what is read back.
        for (input, stored) in [
            ("+5", "5"),
            ("+1.5", "1.5"),
            ("+0", "0"),
            ("+1e2", "100"),
            ("1e+2", "100"),
            ("1.5E+3", "1500"),
            ("-7", "-7"),
            ("00042", "42"),
            ("1.0", "1"),
            ("1.", "1"),
            (".5", "0.5"),
            ("-0.000", "0"),
            ("0e999999999", "0"),
        ] {
            assert_eq!(n(input).to_string(), stored, "{input}");
        }
    }

    #[test]
    fn rejects_other_syntax() {
        for bad in [
            " 5", "5 ", "5\n", "+", "+e2", "e5", "1+2", "1.2.3", "++1", "+-1", "1e++2", "1e5.5",
            "1e 5", "Infinity", "NaN", "inf", "1_000", "1,5", "\u{661}",
        ] {
            assert_eq!(Number::parse(bad), Err(NumberError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn prints_positional_notation_as_dynamodb_returns_numbers() {
        // DynamoDB returns 1E+100 as a 1 followed by 100 zeros.
        assert_eq!(n("1E+100").to_string(), format!("1{}", "0".repeat(100)));
        assert_eq!(n("1e-6").to_string(), "0.000001");
        assert_eq!(n("0.000001").to_string(), "0.000001");
        assert_eq!(n("-1.25E-2").to_string(), "-0.0125");
        assert_eq!(n("1e-130").to_string(), format!("0.{}1", "0".repeat(129)));
        assert_eq!(
            n("9.9999999999999999999999999999999999999E+125").to_string(),
            format!("{}{}", "9".repeat(38), "0".repeat(88))
        );
        assert_eq!(n("12.5").to_string(), "12.5");
        // Trailing zeros before the point are not significant digits.
        assert_eq!(n(&format!("1{}", "0".repeat(60))).digits(), &[1]);
    }

    #[test]
    fn range_and_precision_limits() {
        assert_eq!(Number::parse("-1e126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("-1e-131"), Err(NumberError::Underflow));
        assert_eq!(
            Number::parse("-1.23456789012345678901234567890123456789"),
            Err(NumberError::TooManyDigits)
        );
        let forty_digits = "1234567890".repeat(4);
        assert_eq!(
            Number::parse(&format!("{forty_digits}e200")),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            Number::parse(&format!("0.{forty_digits}e-200")),
            Err(NumberError::Underflow)
        );
        // 38 significant digits with any number of zeros around them are fine.
        assert!(Number::parse("0.000012345678901234567890123456789012345678").is_ok());
        assert!(Number::parse("12345678901234567890123456789012345678000000").is_ok());
        assert_eq!(
            n("9.9999999999999999999999999999999999999E+125").checked_add(&n("1e88")),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            n("1.5e-130").checked_sub(&n("1e-130")),
            Err(NumberError::Underflow)
        );
        assert_eq!(
            NumberError::Overflow.to_string(),
            "Number overflow. Attempting to store a number with magnitude larger than supported \
             range"
        );
    }

    #[test]
    fn orders_numerically() {
        let mut v: Vec<Number> = ["10", "-1", "0", "9.5", "-10", "0.01", "1e2"]
            .iter()
            .map(|s| n(s))
            .collect();
        v.sort();
        let out: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(out, ["-10", "-1", "0", "0.01", "9.5", "10", "100"]);
    }

    #[test]
    fn adds_and_subtracts_exactly() {
        assert_eq!(n("0.1").checked_add(&n("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(n("999").checked_add(&n("1")).unwrap().to_string(), "1000");
        assert_eq!(n("5").checked_sub(&n("7.5")).unwrap().to_string(), "-2.5");
        assert_eq!(n("-5").checked_add(&n("5")).unwrap().to_string(), "0");
        assert_eq!(
            n("1e20").checked_sub(&n("1")).unwrap().to_string(),
            "99999999999999999999"
        );
        assert_eq!(
            n("1e38").checked_add(&n("1")),
            Err(NumberError::TooManyDigits)
        );
        assert_eq!(n("-3").to_i64(), Some(-3));
        assert_eq!(n("3.5").to_i64(), None);
    }
}
