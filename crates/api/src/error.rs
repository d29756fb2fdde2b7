//! The one error type that reaches the wire, with its exhaustive mapping to DynamoDB's error
//! types (`__type`) and HTTP statuses.

/// What a DynamoDB request can fail with, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    /// Further members of the error body (`Item` of a failed condition, `CancellationReasons`
    /// of a cancelled transaction).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// DynamoDB's error types. Every variant maps to exactly one `__type` and status below; add a
/// variant rather than reuse one whose name a client would misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    // Protocol and authentication errors (the `com.amazon.coral.*` family).
    UnknownOperation,
    SerializationException,
    MissingAuthenticationToken,
    IncompleteSignature,
    InvalidSignature,
    UnrecognizedClient,
    ExpiredToken,
    RequestEntityTooLarge,
    InternalFailure,
    // Service errors (`com.amazonaws.dynamodb.v20120810#…`).
    Validation,
    AccessDenied,
    ResourceNotFound,
    ResourceInUse,
    ConditionalCheckFailed,
    TransactionCanceled,
    TransactionConflict,
    TransactionInProgress,
    IdempotentParameterMismatch,
    ItemCollectionSizeLimitExceeded,
    LimitExceeded,
    ProvisionedThroughputExceeded,
    RequestLimitExceeded,
    PolicyNotFound,
    DuplicateItem,
    InternalServerError,
}

impl ErrorKind {
    /// The `__type` value of DynamoDB's JSON error body.
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::UnknownOperation => "com.amazon.coral.service#UnknownOperationException",
            ErrorKind::SerializationException => "com.amazon.coral.service#SerializationException",
            ErrorKind::MissingAuthenticationToken => {
                "com.amazon.coral.service#MissingAuthenticationTokenException"
            }
            ErrorKind::IncompleteSignature => {
                "com.amazon.coral.service#IncompleteSignatureException"
            }
            ErrorKind::InvalidSignature => "com.amazon.coral.service#InvalidSignatureException",
            ErrorKind::UnrecognizedClient => "com.amazon.coral.service#UnrecognizedClientException",
            ErrorKind::ExpiredToken => "com.amazon.coral.service#ExpiredTokenException",
            ErrorKind::RequestEntityTooLarge => "com.amazon.coral.service#RequestEntityTooLarge",
            ErrorKind::InternalFailure => "com.amazon.coral.service#InternalFailure",
            ErrorKind::Validation => "com.amazon.coral.validate#ValidationException",
            ErrorKind::AccessDenied => "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
            ErrorKind::ResourceNotFound => {
                "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
            }
            ErrorKind::ResourceInUse => "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
            ErrorKind::ConditionalCheckFailed => {
                "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
            }
            ErrorKind::TransactionCanceled => {
                "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
            }
            ErrorKind::TransactionConflict => {
                "com.amazonaws.dynamodb.v20120810#TransactionConflictException"
            }
            ErrorKind::TransactionInProgress => {
                "com.amazonaws.dynamodb.v20120810#TransactionInProgressException"
            }
            ErrorKind::IdempotentParameterMismatch => {
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"
            }
            ErrorKind::ItemCollectionSizeLimitExceeded => {
                "com.amazonaws.dynamodb.v20120810#ItemCollectionSizeLimitExceededException"
            }
            ErrorKind::LimitExceeded => "com.amazonaws.dynamodb.v20120810#LimitExceededException",
            ErrorKind::ProvisionedThroughputExceeded => {
                "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
            }
            ErrorKind::RequestLimitExceeded => {
                "com.amazonaws.dynamodb.v20120810#RequestLimitExceeded"
            }
            ErrorKind::PolicyNotFound => "com.amazonaws.dynamodb.v20120810#PolicyNotFoundException",
            ErrorKind::DuplicateItem => "com.amazonaws.dynamodb.v20120810#DuplicateItemException",
            ErrorKind::InternalServerError => {
                "com.amazonaws.dynamodb.v20120810#InternalServerError"
            }
        }
    }

    /// The HTTP status DynamoDB answers with.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::UnknownOperation
            | ErrorKind::SerializationException
            | ErrorKind::MissingAuthenticationToken
            | ErrorKind::IncompleteSignature
            | ErrorKind::InvalidSignature
            | ErrorKind::UnrecognizedClient
            | ErrorKind::ExpiredToken
            | ErrorKind::Validation
            | ErrorKind::AccessDenied
            | ErrorKind::ResourceNotFound
            | ErrorKind::ResourceInUse
            | ErrorKind::ConditionalCheckFailed
            | ErrorKind::TransactionCanceled
            | ErrorKind::TransactionConflict
            | ErrorKind::TransactionInProgress
            | ErrorKind::IdempotentParameterMismatch
            | ErrorKind::ItemCollectionSizeLimitExceeded
            | ErrorKind::LimitExceeded
            | ErrorKind::ProvisionedThroughputExceeded
            | ErrorKind::RequestLimitExceeded
            | ErrorKind::PolicyNotFound
            | ErrorKind::DuplicateItem => 400,
            ErrorKind::RequestEntityTooLarge => 413,
            ErrorKind::InternalFailure | ErrorKind::InternalServerError => 500,
        }
    }
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
            extra: serde_json::Map::new(),
        }
    }

    /// A `ValidationException` with DynamoDB's message.
    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Validation, message)
    }

    /// A `SerializationException` (the request body does not match the operation's shape).
    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::SerializationException, message)
    }

    /// A `ResourceNotFoundException`.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::ResourceNotFound, message)
    }

    /// A failure that is ours, not the client's. The message given to the client is generic;
    /// the detail is for the log.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(%detail, "internal error");
        ApiError::new(ErrorKind::InternalServerError, "Internal server error")
    }
}
