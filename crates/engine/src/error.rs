//! Errors of table operations, each one a DynamoDB error the API layer maps one to one.

use palisade_model::Item;

/// Why a table operation failed.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineError {
    /// `ValidationException` with DynamoDB's message.
    Validation(String),
    /// `ResourceNotFoundException`.
    ResourceNotFound(String),
    /// `ResourceInUseException`.
    ResourceInUse(String),
    /// `LimitExceededException`.
    LimitExceeded(String),
    /// `ConditionalCheckFailedException`, with the item when the caller asked for it
    /// (ReturnValuesOnConditionCheckFailure = ALL_OLD).
    ConditionalCheckFailed { item: Option<Item> },
    /// `TransactionCanceledException` with one reason per action, in request order.
    TransactionCanceled(Vec<CancellationReason>),
    /// `IdempotentParameterMismatchException`.
    IdempotentParameterMismatch(String),
    /// `ItemCollectionSizeLimitExceededException`.
    ItemCollectionSizeLimitExceeded(String),
    /// `PolicyNotFoundException`.
    PolicyNotFound(String),
    /// Our failure, not the client's (storage, corruption); the detail is for the log.
    Internal(String),
}

/// Why one action of a transaction was cancelled.
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationReason {
    /// `None`, `ConditionalCheckFailed`, `ValidationError`, `TransactionConflict`, ...
    pub code: String,
    pub message: Option<String>,
    pub item: Option<Item>,
}

impl CancellationReason {
    /// The reason of an action that did not cause the cancellation.
    pub fn none() -> CancellationReason {
        CancellationReason {
            code: "None".into(),
            message: None,
            item: None,
        }
    }
}

impl EngineError {
    pub fn validation(message: impl Into<String>) -> EngineError {
        EngineError::Validation(message.into())
    }

    /// The error DynamoDB gives for an operation on a table that does not exist.
    pub fn table_not_found() -> EngineError {
        EngineError::ResourceNotFound("Requested resource not found".into())
    }

    pub fn internal(detail: impl std::fmt::Display) -> EngineError {
        EngineError::Internal(detail.to_string())
    }
}

impl From<palisade_storage::StorageError> for EngineError {
    fn from(e: palisade_storage::StorageError) -> EngineError {
        EngineError::internal(e)
    }
}

impl From<crate::codec::DecodeError> for EngineError {
    fn from(e: crate::codec::DecodeError) -> EngineError {
        EngineError::internal(e)
    }
}

/// Shorthand for engine results.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
