//! Errors: the ones IAM and STS report to clients (with AWS's codes and messages) and the
//! ones that are the server's own fault (storage, secrets).

use palisade_storage::StorageError;

/// The AWS error codes the directory reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    NoSuchEntity,
    EntityAlreadyExists,
    DeleteConflict,
    LimitExceeded,
    MalformedPolicyDocument,
    ValidationError,
    InvalidInput,
    AccessDenied,
    PackedPolicyTooLarge,
}

impl ErrorCode {
    /// The `<Code>` text.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NoSuchEntity => "NoSuchEntity",
            ErrorCode::EntityAlreadyExists => "EntityAlreadyExists",
            ErrorCode::DeleteConflict => "DeleteConflict",
            ErrorCode::LimitExceeded => "LimitExceeded",
            ErrorCode::MalformedPolicyDocument => "MalformedPolicyDocument",
            ErrorCode::ValidationError => "ValidationError",
            ErrorCode::InvalidInput => "InvalidInput",
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::PackedPolicyTooLarge => "PackedPolicyTooLarge",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::NoSuchEntity => 404,
            ErrorCode::EntityAlreadyExists | ErrorCode::DeleteConflict => 409,
            ErrorCode::LimitExceeded => 409,
            ErrorCode::AccessDenied => 403,
            _ => 400,
        }
    }
}

/// A failure of a directory operation.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// A client error, reported to the caller with AWS's code and message.
    #[error("{code:?}: {message}")]
    Aws { code: ErrorCode, message: String },
    /// The storage backend failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A stored record could not be read back.
    #[error("identity directory data is corrupt: {0}")]
    Corrupt(String),
    /// The key-encryption key could not be loaded or does not open the stored secrets.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl DirectoryError {
    /// A client error.
    pub fn aws(code: ErrorCode, message: impl Into<String>) -> DirectoryError {
        DirectoryError::Aws {
            code,
            message: message.into(),
        }
    }

    /// The AWS code, if this is a client error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            DirectoryError::Aws { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The client-visible message, if this is a client error.
    pub fn aws_message(&self) -> Option<&str> {
        match self {
            DirectoryError::Aws { message, .. } => Some(message),
            _ => None,
        }
    }
}

/// Problems with the key-encryption key or an encrypted secret.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("cannot read or create the key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error(
        "the key-encryption key must be 32 bytes (raw in a key file, base64 in an environment variable); got {0}"
    )]
    KeyLength(String),
    #[error(
        "the secret of {what} was encrypted with key id {key_id}, which is not among the configured key-encryption keys ({available}); start with the key it was written with"
    )]
    UnknownKey {
        what: String,
        key_id: String,
        available: String,
    },
    #[error(
        "the secret of {what} does not decrypt with key id {key_id}: wrong key-encryption key or tampered data"
    )]
    Decrypt { what: String, key_id: String },
    #[error("encryption failed")]
    Encrypt,
}

/// Shorthand for directory results.
pub type Result<T, E = DirectoryError> = std::result::Result<T, E>;

pub(crate) fn no_such(message: impl Into<String>) -> DirectoryError {
    DirectoryError::aws(ErrorCode::NoSuchEntity, message)
}

pub(crate) fn exists(message: impl Into<String>) -> DirectoryError {
    DirectoryError::aws(ErrorCode::EntityAlreadyExists, message)
}

pub(crate) fn conflict(message: impl Into<String>) -> DirectoryError {
    DirectoryError::aws(ErrorCode::DeleteConflict, message)
}

pub(crate) fn limit(message: impl Into<String>) -> DirectoryError {
    DirectoryError::aws(ErrorCode::LimitExceeded, message)
}

pub(crate) fn invalid(message: impl Into<String>) -> DirectoryError {
    DirectoryError::aws(ErrorCode::ValidationError, message)
}

pub(crate) fn invalid_input(message: impl Into<String>) -> DirectoryError {
    DirectoryError::aws(ErrorCode::InvalidInput, message)
}

pub(crate) fn malformed(message: impl Into<String>) -> DirectoryError {
    DirectoryError::aws(ErrorCode::MalformedPolicyDocument, message)
}
