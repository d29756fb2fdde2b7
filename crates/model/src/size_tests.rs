//! Item size tests. The boundary cases are the ones observed on DynamoDB: an item of exactly
//! 409,600 bytes is accepted and one byte more is refused, with numbers counted as below.

use std::collections::BTreeMap;

use super::*;

fn n(s: &str) -> Number {
    Number::parse(s).unwrap()
}

fn num_size(s: &str) -> usize {
    number_size(&n(s))
}

#[test]
fn scalars() {
    assert_eq!(attribute_value_size(&AttributeValue::S("héllo".into())), 6);
    assert_eq!(attribute_value_size(&AttributeValue::S(String::new())), 0);
    assert_eq!(attribute_value_size(&AttributeValue::B(vec![0; 7])), 7);
    assert_eq!(attribute_value_size(&AttributeValue::Null), 1);
    assert_eq!(attribute_value_size(&AttributeValue::Bool(false)), 1);
}

#[test]
fn numbers_count_digit_pairs_aligned_on_the_decimal_point() {
    assert_eq!(num_size("0"), 1);
    assert_eq!(num_size("1"), 2);
    assert_eq!(num_size("-1"), 3);
    assert_eq!(num_size("10"), 2);
    assert_eq!(num_size("99"), 2);
    assert_eq!(num_size("100"), 2);
    assert_eq!(num_size("123"), 3);
    assert_eq!(num_size("1.5"), 3);
    assert_eq!(num_size("0.5"), 2);
    assert_eq!(num_size("0.05"), 2);
    assert_eq!(num_size("12.3456"), 4);
    // Observed on DynamoDB: 38 significant digits followed by 88 zeros take 20 bytes.
    assert_eq!(
        num_size(&format!("{}{}", "1".repeat(38), "0".repeat(88))),
        20
    );
    // 1 followed by 125 zeros: 2 bytes; 11, 11111, 111111 and 1111111 followed by zeros up to
    // 126 digits: 2, 4, 4 and 5 bytes.
    assert_eq!(num_size(&format!("1{}", "0".repeat(125))), 2);
    assert_eq!(num_size(&format!("11{}", "0".repeat(124))), 2);
    assert_eq!(num_size(&format!("11111{}", "0".repeat(121))), 4);
    assert_eq!(num_size(&format!("111111{}", "0".repeat(120))), 4);
    assert_eq!(num_size(&format!("1111111{}", "0".repeat(119))), 5);
    assert_eq!(num_size("1e-130"), 2);
}

#[test]
fn containers_and_sets() {
    let empty_list = AttributeValue::L(vec![]);
    assert_eq!(attribute_value_size(&empty_list), 3);
    assert_eq!(attribute_value_size(&AttributeValue::M(BTreeMap::new())), 3);
    let list = AttributeValue::L(vec![AttributeValue::S("ab".into()), AttributeValue::Null]);
    assert_eq!(attribute_value_size(&list), 3 + (1 + 2) + (1 + 1));
    let mut map = BTreeMap::new();
    map.insert("key".to_owned(), AttributeValue::Bool(true));
    map.insert("l".to_owned(), list);
    assert_eq!(
        attribute_value_size(&AttributeValue::M(map)),
        3 + (1 + 3 + 1) + (1 + 1 + 8)
    );
    let ss = AttributeValue::Ss(vec!["a".into(), "bcd".into(), String::new()]);
    assert_eq!(attribute_value_size(&ss), 4);
    let ns = AttributeValue::Ns(vec![n("1"), n("-123")]);
    assert_eq!(attribute_value_size(&ns), 2 + 4);
    let bs = AttributeValue::Bs(vec![vec![1, 2], vec![2], vec![1]]);
    assert_eq!(attribute_value_size(&bs), 4);
}

fn item(attrs: &[(&str, AttributeValue)]) -> Item {
    attrs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn s(len: usize) -> AttributeValue {
    AttributeValue::S("a".repeat(len))
}

#[test]
fn the_400_kb_boundary() {
    let key = "k".repeat(10);
    let at_limit = item(&[
        ("a", AttributeValue::S(key.clone())),
        ("b", s(MAX_ITEM_SIZE - 12)),
    ]);
    assert_eq!(item_size(&at_limit), MAX_ITEM_SIZE);
    let over = item(&[
        ("a", AttributeValue::S(key.clone())),
        ("b", s(MAX_ITEM_SIZE - 11)),
    ]);
    assert_eq!(item_size(&over), MAX_ITEM_SIZE + 1);
    // With a long attribute name the name counts too.
    let long_name = "b".repeat(27);
    let named = item(&[
        ("a", AttributeValue::S(key.clone())),
        (long_name.as_str(), s(MAX_ITEM_SIZE - 11 - 27)),
    ]);
    assert_eq!(item_size(&named), MAX_ITEM_SIZE);
    // Two numbers of 5 bytes each.
    let big = AttributeValue::N(n(&format!("1111111{}", "0".repeat(119))));
    let numbers = item(&[
        ("a", AttributeValue::S(key)),
        ("b", s(MAX_ITEM_SIZE - 11 - 1 - 1 - 5 - 1 - 5)),
        ("c", big.clone()),
        ("d", big),
    ]);
    assert_eq!(item_size(&numbers), MAX_ITEM_SIZE);
}

#[test]
fn capacity_units_follow_dynamodb() {
    // Observed: an item of 1,024 bytes costs 1 WCU, one of 1,025 bytes 2.
    let a = "x".repeat(10);
    let small = item(&[
        ("a", AttributeValue::S(a.clone())),
        ("b", s(1009 - a.len())),
        ("c", AttributeValue::N(n("12.3456"))),
        ("d", AttributeValue::B(vec![1, 2])),
        ("e", AttributeValue::Bs(vec![vec![1, 2], vec![2], vec![1]])),
    ]);
    assert_eq!(item_size(&small), 1024);
    assert_eq!(write_capacity_units(item_size(&small)), 1);
    let larger = item(&[
        ("a", AttributeValue::S(a.clone())),
        ("b", s(1011 - a.len())),
        ("c", AttributeValue::N(n("12.3456"))),
        ("d", AttributeValue::B(vec![1, 2])),
        ("e", AttributeValue::Bs(vec![vec![1, 2], vec![2]])),
    ]);
    assert_eq!(item_size(&larger), 1025);
    assert_eq!(write_capacity_units(item_size(&larger)), 2);
    assert_eq!(write_capacity_units(0), 1);
    assert_eq!(read_capacity_units(4096, true), 1.0);
    assert_eq!(read_capacity_units(4097, true), 2.0);
    assert_eq!(read_capacity_units(4097, false), 1.0);
    assert_eq!(read_capacity_units(0, false), 0.5);
}
