use super::*;
use proptest::prelude::*;

fn enc(v: &AttributeValue) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key_value(v, &mut out).unwrap();
    out
}

fn roundtrip(ty: ScalarType, v: &AttributeValue) {
    let mut bytes = enc(v);
    bytes.extend_from_slice(b"tail");
    let mut input = bytes.as_slice();
    let back = decode_key_value(ty, &mut input).unwrap();
    assert_eq!(&back, v);
    assert_eq!(input, b"tail");
}

/// Strings biased towards NUL bytes, 0xFF-like characters and shared prefixes.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[\\x00\\x01a-c\u{ff}\u{10ffff}]{0,8}",]
}

fn binary() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..16),
        proptest::collection::vec(
            prop_oneof![Just(0u8), Just(1), Just(0xFF), Just(0xFE)],
            0..8
        ),
    ]
}

/// Valid DynamoDB numbers across the whole range, including zero and both signs.
fn number() -> impl Strategy<Value = Number> {
    (any::<bool>(), "[0-9]{1,38}", -140i32..140).prop_filter_map(
        "out of DynamoDB's range",
        |(neg, digits, exp)| {
            let text = format!("{}0.{digits}E{exp}", if neg { "-" } else { "" });
            Number::parse(&text).ok()
        },
    )
}

proptest! {
    #[test]
    fn strings_order_and_roundtrip(a in string(), b in string()) {
        let (va, vb) = (AttributeValue::S(a.clone()), AttributeValue::S(b.clone()));
        prop_assert_eq!(a.as_bytes().cmp(b.as_bytes()), enc(&va).cmp(&enc(&vb)));
        roundtrip(ScalarType::S, &va);
    }

    #[test]
    fn binaries_order_and_roundtrip(a in binary(), b in binary()) {
        let (va, vb) = (AttributeValue::B(a.clone()), AttributeValue::B(b.clone()));
        prop_assert_eq!(a.cmp(&b), enc(&va).cmp(&enc(&vb)));
        roundtrip(ScalarType::B, &va);
    }

    #[test]
    fn numbers_order_and_roundtrip(a in number(), b in number()) {
        let (va, vb) = (AttributeValue::N(a.clone()), AttributeValue::N(b.clone()));
        prop_assert_eq!(a.cmp(&b), enc(&va).cmp(&enc(&vb)));
        roundtrip(ScalarType::N, &va);
    }

    #[test]
    fn concatenations_compare_component_wise(
        pa in binary(), sa in number(), pb in binary(), sb in number()
    ) {
        let mut ka = enc(&AttributeValue::B(pa.clone()));
        ka.extend(enc(&AttributeValue::N(sa.clone())));
        let mut kb = enc(&AttributeValue::B(pb.clone()));
        kb.extend(enc(&AttributeValue::N(sb.clone())));
        prop_assert_eq!((&pa, &sa).cmp(&(&pb, &sb)), ka.cmp(&kb));
        let mut input = ka.as_slice();
        prop_assert_eq!(decode_key_value(ScalarType::B, &mut input).unwrap(), AttributeValue::B(pa));
        prop_assert_eq!(decode_key_value(ScalarType::N, &mut input).unwrap(), AttributeValue::N(sa));
        prop_assert!(input.is_empty());
    }

    #[test]
    fn string_then_string_compares_component_wise(
        a1 in string(), a2 in string(), b1 in string(), b2 in string()
    ) {
        let key = |x: &str, y: &str| {
            let mut k = enc(&AttributeValue::S(x.to_owned()));
            k.extend(enc(&AttributeValue::S(y.to_owned())));
            k
        };
        let expected = (a1.as_bytes(), a2.as_bytes()).cmp(&(b1.as_bytes(), b2.as_bytes()));
        prop_assert_eq!(expected, key(&a1, &a2).cmp(&key(&b1, &b2)));
    }

    #[test]
    fn prefix_successor_bounds_every_extension(
        prefix in binary(), ext in binary(), other in binary()
    ) {
        let mut extended = prefix.clone();
        extended.extend(&ext);
        match prefix_successor(&prefix) {
            Some(succ) => {
                prop_assert!(extended < succ);
                prop_assert!(succ > prefix);
                // Anything at or above the successor does not start with the prefix.
                if other >= succ {
                    prop_assert!(!other.starts_with(&prefix));
                }
            }
            None => prop_assert!(prefix.iter().all(|&b| b == 0xFF)),
        }
    }
}

#[test]
fn number_examples_sort_numerically() {
    let texts = [
        "-9.9999999999999999999999999999999999999E+125",
        "-1000",
        "-999.5",
        "-10",
        "-9",
        "-1",
        "-0.5",
        "-1E-130",
        "0",
        "1E-130",
        "0.001",
        "0.5",
        "1",
        "1.5",
        "9",
        "10",
        "10.01",
        "99",
        "100",
        "9.9999999999999999999999999999999999999E+125",
    ];
    let encoded: Vec<Vec<u8>> = texts
        .iter()
        .map(|t| enc(&AttributeValue::N(Number::parse(t).unwrap())))
        .collect();
    for pair in encoded.windows(2) {
        assert!(pair[0] < pair[1], "{pair:?}");
    }
}

#[test]
fn string_layout_escapes_nul() {
    assert_eq!(
        enc(&AttributeValue::S("a\0b".into())),
        b"a\x00\xFFb\x00\x01"
    );
    assert_eq!(enc(&AttributeValue::S(String::new())), b"\x00\x01");
    assert_eq!(enc(&AttributeValue::N(Number::zero())), [NUM_ZERO]);
    // 12 = 0.12 × 10^2: exponent 2 biased to 0x8002, digits 1,2 stored as 2,3.
    assert_eq!(
        enc(&AttributeValue::N(Number::parse("12").unwrap())),
        [NUM_POSITIVE, 0x80, 0x02, 2, 3, 0]
    );
    assert_eq!(
        enc(&AttributeValue::N(Number::parse("-12").unwrap())),
        [NUM_NEGATIVE, !0x80, !0x02, !2, !3, !0]
    );
}

#[test]
fn non_key_types_are_rejected() {
    let mut out = Vec::new();
    assert_eq!(
        encode_key_value(&AttributeValue::Bool(true), &mut out),
        Err(KeyEncodeError::NotAKeyType("BOOL"))
    );
    assert!(out.is_empty());
}

#[test]
fn corrupt_input_is_an_error() {
    for (ty, bytes) in [
        (ScalarType::S, &b"abc"[..]),
        (ScalarType::S, b"a\x00\x05"),
        (ScalarType::S, b"\xFF\x00\x01"),
        (ScalarType::N, b""),
        (ScalarType::N, b"\x07"),
        (ScalarType::N, b"\x03\x80"),
        (ScalarType::N, b"\x03\x80\x02\x02"),
        (ScalarType::N, b"\x03\x80\x02\x00"),
        (ScalarType::N, b"\x03\x80\x02\x0C\x00"),
    ] {
        let mut input = bytes;
        assert!(
            matches!(
                decode_key_value(ty, &mut input),
                Err(StorageError::Corrupt(_))
            ),
            "{bytes:?}"
        );
    }
}

#[test]
fn prefix_successor_examples() {
    assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
    assert_eq!(prefix_successor(b"a\xFF\xFF"), Some(b"b".to_vec()));
    assert_eq!(prefix_successor(b"\xFF"), None);
    assert_eq!(prefix_successor(b""), None);
}
