//! Errors of the expression language. Every one of them is a `ValidationException` in
//! DynamoDB; `Display` gives DynamoDB's message text.

use std::fmt;

use palisade_model::NumberError;

/// Which request parameter an expression came from; it names the expression in messages
/// (`Invalid ConditionExpression: ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExprKind {
    /// `ConditionExpression` of PutItem, UpdateItem, DeleteItem and transactions.
    Condition,
    /// `FilterExpression` of Query and Scan.
    Filter,
    /// `KeyConditionExpression` of Query.
    KeyCondition,
    /// `ProjectionExpression`.
    Projection,
    /// `UpdateExpression` of UpdateItem.
    Update,
}

impl ExprKind {
    /// The request parameter name, as DynamoDB writes it in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ExprKind::Condition => "ConditionExpression",
            ExprKind::Filter => "FilterExpression",
            ExprKind::KeyCondition => "KeyConditionExpression",
            ExprKind::Projection => "ProjectionExpression",
            ExprKind::Update => "UpdateExpression",
        }
    }
}

impl fmt::Display for ExprKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with one expression. Displayed after `Invalid <kind>: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("Syntax error; token: \"{token}\", near: \"{near}\"")]
    Syntax { token: String, near: String },
    #[error("The expression can not be empty;")]
    Empty,
    #[error("Expression size has exceeded the maximum allowed size; expression size: {0}")]
    TooLarge(usize),
    #[error("The expression contains too many operators; operator count: {0}")]
    TooManyOperators(usize),
    #[error("The expression has too many nesting levels; nesting levels: {0}")]
    NestingTooDeep(usize),
    #[error("The IN operator is provided with too many operands; number of operands: {0}")]
    TooManyInOperands(usize),
    #[error("The expression has redundant parentheses;")]
    RedundantParentheses,
    #[error("Attribute name is a reserved keyword; reserved keyword: {0}")]
    ReservedKeyword(String),
    #[error("Invalid function name; function: {0}")]
    UnknownFunction(String),
    #[error("The function is not allowed in a condition expression; function: {0}")]
    FunctionNotAllowedInCondition(String),
    #[error("The function is not allowed in an update expression; function: {0}")]
    FunctionNotAllowedInUpdate(String),
    #[error("The function is not allowed to be used this way in an expression; function: {0}")]
    FunctionMisused(String),
    #[error(
        "Invalid attribute type name found; type: {0}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
    )]
    InvalidTypeName(String),
    #[error("The \"{0}\" section can only be used once in an update expression;")]
    DuplicateSection(&'static str),
    #[error("The document path has too many nesting levels; nesting levels: {0}")]
    PathTooDeep(usize),
    #[error("List index is not within the allowable range; index: [{0}]")]
    ListIndexOutOfRange(String),
    #[error(
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {0}, path two: {1}"
    )]
    PathOverlap(String, String),
    #[error(
        "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {0}, path two: {1}"
    )]
    PathConflict(String, String),
    #[error(
        "An expression attribute name used in the document path is not defined; attribute name: {0}"
    )]
    UndefinedName(String),
    #[error(
        "An expression attribute value used in expression is not defined; attribute value: {0}"
    )]
    UndefinedValue(String),
    #[error(
        "Incorrect number of operands for operator or function; operator or function: {op}, number of operands: {count}"
    )]
    OperandCount { op: String, count: usize },
    #[error(
        "Incorrect operand type for operator or function; operator or function: {op}, operand type: {ty}"
    )]
    OperandType { op: String, ty: String },
    #[error(
        "Incorrect operand type for operator or function; operator: {op}, operand type: {ty}, typeSet: ALLOWED_FOR_{op}_OPERAND"
    )]
    ActionOperandType { op: &'static str, ty: &'static str },
    #[error("Operator or function requires a document path; operator or function: {0}")]
    RequiresPath(String),
    #[error(
        "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {first}"
    )]
    NotDistinct { op: String, first: String },
    #[error(
        "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {0}, upper bound operand: AttributeValue: {1}"
    )]
    BetweenTypes(String, String),
    #[error(
        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {0}, upper bound operand: AttributeValue: {1}"
    )]
    BetweenOrder(String, String),
}

/// An expression-language error. All are `ValidationException`s; `Display` is the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    /// An expression failed to parse or validate.
    #[error("Invalid {kind}: {problem}")]
    Invalid { kind: ExprKind, problem: Invalid },
    /// Names in `ExpressionAttributeNames` that no expression used.
    #[error("Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}", .0.join(", "))]
    UnusedNames(Vec<String>),
    /// Values in `ExpressionAttributeValues` that no expression used.
    #[error("Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}", .0.join(", "))]
    UnusedValues(Vec<String>),
    /// `ExpressionAttributeNames` or `ExpressionAttributeValues` was given but empty.
    #[error("{0} must not be empty")]
    EmptyMap(&'static str),
    /// A key of `ExpressionAttributeNames` / `ExpressionAttributeValues` is not a valid
    /// `#name` / `:name` placeholder.
    #[error("{map} contains invalid key: Syntax error; key: \"{key}\"")]
    InvalidMapKey { map: &'static str, key: String },
    /// A key of `ExpressionAttributeNames` / `ExpressionAttributeValues` is longer than
    /// 255 bytes.
    #[error(
        "{map} contains invalid key: The expression attribute map contains a key that is too long; size of key: {size}"
    )]
    MapKeyTooLong { map: &'static str, size: usize },
    /// An `ExpressionAttributeNames` entry maps to the empty string.
    #[error("ExpressionAttributeNames contains invalid value: Empty attribute name for key {0}")]
    EmptyAttributeName(String),
    /// A key condition does not name the partition key (or a required key attribute).
    #[error("Query condition missed key schema element: {0}")]
    MissedKeyElement(String),
    /// A key condition uses a non-key attribute or an operator the key does not allow.
    #[error("Query key condition not supported")]
    KeyConditionNotSupported,
    /// A key condition uses an operator or function other than `=`, `<`, `<=`, `>`, `>=`,
    /// `BETWEEN`, `begins_with` and `AND`.
    #[error("Invalid operator used in KeyConditionExpression: {0}")]
    KeyInvalidOperator(String),
    /// A key condition applies `size` to a key.
    #[error("KeyConditionExpressions cannot contain nested operations")]
    KeyNestedOperation,
    /// A key condition names a nested attribute.
    #[error("KeyConditionExpressions cannot have conditions on nested attributes")]
    KeyNestedAttribute,
    /// `BETWEEN` or `begins_with` whose first operand is not the key attribute.
    #[error(
        "Invalid condition in KeyConditionExpression: {0} operator must have the key attribute as its first operand"
    )]
    KeyAttributeNotFirst(&'static str),
    /// One key condition names two attributes.
    #[error(
        "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
    )]
    KeyMultipleAttributes,
    /// One key condition names no attribute.
    #[error("Invalid condition in KeyConditionExpression: No key attribute specified")]
    KeyNoAttribute,
    /// Two conditions on the same key attribute.
    #[error("KeyConditionExpressions must only contain one condition per key")]
    KeyConditionDuplicate,
    /// A key condition value's type differs from the key attribute's type.
    #[error(
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    )]
    KeyTypeMismatch,
    /// A legacy parameter (`Expected`, `KeyConditions`, `QueryFilter`, `ScanFilter`,
    /// `AttributesToGet`, `AttributeUpdates`) is invalid; the text is DynamoDB's.
    #[error("{0}")]
    Legacy(String),
    /// An update refers to an attribute the item does not have (`SET a = b` with no `b`).
    #[error("The provided expression refers to an attribute that does not exist in the item")]
    MissingAttribute,
    /// An update operand has the wrong type at run time (`SET a = b + :one` with `b` a string).
    #[error("An operand in the update expression has an incorrect data type")]
    IncorrectDataType,
    /// A legacy `AttributeUpdates` ADD or DELETE meets an attribute of another type.
    #[error("Type mismatch for attribute to update")]
    LegacyTypeMismatch,
    /// An update path goes through an attribute that is missing or not a map/list.
    #[error("The document path provided in the update expression is invalid for update")]
    InvalidDocumentPath,
    /// Arithmetic produced a number DynamoDB cannot store.
    #[error("{0}")]
    Number(#[from] NumberError),
}

impl ExprError {
    /// Builds an [`ExprError::Invalid`].
    pub fn invalid(kind: ExprKind, problem: Invalid) -> ExprError {
        ExprError::Invalid { kind, problem }
    }
}
