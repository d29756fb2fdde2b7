//! IAM and STS over AWS's Query protocol (form-encoded requests, XML responses).
//!
//! The lead's pipeline authenticates the request (SigV4 against
//! [`palisade_directory::Directory::lookup_access_key`]), decodes the form with
//! [`crate::query::parse_form`], authorizes with [`required_action`] and the policy engine,
//! then calls [`handle`], which runs the operation on the directory and renders AWS's XML.
//! `sts:AssumeRole` is special: `Directory::assume_role` (called by [`handle`]) already
//! evaluates the role's trust policy together with the caller's identity policies,
//! boundary and session policies (same- and cross-account rules). The pipeline must not
//! deny it for lack of an identity-policy allow (a trust policy naming the caller grants
//! directly); only organization and endpoint policies (SCPs, RCPs, VPC endpoint) remain to
//! be applied there. `sts:GetCallerIdentity` needs no permission ([`required_action`]
//! returns `None`).
//!
//! Responses are `text/xml`; the HTTP status is in [`QueryResponse::status`]. A denied call
//! is answered with `QueryError::access_denied(message).to_response(service, request_id)`.

mod form;
mod ops_iam;
mod ops_policies;
mod ops_sts;
mod shapes;
mod xml;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_sts;

use palisade_directory::{Caller, Directory, DirectoryError, ErrorCode, PrincipalKind};

pub use form::Params;
pub use xml::url_encode;

/// The IAM XML namespace.
pub const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
/// The STS XML namespace.
pub const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Which Query service a request is for (by SigV4 scope service or endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Iam,
    Sts,
}

impl Service {
    /// The XML namespace of responses.
    pub fn namespace(self) -> &'static str {
        match self {
            Service::Iam => IAM_NS,
            Service::Sts => STS_NS,
        }
    }

    /// The API version the service expects in `Version=`.
    pub fn version(self) -> &'static str {
        match self {
            Service::Iam => "2010-05-08",
            Service::Sts => "2011-06-15",
        }
    }

    /// The action prefix in policies.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }
}

/// What [`handle`] returns: the HTTP status and the XML body (`Content-Type: text/xml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryResponse {
    pub status: u16,
    pub body: String,
}

/// An error of one Query request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub code: String,
    pub message: String,
    pub status: u16,
    /// `Sender` (client fault) or `Receiver` (server fault).
    pub sender: bool,
}

impl QueryError {
    pub fn new(code: &str, status: u16, message: impl Into<String>) -> QueryError {
        QueryError {
            code: code.to_owned(),
            message: message.into(),
            status,
            sender: status < 500,
        }
    }

    /// `ValidationError` (400).
    pub fn validation(message: impl Into<String>) -> QueryError {
        QueryError::new("ValidationError", 400, message)
    }

    /// `AccessDenied` (403), e.g. when the lead's authorization denies the call.
    pub fn access_denied(message: impl Into<String>) -> QueryError {
        QueryError::new("AccessDenied", 403, message)
    }

    /// Renders the `ErrorResponse` document.
    pub fn to_response(&self, service: Service, request_id: &str) -> QueryResponse {
        QueryResponse {
            status: self.status,
            body: xml::error(
                service.namespace(),
                self.sender,
                &self.code,
                &self.message,
                request_id,
            ),
        }
    }
}

impl From<DirectoryError> for QueryError {
    fn from(e: DirectoryError) -> QueryError {
        match e {
            DirectoryError::Aws { code, message } => {
                QueryError::new(code.as_str(), code.http_status(), message)
            }
            other => {
                tracing::error!(error = %other, "identity directory failure");
                QueryError::new(
                    "ServiceFailure",
                    500,
                    "The request processing has failed because of an unknown error, exception or failure.",
                )
            }
        }
    }
}

/// The permission one call needs: `iam:CreateUser` on the user's ARN, ... `None` for calls
/// that need none (`sts:GetCallerIdentity`). Unknown actions also give `None` (and fail in
/// [`handle`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredAction {
    /// `iam:CreateUser`, `sts:AssumeRole`, ...
    pub action: String,
    /// The resource ARN (or `*`).
    pub resource: String,
    /// Condition keys of the request to add to the request context: `aws:RequestTag/K`,
    /// `aws:TagKeys`, `aws:ResourceTag/K` and `iam:ResourceTag/K` of the user or role,
    /// `iam:PermissionsBoundary`, `iam:PolicyARN`.
    pub context: Vec<(String, palisade_iam::ContextValue)>,
}

/// The seam for authorization: which action and resource the lead must authorize for this
/// request before calling [`handle`].
pub fn required_action(
    dir: &Directory,
    caller: &Caller,
    service: Service,
    params: &[(String, String)],
) -> Option<RequiredAction> {
    let p = Params::new(params);
    let action = p.get("Action")?;
    match service {
        Service::Sts => ops_sts::required(caller, action, &p),
        Service::Iam => ops_iam::required(dir, caller, action, &p),
    }
}

/// Runs one IAM or STS request for an authenticated `caller` and renders the XML answer.
pub async fn handle(
    dir: &Directory,
    caller: &Caller,
    service: Service,
    params: &[(String, String)],
    request_id: &str,
) -> QueryResponse {
    let p = Params::new(params);
    let Some(action) = p.get("Action") else {
        return QueryError::new("MissingAction", 400, "Missing Action")
            .to_response(service, request_id);
    };
    let result = match service {
        Service::Iam => ops_iam::run(dir, caller, action, &p).await,
        Service::Sts => ops_sts::run(dir, caller, action, &p).await,
    };
    match result {
        Ok(Some(inner)) => QueryResponse {
            status: 200,
            body: xml::envelope(action, service.namespace(), &inner, request_id),
        },
        Ok(None) => QueryError::new(
            "InvalidAction",
            400,
            format!(
                "Could not find operation {action} for version {}",
                p.get("Version").unwrap_or(service.version())
            ),
        )
        .to_response(service, request_id),
        Err(e) => e.to_response(service, request_id),
    }
}

/// The user an operation with an optional `UserName` is about: the given one, or the
/// calling IAM user.
pub(crate) fn user_or_caller<'a>(
    p: &Params<'a>,
    caller: &'a Caller,
) -> Result<&'a str, QueryError> {
    if let Some(u) = p.get("UserName") {
        return Ok(u);
    }
    match (&caller.username, caller.kind) {
        (Some(u), PrincipalKind::User) => Ok(u),
        _ => Err(QueryError::validation(
            "Must specify userName when calling with non-User credentials",
        )),
    }
}

/// The `PathPrefix` parameter, checked against IAM's pattern `\u002F[\u0021-\u007F]*`.
pub(crate) fn path_prefix<'a>(p: &Params<'a>) -> Result<Option<&'a str>, QueryError> {
    let Some(v) = p.get("PathPrefix") else {
        return Ok(None);
    };
    let ok = v.starts_with('/') && v.len() <= 512 && v.bytes().all(|b| (0x21..=0x7f).contains(&b));
    if !ok {
        return Err(QueryError::validation(format!(
            "1 validation error detected: Value '{v}' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*"
        )));
    }
    Ok(Some(v))
}

/// Rejects policy ARNs of other accounts (they are neither visible nor attachable).
pub(crate) fn own_policy_arn(
    caller: &Caller,
    arn: &str,
    attaching: bool,
) -> Result<(), QueryError> {
    let owner = palisade_directory::parse_policy_arn(arn).map(|(a, _, _)| a);
    match owner {
        Some(a) if a == caller.account || a == "aws" => Ok(()),
        Some(_) if attaching => Err(QueryError::new(
            ErrorCode::NoSuchEntity.as_str(),
            404,
            format!("Policy {arn} does not exist or is not attachable."),
        )),
        Some(_) => Err(QueryError::new(
            ErrorCode::NoSuchEntity.as_str(),
            404,
            format!("Policy {arn} was not found."),
        )),
        None => Err(QueryError::new(
            ErrorCode::InvalidInput.as_str(),
            400,
            format!("ARN {arn} is not valid."),
        )),
    }
}
