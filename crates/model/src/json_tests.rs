//! Tests of the DynamoDB JSON codec: wire form, and DynamoDB's exact error texts.

use serde_json::{Value, json};

use super::*;

fn decode(v: Value) -> Result<AttributeValue, ValueError> {
    attribute_value_from_json(&v)
}

/// The error for `v`, checked to be a SerializationException, as text.
fn serialization_error(v: Value) -> String {
    let e = decode(v.clone()).expect_err(&format!("{v} should be refused"));
    assert!(
        e.is_serialization(),
        "{v}: expected SerializationException, got {e:?}"
    );
    assert_eq!(e.exception_name(), "SerializationException");
    e.to_string()
}

/// The error for `v`, checked to be a ValidationException, as text.
fn validation_error(v: Value) -> String {
    let e = decode(v.clone()).expect_err(&format!("{v} should be refused"));
    assert!(
        !e.is_serialization(),
        "{v}: expected ValidationException, got {e:?}"
    );
    assert_eq!(e.exception_name(), "ValidationException");
    e.to_string()
}

fn n(s: &str) -> Number {
    Number::parse(s).unwrap()
}

#[test]
fn writes_the_wire_form() {
    let mut m = BTreeMap::new();
    m.insert("k".to_owned(), AttributeValue::Bool(false));
    let cases = [
        (AttributeValue::S("x".into()), json!({"S": "x"})),
        (AttributeValue::N(n("1.50")), json!({"N": "1.5"})),
        (AttributeValue::N(n("1E+3")), json!({"N": "1000"})),
        (AttributeValue::B(vec![1, 2]), json!({"B": "AQI="})),
        (
            AttributeValue::Ss(vec!["a".into(), "b".into()]),
            json!({"SS": ["a", "b"]}),
        ),
        (
            AttributeValue::Ns(vec![n("1"), n("-0.5")]),
            json!({"NS": ["1", "-0.5"]}),
        ),
        (
            AttributeValue::Bs(vec![vec![1], vec![]]),
            json!({"BS": ["AQ==", ""]}),
        ),
        (AttributeValue::M(m), json!({"M": {"k": {"BOOL": false}}})),
        (
            AttributeValue::L(vec![AttributeValue::Null]),
            json!({"L": [{"NULL": true}]}),
        ),
        (AttributeValue::Null, json!({"NULL": true})),
        (AttributeValue::Bool(true), json!({"BOOL": true})),
    ];
    for (value, wire) in cases {
        assert_eq!(attribute_value_to_json(&value), wire);
        // The serde form is the same as the Value form.
        assert_eq!(serde_json::to_value(&value).unwrap(), wire);
        assert_eq!(decode(wire).unwrap(), value);
    }
}

#[test]
fn items_round_trip() {
    let wire = json!({
        "pk": {"S": "a"},
        "n": {"N": "-12.5e1"},
        "doc": {"M": {"x": {"L": [{"S": ""}, {"B": ""}]}}},
    });
    let item = item_from_json(&wire).unwrap();
    assert_eq!(item["n"], AttributeValue::N(n("-125")));
    assert_eq!(
        item_to_json(&item),
        json!({
            "pk": {"S": "a"},
            "n": {"N": "-125"},
            "doc": {"M": {"x": {"L": [{"S": ""}, {"B": ""}]}}},
        })
    );
    assert_eq!(item_from_json(&Value::Null).unwrap(), Item::new());
    let via_serde: AttributeValue = serde_json::from_value(json!({"SS": ["a"]})).unwrap();
    assert_eq!(via_serde, AttributeValue::Ss(vec!["a".into()]));
}

#[test]
fn null_members_are_absent_and_unknown_members_ignored() {
    assert_eq!(
        decode(json!({"S": "a", "N": null, "X": 5})).unwrap(),
        AttributeValue::S("a".into())
    );
}

#[test]
fn wrong_json_types_are_serialization_errors() {
    let cases = [
        (
            json!({"S": true}),
            "TRUE_VALUE cannot be converted to String",
        ),
        (
            json!({"S": false}),
            "FALSE_VALUE cannot be converted to String",
        ),
        (
            json!({"S": 23}),
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            json!({"N": 2147483648_i64}),
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            json!({"N": 34.56}),
            "DECIMAL_VALUE cannot be converted to String",
        ),
        (
            json!({"S": []}),
            "Unrecognized collection type class java.lang.String",
        ),
        (
            json!({"S": {}}),
            "Start of structure or map found where not expected",
        ),
        (
            json!({"BOOL": "23"}),
            "Unexpected token received from parser",
        ),
        (
            json!({"BOOL": 23}),
            "NUMBER_VALUE cannot be converted to Boolean",
        ),
        (
            json!({"NULL": 34.56}),
            "DECIMAL_VALUE cannot be converted to Boolean",
        ),
        (
            json!({"BOOL": []}),
            "Unrecognized collection type class java.lang.Boolean",
        ),
        (
            json!({"NULL": {}}),
            "Start of structure or map found where not expected",
        ),
        (
            json!({"B": true}),
            "only base-64-encoded strings are convertible to bytes",
        ),
        (
            json!({"B": 23}),
            "only base-64-encoded strings are convertible to bytes",
        ),
        (
            json!({"B": []}),
            "Unrecognized collection type class java.nio.ByteBuffer",
        ),
        (
            json!({"B": {}}),
            "Start of structure or map found where not expected",
        ),
        (
            json!({"B": "23456"}),
            "Base64 encoded length is expected a multiple of 4 bytes but found: 5",
        ),
        (
            json!({"B": "=+/="}),
            "Invalid last non-pad Base64 character dectected",
        ),
        (
            json!({"B": "+/+="}),
            "Invalid last non-pad Base64 character dectected",
        ),
        (json!({"SS": "23"}), "Unexpected field type"),
        (json!({"NS": 23}), "Unexpected field type"),
        (json!({"L": true}), "Unexpected field type"),
        (
            json!({"BS": {}}),
            "Start of structure or map found where not expected",
        ),
        (
            json!({"SS": [1]}),
            "NUMBER_VALUE cannot be converted to String",
        ),
        (
            json!({"BS": [true]}),
            "only base-64-encoded strings are convertible to bytes",
        ),
        (json!({"L": ["23"]}), "Unexpected value type in payload"),
        (
            json!({"L": [[]]}),
            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue",
        ),
        (json!({"M": 23}), "Unexpected field type"),
        (
            json!({"M": []}),
            "Unrecognized collection type java.util.Map<java.lang.String, \
             com.amazonaws.dynamodb.v20120810.AttributeValue>",
        ),
        (json!({"M": {"a": 1.5}}), "Unexpected value type in payload"),
        (
            json!({"M": {"a": {"L": [{"BS": [5]}]}}}),
            "only base-64-encoded strings are convertible to bytes",
        ),
        (json!("23"), "Unexpected value type in payload"),
    ];
    for (wire, message) in cases {
        assert_eq!(serialization_error(wire.clone()), message, "{wire}");
    }
}

#[test]
fn a_shape_error_anywhere_wins_over_a_rule_broken_earlier() {
    // The empty value comes first, but DynamoDB reads the whole value before validating.
    let e = decode(json!({"L": [{}, {"S": 1}]})).unwrap_err();
    assert!(e.is_serialization());
    let item = json!({"a": {"SS": []}, "b": {"N": true}});
    let e = item_from_json(&item).unwrap_err();
    assert_eq!(e.to_string(), "TRUE_VALUE cannot be converted to String");
}

#[test]
fn non_object_items_are_serialization_errors() {
    let e = item_from_json(&json!([])).unwrap_err();
    assert!(e.is_serialization());
    assert_eq!(
        e.to_string(),
        "Unrecognized collection type java.util.Map<java.lang.String, \
         com.amazonaws.dynamodb.v20120810.AttributeValue>"
    );
    let e = item_from_json(&json!("x")).unwrap_err();
    assert!(e.is_serialization());
    assert!(e.to_string().starts_with(
        "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast"
    ));
    let e = item_from_json(&json!({"a": 5})).unwrap_err();
    assert_eq!(e.to_string(), "Unexpected value type in payload");
}

#[test]
fn empty_and_multiple_types_are_validation_errors() {
    let empty = "Supplied AttributeValue is empty, must contain exactly one of the supported \
                 datatypes";
    for wire in [
        json!({}),
        json!({"a": ""}),
        json!({"S": null}),
        json!(null),
        json!({"M": {"a": {}}}),
        json!({"L": [{}]}),
        json!({"L": [{"a": {}}]}),
    ] {
        assert_eq!(validation_error(wire.clone()), empty, "{wire}");
    }
    assert_eq!(
        validation_error(json!({"S": "a", "N": "1"})),
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of \
         the supported datatypes"
    );
    let e = item_from_json(&json!({"a": {}})).unwrap_err();
    assert!(!e.is_serialization());
    assert_eq!(e.to_string(), empty);
}

#[test]
fn member_errors_come_before_the_multiple_types_error() {
    let cases = [
        (
            json!({"S": "", "N": ""}),
            "The parameter cannot be converted to a numeric value",
        ),
        (
            json!({"S": "a", "N": ""}),
            "The parameter cannot be converted to a numeric value",
        ),
        (
            json!({"S": "a", "N": "b"}),
            "The parameter cannot be converted to a numeric value: b",
        ),
    ];
    for (wire, message) in cases {
        assert_eq!(validation_error(wire.clone()), message, "{wire}");
    }
}

#[test]
fn invalid_values_have_dynamodb_messages() {
    let invalid = "One or more parameter values were invalid: ";
    let cases = [
        (
            json!({"NULL": false}),
            "Null attribute value types must have the value of true",
        ),
        (json!({"SS": []}), "An string set  may not be empty"),
        (json!({"NS": []}), "An number set  may not be empty"),
        (json!({"BS": []}), "Binary sets should not be empty"),
        (
            json!({"SS": ["a", "a"]}),
            "Input collection [a, a] contains duplicates.",
        ),
        (
            json!({"SS": ["b", "", ""]}),
            "Input collection [b, , ] contains duplicates.",
        ),
        (
            json!({"BS": ["Yg==", "Yg=="]}),
            "Input collection [Yg==, Yg==]of type BS contains duplicates.",
        ),
        (
            json!({"BS": ["", ""]}),
            "Input collection [, ]of type BS contains duplicates.",
        ),
        (
            json!({"BS": ["Yg==", null]}),
            "Binary sets may not contain null or empty values",
        ),
        (
            json!({"SS": ["a", null]}),
            "String sets may not contain null values",
        ),
    ];
    for (wire, message) in cases {
        assert_eq!(
            validation_error(wire.clone()),
            format!("{invalid}{message}"),
            "{wire}"
        );
    }
}

#[test]
fn invalid_numbers_have_dynamodb_messages() {
    let cases = [
        (
            json!({"NS": ["1", ""]}),
            "The parameter cannot be converted to a numeric value",
        ),
        (
            json!({"NS": ["1", null]}),
            "The parameter cannot be converted to a numeric value",
        ),
        (
            json!({"NS": ["1", "b"]}),
            "The parameter cannot be converted to a numeric value: b",
        ),
        (
            json!({"NS": ["1", "1"]}),
            "Input collection contains duplicates",
        ),
        (
            json!({"NS": ["1", "1.0", "2"]}),
            "Input collection contains duplicates",
        ),
        (
            json!({"N": "123456789012345678901234567890123456789"}),
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            json!({"N": "-1.23456789012345678901234567890123456789"}),
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            json!({"N": "1e126"}),
            "Number overflow. Attempting to store a number with magnitude larger than supported \
             range",
        ),
        (
            json!({"N": "-1e126"}),
            "Number overflow. Attempting to store a number with magnitude larger than supported \
             range",
        ),
        (
            json!({"N": "1e-131"}),
            "Number underflow. Attempting to store a number with magnitude smaller than \
             supported range",
        ),
        (
            json!({"N": "-1e-131"}),
            "Number underflow. Attempting to store a number with magnitude smaller than \
             supported range",
        ),
    ];
    for (wire, message) in cases {
        assert_eq!(validation_error(wire.clone()), message, "{wire}");
    }
}

#[test]
fn empty_strings_and_binaries_are_allowed_outside_keys() {
    assert_eq!(
        decode(json!({"S": ""})).unwrap(),
        AttributeValue::S(String::new())
    );
    assert_eq!(
        decode(json!({"B": ""})).unwrap(),
        AttributeValue::B(Vec::new())
    );
    assert_eq!(
        decode(json!({"SS": ["", "a"]})).unwrap(),
        AttributeValue::Ss(vec![String::new(), "a".into()])
    );
    assert_eq!(
        decode(json!({"BS": ["", "AQ=="]})).unwrap(),
        AttributeValue::Bs(vec![vec![], vec![1]])
    );
}

/// `{"M": {"a": ... {"S": "x"}}}` with `wraps` maps around the string.
fn nested_maps(wraps: usize) -> Value {
    let mut v = json!({"S": "x"});
    for _ in 0..wraps {
        v = json!({"M": {"a": v}});
    }
    v
}

#[test]
fn nesting_is_limited_to_32_levels() {
    // 31 maps around a scalar: 32 levels, accepted. 32 maps: refused.
    assert!(decode(nested_maps(31)).is_ok());
    assert_eq!(
        validation_error(nested_maps(32)),
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested \
         levels beyond supported limit"
    );
    let mut list = json!({"N": "1"});
    for _ in 0..32 {
        list = json!({"L": [list]});
    }
    assert!(!decode(list).unwrap_err().is_serialization());
}

#[test]
fn hostile_depth_is_refused_without_exhausting_the_stack() {
    // Built by hand: serde_json's parser refuses text nested this deep by itself.
    let e = decode(nested_maps(1_000)).unwrap_err();
    assert_eq!(e, ValueError::Validation(ValidationError::TooDeep));
}

proptest::proptest! {
    /// The allocation-free check accepts exactly what the decoder accepts.
    #[test]
    fn base64_check_agrees_with_the_decoder(text in "[A-Za-z0-9+/=!é]{0,4}([A-Za-z0-9+/]{4}){0,3}[A-Za-z0-9+/=]{0,4}") {
        let decoded = STANDARD.decode(&text);
        let checked = check_base64(&text);
        proptest::prop_assert_eq!(checked.is_ok(), decoded.is_ok(), "{:?}", text);
        if let Ok(bytes) = decoded {
            proptest::prop_assert_eq!(decode_base64(&text).unwrap(), bytes);
        }
    }

    #[test]
    fn base64_check_accepts_every_encoding(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
        proptest::prop_assert!(check_base64(&STANDARD.encode(&bytes)).is_ok());
    }
}

#[test]
fn base64_padding_edge_cases() {
    for (text, ok) in [
        ("", true),
        ("AA==", true),
        ("AAA=", true),
        ("AAAA", true),
        ("A===", false),
        ("AB==", false),
        ("AAB=", false),
        ("=AAA", false),
        ("AA=A", false),
        ("====", false),
        ("AA-_", false),
    ] {
        assert_eq!(check_base64(text).is_ok(), ok, "{text}");
        assert_eq!(STANDARD.decode(text).is_ok(), ok, "{text}");
    }
}
