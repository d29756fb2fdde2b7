//! EC2 over AWS's Query protocol (`Action=…&Version=2016-11-15`, form-encoded, signed for
//! service `ec2` in the server's region): the VPC and VPC endpoint operations of the network
//! model ([`palisade_network`]), with EC2's XML answers and error documents.
//!
//! Each call is authenticated by SigV4, authorized by the IAM engine (`ec2:CreateVpc` on
//! `arn:aws:ec2:<region>:<account>:vpc/…`, `ec2:Describe*` on `*`, …, so SCPs and endpoint
//! policies apply as to any call), then executed ([`ops`]).

mod ops;
mod params;
mod shapes;

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_endpoints;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use palisade_network::NetworkError;

use crate::error::{ApiError, ErrorKind};
use crate::{Api, Identity, authn, query};

/// The API version EC2 requests name in `Version=`.
pub const VERSION: &str = "2016-11-15";
/// The XML namespace of EC2's responses.
pub const NS: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// An EC2 error: its code, message and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ec2Error {
    pub code: String,
    pub message: String,
    pub status: u16,
}

impl Ec2Error {
    /// A client error (400).
    pub fn new(code: &str, message: impl Into<String>) -> Ec2Error {
        Ec2Error {
            code: code.to_string(),
            message: message.into(),
            status: 400,
        }
    }

    /// `InvalidParameterValue` (400).
    pub fn invalid_value(message: impl Into<String>) -> Ec2Error {
        Ec2Error::new("InvalidParameterValue", message)
    }

    fn with_status(mut self, status: u16) -> Ec2Error {
        self.status = status;
        self
    }

    /// An authentication or authorization failure in EC2's terms.
    pub fn from_api(e: &ApiError) -> Ec2Error {
        match e.kind {
            ErrorKind::InvalidSignature
                if e.message.starts_with("Signature expired")
                    || e.message.starts_with("Signature not yet current") =>
            {
                Ec2Error::new("RequestExpired", "Request has expired.")
            }
            ErrorKind::UnrecognizedClient | ErrorKind::InvalidSignature => Ec2Error::new(
                "AuthFailure",
                "AWS was not able to validate the provided access credentials",
            )
            .with_status(401),
            ErrorKind::IncompleteSignature => {
                Ec2Error::new("IncompleteSignature", e.message.clone())
            }
            ErrorKind::MissingAuthenticationToken => Ec2Error::new(
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            )
            .with_status(401),
            ErrorKind::ExpiredToken => Ec2Error::new("RequestExpired", "Request has expired."),
            ErrorKind::AccessDenied => Ec2Error::new(
                "UnauthorizedOperation",
                format!(
                    "You are not authorized to perform this operation. {}",
                    e.message
                ),
            )
            .with_status(403),
            ErrorKind::UnknownOperation
            | ErrorKind::SerializationException
            | ErrorKind::RequestEntityTooLarge
            | ErrorKind::InternalFailure
            | ErrorKind::Validation
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
            | ErrorKind::DuplicateItem
            | ErrorKind::InternalServerError => {
                tracing::error!(kind = e.kind.type_name(), message = %e.message, "unexpected error in an EC2 call");
                internal()
            }
        }
    }
}

fn internal() -> Ec2Error {
    Ec2Error::new(
        "InternalError",
        "An internal error has occurred. Retry your request, but if the problem persists, contact us with details by posting a message on the AWS forums.",
    )
    .with_status(500)
}

impl From<NetworkError> for Ec2Error {
    fn from(e: NetworkError) -> Ec2Error {
        if e.is_client_error() {
            Ec2Error::new(e.code(), e.to_string())
        } else {
            tracing::error!(error = %e, "network store failure");
            internal()
        }
    }
}

fn xml_response(status: u16, body: String) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=UTF-8"),
    );
    r
}

fn error_response(e: &Ec2Error, request_id: &str) -> Response<Bytes> {
    xml_response(e.status, shapes::error(&e.code, &e.message, request_id))
}

impl Api {
    /// Answers an EC2 request (`params` is its decoded form).
    pub(crate) async fn ec2(
        &self,
        identity: &Identity,
        parts: &http::request::Parts,
        raw_body: &Bytes,
        params: &[(String, String)],
        request_id: &str,
    ) -> Response<Bytes> {
        let region = self.config.region.as_str();
        let key = match authn::authenticate(
            &identity.directory,
            &identity.signing_keys,
            parts,
            raw_body,
            region,
            "ec2",
        ) {
            Ok(k) => k,
            Err(e) => return error_response(&Ec2Error::from_api(&e), request_id),
        };
        let origin = query::origin(parts);
        let authz = query::authorizer(identity, &key, &origin, region);
        let ctx = ops::Ctx {
            network: &identity.network,
            authz: &authz,
            account: &key.caller.account,
            region,
        };
        match ops::run(&ctx, params, request_id).await {
            Ok(body) => xml_response(200, body),
            Err(e) => {
                tracing::debug!(request_id, code = %e.code, message = %e.message, "EC2 request failed");
                error_response(&e, request_id)
            }
        }
    }
}
