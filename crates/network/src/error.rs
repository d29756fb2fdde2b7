//! The errors of the network model, each with the EC2 error code it is reported as.

/// Why a change of the network model was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// No VPC with this id (or not one of the caller's).
    #[error("The vpc ID '{0}' does not exist")]
    VpcNotFound(String),
    /// No VPC endpoint with this id (or not one of the caller's).
    #[error("The Vpc Endpoint Id '{0}' does not exist")]
    EndpointNotFound(String),
    /// A parameter has a value EC2 refuses; the message names it.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// A VPC CIDR block outside the sizes EC2 allows (`/16` to `/28`).
    #[error("The CIDR '{0}' is invalid.")]
    InvalidVpcRange(String),
    /// A VPC endpoint policy that is not a valid policy document.
    #[error("The Policy Document is not valid. {0}")]
    InvalidPolicyDocument(String),
    /// A VPC that still has endpoints.
    #[error("The vpc '{0}' has dependencies and cannot be deleted.")]
    DependencyViolation(String),
    /// The storage backend failed; never the client's fault.
    #[error("network store failure: {0}")]
    Storage(String),
}

impl NetworkError {
    /// The EC2 error code (`<Code>` in EC2's error document).
    pub fn code(&self) -> &'static str {
        match self {
            NetworkError::VpcNotFound(_) => "InvalidVpcID.NotFound",
            NetworkError::EndpointNotFound(_) => "InvalidVpcEndpointId.NotFound",
            NetworkError::InvalidParameterValue(_) => "InvalidParameterValue",
            NetworkError::InvalidVpcRange(_) => "InvalidVpc.Range",
            NetworkError::InvalidPolicyDocument(_) => "InvalidPolicyDocument",
            NetworkError::DependencyViolation(_) => "DependencyViolation",
            NetworkError::Storage(_) => "InternalError",
        }
    }

    /// Whether the client caused the error (as opposed to a failure of the server).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, NetworkError::Storage(_))
    }

    pub(crate) fn storage(e: impl std::fmt::Display) -> NetworkError {
        NetworkError::Storage(e.to_string())
    }
}
