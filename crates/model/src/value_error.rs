//! Why a DynamoDB JSON attribute value was refused, with DynamoDB's own wording.
//!
//! DynamoDB answers in two ways. A body whose JSON shape does not fit the
//! AttributeValue structure (`{"S": 1}`, a list where a map belongs, bad base64) is refused
//! while it is being read, with a `SerializationException`. A value that has the right
//! shape but breaks a rule (no type set, two types set, an empty set, duplicates in a set,
//! an invalid number, `"NULL": false`, nesting too deep) is refused afterwards with a
//! `ValidationException`. [`ValueError::is_serialization`] tells the two apart and
//! `Display` gives the message DynamoDB sends.

use crate::NumberError;

/// A JSON token that was found where another type was expected, named as DynamoDB names it
/// in its `SerializationException` messages (`NUMBER_VALUE cannot be converted to String`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonToken {
    /// `true`.
    True,
    /// `false`.
    False,
    /// An integer.
    Number,
    /// A number with a fraction or an exponent.
    Decimal,
    /// A string.
    String,
}

impl JsonToken {
    /// DynamoDB's name for the token.
    pub fn as_str(self) -> &'static str {
        match self {
            JsonToken::True => "TRUE_VALUE",
            JsonToken::False => "FALSE_VALUE",
            JsonToken::Number => "NUMBER_VALUE",
            JsonToken::Decimal => "DECIMAL_VALUE",
            JsonToken::String => "STRING_VALUE",
        }
    }
}

/// A JSON shape that does not fit the AttributeValue structure (`SerializationException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerializationError {
    /// A scalar token where a string or boolean was expected; `target` is `String` or
    /// `Boolean`.
    #[error("{} cannot be converted to {target}", token.as_str())]
    CannotConvert {
        /// What was found.
        token: JsonToken,
        /// What was expected, as DynamoDB names it.
        target: &'static str,
    },
    /// A string where a boolean was expected.
    #[error("Unexpected token received from parser")]
    UnexpectedToken,
    /// A JSON array where something else was expected; holds DynamoDB's description of the
    /// expected type, e.g. `class java.lang.String`.
    #[error("Unrecognized collection type {0}")]
    UnrecognizedCollection(&'static str),
    /// A JSON object where a scalar or a list was expected.
    #[error("Start of structure or map found where not expected")]
    StructureNotExpected,
    /// A scalar where a list (`SS`, `NS`, `BS`, `L`) or a map (`M`) was expected.
    #[error("Unexpected field type")]
    UnexpectedFieldType,
    /// A scalar where an AttributeValue object was expected (an item value, a list element,
    /// a map value).
    #[error("Unexpected value type in payload")]
    UnexpectedValueType,
    /// A non-string where base64 binary was expected.
    #[error("only base-64-encoded strings are convertible to bytes")]
    NotBase64String,
    /// Base64 text whose length is not a multiple of four.
    #[error("Base64 encoded length is expected a multiple of 4 bytes but found: {0}")]
    Base64Length(usize),
    /// Base64 text with a character or padding that cannot be decoded ("dectected" is
    /// DynamoDB's spelling).
    #[error("Invalid last non-pad Base64 character dectected")]
    Base64Invalid,
    /// A scalar where a map of attribute values (an item) was expected: DynamoDB leaks a
    /// Java cast failure.
    #[error(
        "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to \
         class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl \
         and java.lang.Class are in module java.base of loader 'bootstrap')"
    )]
    NotAnItem,
}

/// A value that has the right shape but breaks one of DynamoDB's rules
/// (`ValidationException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// No data type member is set: `{}`.
    #[error(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )]
    Empty,
    /// More than one data type member is set: `{"S": "a", "N": "1"}`.
    #[error(
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of \
         the supported datatypes"
    )]
    MultipleTypes,
    /// A number that cannot be parsed; holds the text (empty when none was given).
    #[error("The parameter cannot be converted to a numeric value{}", colon_then(.0))]
    InvalidNumber(String),
    /// A number out of DynamoDB's range or precision.
    #[error(transparent)]
    Number(NumberError),
    /// `{"SS": []}` (the double space is DynamoDB's).
    #[error("One or more parameter values were invalid: An string set  may not be empty")]
    EmptyStringSet,
    /// `{"NS": []}`.
    #[error("One or more parameter values were invalid: An number set  may not be empty")]
    EmptyNumberSet,
    /// `{"BS": []}`.
    #[error("One or more parameter values were invalid: Binary sets should not be empty")]
    EmptyBinarySet,
    /// A string set with a repeated member; holds the members as given.
    #[error(
        "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
        .0.join(", ")
    )]
    DuplicateStrings(Vec<String>),
    /// A number set with two numerically equal members.
    #[error("Input collection contains duplicates")]
    DuplicateNumbers,
    /// A binary set with a repeated member; holds the members in base64. (No space before
    /// "of": DynamoDB's text.)
    #[error(
        "One or more parameter values were invalid: Input collection [{}]of type BS contains \
         duplicates.",
        .0.join(", ")
    )]
    DuplicateBinaries(Vec<String>),
    /// A string set with a `null` member.
    #[error("One or more parameter values were invalid: String sets may not contain null values")]
    NullInStringSet,
    /// A binary set with a `null` member.
    #[error(
        "One or more parameter values were invalid: Binary sets may not contain null or empty \
         values"
    )]
    NullInBinarySet,
    /// `{"NULL": false}`.
    #[error(
        "One or more parameter values were invalid: Null attribute value types must have the \
         value of true"
    )]
    NullNotTrue,
    /// Lists and maps nested deeper than DynamoDB allows.
    #[error(
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested \
         levels beyond supported limit"
    )]
    TooDeep,
}

/// Why an attribute value or an item in DynamoDB JSON was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The JSON does not have the AttributeValue shape (`SerializationException`).
    #[error(transparent)]
    Serialization(#[from] SerializationError),
    /// The value breaks a DynamoDB rule (`ValidationException`).
    #[error(transparent)]
    Validation(#[from] ValidationError),
}

impl ValueError {
    /// Whether DynamoDB reports this as a `SerializationException` (otherwise it is a
    /// `ValidationException`).
    pub fn is_serialization(&self) -> bool {
        matches!(self, ValueError::Serialization(_))
    }

    /// The DynamoDB error type name: `SerializationException` or `ValidationException`.
    pub fn exception_name(&self) -> &'static str {
        match self {
            ValueError::Serialization(_) => "SerializationException",
            ValueError::Validation(_) => "ValidationException",
        }
    }
}

/// `": text"`, or nothing when the text is empty.
fn colon_then(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}
