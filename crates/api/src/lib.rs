//! The request pipeline: DynamoDB's JSON 1.0 protocol parsed into typed operations, then
//! authenticate, authorize and execute against the engine, with one wire error type.
//!
//! Never touches a storage backend directly (only through `palisade-engine`), and knows nothing
//! of sockets or listeners: the binary hands it whole HTTP requests ([`Api::handle`]).
//!
//! The pipeline of one request:
//! 1. **frame** ([`protocol`]): method, CORS preflight, health, content type, body decoding;
//! 2. **parse**: JSON syntax and `X-Amz-Target` into an [`Operation`];
//! 3. **authenticate** ([`authn::authenticate`]): the SigV4 signature verified against the
//!    identity directory (without a directory, [`auth::authenticate`] only checks its shape);
//! 4. **authorize** ([`authorizer::IamAuthorizer`]): each operation asks for every action,
//!    table/index ARN and condition key it touches before it runs;
//! 5. **execute** ([`dynamodb::dispatch_with`]): the operation on the engine (the items of a
//!    BatchWriteItem or TransactWriteItems body are decoded in step 2, without a JSON tree);
//! 6. **encode**: JSON body or error, gzip if accepted, `x-amz-crc32`, `x-amzn-RequestId`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod auth;
pub mod authn;
pub mod authorizer;
mod decision_memo;
#[cfg(test)]
mod decision_memo_tests;
pub mod dynamodb;
pub mod ec2;
pub mod error;
pub mod iam;
pub mod operation;
pub mod organizations;
pub mod protocol;
pub mod query;
mod services;

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use palisade_engine::Engine;

pub use error::{ApiError, ErrorKind};
pub use operation::Operation;

use crate::protocol::{BodyError, JsonFlavor, RequestContentType};

/// Settings of the protocol layer.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Region named in the health answer, e.g. `us-east-1`.
    pub region: String,
    /// Largest request body accepted, before and after decompression. Default: DynamoDB's 16 MiB.
    pub max_request_bytes: usize,
    /// Smallest response body compressed when the client accepts gzip. Default: 1024 bytes.
    pub gzip_min_bytes: usize,
}

impl Default for ApiConfig {
    fn default() -> ApiConfig {
        ApiConfig {
            region: "us-east-1".to_string(),
            max_request_bytes: protocol::MAX_REQUEST_BYTES,
            gzip_min_bytes: 1024,
        }
    }
}

/// Who may call: the identity directory and the organization, the VPC endpoints requests come
/// through, and a cache of SigV4 signing keys.
pub struct Identity {
    pub directory: Arc<palisade_directory::Directory>,
    pub organizations: Arc<palisade_organizations::Organizations>,
    /// VPCs and VPC endpoints (EC2 API; endpoint policies for the authorizer).
    pub network: Arc<palisade_network::Network>,
    pub signing_keys: palisade_sigv4::SigningKeyCache,
    /// Compiled table resource policies.
    pub table_policies: authorizer::PolicyCache,
}

/// The DynamoDB-compatible API over one engine.
pub struct Api {
    engine: Arc<Engine>,
    config: ApiConfig,
    /// Authentication and authorization; `None` only for tests of the protocol layer, where any
    /// well-formed signature is accepted and everything is allowed.
    identity: Option<Identity>,
}

/// A request that passed framing: what the later steps need.
struct Framed {
    flavor: JsonFlavor,
    gzip: bool,
}

impl Api {
    pub fn new(engine: Arc<Engine>, config: ApiConfig) -> Api {
        Api {
            engine,
            config,
            identity: None,
        }
    }

    /// The API with authentication by SigV4 against `identity`'s directory and authorization of
    /// every operation by the IAM engine: what the server runs.
    pub fn with_identity(engine: Arc<Engine>, config: ApiConfig, identity: Identity) -> Api {
        Api {
            engine,
            config,
            identity: Some(identity),
        }
    }

    /// The protocol settings.
    pub fn config(&self) -> &ApiConfig {
        &self.config
    }

    /// The engine requests run on.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Answers one whole HTTP request. Never panics; client input never yields a 5xx.
    pub async fn handle(&self, req: Request<Bytes>) -> Response<Bytes> {
        let started = std::time::Instant::now();
        let request_id = protocol::request_id();
        let cors = req.headers().contains_key(header::ORIGIN);
        let method = req.method().clone();
        let mut response = self.respond(req, &request_id).await;
        protocol::finish(&mut response, &request_id, cors);
        tracing::debug!(
            request_id,
            %method,
            status = response.status().as_u16(),
            bytes = response.body().len(),
            micros = started.elapsed().as_micros() as u64,
            "answered"
        );
        response
    }

    /// The `413` answer for a request whose body is over [`ApiConfig::max_request_bytes`], for
    /// servers that refuse such a body before reading it all.
    pub fn request_too_large(&self, headers: &http::HeaderMap) -> Response<Bytes> {
        self.error_response(headers, &too_large_error(self.config.max_request_bytes))
    }

    /// The `500` answer for a request whose handling failed inside the server (a bug: the
    /// handler panicked). The request's headers choose the content type and CORS.
    pub fn internal_error(&self, headers: &http::HeaderMap) -> Response<Bytes> {
        self.error_response(headers, &ApiError::internal("the request handler panicked"))
    }

    /// A framed error answer outside the normal pipeline, with a fresh request id.
    fn error_response(&self, headers: &http::HeaderMap, error: &ApiError) -> Response<Bytes> {
        let flavor = match protocol::request_content_type(headers) {
            RequestContentType::Json(flavor) => flavor,
            RequestContentType::Other => JsonFlavor::Json,
        };
        let mut response = protocol::error_response(error, flavor, false, 0);
        let cors = headers.contains_key(header::ORIGIN);
        protocol::finish(&mut response, &protocol::request_id(), cors);
        response
    }

    async fn respond(&self, req: Request<Bytes>, request_id: &str) -> Response<Bytes> {
        let (parts, raw_body) = req.into_parts();
        let headers = &parts.headers;

        if parts.method == Method::OPTIONS && headers.contains_key(header::ORIGIN) {
            return protocol::preflight(headers);
        }
        if let Some(identity) = &self.identity
            && parts.method == Method::POST
        {
            match services::route(headers) {
                services::Route::Query => {
                    return self
                        .query_protocol(identity, &parts, &raw_body, request_id)
                        .await;
                }
                services::Route::Organizations(op) => {
                    return self.organizations(identity, &parts, &raw_body, &op).await;
                }
                services::Route::DynamoDb => {}
            }
        }
        if parts.method == Method::GET {
            return protocol::health(&self.config.region);
        }
        let content_type = protocol::request_content_type(headers);
        if parts.method != Method::POST
            || (!raw_body.is_empty() && content_type == RequestContentType::Other)
        {
            return protocol::not_found();
        }
        let framed = Framed {
            flavor: match content_type {
                RequestContentType::Json(flavor) => flavor,
                RequestContentType::Other => JsonFlavor::Json,
            },
            gzip: protocol::accepts_gzip(headers),
        };

        match self.pipeline(&parts, raw_body, request_id).await {
            Ok(body) => protocol::json_response(
                StatusCode::OK,
                framed.flavor,
                body,
                framed.gzip,
                self.config.gzip_min_bytes,
            ),
            Err(error) => {
                log_error(&error, request_id);
                protocol::error_response(
                    &error,
                    framed.flavor,
                    framed.gzip,
                    self.config.gzip_min_bytes,
                )
            }
        }
    }

    /// Parse, authenticate, authorize, execute: the steps after framing, in DynamoDB's order.
    async fn pipeline(
        &self,
        parts: &http::request::Parts,
        raw_body: Bytes,
        request_id: &str,
    ) -> Result<Vec<u8>, ApiError> {
        let headers = &parts.headers;
        let limit = self.config.max_request_bytes;
        if raw_body.len() > limit {
            return Err(too_large_error(limit));
        }
        let body = match protocol::decode_body(headers, raw_body.clone(), limit) {
            Ok(body) => body,
            Err(BodyError::TooLarge) => return Err(too_large_error(limit)),
            Err(BodyError::BadEncoding(message)) => return Err(ApiError::serialization(message)),
        };

        // Parse. DynamoDB checks that the body is JSON before it looks at the target; the
        // target is read first only to pick the decoder (the items of a valid BatchWriteItem or
        // TransactWriteItems body are decoded without a tree; any other body, or one the strict
        // decoder leaves to the tree, is parsed as a tree). Nothing is refused here but a body
        // that is not JSON.
        let op = headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .and_then(Operation::from_target);
        let parsed = dynamodb::parse_body(op.map(Operation::name), &body)?;
        let op = op.ok_or_else(|| ApiError::new(ErrorKind::UnknownOperation, ""))?;

        let Some(identity) = &self.identity else {
            let caller = auth::authenticate(headers, parts.uri.query(), &raw_body)?;
            if body.is_empty() {
                return Err(ApiError::serialization(""));
            }
            auth::authorize(&caller, op)?;
            tracing::debug!(
                request_id,
                operation = op.name(),
                "executing without identities"
            );
            let account = self.engine.config().account.clone();
            return dynamodb::dispatch_body(
                &self.engine,
                &dynamodb::AllowAll,
                &account,
                op.name(),
                parsed,
                &body,
            )
            .await;
        };
        let key = authn::authenticate(
            &identity.directory,
            &identity.signing_keys,
            parts,
            &raw_body,
            &self.config.region,
            "dynamodb",
        )?;
        if body.is_empty() {
            return Err(ApiError::serialization(""));
        }
        let origin = parts
            .extensions
            .get::<authorizer::Origin>()
            .cloned()
            .unwrap_or_default();
        let authz = authorizer::IamAuthorizer {
            directory: &identity.directory,
            organizations: &identity.organizations,
            network: &identity.network,
            caller: &key.caller,
            session_policies: &key.session_policies,
            origin: &origin,
            region: &self.config.region,
            resource_policy: None,
            tables: Some((&self.engine, &identity.table_policies)),
        };
        tracing::debug!(
            request_id,
            operation = op.name(),
            caller = %key.caller.arn,
            "executing"
        );
        dynamodb::dispatch_body(
            &self.engine,
            &authz,
            &key.caller.account,
            op.name(),
            parsed,
            &body,
        )
        .await
    }
}

fn too_large_error(limit: usize) -> ApiError {
    ApiError::new(
        ErrorKind::RequestEntityTooLarge,
        format!("Request entity too large: the request body is larger than {limit} bytes"),
    )
}

fn log_error(error: &ApiError, request_id: &str) {
    if error.kind.status() >= 500 {
        tracing::error!(request_id, error_type = error.kind.type_name(), message = %error.message, "request failed");
    } else {
        tracing::debug!(request_id, error_type = error.kind.type_name(), message = %error.message, "request rejected");
    }
}
