//! The errors of AWS Organizations, named as AWS names them (`__type` on the wire), with the
//! messages of the Organizations API Reference and, for the two exceptions that carry one,
//! the `Reason` code.

use std::fmt;

/// The exception types this implementation raises. Every variant maps to exactly one AWS
/// error type name ([`ErrorCode::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    AccessDenied,
    NotInUse,
    AlreadyInOrganization,
    AccountNotFound,
    ParentNotFound,
    ChildNotFound,
    OrganizationalUnitNotFound,
    RootNotFound,
    PolicyNotFound,
    TargetNotFound,
    SourceParentNotFound,
    DestinationParentNotFound,
    CreateAccountStatusNotFound,
    DuplicateAccount,
    DuplicateOrganizationalUnit,
    DuplicatePolicy,
    DuplicatePolicyAttachment,
    PolicyNotAttached,
    PolicyInUse,
    PolicyTypeAlreadyEnabled,
    PolicyTypeNotEnabled,
    OrganizationalUnitNotEmpty,
    OrganizationNotEmpty,
    ConstraintViolation,
    MalformedPolicyDocument,
    InvalidInput,
    Service,
}

impl ErrorCode {
    /// The AWS error type, e.g. `AWSOrganizationsNotInUseException`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::AccessDenied => "AccessDeniedException",
            ErrorCode::NotInUse => "AWSOrganizationsNotInUseException",
            ErrorCode::AlreadyInOrganization => "AlreadyInOrganizationException",
            ErrorCode::AccountNotFound => "AccountNotFoundException",
            ErrorCode::ParentNotFound => "ParentNotFoundException",
            ErrorCode::ChildNotFound => "ChildNotFoundException",
            ErrorCode::OrganizationalUnitNotFound => "OrganizationalUnitNotFoundException",
            ErrorCode::RootNotFound => "RootNotFoundException",
            ErrorCode::PolicyNotFound => "PolicyNotFoundException",
            ErrorCode::TargetNotFound => "TargetNotFoundException",
            ErrorCode::SourceParentNotFound => "SourceParentNotFoundException",
            ErrorCode::DestinationParentNotFound => "DestinationParentNotFoundException",
            ErrorCode::CreateAccountStatusNotFound => "CreateAccountStatusNotFoundException",
            ErrorCode::DuplicateAccount => "DuplicateAccountException",
            ErrorCode::DuplicateOrganizationalUnit => "DuplicateOrganizationalUnitException",
            ErrorCode::DuplicatePolicy => "DuplicatePolicyException",
            ErrorCode::DuplicatePolicyAttachment => "DuplicatePolicyAttachmentException",
            ErrorCode::PolicyNotAttached => "PolicyNotAttachedException",
            ErrorCode::PolicyInUse => "PolicyInUseException",
            ErrorCode::PolicyTypeAlreadyEnabled => "PolicyTypeAlreadyEnabledException",
            ErrorCode::PolicyTypeNotEnabled => "PolicyTypeNotEnabledException",
            ErrorCode::OrganizationalUnitNotEmpty => "OrganizationalUnitNotEmptyException",
            ErrorCode::OrganizationNotEmpty => "OrganizationNotEmptyException",
            ErrorCode::ConstraintViolation => "ConstraintViolationException",
            ErrorCode::MalformedPolicyDocument => "MalformedPolicyDocumentException",
            ErrorCode::InvalidInput => "InvalidInputException",
            ErrorCode::Service => "ServiceException",
        }
    }

    /// The HTTP status: the Organizations API Reference lists 400 for every client error and
    /// 500 for `ServiceException`.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::Service => 500,
            _ => 400,
        }
    }

    /// The message AWS documents for the exception.
    fn default_message(self) -> &'static str {
        match self {
            ErrorCode::AccessDenied => "You don't have permissions to access this resource.",
            ErrorCode::NotInUse => "Your account is not a member of an organization.",
            ErrorCode::AlreadyInOrganization => {
                "This account is already a member of an organization. An account can belong to only one organization at a time."
            }
            ErrorCode::AccountNotFound => "You specified an account that doesn't exist.",
            ErrorCode::ParentNotFound => {
                "We can't find a root or OU with the ParentId that you specified."
            }
            ErrorCode::ChildNotFound => {
                "We can't find an organizational unit (OU) or Amazon Web Services account with the ChildId that you specified."
            }
            ErrorCode::OrganizationalUnitNotFound => {
                "We can't find an OU with the OrganizationalUnitId that you specified."
            }
            ErrorCode::RootNotFound => "We can't find a root with the RootId that you specified.",
            ErrorCode::PolicyNotFound => {
                "We can't find a policy with the PolicyId that you specified."
            }
            ErrorCode::TargetNotFound => {
                "We can't find a root, OU, account, or policy with the TargetId that you specified."
            }
            ErrorCode::SourceParentNotFound => {
                "We can't find a source root or OU with the ParentId that you specified."
            }
            ErrorCode::DestinationParentNotFound => {
                "We can't find the destination container (a root or OU) with the ParentId that you specified."
            }
            ErrorCode::CreateAccountStatusNotFound => {
                "We can't find a create account request with the CreateAccountRequestId that you specified."
            }
            ErrorCode::DuplicateAccount => {
                "That account is already present in the specified destination."
            }
            ErrorCode::DuplicateOrganizationalUnit => "An OU with the same name already exists.",
            ErrorCode::DuplicatePolicy => "A policy with the same name already exists.",
            ErrorCode::DuplicatePolicyAttachment => {
                "The selected policy is already attached to the specified target."
            }
            ErrorCode::PolicyNotAttached => {
                "The policy isn't attached to the specified target in the specified root."
            }
            ErrorCode::PolicyInUse => {
                "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation."
            }
            ErrorCode::PolicyTypeAlreadyEnabled => "The specified policy type is already enabled.",
            ErrorCode::PolicyTypeNotEnabled => {
                "The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root."
            }
            ErrorCode::OrganizationalUnitNotEmpty => {
                "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again."
            }
            ErrorCode::OrganizationNotEmpty => {
                "The organization isn't empty. To delete an organization, you must first remove all accounts except the management account."
            }
            ErrorCode::ConstraintViolation => {
                "Performing this operation violates a minimum or maximum value limit."
            }
            ErrorCode::MalformedPolicyDocument => {
                "The provided policy document doesn't meet the requirements of the specified policy type."
            }
            ErrorCode::InvalidInput => {
                "The requested operation failed because you provided invalid values for one or more of the request parameters."
            }
            ErrorCode::Service => {
                "Organizations can't complete your request because of an internal service error. Try again later."
            }
        }
    }
}

/// A failed Organizations call, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct OrgError {
    /// The exception type.
    pub code: ErrorCode,
    /// The message (`Message` on the wire).
    pub message: String,
    /// `Reason` of a `ConstraintViolationException` or `InvalidInputException`.
    pub reason: Option<&'static str>,
}

impl fmt::Display for OrgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            Some(r) => write!(f, "{} ({r}): {}", self.code.name(), self.message),
            None => write!(f, "{}: {}", self.code.name(), self.message),
        }
    }
}

impl From<ErrorCode> for OrgError {
    fn from(code: ErrorCode) -> OrgError {
        OrgError {
            code,
            message: code.default_message().to_string(),
            reason: None,
        }
    }
}

impl OrgError {
    /// The exception with AWS's documented message.
    pub fn new(code: ErrorCode) -> OrgError {
        OrgError::from(code)
    }

    /// A `ConstraintViolationException` with its reason code.
    pub fn constraint(reason: &'static str) -> OrgError {
        let message = match reason {
            "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" => {
                "You have attached the maximum number of policies to the specified target."
            }
            "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" => {
                "You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required."
            }
            "OU_DEPTH_LIMIT_EXCEEDED" => {
                "You attempted to create an OU tree that is too many levels deep."
            }
            "OU_NUMBER_LIMIT_EXCEEDED" => {
                "You attempted to exceed the number of OUs that you can have in an organization."
            }
            "POLICY_NUMBER_LIMIT_EXCEEDED" => {
                "You attempted to exceed the number of policies that you can have in an organization."
            }
            "POLICY_CONTENT_LIMIT_EXCEEDED" => {
                "You attempted to create a policy that is larger than the maximum size."
            }
            "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE" => {
                "You attempted to perform an operation that requires the organization to be configured to support all features."
            }
            "ACCOUNT_CANNOT_LEAVE_ORGANIZATION" => {
                "You attempted to remove the management account from the organization. You can't remove the management account. Instead, after you remove all member accounts, delete the organization itself."
            }
            "ACCOUNT_NUMBER_LIMIT_EXCEEDED" => {
                "You attempted to exceed the limit on the number of accounts in an organization."
            }
            _ => ErrorCode::ConstraintViolation.default_message(),
        };
        OrgError {
            code: ErrorCode::ConstraintViolation,
            message: message.to_string(),
            reason: Some(reason),
        }
    }

    /// An `InvalidInputException` with its reason code and a message naming the problem.
    pub fn invalid(reason: &'static str, message: impl Into<String>) -> OrgError {
        OrgError {
            code: ErrorCode::InvalidInput,
            message: message.into(),
            reason: Some(reason),
        }
    }

    /// An internal failure (storage); the client sees `ServiceException`.
    pub fn service(detail: impl fmt::Display) -> OrgError {
        tracing::error!(error = %detail, "organizations: internal failure");
        OrgError::new(ErrorCode::Service)
    }
}
