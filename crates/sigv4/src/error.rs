//! The authentication errors a DynamoDB-compatible endpoint reports, with DynamoDB's type names and
//! messages.

use thiserror::Error;

/// Why a request failed SigV4 authentication.
///
/// [`AuthError::type_name`] gives the short DynamoDB error type (the part after
/// `com.amazon.coral.service#` in the `__type` field) and `Display` gives the exact `message` text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// Neither an `Authorization` header with a SigV4 scheme nor an `X-Amz-Algorithm` query
    /// parameter is present.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,

    /// Required components of the Authorization header or of the presigned query string are
    /// missing. The message is DynamoDB's concatenation, e.g.
    /// `Authorization header requires 'Signature' parameter. Authorization=<header>`.
    #[error("{message}")]
    IncompleteSignature {
        /// The full message text.
        message: String,
    },

    /// The credential does not have exactly five slash-separated elements.
    #[error(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
    )]
    MalformedCredential {
        /// The credential as sent.
        credential: String,
    },

    /// The request date is not `YYYYMMDDTHHMMSSZ`.
    #[error(
        "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )]
    MalformedDate {
        /// The date as sent.
        date: String,
    },

    /// The signing algorithm is not `AWS4-HMAC-SHA256`.
    #[error("Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). ")]
    UnsupportedAlgorithm {
        /// The algorithm as sent.
        algorithm: String,
    },

    /// Both header and query-string authentication were supplied.
    #[error(
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    )]
    BothAuthenticationForms,

    /// The recomputed signature differs from the one supplied.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )]
    SignatureMismatch,

    /// The request timestamp (or, for a presigned URL, its expiry) lies too far in the past.
    #[error("Signature expired: {request} is now earlier than {earliest} ({now} - {window}.)")]
    SignatureExpired {
        /// The request timestamp, `YYYYMMDDTHHMMSSZ`.
        request: String,
        /// The earliest accepted timestamp.
        earliest: String,
        /// The server time.
        now: String,
        /// The window, e.g. `5 min`.
        window: String,
    },

    /// The request timestamp lies too far in the future.
    #[error(
        "Signature not yet current: {request} is still later than {latest} ({now} + {window}.)"
    )]
    SignatureNotYetCurrent {
        /// The request timestamp, `YYYYMMDDTHHMMSSZ`.
        request: String,
        /// The latest accepted timestamp.
        latest: String,
        /// The server time.
        now: String,
        /// The window, e.g. `5 min`.
        window: String,
    },

    /// `host` is not among the signed headers.
    #[error("'Host' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,

    /// The credential scope names the wrong region, service, terminator or date; the message joins
    /// every scope problem found with spaces.
    #[error("{message}")]
    CredentialScope {
        /// The full message text.
        message: String,
    },

    /// The access key id is unknown (reported by the caller after its key lookup).
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,

    /// The `X-Amz-Security-Token` does not belong to the access key (reported by the caller).
    /// Real DynamoDB uses the same type as [`AuthError::UnrecognizedClient`] without the final
    /// period.
    #[error("The security token included in the request is invalid")]
    InvalidSecurityToken,

    /// The temporary credentials have expired (reported by the caller).
    #[error("The security token included in the request is expired")]
    ExpiredToken,
}

impl AuthError {
    /// The short DynamoDB error type, e.g. `"IncompleteSignatureException"`.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::IncompleteSignature { .. }
            | Self::MalformedCredential { .. }
            | Self::MalformedDate { .. }
            | Self::UnsupportedAlgorithm { .. } => "IncompleteSignatureException",
            Self::BothAuthenticationForms
            | Self::SignatureMismatch
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::HostNotSigned
            | Self::CredentialScope { .. } => "InvalidSignatureException",
            Self::UnrecognizedClient | Self::InvalidSecurityToken => "UnrecognizedClientException",
            Self::ExpiredToken => "ExpiredTokenException",
        }
    }
}
