//! The other AWS services on the same endpoint: IAM, STS and EC2 (`Version=2016-11-15`,
//! [`crate::ec2`]) over the Query protocol (form-encoded requests, XML answers) and
//! Organizations over JSON 1.1. Each request is
//! authenticated by SigV4 for its service, authorized by the IAM engine, then executed.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

use crate::authn;
use crate::dynamodb::{Authorizer, Check};
use crate::error::{ApiError, ErrorKind};
use crate::iam::{QueryError, Service};
use crate::{Api, Identity, query};

/// The `X-Amz-Target` prefix of Organizations.
const ORGANIZATIONS_PREFIX: &str = "AWSOrganizationsV20161128.";

/// Which service a request is for, from its headers alone.
pub(crate) enum Route {
    Query,
    Organizations(String),
    DynamoDb,
}

fn content_type(headers: &http::HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Routes a request by its content type and target.
pub(crate) fn route(headers: &http::HeaderMap) -> Route {
    if content_type(headers) == "application/x-www-form-urlencoded" {
        return Route::Query;
    }
    match headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        Some(t) if t.starts_with(ORGANIZATIONS_PREFIX) => {
            Route::Organizations(t[ORGANIZATIONS_PREFIX.len()..].to_string())
        }
        _ => Route::DynamoDb,
    }
}

fn response(status: u16, content_type: &'static str, body: Vec<u8>) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// An authentication or authorization failure in the Query protocol's terms.
fn query_error(e: &ApiError) -> QueryError {
    match e.kind {
        ErrorKind::UnrecognizedClient => {
            QueryError::new("InvalidClientTokenId", 403, e.message.clone())
        }
        ErrorKind::InvalidSignature => {
            QueryError::new("SignatureDoesNotMatch", 403, e.message.clone())
        }
        ErrorKind::IncompleteSignature => {
            QueryError::new("IncompleteSignature", 400, e.message.clone())
        }
        ErrorKind::MissingAuthenticationToken => {
            QueryError::new("MissingAuthenticationToken", 403, e.message.clone())
        }
        // 403, as IAM and STS answer expired credentials (cfn-sphere/cfn-sphere#55,
        // aws/aws-sdk-java-v2#1649).
        ErrorKind::ExpiredToken => QueryError::new("ExpiredToken", 403, e.message.clone()),
        ErrorKind::AccessDenied => QueryError::access_denied(e.message.clone()),
        _ => QueryError::new("InvalidInput", 400, e.message.clone()),
    }
}

/// An authentication or authorization failure in JSON 1.1 terms. Authentication errors come
/// from AWS's request framework, as in DynamoDB: `{"__type": …, "message": …}` in that order;
/// `AccessDeniedException` is Organizations' own shape, with `Message`.
fn json11_error(e: &ApiError) -> Response<Bytes> {
    let ty = e
        .kind
        .type_name()
        .rsplit('#')
        .next()
        .unwrap_or("ServiceException");
    let member = if e.kind == ErrorKind::AccessDenied {
        "Message"
    } else {
        "message"
    };
    let body = format!(
        "{{\"__type\":{},\"{member}\":{}}}",
        serde_json::Value::from(ty),
        serde_json::Value::from(e.message.as_str())
    )
    .into_bytes();
    let status = if e.kind == ErrorKind::AccessDenied {
        400
    } else {
        e.kind.status()
    };
    response(status, "application/x-amz-json-1.1", body)
}

impl Api {
    /// Answers an IAM or STS request.
    pub(crate) async fn query_protocol(
        &self,
        identity: &Identity,
        parts: &http::request::Parts,
        raw_body: &Bytes,
        request_id: &str,
    ) -> Response<Bytes> {
        let mut params = crate::query::parse_form(raw_body);
        if params.is_empty() {
            params = crate::query::parse_form(parts.uri.query().unwrap_or("").as_bytes());
        }
        let version = params
            .iter()
            .find(|(k, _)| k == "Version")
            .map(|(_, v)| v.as_str());
        if version == Some(crate::ec2::VERSION) {
            return self
                .ec2(identity, parts, raw_body, &params, request_id)
                .await;
        }
        let service = if version == Some("2011-06-15") {
            Service::Sts
        } else {
            Service::Iam
        };
        let xml =
            |r: crate::iam::QueryResponse| response(r.status, "text/xml", r.body.into_bytes());
        // IAM is global (signed for us-east-1); STS answers in the server's region too.
        let region = match service {
            Service::Iam => "us-east-1",
            Service::Sts => self.config.region.as_str(),
        };
        let key = match authn::authenticate_within(
            &identity.directory,
            &identity.signing_keys,
            parts,
            raw_body,
            region,
            service.prefix(),
            authn::QUERY_MAX_SKEW,
        )
        .or_else(|e| {
            // STS is also reached through its global endpoint, signed for us-east-1.
            if service == Service::Sts
                && e.kind == ErrorKind::InvalidSignature
                && region != "us-east-1"
            {
                authn::authenticate_within(
                    &identity.directory,
                    &identity.signing_keys,
                    parts,
                    raw_body,
                    "us-east-1",
                    "sts",
                    authn::QUERY_MAX_SKEW,
                )
            } else {
                Err(e)
            }
        }) {
            Ok(k) => k,
            Err(e) => return xml(query_error(&e).to_response(service, request_id)),
        };
        if let Some(required) =
            crate::iam::required_action(&identity.directory, &key.caller, service, &params)
        {
            let origin = query::origin(parts);
            let trust = (required.action == "sts:AssumeRole")
                .then(|| trust_policy(&identity.directory, &required.resource))
                .flatten();
            let mut authz = query::authorizer(identity, &key, &origin, &self.config.region);
            authz.resource_policy = trust.as_ref();
            let mut check = Check::new(required.action, required.resource);
            check.keys = required.context;
            if let Err(e) = authz.authorize(&[check]) {
                return xml(query_error(&e).to_response(service, request_id));
            }
        }
        xml(crate::iam::handle(
            &identity.directory,
            &key.caller,
            service,
            &params,
            request_id,
        )
        .await)
    }

    /// Answers an Organizations request.
    pub(crate) async fn organizations(
        &self,
        identity: &Identity,
        parts: &http::request::Parts,
        raw_body: &Bytes,
        op: &str,
    ) -> Response<Bytes> {
        let key = match authn::authenticate(
            &identity.directory,
            &identity.signing_keys,
            parts,
            raw_body,
            "us-east-1",
            "organizations",
        ) {
            Ok(k) => k,
            Err(e) => return json11_error(&e),
        };
        let checks: Vec<Check> = crate::organizations::required(
            &identity.organizations,
            &key.caller.account,
            op,
            raw_body,
        )
        .into_iter()
        .map(|r| {
            let mut check = Check::new(r.action, r.resource);
            check.keys = r.context;
            check
        })
        .collect();
        if !checks.is_empty() {
            let origin = query::origin(parts);
            let authz = query::authorizer(identity, &key, &origin, &self.config.region);
            if let Err(e) = authz.authorize(&checks) {
                return json11_error(&e);
            }
        }
        let r = crate::organizations::handle(
            &identity.organizations,
            &key.caller.account,
            op,
            raw_body,
        )
        .await;
        if op == "CreateAccount"
            && r.status == 200
            && let Err(e) = access_role(identity, &key.caller.account, raw_body, &r.body).await
        {
            tracing::error!(error = %e, "cannot create the new account's access role");
        }
        response(r.status, "application/x-amz-json-1.1", r.body)
    }
}

/// The role AWS creates in every account made by CreateAccount: trusted by the management
/// account, with administrator permissions (`RoleName`, default `OrganizationAccountAccessRole`).
async fn access_role(
    identity: &Identity,
    management: &str,
    request: &[u8],
    answer: &[u8],
) -> Result<(), String> {
    let request: serde_json::Value = serde_json::from_slice(request).map_err(|e| e.to_string())?;
    let answer: serde_json::Value = serde_json::from_slice(answer).map_err(|e| e.to_string())?;
    let Some(account) = answer["CreateAccountStatus"]["AccountId"].as_str() else {
        return Err("CreateAccount answered without an AccountId".into());
    };
    let name = request["RoleName"]
        .as_str()
        .unwrap_or("OrganizationAccountAccessRole");
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{management}:root")}, "Action": "sts:AssumeRole"}]
    });
    let input = palisade_directory::CreateRoleInput {
        name: name.to_string(),
        path: None,
        trust_policy: trust.to_string(),
        description: None,
        max_session_duration: None,
        tags: Vec::new(),
        permissions_boundary: None,
    };
    identity
        .directory
        .create_role(account, &input)
        .await
        .map_err(|e| e.to_string())?;
    identity
        .directory
        .put_inline_policy(
            palisade_directory::PolicyOwner::Role,
            account,
            name,
            "AdministratorAccess",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .await
        .map_err(|e| e.to_string())
}

/// The trust policy of the role `arn` (`arn:aws:iam::ACCOUNT:role/path/NAME`), compiled.
fn trust_policy(
    directory: &palisade_directory::Directory,
    arn: &str,
) -> Option<palisade_iam::CompiledPolicy> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    let role = directory.get_role(account, name).ok()?;
    palisade_iam::CompiledPolicy::parse(&role.trust_policy, palisade_iam::PolicyType::Trust)
        .ok()
        .map(|p| p.with_label(format!("{arn} trust policy")))
}
