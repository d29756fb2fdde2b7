//! The listener manager: binds, serves and closes listeners to match a desired set
//! ([`ListenerManager::reconcile`]), and gives each connection its [`Origin`] from the listener,
//! the socket, a trusted PROXY protocol v2 header and TLS — never from HTTP headers
//! (docs/decisions/0012-origin-and-proxy-protocol.md).

use std::convert::Infallible;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use ipnet::IpNet;
use palisade_api::Api;
use palisade_api::authorizer::{Origin, VpcOrigin};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::config::{EndpointDecl, ListenerDecl};
use super::proxy::{self, Header};
use super::tls::TlsFiles;

/// Finds the VPC of a VPC endpoint id (for endpoint ids that arrive in PROXY headers).
pub type EndpointResolver = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How a client may take to send a request's headers (slow clients hold a connection); also
/// bounds the TLS handshake and the first bytes of a connection on a PROXY listener.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a trusted proxy may take to send its PROXY header.
pub const PROXY_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// The VPC endpoint a listener belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndpointBinding {
    /// `vpce-...`.
    pub endpoint_id: String,
    /// `vpc-...`.
    pub vpc_id: String,
}

/// One listener as it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerSpec {
    /// Where to listen (port 0 picks a free port).
    pub address: SocketAddr,
    /// TLS when set.
    pub tls: Option<TlsFiles>,
    /// Peers that must open their connections with a PROXY v2 header; when empty, no PROXY
    /// headers are taken and connections are served as they come.
    pub proxy_trusted: Vec<IpNet>,
    /// Set for the listeners of a VPC endpoint.
    pub endpoint: Option<EndpointBinding>,
}

impl ListenerSpec {
    /// A public listener of the configuration file.
    pub fn public(decl: &ListenerDecl) -> ListenerSpec {
        ListenerSpec {
            address: decl.address,
            tls: decl.tls.clone(),
            proxy_trusted: decl.proxy_trusted.clone(),
            endpoint: None,
        }
    }

    /// The listeners of VPC endpoints: one for each address of each endpoint.
    pub fn for_endpoints(endpoints: &[EndpointDecl]) -> Vec<ListenerSpec> {
        endpoints
            .iter()
            .flat_map(|ep| {
                ep.addresses.iter().map(|address| ListenerSpec {
                    address: *address,
                    tls: ep.tls.clone(),
                    proxy_trusted: Vec::new(),
                    endpoint: Some(EndpointBinding {
                        endpoint_id: ep.id.clone(),
                        vpc_id: ep.vpc_id.clone(),
                    }),
                })
            })
            .collect()
    }

    fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
}

/// A resolver over the latest endpoints sent on a watch channel (the one given to
/// [`ListenerManager::follow`]), so that endpoints added at runtime resolve too.
pub fn resolver_from_watch(endpoints: watch::Receiver<Vec<EndpointDecl>>) -> EndpointResolver {
    Arc::new(move |id| {
        endpoints
            .borrow()
            .iter()
            .find(|ep| ep.id == id)
            .map(|ep| ep.vpc_id.clone())
    })
}

/// What every connection needs.
struct Shared {
    api: Arc<Api>,
    http: http1::Builder,
    resolver: EndpointResolver,
}

struct Running {
    spec: ListenerSpec,
    local: SocketAddr,
    task: JoinHandle<()>,
}

/// The server's listeners. Connections it accepted are watched for graceful shutdown.
pub struct ListenerManager {
    shared: Arc<Shared>,
    graceful: Arc<GracefulShutdown>,
    running: Vec<Running>,
}

impl ListenerManager {
    /// A manager with no listeners yet.
    pub fn new(api: Arc<Api>, resolver: EndpointResolver) -> ListenerManager {
        let mut http = http1::Builder::new();
        http.keep_alive(true)
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT);
        ListenerManager {
            shared: Arc::new(Shared {
                api,
                http,
                resolver,
            }),
            graceful: Arc::new(GracefulShutdown::new()),
            running: Vec::new(),
        }
    }

    /// Makes the listeners match `desired`: closes those no longer wanted (their open
    /// connections finish), keeps those unchanged, binds the new ones and prints a
    /// `palisade listening on ...` / `palisade vpc endpoint <id> listening on ...` line for each,
    /// in `desired` order. A listener that cannot be bound is reported in the error; the others
    /// are still bound.
    pub async fn reconcile(&mut self, desired: Vec<ListenerSpec>) -> Result<(), String> {
        // Each running listener matches at most one wanted spec (several may be alike when
        // they ask for port 0).
        let mut unmatched = std::mem::take(&mut self.running);
        let mut to_bind = Vec::new();
        for spec in desired {
            match unmatched.iter().position(|r| r.spec == spec) {
                Some(at) => self.running.push(unmatched.swap_remove(at)),
                None => to_bind.push(spec),
            }
        }
        for old in unmatched {
            old.task.abort();
            let _ = old.task.await;
            tracing::info!(address = %old.local, endpoint = ?old.spec.endpoint, "listener closed");
        }
        let mut errors = Vec::new();
        for spec in to_bind {
            let taken = spec.address.port() != 0
                && self.running.iter().any(|r| r.spec.address == spec.address);
            if taken {
                errors.push(format!("{} is wanted by two listeners", spec.address));
                continue;
            }
            match self.bind(spec).await {
                Ok(running) => self.running.push(running),
                Err(error) => errors.push(error),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    async fn bind(&self, spec: ListenerSpec) -> Result<Running, String> {
        let acceptor = spec.tls.as_ref().map(TlsFiles::acceptor).transpose()?;
        let listener = TcpListener::bind(spec.address)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", spec.address))?;
        let local = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        let line = match &spec.endpoint {
            None => format!("palisade listening on {}://{local}", spec.scheme()),
            Some(ep) => format!(
                "palisade vpc endpoint {} listening on {}://{local}",
                ep.endpoint_id,
                spec.scheme()
            ),
        };
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
        tracing::info!(address = %local, endpoint = ?spec.endpoint, tls = acceptor.is_some(), "listening");
        let listening = Listening {
            spec: Arc::new(spec.clone()),
            acceptor,
            shared: Arc::clone(&self.shared),
            graceful: Arc::clone(&self.graceful),
        };
        let task = tokio::spawn(listening.accept_loop(listener));
        Ok(Running { spec, local, task })
    }

    /// Follows `endpoints` until `stop` resolves: at the start and after every change, the
    /// listeners are reconciled to `public` plus the listeners of the endpoints. Feed it from
    /// the store of VPC endpoints (their change notifications turned into declarations) to
    /// open and close endpoint listeners at runtime. Listeners that cannot be bound are logged
    /// and the others served; when the sender goes away the listeners stay as they are.
    pub async fn follow(
        &mut self,
        public: Vec<ListenerSpec>,
        mut endpoints: watch::Receiver<Vec<EndpointDecl>>,
        stop: impl Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        loop {
            let current = endpoints.borrow_and_update().clone();
            let mut desired = public.clone();
            desired.extend(ListenerSpec::for_endpoints(&current));
            if let Err(error) = self.reconcile(desired).await {
                tracing::warn!(%error, "some listeners could not be opened");
            }
            tokio::select! {
                () = &mut stop => return,
                changed = endpoints.changed() => {
                    if changed.is_err() {
                        stop.await;
                        return;
                    }
                }
            }
        }
    }

    /// The listeners open now and the addresses they are bound to.
    pub fn bound(&self) -> Vec<(ListenerSpec, SocketAddr)> {
        self.running
            .iter()
            .map(|r| (r.spec.clone(), r.local))
            .collect()
    }

    /// Closes every listener and waits up to `drain` for open connections to finish.
    pub async fn shutdown(mut self, drain: Duration) {
        for r in self.running.drain(..) {
            r.task.abort();
            let _ = r.task.await;
        }
        let Ok(graceful) = Arc::try_unwrap(self.graceful) else {
            tracing::warn!("cannot wait for open connections");
            return;
        };
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("all connections closed"),
            () = tokio::time::sleep(drain) => tracing::warn!("drain timed out; closing"),
        }
    }
}

/// One bound listener's accept loop.
struct Listening {
    spec: Arc<ListenerSpec>,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    graceful: Arc<GracefulShutdown>,
}

impl Listening {
    async fn accept_loop(self, listener: TcpListener) {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let conn = Connection {
                        spec: Arc::clone(&self.spec),
                        acceptor: self.acceptor.clone(),
                        shared: Arc::clone(&self.shared),
                        watcher: self.graceful.watcher(),
                        peer,
                    };
                    tokio::spawn(conn.serve(stream));
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// One accepted connection, before its origin is known.
struct Connection {
    spec: Arc<ListenerSpec>,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    watcher: Watcher,
    peer: SocketAddr,
}

impl Connection {
    async fn serve(self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let peer = self.peer;
        let Some((stream, origin)) = self.origin(stream).await else {
            return;
        };
        match self.acceptor.clone() {
            None => self.serve_http(stream, origin),
            Some(acceptor) => {
                let handshake = tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream));
                match handshake.await {
                    Ok(Ok(tls)) => self.serve_http(tls, origin),
                    Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            }
        }
    }

    /// Reads a PROXY header where the listener takes them and decides the connection's origin;
    /// `None` when the connection must be closed.
    async fn origin(&self, stream: TcpStream) -> Option<(Prefixed<TcpStream>, Origin)> {
        let peer = self.peer;
        let mut stream = Prefixed {
            prefix: Vec::new(),
            pos: 0,
            inner: stream,
        };
        let mut source = peer.ip();
        let mut secure = self.acceptor.is_some();
        let mut endpoint = self.spec.endpoint.clone();
        if self.spec.proxy_trusted.is_empty() {
            // This listener takes no PROXY headers: the socket is the truth.
        } else if is_trusted(&self.spec.proxy_trusted, peer.ip()) {
            let header =
                tokio::time::timeout(PROXY_HEADER_TIMEOUT, proxy::read_header(&mut stream.inner));
            match header.await {
                Err(_) => {
                    tracing::warn!(%peer, "closing: no PROXY header within the time limit");
                    return None;
                }
                Ok(Err(error)) => {
                    tracing::warn!(%peer, %error, "closing: bad PROXY header from a trusted proxy");
                    return None;
                }
                Ok(Ok(Header::Local)) => {}
                Ok(Ok(Header::Proxy(proxied))) => {
                    if let Some(address) = proxied.source {
                        source = address.ip();
                    }
                    secure |= proxied.client_ssl;
                    if let Some(id) = proxied.vpce_id {
                        match &endpoint {
                            Some(own) if own.endpoint_id != id => {
                                tracing::warn!(%peer, endpoint = %id, listener_endpoint = %own.endpoint_id, "closing: the PROXY header names another VPC endpoint");
                                return None;
                            }
                            Some(_) => {}
                            None => match (self.shared.resolver)(&id) {
                                Some(vpc_id) => {
                                    endpoint = Some(EndpointBinding {
                                        endpoint_id: id,
                                        vpc_id,
                                    });
                                }
                                None => {
                                    tracing::warn!(%peer, endpoint = %id, "closing: the PROXY header names an unknown VPC endpoint");
                                    return None;
                                }
                            },
                        }
                    }
                }
            }
        } else {
            // Not a trusted proxy: whoever sends a PROXY header from here is spoofing.
            let sniff = tokio::time::timeout(HEADER_READ_TIMEOUT, sniff(&mut stream));
            match sniff.await {
                Ok(Ok(true)) => {
                    tracing::warn!(%peer, "closing: a PROXY header from an untrusted address");
                    return None;
                }
                Ok(Ok(false)) => {}
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "connection ended before its first request");
                    return None;
                }
                Err(_) => {
                    tracing::debug!(%peer, "closing: nothing received within the time limit");
                    return None;
                }
            }
        }
        let origin = match endpoint {
            Some(ep) => Origin {
                source_ip: None,
                secure_transport: secure,
                vpc: Some(VpcOrigin {
                    vpc_id: ep.vpc_id,
                    endpoint_id: ep.endpoint_id,
                    source_ip: Some(source),
                    policies: Vec::new(),
                }),
            },
            None => Origin {
                source_ip: Some(source),
                secure_transport: secure,
                vpc: None,
            },
        };
        Some((stream, origin))
    }

    /// Serves HTTP/1.1 with keep-alive on the connection, watched for graceful shutdown.
    fn serve_http<S>(self, io: S, origin: Origin)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let api = Arc::clone(&self.shared.api);
        let service = service_fn(move |req| {
            let api = Arc::clone(&api);
            let origin = origin.clone();
            async move { Ok::<_, Infallible>(super::answer(api, req, origin).await) }
        });
        let conn = self
            .watcher
            .watch(self.shared.http.serve_connection(TokioIo::new(io), service));
        let peer = self.peer;
        tokio::spawn(async move {
            if let Err(error) = conn.await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
}

fn is_trusted(trusted: &[IpNet], ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    trusted.iter().any(|net| net.contains(&ip))
}

/// Reads a connection's first bytes (kept in `stream`'s prefix) until they cannot be a PROXY
/// header any more; `true` when they are one.
async fn sniff(stream: &mut Prefixed<TcpStream>) -> std::io::Result<bool> {
    let mut chunk = [0u8; proxy::SIGNATURE.len()];
    while stream.prefix.len() < proxy::SIGNATURE.len() && proxy::could_be_proxy(&stream.prefix) {
        let want = proxy::SIGNATURE.len() - stream.prefix.len();
        let n = stream.inner.read(&mut chunk[..want]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        stream.prefix.extend_from_slice(&chunk[..n]);
    }
    Ok(proxy::could_be_proxy(&stream.prefix))
}

/// A stream that first replays bytes already read from it.
struct Prefixed<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.pos < this.prefix.len() {
            let rest = &this.prefix[this.pos..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[path = "listeners_tests.rs"]
mod tests;
