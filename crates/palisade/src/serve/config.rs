//! The configuration file of `palisade serve` (`--config FILE`, TOML): server settings, public
//! listeners, VPCs and VPC endpoints. Every error names the file, the line and what is wrong;
//! relative paths resolve against the file's directory. See docs/configuration.md.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;
use toml::Spanned;

pub use super::tls::TlsFiles;

/// A parsed configuration file. Settings left out are `None` (the command line, the
/// environment or the defaults decide them).
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    pub region: Option<String>,
    pub account: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub master_key_file: Option<PathBuf>,
    pub bootstrap: Option<PathBuf>,
    pub gzip_min_bytes: Option<usize>,
    /// `block_cache_mib`: like `--block-cache-mib`.
    pub block_cache_mib: Option<u64>,
    /// `listen = "ADDR"`: like `--listen`, replaces the first listener's address (or adds one).
    pub listen: Option<SocketAddr>,
    /// `[[listener]]`: the public listeners, in file order.
    pub listeners: Vec<ListenerDecl>,
    /// `[[vpc]]`.
    pub vpcs: Vec<VpcDecl>,
    /// `[[vpc_endpoint]]`.
    pub endpoints: Vec<EndpointDecl>,
}

/// One `[[listener]]`: a public listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerDecl {
    pub address: SocketAddr,
    /// TLS when set; plain HTTP otherwise.
    pub tls: Option<TlsFiles>,
    /// Peers allowed (and required) to open their connections with a PROXY protocol v2
    /// header; empty when the listener does not take PROXY headers.
    pub proxy_trusted: Vec<IpNet>,
}

/// One `[[vpc]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcDecl {
    /// `vpc-...`.
    pub id: String,
    pub cidr_blocks: Vec<IpNet>,
}

/// One VPC endpoint: a `[[vpc_endpoint]]` of the file or a `--vpc-endpoint` flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointDecl {
    /// `vpce-...`.
    pub id: String,
    /// The VPC the endpoint belongs to (`vpc-...`).
    pub vpc_id: String,
    /// The listeners that form the endpoint (requests arriving on them come through it). May
    /// be empty: the endpoint is then reached only through load balancers whose PROXY headers
    /// name it.
    pub addresses: Vec<SocketAddr>,
    pub tls: Option<TlsFiles>,
    /// The endpoint policy's JSON text (`policy`, or the contents of `policy_file`).
    pub policy: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    region: Option<String>,
    account: Option<String>,
    data_dir: Option<String>,
    master_key_file: Option<String>,
    bootstrap: Option<Spanned<String>>,
    gzip_min_bytes: Option<usize>,
    block_cache_mib: Option<u64>,
    listen: Option<SocketAddr>,
    #[serde(default)]
    listener: Vec<RawListener>,
    #[serde(default)]
    vpc: Vec<RawVpc>,
    #[serde(default)]
    vpc_endpoint: Vec<RawEndpoint>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawListener {
    address: Spanned<SocketAddr>,
    tls: Option<RawTls>,
    proxy_protocol: Option<Spanned<RawProxy>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: Spanned<String>,
    key: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProxy {
    trusted: Vec<IpNet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVpc {
    id: Spanned<String>,
    #[serde(default)]
    cidr_blocks: Vec<IpNet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    id: Spanned<String>,
    vpc: Spanned<String>,
    #[serde(default)]
    addresses: Vec<Spanned<SocketAddr>>,
    tls: Option<RawTls>,
    policy: Option<Spanned<String>>,
    policy_file: Option<Spanned<String>>,
}

/// Reads and checks the configuration file at `path`.
pub fn load(path: &Path) -> Result<ConfigFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the configuration file {}: {e}", path.display()))?;
    parse(&text, path)
}

/// Parses and checks `text`, the contents of the file at `path` (named in errors; relative
/// paths in the file resolve against its directory).
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, String> {
    let at = Locator { text, path };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let what = e.message().trim_end().to_string();
        match e.span() {
            Some(span) => at.error(&span, &what),
            None => format!("{}: {what}", path.display()),
        }
    })?;
    let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let resolve = |p: &str| base.join(p);

    let mut addresses = HashSet::new();
    let mut listeners = Vec::new();
    for l in raw.listener {
        let address = *l.address.get_ref();
        if address.port() != 0 && !addresses.insert(address) {
            return Err(at.error(&l.address.span(), &format!("{address} is used twice")));
        }
        let proxy_trusted = match l.proxy_protocol {
            None => Vec::new(),
            Some(p) if p.get_ref().trusted.is_empty() => {
                return Err(at.error(
                    &p.span(),
                    "proxy_protocol.trusted is empty: list the proxies' CIDRs",
                ));
            }
            Some(p) => p.into_inner().trusted,
        };
        listeners.push(ListenerDecl {
            address,
            tls: l.tls.map(|t| at.tls(t, &resolve)).transpose()?,
            proxy_trusted,
        });
    }

    let mut vpc_ids = HashSet::new();
    let mut vpcs = Vec::new();
    for v in raw.vpc {
        let id = v.id.get_ref();
        if !id.starts_with("vpc-") || !valid_id(id) {
            return Err(at.error(&v.id.span(), &format!("{id:?} is not a VPC id (vpc-...)")));
        }
        if !vpc_ids.insert(id.clone()) {
            return Err(at.error(&v.id.span(), &format!("VPC {id} is declared twice")));
        }
        vpcs.push(VpcDecl {
            id: v.id.into_inner(),
            cidr_blocks: v.cidr_blocks,
        });
    }

    let mut endpoint_ids = HashSet::new();
    let mut endpoint_any_port = HashSet::new();
    let mut endpoints = Vec::new();
    for ep in raw.vpc_endpoint {
        let id = ep.id.get_ref();
        if !id.starts_with("vpce-") || !valid_id(id) {
            return Err(at.error(
                &ep.id.span(),
                &format!("{id:?} is not a VPC endpoint id (vpce-...)"),
            ));
        }
        if !endpoint_ids.insert(id.clone()) {
            return Err(at.error(&ep.id.span(), &format!("endpoint {id} is declared twice")));
        }
        let vpc = ep.vpc.get_ref();
        if !vpc_ids.contains(vpc) {
            return Err(at.error(
                &ep.vpc.span(),
                &format!("VPC {vpc} is not declared (add a [[vpc]] with this id)"),
            ));
        }
        let mut list = Vec::new();
        for a in ep.addresses {
            let address = *a.get_ref();
            // Endpoints are stored by address in the network store: even port 0 only once.
            let taken = if address.port() == 0 {
                !endpoint_any_port.insert(address)
            } else {
                !addresses.insert(address)
            };
            if taken {
                return Err(at.error(&a.span(), &format!("{address} is used twice")));
            }
            list.push(address);
        }
        let policy = match (ep.policy, ep.policy_file) {
            (Some(_), Some(file)) => {
                return Err(at.error(&file.span(), "give policy or policy_file, not both"));
            }
            (Some(text), None) => Some(at.policy(text.get_ref(), &text.span())?),
            (None, Some(file)) => {
                let full = resolve(file.get_ref());
                let text = std::fs::read_to_string(&full).map_err(|e| {
                    at.error(
                        &file.span(),
                        &format!("cannot read {}: {e}", full.display()),
                    )
                })?;
                Some(at.policy(&text, &file.span())?)
            }
            (None, None) => None,
        };
        endpoints.push(EndpointDecl {
            id: ep.id.into_inner(),
            vpc_id: ep.vpc.into_inner(),
            addresses: list,
            tls: ep.tls.map(|t| at.tls(t, &resolve)).transpose()?,
            policy,
        });
    }

    let bootstrap = match raw.bootstrap {
        Some(file) => {
            let full = resolve(file.get_ref());
            if !full.is_file() {
                return Err(at.error(&file.span(), &format!("{} does not exist", full.display())));
            }
            Some(full)
        }
        None => None,
    };
    Ok(ConfigFile {
        region: raw.region,
        account: raw.account,
        data_dir: raw.data_dir.map(|d| resolve(&d)),
        master_key_file: raw.master_key_file.map(|f| resolve(&f)),
        bootstrap,
        gzip_min_bytes: raw.gzip_min_bytes,
        block_cache_mib: raw.block_cache_mib,
        listen: raw.listen,
        listeners,
        vpcs,
        endpoints,
    })
}

/// `[A-Za-z0-9-]+`, at most 64 characters: what AWS resource ids look like.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Turns byte offsets of the file into `FILE:LINE: what` messages.
struct Locator<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Locator<'_> {
    fn error(&self, span: &Range<usize>, what: &str) -> String {
        let end = span.start.min(self.text.len());
        let line = self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!("{}:{line}: {what}", self.path.display())
    }

    /// Resolves and checks the certificate and key files (they must exist and fit).
    fn tls(&self, raw: RawTls, resolve: &impl Fn(&str) -> PathBuf) -> Result<TlsFiles, String> {
        let span = raw.cert.span();
        let mut files = Vec::new();
        for (what, file) in [("certificate", raw.cert), ("key", raw.key)] {
            let full = resolve(file.get_ref());
            if !full.is_file() {
                return Err(self.error(
                    &file.span(),
                    &format!("TLS {what} file {} does not exist", full.display()),
                ));
            }
            files.push(full);
        }
        let key = files.pop().unwrap_or_default();
        let cert = files.pop().unwrap_or_default();
        let files = TlsFiles { cert, key };
        // Read them now, so that a file that is not PEM is reported with its line.
        files.acceptor().map_err(|e| self.error(&span, &e))?;
        Ok(files)
    }

    /// Checks that an endpoint policy is a JSON object.
    fn policy(&self, text: &str, span: &Range<usize>) -> Result<String, String> {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(_)) => Ok(text.to_string()),
            Ok(_) => Err(self.error(span, "the endpoint policy is not a JSON object")),
            Err(e) => Err(self.error(span, &format!("the endpoint policy is not JSON: {e}"))),
        }
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
