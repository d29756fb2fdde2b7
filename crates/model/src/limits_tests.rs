//! Tests of names and key values against DynamoDB's exact messages.

use super::*;
use crate::Number;

#[test]
fn table_names_follow_dynamodb_rules() {
    for ok in ["abc", "My_Table-1.0", &"a".repeat(255)] {
        assert_eq!(validate_table_name(ok, "tableName"), Ok(()), "{ok}");
    }
    assert_eq!(
        validate_table_name("ab", "tableName").unwrap_err(),
        "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: \
         Member must have length greater than or equal to 3"
    );
    assert_eq!(
        validate_table_name("bad table!@#", "tableName").unwrap_err(),
        "1 validation error detected: Value 'bad table!@#' at 'tableName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    );
    let long = "a".repeat(256);
    assert_eq!(
        validate_table_name(&long, "tableName").unwrap_err(),
        format!(
            "1 validation error detected: Value '{long}' at 'tableName' failed to satisfy \
             constraint: Member must have length less than or equal to 255"
        )
    );
    assert_eq!(
        validate_table_name("a;", "tableName").unwrap_err(),
        "2 validation errors detected: Value 'a;' at 'tableName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a;' at \
         'tableName' failed to satisfy constraint: Member must have length greater than or \
         equal to 3"
    );
    assert_eq!(
        validate_table_name("", "backupName").unwrap_err(),
        "2 validation errors detected: Value '' at 'backupName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at \
         'backupName' failed to satisfy constraint: Member must have length greater than or \
         equal to 3"
    );
    // Non-ASCII letters are outside the pattern.
    assert!(validate_table_name("tablé", "tableName").is_err());
}

#[test]
fn existing_tables_are_named_with_one_character_or_more() {
    assert!(table_name_errors("a", "tableName", 1).is_empty());
    assert_eq!(
        format_validation_errors(&table_name_errors("", "tableName", 1)).unwrap(),
        "1 validation error detected: Value '' at 'tableName' failed to satisfy constraint: \
         Member must have length greater than or equal to 1"
    );
}

#[test]
fn index_names_follow_table_name_rules() {
    let param = "globalSecondaryIndexes.1.member.indexName";
    assert_eq!(validate_index_name("gsi1", param), Ok(()));
    assert_eq!(
        validate_index_name("ix", param).unwrap_err(),
        "1 validation error detected: Value 'ix' at 'globalSecondaryIndexes.1.member.indexName' \
         failed to satisfy constraint: Member must have length greater than or equal to 3"
    );
}

#[test]
fn key_attribute_names_are_1_to_255_characters() {
    let param = "attributeDefinitions.1.member.attributeName";
    assert!(key_attribute_name_errors("a", param).is_empty());
    assert!(key_attribute_name_errors(&"a".repeat(255), param).is_empty());
    assert_eq!(
        key_attribute_name_errors("", param),
        [
            "Value '' at 'attributeDefinitions.1.member.attributeName' failed to satisfy \
          constraint: Member must have length greater than or equal to 1"
        ]
    );
    assert_eq!(key_attribute_name_errors(&"a".repeat(256), param).len(), 1);
    assert_eq!(format_validation_errors(&[]), None);
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

#[test]
fn key_values_must_have_the_schema_type() {
    let n = AttributeValue::N(Number::from(1));
    assert_eq!(
        validate_key_value("pk", ScalarType::S, &n, true).unwrap_err(),
        "One or more parameter values were invalid: Type mismatch for key pk expected: S \
         actual: N"
    );
    assert_eq!(
        validate_key_value(
            "sk",
            ScalarType::N,
            &AttributeValue::Ss(vec!["a".into()]),
            false
        )
        .unwrap_err(),
        "One or more parameter values were invalid: Type mismatch for key sk expected: N \
         actual: SS"
    );
    assert_eq!(validate_key_value("pk", ScalarType::N, &n, true), Ok(()));
    assert_eq!(
        validate_key_value("pk", ScalarType::B, &AttributeValue::B(vec![0]), true),
        Ok(())
    );
}

#[test]
fn key_values_must_not_be_empty() {
    assert_eq!(
        validate_key_value("pk", ScalarType::S, &s(""), true).unwrap_err(),
        "One or more parameter values are not valid. The AttributeValue for a key attribute \
         cannot contain an empty string value. Key: pk"
    );
    assert_eq!(
        validate_key_value("b", ScalarType::B, &AttributeValue::B(vec![]), false).unwrap_err(),
        "One or more parameter values are not valid. The AttributeValue for a key attribute \
         cannot contain an empty binary value. Key: b"
    );
}

#[test]
fn key_values_have_size_limits() {
    assert_eq!(
        validate_key_value("pk", ScalarType::S, &s(&"a".repeat(2048)), true),
        Ok(())
    );
    assert_eq!(
        validate_key_value("pk", ScalarType::S, &s(&"a".repeat(2049)), true).unwrap_err(),
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum \
         size limit of2048 bytes"
    );
    // Bytes, not characters: 1,025 two-byte characters are 2,050 bytes.
    assert!(validate_key_value("pk", ScalarType::S, &s(&"é".repeat(1025)), true).is_err());
    assert_eq!(
        validate_key_value("sk", ScalarType::S, &s(&"a".repeat(1024)), false),
        Ok(())
    );
    assert_eq!(
        validate_key_value(
            "sk",
            ScalarType::B,
            &AttributeValue::B(vec![7; 1025]),
            false
        )
        .unwrap_err(),
        "One or more parameter values were invalid: Aggregated size of all range keys has \
         exceeded the size limit of 1024 bytes"
    );
}

#[test]
fn index_key_values_have_dynamodb_messages() {
    assert_eq!(
        validate_index_key_value(
            "c",
            ScalarType::S,
            &AttributeValue::N(Number::from(1)),
            "index1"
        )
        .unwrap_err(),
        "One or more parameter values were invalid: Type mismatch for Index Key c Expected: S \
         Actual: N IndexName: index1"
    );
    assert_eq!(
        validate_index_key_value("tenant", ScalarType::S, &s(""), "gsi1").unwrap_err(),
        "One or more parameter values are not valid. A value specified for a secondary index \
         key is not supported. The AttributeValue for a key attribute cannot contain an empty \
         string value. IndexName: gsi1, IndexKey: tenant"
    );
    assert_eq!(
        validate_index_key_value("bidx", ScalarType::B, &AttributeValue::B(vec![]), "gsib")
            .unwrap_err(),
        "One or more parameter values are not valid. A value specified for a secondary index \
         key is not supported. The AttributeValue for a key attribute cannot contain an empty \
         binary value. IndexName: gsib, IndexKey: bidx"
    );
    assert_eq!(
        validate_index_key_value("c", ScalarType::S, &s("x"), "gsi1"),
        Ok(())
    );
}
