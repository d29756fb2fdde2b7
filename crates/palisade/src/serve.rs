//! `palisade serve`: the HTTP server. Picks the storage backend, builds the engine and the API,
//! and serves HTTP/1.1 (keep-alive) on tokio until SIGINT or SIGTERM, then drains connections.

use std::convert::Infallible;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use palisade_api::authorizer::{Origin, VpcOrigin};
use palisade_api::{Api, ApiConfig};
use palisade_engine::{Engine, EngineConfig};
use palisade_storage::Storage;
use tokio::net::TcpListener;

/// Options of `palisade serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "PALISADE_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Directory holding the database; created if missing.
    #[arg(long, env = "PALISADE_DATA_DIR", default_value = "./palisade-data")]
    pub data_dir: PathBuf,
    /// Region the server answers as (ARNs, health answer).
    #[arg(long, env = "PALISADE_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Account that owns the tables.
    #[arg(long, env = "PALISADE_ACCOUNT", default_value = "000000000000")]
    pub account: String,
    /// Smallest response body that is gzip-compressed for clients sending
    /// `Accept-Encoding: gzip`.
    #[arg(long, env = "PALISADE_GZIP_MIN_BYTES", default_value_t = 1024)]
    pub gzip_min_bytes: usize,
    /// File holding the key that encrypts secret access keys (32 bytes, created when missing).
    /// Keep it outside the data directory. `PALISADE_MASTER_KEY` (base64) takes precedence.
    #[arg(
        long,
        env = "PALISADE_MASTER_KEY_FILE",
        default_value = "./palisade-master.key"
    )]
    pub master_key_file: PathBuf,
    /// A declarative seed of the organization and identities (JSON, see docs), applied at
    /// every start; applying it again changes nothing.
    #[arg(long, env = "PALISADE_BOOTSTRAP")]
    pub bootstrap: Option<PathBuf>,
    /// A VPC endpoint as `VPCE-ID,VPC-ID,ADDR`: requests arriving on ADDR come through that
    /// endpoint (they carry `aws:SourceVpc`, `aws:SourceVpce`, `aws:VpcSourceIp` and no
    /// `aws:SourceIp`). Repeatable.
    #[arg(long = "vpc-endpoint", value_parser = parse_vpc_endpoint)]
    pub vpc_endpoints: Vec<VpcEndpointArg>,
}

/// One `--vpc-endpoint`.
#[derive(Debug, Clone)]
pub struct VpcEndpointArg {
    pub endpoint_id: String,
    pub vpc_id: String,
    pub listen: SocketAddr,
}

fn parse_vpc_endpoint(text: &str) -> Result<VpcEndpointArg, String> {
    let mut parts = text.splitn(3, ',');
    let (Some(endpoint_id), Some(vpc_id), Some(addr)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("expected VPCE-ID,VPC-ID,ADDR (e.g. vpce-0a1b,vpc-0c2d,127.0.0.1:8001)".into());
    };
    if !endpoint_id.starts_with("vpce-") || !vpc_id.starts_with("vpc-") {
        return Err(format!(
            "{endpoint_id},{vpc_id}: ids must start with vpce- and vpc-"
        ));
    }
    let listen = addr
        .parse()
        .map_err(|e| format!("{addr} is not an address: {e}"))?;
    Ok(VpcEndpointArg {
        endpoint_id: endpoint_id.into(),
        vpc_id: vpc_id.into(),
        listen,
    })
}

/// How long a client may take to send a request's headers (slow clients hold a connection).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long open connections may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the server and returns the process exit status.
pub fn run(args: ServeArgs) -> ExitCode {
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("palisade: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Opens the durable store: a fjall database in `<data-dir>/db` (the directory is created when
/// missing; siblings of `db` are left for other state).
fn open_storage(data_dir: &Path) -> Result<Arc<dyn Storage>, String> {
    let db_dir = data_dir.join("db");
    std::fs::create_dir_all(&db_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", db_dir.display()))?;
    let storage = palisade_storage_fjall::FjallStorage::open(&db_dir)
        .map_err(|e| format!("cannot open the database in {}: {e}", db_dir.display()))?;
    tracing::info!(path = %db_dir.display(), "opened the fjall store");
    Ok(Arc::new(storage))
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let storage = open_storage(&args.data_dir)?;
    let identity = crate::identity_setup::open(
        Arc::clone(&storage),
        crate::identity_setup::KeySource {
            env_key: std::env::var("PALISADE_MASTER_KEY").ok(),
            file: args.master_key_file.clone(),
        },
        &args.data_dir,
        &args.account,
    )
    .await?;
    if let Some(path) = &args.bootstrap {
        let file = crate::bootstrap::read(path)?;
        crate::bootstrap::apply(
            &file,
            &identity.directory,
            &identity.organizations,
            &args.account,
        )
        .await?;
        tracing::info!(path = %path.display(), "applied the bootstrap file");
    }
    let engine = Engine::open(
        storage,
        EngineConfig {
            region: args.region.clone(),
            account: args.account.clone(),
        },
    )
    .map_err(|e| format!("cannot open the database: {e:?}"))?;
    let api = Arc::new(Api::with_identity(
        Arc::new(engine),
        ApiConfig {
            region: args.region.clone(),
            gzip_min_bytes: args.gzip_min_bytes,
            ..ApiConfig::default()
        },
        identity,
    ));

    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    // Connections arriving through VPC endpoint listeners come in over this channel, with the
    // origin their listener gives them.
    let (via_endpoint, mut endpoint_conns) =
        tokio::sync::mpsc::channel::<(tokio::net::TcpStream, SocketAddr, Origin)>(64);
    let mut endpoint_lines = Vec::new();
    for ep in &args.vpc_endpoints {
        let l = TcpListener::bind(ep.listen)
            .await
            .map_err(|e| format!("cannot listen on {} for {}: {e}", ep.listen, ep.endpoint_id))?;
        let addr = l
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        endpoint_lines.push(format!(
            "palisade vpc endpoint {} listening on http://{addr}",
            ep.endpoint_id
        ));
        tokio::spawn(accept_through_endpoint(l, ep.clone(), via_endpoint.clone()));
    }
    drop(via_endpoint);
    announce(local)?;
    for line in &endpoint_lines {
        println!("{line}");
    }
    tracing::info!(address = %local, region = %args.region, "listening");

    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let origin = Origin { source_ip: Some(peer.ip()), secure_transport: false, vpc: None };
                serve_connection(&http, &graceful, &api, stream, peer, origin);
            }
            Some((stream, peer, origin)) = endpoint_conns.recv() => {
                serve_connection(&http, &graceful, &api, stream, peer, origin);
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: draining open connections");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!("drain timed out; closing"),
    }
    Ok(())
}

/// Accepts connections on a VPC endpoint's listener and hands them to the server with the
/// endpoint's origin.
async fn accept_through_endpoint(
    listener: TcpListener,
    ep: VpcEndpointArg,
    to_server: tokio::sync::mpsc::Sender<(tokio::net::TcpStream, SocketAddr, Origin)>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let origin = Origin {
                    source_ip: None,
                    secure_transport: false,
                    vpc: Some(VpcOrigin {
                        vpc_id: ep.vpc_id.clone(),
                        endpoint_id: ep.endpoint_id.clone(),
                        source_ip: Some(peer.ip()),
                        policies: Vec::new(),
                    }),
                };
                if to_server.send((stream, peer, origin)).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(%error, endpoint = %ep.endpoint_id, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Serves one accepted connection with keep-alive, watched for graceful shutdown.
fn serve_connection(
    http: &http1::Builder,
    graceful: &GracefulShutdown,
    api: &Arc<Api>,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    origin: Origin,
) {
    let _ = stream.set_nodelay(true);
    let api = Arc::clone(api);
    let service = service_fn(move |req| {
        let api = Arc::clone(&api);
        let origin = origin.clone();
        async move { Ok::<_, Infallible>(answer(api, req, origin).await) }
    });
    let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
    tokio::spawn(async move {
        if let Err(error) = conn.await {
            tracing::debug!(%peer, %error, "connection ended with an error");
        }
    });
}

/// Prints the one line tests and scripts wait for.
fn announce(address: SocketAddr) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "palisade listening on http://{address}")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))
}

/// Reads the body (within the API's size limit) and hands the whole request to the API, on its
/// own task so that a bug that panics costs one `500`, not the connection.
async fn answer(
    api: Arc<Api>,
    req: hyper::Request<Incoming>,
    origin: Origin,
) -> hyper::Response<Full<Bytes>> {
    let limit = api.config().max_request_bytes;
    let (mut parts, body) = req.into_parts();
    // The origin comes from the connection, never from what the client wrote.
    parts.extensions.insert(origin);
    let declared_too_large = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|len| len > limit as u64);
    if declared_too_large {
        return api.request_too_large(&parts.headers).map(Full::new);
    }
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            if error.is::<http_body_util::LengthLimitError>() {
                return api.request_too_large(&parts.headers).map(Full::new);
            }
            // The client went away or sent a broken body: nothing sensible to answer.
            tracing::debug!(%error, "cannot read request body");
            let mut response = hyper::Response::new(Full::new(Bytes::new()));
            *response.status_mut() = http::StatusCode::BAD_REQUEST;
            return response;
        }
    };
    // What the error answer needs if the handler panics.
    let mut framing = http::HeaderMap::new();
    for name in [http::header::CONTENT_TYPE, http::header::ORIGIN] {
        if let Some(value) = parts.headers.get(&name) {
            framing.insert(name, value.clone());
        }
    }
    let request = http::Request::from_parts(parts, bytes);
    let handler = Arc::clone(&api);
    match tokio::spawn(async move { handler.handle(request).await }).await {
        Ok(response) => response.map(Full::new),
        Err(error) => {
            tracing::error!(%error, "request handler failed");
            api.internal_error(&framing).map(Full::new)
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received SIGINT"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}
