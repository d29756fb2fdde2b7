//! Property tests of the data model: the JSON codec round trip, number ordering and
//! arithmetic against independent models (f64 on exactly representable values, i128 on
//! integers), and the size rules against a direct count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use palisade_model::{
    AttributeValue, Item, Number, attribute_value_from_json, attribute_value_size,
    attribute_value_to_json, item_from_json, item_to_json, number_size,
};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;

/// A valid number: 1 to 38 significant digits, an exponent within DynamoDB's range, or zero.
fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        1 => Just(Number::zero()),
        9 => (any::<bool>(), vec(0u8..10, 1..=38), -129i32..=126).prop_map(|(neg, mut digits, e)| {
            digits[0] = digits[0].max(1);
            let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            let sign = if neg { "-" } else { "" };
            Number::parse(&format!("{sign}0.{text}e{e}")).unwrap()
        }),
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-zA-Z0-9 _é€😀-]{0,12}"]
}

fn scalar() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        string().prop_map(AttributeValue::S),
        number().prop_map(AttributeValue::N),
        vec(any::<u8>(), 0..16).prop_map(AttributeValue::B),
        btree_set(string(), 1..5).prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
        vec(number(), 1..5).prop_map(|mut ns| {
            ns.sort();
            ns.dedup();
            AttributeValue::Ns(ns)
        }),
        btree_set(vec(any::<u8>(), 0..6), 1..5)
            .prop_map(|s| AttributeValue::Bs(s.into_iter().collect())),
        Just(AttributeValue::Null),
        any::<bool>().prop_map(AttributeValue::Bool),
    ]
}

/// Any valid attribute value, nested a few levels.
fn attribute_value() -> impl Strategy<Value = AttributeValue> {
    scalar().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(AttributeValue::L),
            btree_map(string(), inner, 0..5).prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    btree_map("[a-z]{1,8}", attribute_value(), 0..6)
}

/// Exactly representable in both f64 and decimal: m / 2^k.
fn dyadic() -> impl Strategy<Value = (i64, u32)> {
    (-(1i64 << 52)..(1i64 << 52), 0u32..20)
}

/// The decimal text of m / 2^k, exact: m × 5^k / 10^k.
fn dyadic_text(m: i64, k: u32) -> String {
    let scaled = i128::from(m) * 5i128.pow(k);
    let digits = scaled.unsigned_abs().to_string();
    let k = k as usize;
    let padded = format!("{digits:0>width$}", width = k + 1);
    let (int, frac) = padded.split_at(padded.len() - k);
    let sign = if scaled < 0 { "-" } else { "" };
    format!("{sign}{int}.{frac}0")
}

proptest! {
    #[test]
    fn json_round_trip(v in attribute_value()) {
        let wire = attribute_value_to_json(&v);
        prop_assert_eq!(attribute_value_from_json(&wire).unwrap(), v.clone());
        // The serde form is the same JSON.
        prop_assert_eq!(serde_json::to_value(&v).unwrap(), wire);
    }

    #[test]
    fn item_json_round_trip(it in item()) {
        let wire = item_to_json(&it);
        prop_assert_eq!(item_from_json(&wire).unwrap(), it);
    }

    #[test]
    fn number_text_round_trip(n in number()) {
        prop_assert_eq!(Number::parse(&n.to_string()).unwrap(), n);
    }

    #[test]
    fn number_order_agrees_with_f64((a, ka) in dyadic(), (b, kb) in dyadic()) {
        let na = Number::parse(&dyadic_text(a, ka)).unwrap();
        let nb = Number::parse(&dyadic_text(b, kb)).unwrap();
        let fa = a as f64 / f64::from(1u32 << ka);
        let fb = b as f64 / f64::from(1u32 << kb);
        prop_assert_eq!(na.cmp(&nb), fa.partial_cmp(&fb).unwrap());
        prop_assert_eq!(na == nb, fa == fb);
    }

    #[test]
    fn checked_add_and_sub_match_i128(
        a in -(10i128.pow(37))..10i128.pow(37),
        b in -(10i128.pow(37))..10i128.pow(37),
    ) {
        let na = Number::parse(&a.to_string()).unwrap();
        let nb = Number::parse(&b.to_string()).unwrap();
        prop_assert_eq!(na.checked_add(&nb).unwrap().to_string(), (a + b).to_string());
        prop_assert_eq!(na.checked_sub(&nb).unwrap().to_string(), (a - b).to_string());
    }

    #[test]
    fn small_integers_convert_through_i64(a in any::<i64>()) {
        let n = Number::from(a);
        prop_assert_eq!(n.to_string(), a.to_string());
        prop_assert_eq!(n.to_i64(), Some(a));
    }

    #[test]
    fn number_size_counts_aligned_digit_pairs(n in number()) {
        // Independent count: write the magnitude in positional notation, pad the integer
        // part and the fraction to even lengths, and count the pairs that hold a non-zero
        // digit between the first and the last significant digit.
        let text = n.to_string();
        let text = text.trim_start_matches('-');
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let int = if int.len() % 2 == 1 { format!("0{int}") } else { int.to_owned() };
        let frac = if frac.len() % 2 == 1 { format!("{frac}0") } else { frac.to_owned() };
        let all = format!("{int}{frac}");
        let pairs: Vec<&str> = all
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let first = pairs.iter().position(|p| *p != "00");
        let last = pairs.iter().rposition(|p| *p != "00");
        let expected = match (first, last) {
            (Some(f), Some(l)) => 1 + (l - f + 1) + usize::from(n.is_negative()),
            _ => 1,
        };
        prop_assert_eq!(number_size(&n), expected);
    }

    #[test]
    fn list_size_is_overhead_plus_elements(vs in vec(scalar(), 0..6)) {
        let elements: usize = vs.iter().map(|v| 1 + attribute_value_size(v)).sum();
        prop_assert_eq!(attribute_value_size(&AttributeValue::L(vs)), 3 + elements);
    }
}

#[test]
fn map_values_survive_any_member_order() {
    // serde_json sorts object members; the decoder must not depend on member order.
    let mut m = BTreeMap::new();
    m.insert("z".to_owned(), AttributeValue::Null);
    m.insert("a".to_owned(), AttributeValue::Bool(true));
    let v = AttributeValue::M(m);
    let text = r#"{"M": {"z": {"NULL": true}, "a": {"BOOL": true}}}"#;
    let wire: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(attribute_value_from_json(&wire).unwrap(), v);
}
