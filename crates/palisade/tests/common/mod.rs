//! Test harness: the real `palisade` binary on a free loopback port with a fresh data directory,
//! driven by the official AWS SDK or by raw HTTP requests signed with a small SigV4 signer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tempfile::TempDir;

/// Static credentials the harness signs with (any well-formed key is accepted for now).
pub const ACCESS_KEY_ID: &str = "AKIDPALISADETEST0001";
pub const SECRET_ACCESS_KEY: &str = "palisade-test-secret-access-key/0000000";
pub const REGION: &str = "us-east-1";
/// The admin's key as (access key id, secret access key), for [`sign_as`].
pub fn admin_key() -> (&'static str, &'static str) {
    (ACCESS_KEY_ID, SECRET_ACCESS_KEY)
}

/// The JSON 1.0 content type.
pub const AMZ_JSON: &str = "application/x-amz-json-1.0";

/// A running `palisade serve`, killed on drop.
pub struct TestServer {
    child: Option<Child>,
    addr: SocketAddr,
    data_dir: Option<TempDir>,
    log_dir: TempDir,
    extra_args: Vec<String>,
    /// `http` or `https`: the scheme of the first listener.
    scheme: String,
    /// Every line the server printed on stdout so far.
    stdout: Arc<Mutex<Vec<String>>>,
    /// Environment variables set for the server.
    env: Vec<(String, String)>,
}

impl TestServer {
    /// Starts a server on 127.0.0.1:0 with a fresh, empty data directory.
    pub fn start() -> TestServer {
        TestServer::start_with(&[])
    }

    /// Starts a server with extra `serve` arguments (e.g. `--region eu-west-1`).
    pub fn start_with(extra_args: &[&str]) -> TestServer {
        TestServer::start_with_env(extra_args, &[])
    }

    /// Starts a server with extra `serve` arguments and environment variables.
    pub fn start_with_env(extra_args: &[&str], env: &[(&str, &str)]) -> TestServer {
        let data_dir = tempfile::tempdir().unwrap();
        let log_dir = tempfile::tempdir().unwrap();
        let extra_args: Vec<String> = extra_args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let spawned = spawn(data_dir.path(), log_dir.path(), &extra_args, &env);
        TestServer {
            child: Some(spawned.child),
            addr: spawned.addr,
            data_dir: Some(data_dir),
            log_dir,
            extra_args,
            scheme: spawned.scheme,
            stdout: spawned.stdout,
            env,
        }
    }

    /// Stops the server gracefully (SIGTERM) and starts a new one on the same data directory.
    pub fn restart(&mut self) {
        self.stop(true);
        self.respawn();
    }

    /// Kills the server abruptly (SIGKILL, like a crash) and starts a new one on the same data
    /// directory.
    pub fn crash_restart(&mut self) {
        self.stop(false);
        self.respawn();
    }

    fn respawn(&mut self) {
        let dir = self.data_dir().to_path_buf();
        let spawned = spawn(&dir, self.log_dir.path(), &self.extra_args, &self.env);
        self.child = Some(spawned.child);
        self.addr = spawned.addr;
        self.scheme = spawned.scheme;
        self.stdout = spawned.stdout;
    }

    /// Stops the server: SIGTERM and wait when `graceful`, SIGKILL otherwise.
    pub fn stop(&mut self, graceful: bool) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if graceful {
            let status = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success(), "kill -TERM failed");
            for _ in 0..200 {
                if let Some(status) = child.try_wait().unwrap() {
                    assert!(
                        status.success(),
                        "server exited with {status} after SIGTERM"
                    );
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            panic!("server did not stop within 10 s of SIGTERM\n{}", self.log());
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` when the first listener has TLS).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The first `count` lines the server printed on stdout (`palisade listening on ...`,
    /// `palisade vpc endpoint ... listening on ...`), waiting up to 30 s for them.
    pub fn announcements(&self, count: usize) -> Vec<String> {
        for _ in 0..300 {
            let lines = self.stdout.lock().unwrap();
            if lines.len() >= count {
                return lines[..count].to_vec();
            }
            drop(lines);
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "the server printed {:?}, not {count} lines\n{}",
            self.stdout.lock().unwrap(),
            self.log()
        );
    }

    /// The URL at the end of announcement line `index` (0 is the first public listener).
    pub fn announced_url(&self, index: usize) -> String {
        let lines = self.announcements(index + 1);
        let line = &lines[index];
        let at = line
            .find(" listening on ")
            .unwrap_or_else(|| panic!("unexpected line {line:?}"));
        line[at + " listening on ".len()..].to_string()
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.as_ref().map(TempDir::path).unwrap()
    }

    /// Everything the server wrote to stderr so far (its log).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_dir.path().join("server.log")).unwrap_or_default()
    }

    /// An AWS SDK client for this server (static test credentials, us-east-1).
    pub fn sdk_client(&self) -> aws_sdk_dynamodb::Client {
        client_for(&self.url(), ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    }

    /// A signed `POST /` with the JSON 1.0 content type, `X-Amz-Target: <target>` (omitted when
    /// `None`), `body`, and `extra` headers (added after the standard ones, replacing them when
    /// the name is the same; added before signing, so they are signed).
    pub async fn raw(
        &self,
        target: Option<&str>,
        body: impl Into<Bytes>,
        extra: &[(&str, &str)],
    ) -> RawResponse {
        let body = body.into();
        let headers = self.signed_headers(target, &body, extra);
        self.send("POST", "/", &headers, body).await
    }

    /// The headers [`TestServer::raw`] sends, `authorization` last.
    pub fn signed_headers(
        &self,
        target: Option<&str>,
        body: &[u8],
        extra: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), self.addr.to_string()),
            ("content-type".into(), AMZ_JSON.into()),
            ("x-amz-date".into(), amz_date()),
        ];
        if let Some(target) = target {
            headers.push(("x-amz-target".into(), target.into()));
        }
        for (name, value) in extra {
            let name = name.to_ascii_lowercase();
            headers.retain(|(n, _)| *n != name);
            headers.push((name, value.to_string()));
        }
        let authorization = sign("POST", "/", "", &headers, body);
        headers.push(("authorization".into(), authorization));
        headers
    }

    /// Sends a request exactly as given: no signature, no headers but `host` (added when absent).
    pub async fn raw_unsigned(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> RawResponse {
        let mut list: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
            .collect();
        if !list.iter().any(|(n, _)| n == "host") {
            list.insert(0, ("host".into(), self.addr.to_string()));
        }
        self.send(method, path_and_query, &list, body.into()).await
    }

    /// Sends one request on a fresh connection.
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(String, String)],
        body: Bytes,
    ) -> RawResponse {
        let mut conn = RawConnection::open(self.addr).await;
        conn.send(method, path_and_query, headers, body).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct Spawned {
    child: Child,
    addr: SocketAddr,
    scheme: String,
    stdout: Arc<Mutex<Vec<String>>>,
}

/// Spawns `palisade serve` and waits for its `palisade listening on http(s)://ADDR` line.
fn spawn(
    data_dir: &Path,
    log_dir: &Path,
    extra_args: &[String],
    env: &[(String, String)],
) -> Spawned {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_dir.join("server.log"))
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra_args)
        .env("RUST_LOG", "debug")
        .env("PALISADE_ADMIN_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("PALISADE_ADMIN_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env_remove("PALISADE_MASTER_KEY")
        .arg("--master-key-file")
        .arg(log_dir.join("master.key"))
        .env_remove("PALISADE_LISTEN")
        .env_remove("PALISADE_DATA_DIR")
        .env_remove("PALISADE_CONFIG")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let printed = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&printed);
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            keep.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
        // Keep reading so the server never blocks on a full pipe.
        for line in lines.map_while(Result::ok) {
            keep.lock().unwrap().push(line);
        }
    });
    let line = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(line) => line,
        Err(_) => {
            let _ = child.kill();
            let log = std::fs::read_to_string(log_dir.join("server.log")).unwrap_or_default();
            panic!("server did not announce its address within 60 s\n{log}");
        }
    };
    let rest = line
        .strip_prefix("palisade listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"));
    let (scheme, addr) = rest
        .split_once("://")
        .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"));
    Spawned {
        child,
        addr: addr.parse().unwrap(),
        scheme: scheme.to_string(),
        stdout: printed,
    }
}

/// Runs `palisade serve` with `args` (and a fresh data directory) and expects it to fail
/// before listening; returns what it wrote to stderr.
pub fn start_failure(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("serve")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--master-key-file")
        .arg(dir.path().join("master.key"))
        .args(args)
        .env_remove("PALISADE_LISTEN")
        .env_remove("PALISADE_DATA_DIR")
        .env_remove("PALISADE_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
        panic!("the server started with {args:?}");
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        !out.status.success(),
        "the server exited successfully with {args:?}"
    );
    assert!(
        out.stdout.is_empty(),
        "the server announced listeners: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// An HTTP/1.1 connection that can carry several requests (keep-alive).
pub struct RawConnection {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl RawConnection {
    pub async fn open(addr: SocketAddr) -> RawConnection {
        RawConnection::open_with_preamble(addr, &[]).await
    }

    /// Opens a connection that starts with `preamble` (e.g. a PROXY protocol header) before
    /// any HTTP.
    pub async fn open_with_preamble(addr: SocketAddr, preamble: &[u8]) -> RawConnection {
        use tokio::io::AsyncWriteExt;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(preamble).await.unwrap();
        RawConnection::over(stream).await
    }

    /// HTTP/1.1 over an already open stream (e.g. a TLS client stream).
    pub async fn over<S>(io: S) -> RawConnection
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (sender, connection) = http1::handshake(TokioIo::new(io)).await.unwrap();
        tokio::spawn(async move {
            let _ = connection.await;
        });
        RawConnection { sender }
    }

    /// Whether the server has closed the connection.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    pub async fn send(
        &mut self,
        method: &str,
        path_and_query: &str,
        headers: &[(String, String)],
        body: Bytes,
    ) -> RawResponse {
        self.try_send(method, path_and_query, headers, body)
            .await
            .unwrap()
    }

    /// Like [`RawConnection::send`], but a connection the server closed is an error.
    pub async fn try_send(
        &mut self,
        method: &str,
        path_and_query: &str,
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<RawResponse, hyper::Error> {
        let mut builder = hyper::Request::builder().method(method).uri(path_and_query);
        for (name, value) in headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let request = builder.body(Full::new(body)).unwrap();
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(RawResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }
}

/// What the server answered.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    /// A header as text; panics when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
            .to_str()
            .unwrap()
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// `YYYYMMDDTHHMMSSZ` for now.
pub fn amz_date() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(time::macros::format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .unwrap()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The `Authorization` header value of AWS Signature Version 4 for the request, signing every
/// header in `headers` (which must include `host` and `x-amz-date`). `canonical_query` must
/// already be in canonical form (sorted, URI-encoded).
pub fn sign(
    method: &str,
    path: &str,
    canonical_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    sign_as(
        (ACCESS_KEY_ID, SECRET_ACCESS_KEY),
        method,
        path,
        canonical_query,
        headers,
        body,
    )
}

/// [`sign`] with another access key: `key` is (access key id, secret access key).
pub fn sign_as(
    key: (&str, &str),
    method: &str,
    path: &str,
    canonical_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let (access_key_id, secret) = key;
    let mut signed: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| {
            let value = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (n.to_ascii_lowercase(), value)
        })
        .collect();
    signed.sort();
    let date = signed
        .iter()
        .find(|(n, _)| n == "x-amz-date")
        .map(|(_, v)| v.clone())
        .unwrap();
    let day = &date[..8];
    let canonical_headers: String = signed.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let signed_headers = signed
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{}",
        sha256_hex(body)
    );
    let scope = format!("{day}/{REGION}/dynamodb/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let signature = hex::encode(hmac(
        &signing_key_of(secret, day),
        string_to_sign.as_bytes(),
    ));
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// A presigned query string (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
/// `X-Amz-Expires`, `X-Amz-SignedHeaders=host`, `X-Amz-Signature`) for a request to `host` with
/// `body`, canonical and ready to append after `?`.
pub fn presign(method: &str, host: &str, body: &[u8]) -> String {
    let date = amz_date();
    let day = &date[..8];
    let scope = format!("{day}/{REGION}/dynamodb/aws4_request");
    let credential = format!("{ACCESS_KEY_ID}/{scope}").replace('/', "%2F");
    // Already sorted by name, as the canonical query requires.
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={date}\
         &X-Amz-Expires=300&X-Amz-SignedHeaders=host"
    );
    let canonical_request = format!(
        "{method}\n/\n{query}\nhost:{host}\n\nhost\n{}",
        sha256_hex(body)
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let signature = hex::encode(hmac(&signing_key(day), string_to_sign.as_bytes()));
    format!("{query}&X-Amz-Signature={signature}")
}

fn signing_key(day: &str) -> Vec<u8> {
    signing_key_of(SECRET_ACCESS_KEY, day)
}

fn signing_key_of(secret: &str, day: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    let k_region = hmac(&k_date, REGION.as_bytes());
    let k_service = hmac(&k_region, b"dynamodb");
    hmac(&k_service, b"aws4_request")
}

/// Asserts the headers DynamoDB puts on every response: a 52-character `[0-9A-Z]` request id
/// and a correct `x-amz-crc32` of the body bytes as received.
pub fn assert_common_headers(response: &RawResponse) {
    let id = response.header("x-amzn-requestid");
    assert_eq!(id.len(), 52, "request id {id:?}");
    assert!(
        id.bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
        "request id {id:?}"
    );
    assert_eq!(
        response.header("x-amz-crc32"),
        crc32fast::hash(&response.body).to_string(),
        "crc32 of {:?}",
        response.body
    );
}

/// A path inside the repository (for scripts and fixtures).
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// An AWS SDK client for `url` signing with the static key `id` / `secret` (us-east-1).
pub fn client_for(url: &str, id: &str, secret: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(id, secret, None, None, "palisade-test"))
        .endpoint_url(url)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// Creates an on-demand table with a string `pk` hash key; a failure comes back as
/// `"<ErrorCode>: <message>"`.
pub async fn create_pk_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<(), String> {
    pk_table_request(client, name)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error_text(&e.into_service_error()))
}

/// The CreateTable request of [`create_pk_table`] (string key `pk`, on demand), to add to.
pub fn pk_table_request(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let def = AttributeDefinition::builder()
        .attribute_name("pk")
        .attribute_type(ScalarAttributeType::S)
        .build()
        .unwrap();
    let key = KeySchemaElement::builder()
        .attribute_name("pk")
        .key_type(KeyType::Hash)
        .build()
        .unwrap();
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(def)
        .key_schema(key)
        .billing_mode(BillingMode::PayPerRequest)
}

/// `"<ErrorCode>: <message>"` of a service error.
pub fn error_text(e: &impl aws_sdk_dynamodb::error::ProvideErrorMetadata) -> String {
    format!("{}: {}", e.code().unwrap_or(""), e.message().unwrap_or(""))
}
