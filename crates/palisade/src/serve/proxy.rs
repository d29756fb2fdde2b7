//! PROXY protocol version 2: the binary header a load balancer (AWS NLB, HAProxy) puts before a
//! connection's first byte, carrying the client's address and TLVs such as AWS's VPC endpoint
//! id (type 0xEA, subtype 0x01). Only version 2 is accepted; the v1 text form is refused.
//! Who may send a header is decided by the listener (docs/decisions/0012).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::io::{AsyncRead, AsyncReadExt};

/// The 12 bytes every v2 header starts with.
pub const SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// How a v1 (text) header starts.
pub const V1_PREFIX: &[u8] = b"PROXY ";

/// Largest address-and-TLV part accepted (the format allows 65535; real headers are far
/// smaller, and a peer should not make us buffer that much before anything is checked).
pub const MAX_BODY: usize = 4096;

const TLV_SSL: u8 = 0x20;
const TLV_AWS: u8 = 0xEA;
const AWS_SUBTYPE_VPCE_ID: u8 = 0x01;
/// `PP2_CLIENT_SSL`: the client connected to the proxy over TLS.
const SSL_CLIENT_SSL: u8 = 0x01;

/// What a header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    /// `LOCAL`: the proxy's own connection (health checks); the peer address stands.
    Local,
    /// `PROXY`: a relayed connection.
    Proxy(Proxied),
}

/// A relayed connection's details.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Proxied {
    /// The client's address; `None` for address families without one (unspecified, unix).
    pub source: Option<SocketAddr>,
    /// The address the client connected to.
    pub destination: Option<SocketAddr>,
    /// The AWS VPC endpoint id (TLV 0xEA, subtype 0x01).
    pub vpce_id: Option<String>,
    /// The SSL TLV (0x20) says the client used TLS to reach the proxy.
    pub client_ssl: bool,
}

/// Why a header is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyError {
    /// The bytes are not a v2 header (the signature is wrong).
    NotProxy,
    /// A v1 (text) header.
    Version1,
    /// The version nibble is not 2.
    BadVersion(u8),
    /// The command nibble is neither LOCAL nor PROXY.
    BadCommand(u8),
    /// An address family or protocol that does not exist.
    BadFamily(u8),
    /// The header ends early (or the connection ended in it).
    Truncated,
    /// The declared length is over [`MAX_BODY`].
    TooLong(usize),
    /// The declared length is too short for the addresses of the family.
    ShortAddresses,
    /// A TLV runs past the header's end or is malformed.
    BadTlv(u8),
    /// The AWS VPC endpoint id is not `[A-Za-z0-9-]+`.
    BadVpceId,
    /// Reading from the connection failed.
    Io(String),
}

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxyError::NotProxy => {
                write!(f, "the connection does not start with a PROXY v2 header")
            }
            ProxyError::Version1 => write!(f, "PROXY protocol v1 (text) is not accepted"),
            ProxyError::BadVersion(v) => write!(f, "PROXY header version {v} is not 2"),
            ProxyError::BadCommand(c) => write!(f, "PROXY header command {c} is unknown"),
            ProxyError::BadFamily(b) => {
                write!(f, "PROXY header family/protocol 0x{b:02x} is unknown")
            }
            ProxyError::Truncated => write!(f, "the PROXY header is truncated"),
            ProxyError::TooLong(n) => {
                write!(f, "the PROXY header is {n} bytes long, over {MAX_BODY}")
            }
            ProxyError::ShortAddresses => {
                write!(f, "the PROXY header is too short for its addresses")
            }
            ProxyError::BadTlv(t) => write!(f, "PROXY header TLV 0x{t:02x} is malformed"),
            ProxyError::BadVpceId => write!(f, "the PROXY header's VPC endpoint id is malformed"),
            ProxyError::Io(e) => write!(f, "cannot read the PROXY header: {e}"),
        }
    }
}

/// Whether `start` (the first bytes of a connection, possibly fewer than 12) could be the
/// beginning of a PROXY header, v2 or v1. An empty `start` could be anything: `true`.
pub fn could_be_proxy(start: &[u8]) -> bool {
    let v2 = start.len().min(SIGNATURE.len());
    let v1 = start.len().min(V1_PREFIX.len());
    start[..v2] == SIGNATURE[..v2] || start[..v1] == V1_PREFIX[..v1]
}

/// Checks the fixed 16-byte prefix and returns (command nibble, family byte, body length).
fn parse_prefix(prefix: &[u8; 16]) -> Result<(u8, u8, usize), ProxyError> {
    if prefix.starts_with(V1_PREFIX) {
        return Err(ProxyError::Version1);
    }
    if prefix[..12] != SIGNATURE {
        return Err(ProxyError::NotProxy);
    }
    let version = prefix[12] >> 4;
    if version != 2 {
        return Err(ProxyError::BadVersion(version));
    }
    let command = prefix[12] & 0x0F;
    if command > 1 {
        return Err(ProxyError::BadCommand(command));
    }
    let length = usize::from(u16::from_be_bytes([prefix[14], prefix[15]]));
    if length > MAX_BODY {
        return Err(ProxyError::TooLong(length));
    }
    Ok((command, prefix[13], length))
}

/// Parses one whole header at the start of `bytes`; returns it and how many bytes it took.
pub fn parse(bytes: &[u8]) -> Result<(Header, usize), ProxyError> {
    let prefix: &[u8; 16] = match bytes.get(..16).map(<&[u8; 16]>::try_from) {
        Some(Ok(prefix)) => prefix,
        _ => {
            // Refuse early what is already wrong, however short.
            let n = bytes.len().min(12);
            if bytes.starts_with(V1_PREFIX) {
                return Err(ProxyError::Version1);
            }
            if bytes[..n] != SIGNATURE[..n] {
                return Err(ProxyError::NotProxy);
            }
            return Err(ProxyError::Truncated);
        }
    };
    let (command, family, length) = parse_prefix(prefix)?;
    let body = bytes.get(16..16 + length).ok_or(ProxyError::Truncated)?;
    Ok((parse_body(command, family, body)?, 16 + length))
}

/// Reads exactly one header from the start of a connection (nothing after it).
pub async fn read_header<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Header, ProxyError> {
    let mut bytes = vec![0u8; 16];
    read_exact(reader, &mut bytes).await?;
    let prefix: [u8; 16] = bytes[..16].try_into().map_err(|_| ProxyError::Truncated)?;
    let (_, _, length) = parse_prefix(&prefix)?;
    bytes.resize(16 + length, 0);
    read_exact(reader, &mut bytes[16..]).await?;
    Ok(parse(&bytes)?.0)
}

async fn read_exact<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut [u8],
) -> Result<(), ProxyError> {
    match reader.read_exact(buf).await {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(ProxyError::Truncated),
        Err(e) => Err(ProxyError::Io(e.to_string())),
    }
}

fn parse_body(command: u8, family: u8, body: &[u8]) -> Result<Header, ProxyError> {
    // Address family (high nibble) and transport (low nibble).
    let address_len = match family {
        0x00 => 0,
        0x11 | 0x12 => 12,
        0x21 | 0x22 => 36,
        0x31 | 0x32 => 216,
        other => return Err(ProxyError::BadFamily(other)),
    };
    if command == 0 {
        // LOCAL: the receiver must ignore the addresses and keeps the real peer.
        return Ok(Header::Local);
    }
    let addresses = body.get(..address_len).ok_or(ProxyError::ShortAddresses)?;
    let mut proxied = Proxied::default();
    match address_len {
        12 => {
            let ip = |at: usize| {
                IpAddr::V4(Ipv4Addr::new(
                    addresses[at],
                    addresses[at + 1],
                    addresses[at + 2],
                    addresses[at + 3],
                ))
            };
            let port = |at: usize| u16::from_be_bytes([addresses[at], addresses[at + 1]]);
            proxied.source = Some(SocketAddr::new(ip(0), port(8)));
            proxied.destination = Some(SocketAddr::new(ip(4), port(10)));
        }
        36 => {
            let ip = |at: usize| {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(&addresses[at..at + 16]);
                IpAddr::V6(Ipv6Addr::from(octets))
            };
            let port = |at: usize| u16::from_be_bytes([addresses[at], addresses[at + 1]]);
            proxied.source = Some(SocketAddr::new(ip(0), port(32)));
            proxied.destination = Some(SocketAddr::new(ip(16), port(34)));
        }
        _ => {}
    }
    let mut tlvs = &body[address_len..];
    while !tlvs.is_empty() {
        let kind = tlvs[0];
        let Some(&[hi, lo]) = tlvs.get(1..3) else {
            return Err(ProxyError::BadTlv(kind));
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let value = tlvs.get(3..3 + len).ok_or(ProxyError::BadTlv(kind))?;
        match kind {
            TLV_AWS => {
                let (&subtype, data) = value.split_first().ok_or(ProxyError::BadTlv(kind))?;
                if subtype == AWS_SUBTYPE_VPCE_ID && proxied.vpce_id.is_none() {
                    let valid = !data.is_empty()
                        && data.len() <= 64
                        && data.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-');
                    if !valid {
                        return Err(ProxyError::BadVpceId);
                    }
                    proxied.vpce_id = Some(data.iter().map(|&b| char::from(b)).collect());
                }
            }
            TLV_SSL => {
                // client (1 byte), verify (4 bytes), then sub-TLVs.
                let client = *value.first().ok_or(ProxyError::BadTlv(kind))?;
                proxied.client_ssl = client & SSL_CLIENT_SSL != 0;
            }
            // Every other type is skipped.
            _ => {}
        }
        tlvs = &tlvs[3 + len..];
    }
    Ok(Header::Proxy(proxied))
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
mod tests;
