//! DynamoDB's JSON 1.0 framing over HTTP, as the real service answers it.
//!
//! Facts this module reproduces (from captures of real DynamoDB responses and SDK issue threads):
//! - every response carries `x-amzn-RequestId` (52 characters `[0-9A-Z]`) and `x-amz-crc32`, the
//!   CRC-32 (IEEE) of the body bytes *as sent*, i.e. of the gzip stream when the body is
//!   compressed (SDKs that check it, such as botocore and the Go SDK, read the raw bytes);
//! - `GET` on any path answers `200` with `healthy: dynamodb.<region>.amazonaws.com ` (trailing
//!   space included) and no content type;
//! - a request with an `Origin` gets `Access-Control-Allow-Origin: *`; an `OPTIONS` preflight with
//!   an `Origin` gets `200`, an empty body, the requested method and headers echoed back and
//!   `Access-Control-Max-Age: 172800`;
//! - any other method, `OPTIONS` without `Origin`, or a body whose `Content-Type` is neither
//!   `application/x-amz-json-1.0` nor `application/json` gets `404` with the XML body
//!   `<UnknownOperationException/>\n`;
//! - JSON errors are `{"__type": ..., "message": ...}` with the content type of the request
//!   (`application/x-amz-json-1.0`, otherwise `application/json`); protocol errors that DynamoDB
//!   sends without a message (unknown target, body that is not JSON) have no `message` member;
//! - requests larger than 16 MiB are refused with `413`.

use std::io::{Read, Write};

use bytes::Bytes;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};
use rand::RngCore;

use crate::error::ApiError;

/// DynamoDB's limit on the size of an HTTP request body: 16 MiB.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// `Content-Type` of DynamoDB's JSON 1.0 protocol.
pub const AMZ_JSON: &str = "application/x-amz-json-1.0";
/// The other `Content-Type` DynamoDB accepts (and answers with).
pub const PLAIN_JSON: &str = "application/json";

/// `x-amzn-RequestId`.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";
/// `x-amz-crc32`.
pub const CRC32_HEADER: &str = "x-amz-crc32";

/// The body DynamoDB sends for requests that are not its protocol.
pub const NOT_FOUND_BODY: &str = "<UnknownOperationException/>\n";

/// Seconds a browser may cache a preflight answer, as DynamoDB says.
pub const CORS_MAX_AGE: &str = "172800";

/// Which JSON content type a response uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFlavor {
    /// `application/x-amz-json-1.0`.
    AmzJson,
    /// `application/json`.
    Json,
}

impl JsonFlavor {
    pub fn content_type(self) -> &'static str {
        match self {
            JsonFlavor::AmzJson => AMZ_JSON,
            JsonFlavor::Json => PLAIN_JSON,
        }
    }
}

/// What a request's `Content-Type` says about its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestContentType {
    /// One of the two JSON types.
    Json(JsonFlavor),
    /// Absent or anything else.
    Other,
}

/// Classifies the `Content-Type` header (parameters such as `charset` are ignored).
pub fn request_content_type(headers: &HeaderMap) -> RequestContentType {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return RequestContentType::Other;
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let essence = text.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case(AMZ_JSON) {
        RequestContentType::Json(JsonFlavor::AmzJson)
    } else if essence.eq_ignore_ascii_case(PLAIN_JSON) {
        RequestContentType::Json(JsonFlavor::Json)
    } else {
        RequestContentType::Other
    }
}

/// Why a request body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// The decoded body is larger than the limit.
    TooLarge,
    /// The body is not valid for its `Content-Encoding`, or the encoding is unsupported.
    BadEncoding(String),
}

/// Undoes `Content-Encoding` (`gzip`/`x-gzip`; `identity` or none left as is), refusing bodies
/// that decode to more than `limit` bytes.
pub fn decode_body(headers: &HeaderMap, raw: Bytes, limit: usize) -> Result<Bytes, BodyError> {
    let mut encodings = Vec::new();
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        for coding in text.split(',') {
            let coding = coding.trim().to_ascii_lowercase();
            if !coding.is_empty() && coding != "identity" {
                encodings.push(coding);
            }
        }
    }
    let mut body = raw;
    // Codings are listed in the order they were applied: undo them last to first.
    for coding in encodings.iter().rev() {
        match coding.as_str() {
            "gzip" | "x-gzip" => body = gunzip(&body, limit)?,
            other => {
                return Err(BodyError::BadEncoding(format!(
                    "unsupported Content-Encoding '{other}'"
                )));
            }
        }
    }
    if body.len() > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(body)
}

fn gunzip(data: &[u8], limit: usize) -> Result<Bytes, BodyError> {
    let mut out = Vec::new();
    let mut decoder = GzDecoder::new(data).take(limit as u64 + 1);
    decoder
        .read_to_end(&mut out)
        .map_err(|_| BodyError::BadEncoding("the request body is not valid gzip".to_string()))?;
    if out.len() > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(Bytes::from(out))
}

/// Whether `Accept-Encoding` allows a gzip response (`gzip`, `x-gzip` or `*` with a non-zero `q`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .any(|value| {
            String::from_utf8_lossy(value.as_bytes())
                .split(',')
                .any(|item| {
                    let mut parts = item.split(';');
                    let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
                    let q_zero = parts.any(|p| {
                        let p = p.trim();
                        p.strip_prefix("q=")
                            .or_else(|| p.strip_prefix("Q="))
                            .and_then(|q| q.trim().parse::<f32>().ok())
                            .is_some_and(|q| q <= 0.0)
                    });
                    matches!(coding.as_str(), "gzip" | "x-gzip" | "*") && !q_zero
                })
        })
}

/// A fresh request id: 52 characters from `[0-9A-Z]`, as DynamoDB's.
///
/// One call to the thread's generator for all 52 characters: each random byte picks a
/// character by multiply-and-shift (`byte * 36 / 256`), which is uniform to within 1/64 per
/// character; an id needs to be unique, not perfectly uniform, and this is about 268 random
/// bits. Drawing each character separately cost about 4,000 instructions per request.
pub fn request_id() -> String {
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut bytes = [0u8; 52];
    rand::rng().fill_bytes(&mut bytes);
    for b in &mut bytes {
        *b = ALPHABET[(usize::from(*b) * ALPHABET.len()) >> 8];
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The JSON error body: `{"__type": ..., "message": ...}`, without `message` when it is empty,
/// plus the error's further members (`Item`, `CancellationReasons`).
pub fn error_body(error: &ApiError) -> Vec<u8> {
    let mut map = error.extra.clone();
    map.insert(
        "__type".to_string(),
        serde_json::Value::String(error.kind.type_name().to_string()),
    );
    if !error.message.is_empty() {
        map.insert(
            "message".to_string(),
            serde_json::Value::String(error.message.clone()),
        );
    }
    for (k, v) in &error.extra {
        map.insert(k.clone(), v.clone());
    }
    serde_json::Value::Object(map).to_string().into_bytes()
}

/// Builds a response whose body is sent as is (no compression), with `x-amz-crc32` and
/// `Content-Length`. `content_type` is omitted when `None`.
pub fn plain_response(
    status: StatusCode,
    content_type: Option<&str>,
    body: Bytes,
) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(content_type) = content_type
        && let Ok(value) = HeaderValue::from_str(content_type)
    {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(CRC32_HEADER, HeaderValue::from(crc32fast::hash(&body)));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    *response.body_mut() = body;
    response
}

/// Builds a JSON response, gzip-compressed when `gzip` is set and the body is at least
/// `gzip_min_bytes` long. The CRC-32 is of the bytes sent (compressed if compressed).
pub fn json_response(
    status: StatusCode,
    flavor: JsonFlavor,
    body: Vec<u8>,
    gzip: bool,
    gzip_min_bytes: usize,
) -> Response<Bytes> {
    if gzip
        && body.len() >= gzip_min_bytes
        && let Some(compressed) = gzip_bytes(&body)
    {
        let mut response = plain_response(status, Some(flavor.content_type()), compressed);
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return response;
    }
    plain_response(status, Some(flavor.content_type()), Bytes::from(body))
}

fn gzip_bytes(body: &[u8]) -> Option<Bytes> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 2 + 64), Compression::fast());
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

/// A JSON error response with the error kind's status.
pub fn error_response(
    error: &ApiError,
    flavor: JsonFlavor,
    gzip: bool,
    gzip_min_bytes: usize,
) -> Response<Bytes> {
    let status = StatusCode::from_u16(error.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, flavor, error_body(error), gzip, gzip_min_bytes)
}

/// DynamoDB's `404` for anything that is not its protocol.
pub fn not_found() -> Response<Bytes> {
    plain_response(
        StatusCode::NOT_FOUND,
        None,
        Bytes::from_static(NOT_FOUND_BODY.as_bytes()),
    )
}

/// The health answer to `GET`.
pub fn health(region: &str) -> Response<Bytes> {
    let body = format!("healthy: dynamodb.{region}.amazonaws.com ");
    plain_response(StatusCode::OK, None, Bytes::from(body))
}

/// The answer to a CORS preflight (`OPTIONS` with `Origin`).
pub fn preflight(request_headers: &HeaderMap) -> Response<Bytes> {
    let mut response = plain_response(StatusCode::OK, None, Bytes::new());
    let headers = response.headers_mut();
    if let Some(value) = request_headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, value.clone());
    }
    if let Some(value) = request_headers.get(header::ACCESS_CONTROL_REQUEST_METHOD) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, value.clone());
    }
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(CORS_MAX_AGE),
    );
    response
}

/// Adds the headers every response carries: the request id, and CORS when the request had an
/// `Origin`.
pub fn finish(response: &mut Response<Bytes>, request_id: &str, cors: bool) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    if cors {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
