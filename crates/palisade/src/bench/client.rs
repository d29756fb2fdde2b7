//! The load generator's HTTP side: one keep-alive HTTP/1.1 connection per worker, every request
//! signed with SigV4 just before it is sent (signing is part of what a real client pays).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use palisade_sigv4::{Credentials, OffsetDateTime, RequestParts};
use tokio::net::TcpStream;

/// The JSON 1.0 content type DynamoDB speaks.
pub const AMZ_JSON: &str = "application/x-amz-json-1.0";

/// How long one request may take before it counts as failed and its connection is replaced.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where requests go and how they are signed.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `host:port` to connect to, also sent as the `Host` header.
    pub authority: String,
    /// Signing credentials.
    pub credentials: Credentials,
    /// Signing region.
    pub region: String,
}

impl Endpoint {
    /// Parses an `http://host[:port]` URL (HTTPS is not supported: the generator measures the
    /// server, not TLS).
    pub fn parse(url: &str, credentials: Credentials, region: String) -> Result<Self, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| format!("the endpoint {url:?} is not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "the endpoint {url:?} must start with http:// (HTTPS is not supported)"
            ));
        }
        let host = uri
            .host()
            .ok_or_else(|| format!("the endpoint {url:?} has no host"))?;
        let port = uri.port_u16().unwrap_or(80);
        let authority = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(Self {
            authority,
            credentials,
            region,
        })
    }
}

/// An answer: the HTTP status and the whole body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

impl Answer {
    /// The DynamoDB error type of a failed answer (`ConditionalCheckFailedException`, ...), or
    /// the HTTP status when the body names none.
    pub fn error_kind(&self) -> String {
        let named = serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("__type").and_then(|t| t.as_str()).map(str::to_owned));
        match named {
            Some(full) => full.rsplit('#').next().unwrap_or(&full).to_owned(),
            None => format!("HTTP {}", self.status),
        }
    }

    /// The error message of a failed answer, if the body carries one.
    pub fn error_message(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .or_else(|| v.get("Message"))
                    .and_then(|m| m.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    }
}

/// One open keep-alive connection.
pub struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl Connection {
    /// Opens a connection (TCP_NODELAY, as every DynamoDB SDK does).
    pub async fn open(endpoint: &Endpoint) -> Result<Self, String> {
        let stream = tokio::time::timeout(
            REQUEST_TIMEOUT,
            TcpStream::connect(endpoint.authority.as_str()),
        )
        .await
        .map_err(|_| format!("connecting to {} timed out", endpoint.authority))?
        .map_err(|e| format!("cannot connect to {}: {e}", endpoint.authority))?;
        let _ = stream.set_nodelay(true);
        let (sender, driver) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {} failed: {e}", endpoint.authority))?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the server closes the connection; the next
            // request then reports the error.
            let _ = driver.await;
        });
        Ok(Self { sender })
    }

    /// Signs and sends `POST /` with the `X-Amz-Target` header `target` and reads
    /// the whole answer. Transport errors and timeouts are `Err`; any HTTP answer is `Ok`.
    pub async fn call(
        &mut self,
        endpoint: &Endpoint,
        target: &str,
        body: Bytes,
    ) -> Result<Answer, String> {
        let request = signed_request(endpoint, target, body)?;
        let exchange = async {
            if self.sender.ready().await.is_err() {
                // The server closed the connection after its last answer (`Connection: close`,
                // as a server without keep-alive sends): nothing of this request was sent, so it
                // goes on a new connection, as an SDK's would. The connect counts in its latency.
                *self = Self::open(endpoint).await?;
                self.sender
                    .ready()
                    .await
                    .map_err(|e| format!("connection closed: {e}"))?;
            }
            let response = self
                .sender
                .send_request(request)
                .await
                .map_err(|e| format!("request failed: {e}"))?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("reading the answer failed: {e}"))?
                .to_bytes();
            Ok(Answer { status, body })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()))?
    }
}

/// Builds the signed request.
fn signed_request(
    endpoint: &Endpoint,
    target: &str,
    body: Bytes,
) -> Result<hyper::Request<Full<Bytes>>, String> {
    let plain = [
        ("host", endpoint.authority.as_str()),
        ("content-type", AMZ_JSON),
        ("x-amz-target", target),
    ];
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &plain,
    };
    let added = palisade_sigv4::sign(
        &parts,
        &body,
        &endpoint.credentials,
        &endpoint.region,
        "dynamodb",
        OffsetDateTime::now_utc(),
    );
    let mut builder = hyper::Request::builder()
        .method(http::Method::POST)
        .uri("/");
    for (name, value) in plain {
        builder = builder.header(name, value);
    }
    for (name, value) in &added {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Full::new(body))
        .map_err(|e| format!("cannot build the request: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use palisade_sigv4::Credentials;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server that answers one request per connection with `Connection: close` and then closes
    /// it (as moto's development server does).
    async fn closing_server() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut read = Vec::new();
                    let mut buffer = [0u8; 4096];
                    // The request is small: read until its body (`{}`) has arrived.
                    while !read.ends_with(b"{}") {
                        let n = stream.read(&mut buffer).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        read.extend_from_slice(&buffer[..n]);
                    }
                    let body = r#"{"TableNames":[]}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: {AMZ_JSON}\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n{body}",
                        body.len()
                    );
                    stream.write_all(answer.as_bytes()).await.unwrap();
                    let _ = stream.shutdown().await;
                });
            }
        });
        format!("http://{address}")
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_after_its_answer_is_reopened() {
        let url = closing_server().await;
        let credentials = Credentials {
            access_key_id: "AKIDPALISADEBENCH001".to_owned(),
            secret_access_key: "secret".to_owned(),
            session_token: None,
        };
        let endpoint = Endpoint::parse(&url, credentials, "us-east-1".to_owned()).unwrap();
        let mut connection = Connection::open(&endpoint).await.unwrap();
        for _ in 0..3 {
            let answer = connection
                .call(
                    &endpoint,
                    "DynamoDB_20120810.ListTables",
                    Bytes::from_static(b"{}"),
                )
                .await
                .expect("every request gets its answer");
            assert_eq!(answer.status, 200);
            assert_eq!(&answer.body[..], br#"{"TableNames":[]}"#);
        }
    }
}
