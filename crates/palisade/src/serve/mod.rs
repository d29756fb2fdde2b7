//! `palisade serve`: the HTTP server. Reads the configuration (command line, environment,
//! configuration file, defaults), picks the storage backend, builds the engine and the API, and
//! serves HTTP/1.1 (keep-alive, optionally TLS and PROXY protocol v2) on tokio until SIGINT or
//! SIGTERM, then drains connections.

pub mod config;
pub mod listeners;
mod network;
pub mod proxy;
pub mod tls;
mod unwind;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use palisade_api::authorizer::Origin;
use palisade_api::{Api, ApiConfig};
use palisade_engine::{Engine, EngineConfig};
use palisade_storage::Storage;

use config::{ConfigFile, EndpointDecl, ListenerDecl, VpcDecl};
use listeners::{ListenerManager, ListenerSpec};

/// Options of `palisade serve`. Each one given here (or through its environment variable)
/// overrides the configuration file, which overrides the defaults.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Configuration file (TOML; see docs/configuration.md).
    #[arg(long, env = "PALISADE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port); replaces the address of the
    /// configuration file's first listener. [default: 127.0.0.1:8000]
    #[arg(long, env = "PALISADE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory holding the database; created if missing. [default: ./palisade-data]
    #[arg(long, env = "PALISADE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Region the server answers as (ARNs, health answer). [default: us-east-1]
    #[arg(long, env = "PALISADE_REGION")]
    pub region: Option<String>,
    /// Account that owns the tables. [default: 000000000000]
    #[arg(long, env = "PALISADE_ACCOUNT")]
    pub account: Option<String>,
    /// Smallest response body that is gzip-compressed for clients sending
    /// `Accept-Encoding: gzip`. [default: 1024]
    #[arg(long, env = "PALISADE_GZIP_MIN_BYTES")]
    pub gzip_min_bytes: Option<usize>,
    /// Capacity of the storage's block cache in MiB (decompressed blocks of the table files;
    /// it fills only as data is read). [default: 128]
    #[arg(
        long,
        env = "PALISADE_BLOCK_CACHE_MIB",
        value_parser = clap::value_parser!(u64).range(1..=MAX_BLOCK_CACHE_MIB)
    )]
    pub block_cache_mib: Option<u64>,
    /// File holding the key that encrypts secret access keys (32 bytes, created when missing).
    /// Keep it outside the data directory. `PALISADE_MASTER_KEY` (base64) takes precedence.
    /// [default: ./palisade-master.key]
    #[arg(long, env = "PALISADE_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// A declarative seed of the organization and identities (JSON, see docs), applied at
    /// every start; applying it again changes nothing.
    #[arg(long, env = "PALISADE_BOOTSTRAP")]
    pub bootstrap: Option<PathBuf>,
    /// A VPC endpoint as `VPCE-ID,VPC-ID,ADDR`: requests arriving on ADDR come through that
    /// endpoint (they carry `aws:SourceVpc`, `aws:SourceVpce`, `aws:VpcSourceIp` and no
    /// `aws:SourceIp`). Repeatable; added to the configuration file's endpoints.
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

/// The server's settings once the command line, the environment, the configuration file and
/// the defaults are merged (in that order of precedence).
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub region: String,
    pub account: String,
    pub gzip_min_bytes: usize,
    /// The block cache's capacity in MiB; `None`: the storage's default.
    pub block_cache_mib: Option<u64>,
    pub master_key_file: PathBuf,
    pub bootstrap: Option<PathBuf>,
    /// The public listeners; the first one is announced first.
    pub listeners: Vec<ListenerDecl>,
    pub vpcs: Vec<VpcDecl>,
    /// The configuration file's endpoints, then the `--vpc-endpoint` ones.
    pub endpoints: Vec<EndpointDecl>,
}

/// Where the server listens when nothing says otherwise.
const DEFAULT_LISTEN: &str = "127.0.0.1:8000";

impl Settings {
    /// Merges the command line (and environment) with the configuration file it names.
    pub fn resolve(args: ServeArgs) -> Result<Settings, String> {
        let file = match &args.config {
            Some(path) => config::load(path)?,
            None => ConfigFile::default(),
        };
        let mut listeners = file.listeners;
        match (args.listen.or(file.listen), listeners.first_mut()) {
            (Some(address), Some(first)) => first.address = address,
            (Some(address), None) => listeners.push(plain_listener(address)),
            (None, None) => {
                let address = DEFAULT_LISTEN
                    .parse()
                    .map_err(|e| format!("bad default address: {e}"))?;
                listeners.push(plain_listener(address));
            }
            (None, Some(_)) => {}
        }
        let mut endpoints = file.endpoints;
        let mut vpcs = file.vpcs;
        for ep in args.vpc_endpoints {
            if endpoints.iter().any(|e| e.id == ep.endpoint_id) {
                return Err(format!(
                    "--vpc-endpoint {}: the configuration file declares this endpoint already",
                    ep.endpoint_id
                ));
            }
            // A flag's VPC need not be in the file: it is declared implicitly, without
            // address ranges.
            if !vpcs.iter().any(|v| v.id == ep.vpc_id) {
                vpcs.push(VpcDecl {
                    id: ep.vpc_id.clone(),
                    cidr_blocks: Vec::new(),
                });
            }
            endpoints.push(EndpointDecl {
                id: ep.endpoint_id,
                vpc_id: ep.vpc_id,
                addresses: vec![ep.listen],
                tls: None,
                policy: None,
            });
        }
        Ok(Settings {
            data_dir: args
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("./palisade-data")),
            region: args
                .region
                .or(file.region)
                .unwrap_or_else(|| "us-east-1".into()),
            account: args
                .account
                .or(file.account)
                .unwrap_or_else(|| "000000000000".into()),
            gzip_min_bytes: args.gzip_min_bytes.or(file.gzip_min_bytes).unwrap_or(1024),
            block_cache_mib: args.block_cache_mib.or(file.block_cache_mib),
            master_key_file: args
                .master_key_file
                .or(file.master_key_file)
                .unwrap_or_else(|| PathBuf::from("./palisade-master.key")),
            bootstrap: args.bootstrap.or(file.bootstrap),
            listeners,
            vpcs,
            endpoints,
        })
    }

    /// Every listener: the public ones first, then the endpoints'.
    pub fn listener_specs(&self) -> Vec<ListenerSpec> {
        let mut specs = self.listener_specs_without_endpoints();
        specs.extend(ListenerSpec::for_endpoints(&self.endpoints));
        specs
    }

    /// The public listeners.
    pub fn listener_specs_without_endpoints(&self) -> Vec<ListenerSpec> {
        self.listeners.iter().map(ListenerSpec::public).collect()
    }
}

fn plain_listener(address: SocketAddr) -> ListenerDecl {
    ListenerDecl {
        address,
        tls: None,
        proxy_trusted: Vec::new(),
    }
}

/// The largest block cache `--block-cache-mib` accepts (1 TiB).
const MAX_BLOCK_CACHE_MIB: u64 = 1 << 20;

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
/// missing; siblings of `db` are left for other state), with a block cache of `cache_mib` MiB
/// (default 128).
fn open_storage(data_dir: &Path, cache_mib: Option<u64>) -> Result<Arc<dyn Storage>, String> {
    use palisade_storage_fjall::DEFAULT_BLOCK_CACHE_BYTES;
    let db_dir = data_dir.join("db");
    std::fs::create_dir_all(&db_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", db_dir.display()))?;
    let options = palisade_storage_fjall::StoreOptions {
        block_cache_bytes: cache_mib.map_or(DEFAULT_BLOCK_CACHE_BYTES, |mib| mib << 20),
    };
    let storage = palisade_storage_fjall::FjallStorage::open_with(&db_dir, &options)
        .map_err(|e| format!("cannot open the database in {}: {e}", db_dir.display()))?;
    tracing::info!(
        path = %db_dir.display(),
        block_cache_mib = options.block_cache_bytes >> 20,
        "opened the fjall store"
    );
    Ok(Arc::new(storage))
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let settings = Settings::resolve(args)?;
    let storage = open_storage(&settings.data_dir, settings.block_cache_mib)?;
    let identity = crate::identity_setup::open(
        Arc::clone(&storage),
        crate::identity_setup::KeySource {
            env_key: std::env::var("PALISADE_MASTER_KEY").ok(),
            file: settings.master_key_file.clone(),
        },
        &settings.data_dir,
        &settings.account,
    )
    .await?;
    if let Some(path) = &settings.bootstrap {
        let file = crate::bootstrap::read(path)?;
        crate::bootstrap::apply(
            &file,
            &identity.directory,
            &identity.organizations,
            &settings.account,
        )
        .await?;
        tracing::info!(path = %path.display(), "applied the bootstrap file");
    }
    network::declare(
        &identity.network,
        &settings.account,
        &settings.vpcs,
        &settings.endpoints,
    )
    .await?;
    let network_store = Arc::clone(&identity.network);
    let engine = Engine::open(
        storage,
        EngineConfig {
            region: settings.region.clone(),
            account: settings.account.clone(),
        },
    )
    .map_err(|e| format!("cannot open the database: {e:?}"))?;
    let api = Arc::new(Api::with_identity(
        Arc::new(engine),
        ApiConfig {
            region: settings.region.clone(),
            gzip_min_bytes: settings.gzip_min_bytes,
            ..ApiConfig::default()
        },
        identity,
    ));

    // The network store's endpoints (the configuration's and those created through EC2):
    // listeners and PROXY header resolution follow them.
    let endpoint_updates = network::follow(network_store, &settings.endpoints);
    let resolver = listeners::resolver_from_watch(endpoint_updates.clone());
    let mut manager = ListenerManager::new(api, resolver);
    // Every listener must open at start; later changes are only logged.
    manager.reconcile(settings.listener_specs()).await?;
    tracing::info!(
        region = %settings.region,
        listeners = manager.bound().len(),
        vpcs = settings.vpcs.len(),
        "serving"
    );
    manager
        .follow(
            settings.listener_specs_without_endpoints(),
            endpoint_updates,
            shutdown_signal(),
        )
        .await;
    tracing::info!("shutting down: draining open connections");
    manager.shutdown(DRAIN_TIMEOUT).await;
    Ok(())
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
    // What the error answer needs if the handler panics (header values are shared, not copied).
    let content_type = parts.headers.get(http::header::CONTENT_TYPE).cloned();
    let cors_origin = parts.headers.get(http::header::ORIGIN).cloned();
    let request = http::Request::from_parts(parts, bytes);
    match unwind::CatchPanic::new(api.handle(request)).await {
        Ok(response) => response.map(Full::new),
        Err(payload) => {
            let error = unwind::panic_message(&*payload);
            tracing::error!(%error, "request handler panicked");
            let mut framing = http::HeaderMap::new();
            for (name, value) in [
                (http::header::CONTENT_TYPE, content_type),
                (http::header::ORIGIN, cors_origin),
            ] {
                if let Some(value) = value {
                    framing.insert(name, value);
                }
            }
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
