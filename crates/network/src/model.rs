//! The records of the network model (what is stored, as JSON) and their validation.

use std::net::SocketAddr;

use rand::Rng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::NetworkError;

/// The policy a VPC endpoint gets when none is given: AWS's default, full access.
pub const DEFAULT_ENDPOINT_POLICY: &str = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// The tag that carries the listen addresses of endpoints created through the EC2 API
/// (comma-separated `host:port`); see `docs/decisions/0011-vpc-endpoint-addresses.md`.
pub const LISTEN_ADDRESSES_TAG: &str = "palisade:listen-addresses";

/// The largest endpoint policy AWS accepts, in characters (whitespace included).
pub const MAX_ENDPOINT_POLICY_CHARS: usize = 20_480;

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A VPC: a name for a private network, with its address ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vpc {
    /// `vpc-` and 17 lowercase hex digits (or the id the configuration declares).
    pub id: String,
    /// The 12-digit account that owns it.
    pub owner_account: String,
    /// IPv4 CIDR blocks, normalised (`10.0.0.0/16`); the first is the primary one.
    pub cidr_blocks: Vec<String>,
    /// Always `available`.
    pub state: String,
    pub tags: Vec<Tag>,
    /// Always `false`: there is no default VPC.
    pub is_default: bool,
    /// Whether it comes from the server's configuration.
    #[serde(default)]
    pub declared: bool,
}

/// A VPC endpoint of the DynamoDB service: requests arriving on its listen addresses are
/// requests through the endpoint, evaluated with its policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpoint {
    /// `vpce-` and 17 lowercase hex digits (or the id the configuration declares).
    pub id: String,
    pub vpc_id: String,
    pub owner_account: String,
    /// `com.amazonaws.<region>.dynamodb`; empty for declared endpoints, whose configuration
    /// names no region (see [`VpcEndpoint::service_name_in`]).
    pub service_name: String,
    /// `Interface`.
    pub endpoint_type: String,
    /// `available`.
    pub state: String,
    /// The endpoint policy, as given ([`DEFAULT_ENDPOINT_POLICY`] when none was).
    pub policy_document: String,
    /// Where the server listens for this endpoint's connections.
    pub listen_addresses: Vec<SocketAddr>,
    #[serde(with = "millis")]
    pub created: OffsetDateTime,
    pub tags: Vec<Tag>,
    /// Whether it comes from the server's configuration.
    pub declared: bool,
}

impl VpcEndpoint {
    /// The service name, or this server's DynamoDB service in `region` when none is stored.
    pub fn service_name_in(&self, region: &str) -> String {
        if self.service_name.is_empty() {
            dynamodb_service_name(region)
        } else {
            self.service_name.clone()
        }
    }
}

/// The only endpoint service there is: `com.amazonaws.<region>.dynamodb`.
pub fn dynamodb_service_name(region: &str) -> String {
    format!("com.amazonaws.{region}.dynamodb")
}

/// A VPC the configuration file declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredVpc {
    pub id: String,
    pub cidr_blocks: Vec<String>,
    pub owner_account: String,
}

/// A VPC endpoint the configuration file declares (it keeps its declared id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredEndpoint {
    pub id: String,
    pub vpc_id: String,
    pub listen_addresses: Vec<SocketAddr>,
    /// The endpoint policy; `None` leaves the stored one (the default for a new endpoint).
    pub policy: Option<String>,
    pub owner_account: String,
}

/// What CreateVpcEndpoint asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    pub vpc_id: String,
    pub owner_account: String,
    pub service_name: String,
    pub endpoint_type: String,
    /// `None`: [`DEFAULT_ENDPOINT_POLICY`].
    pub policy_document: Option<String>,
    pub listen_addresses: Vec<SocketAddr>,
    pub tags: Vec<Tag>,
}

/// How ModifyVpcEndpoint changes the policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PolicyChange {
    #[default]
    Keep,
    /// `PolicyDocument`.
    Set(String),
    /// `ResetPolicy`: back to [`DEFAULT_ENDPOINT_POLICY`].
    Reset,
}

/// What ModifyVpcEndpoint asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointChange {
    pub policy: PolicyChange,
    pub add_listen_addresses: Vec<SocketAddr>,
    pub remove_listen_addresses: Vec<SocketAddr>,
}

/// One endpoint DeleteVpcEndpoints could not delete, as EC2 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsuccessful {
    pub resource_id: String,
    pub code: &'static str,
    pub message: String,
}

/// `prefix` and 17 random lowercase hex digits, as AWS's resource ids.
pub fn new_id(prefix: &str) -> String {
    let mut rng = rand::rng();
    let hex: String = (0..17)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16usize)]))
        .collect();
    format!("{prefix}-{hex}")
}

/// Whether `id` is `prefix-` followed by 1 to 64 lowercase letters and digits (declared ids
/// need not have AWS's length; they go into PROXY-protocol TLVs and ARNs as they are).
pub fn valid_id(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|rest| {
            !rest.is_empty()
                && rest.len() <= 64
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A VPC CIDR block, normalised: IPv4, a prefix from `/16` to `/28`.
pub fn vpc_cidr(text: &str) -> Result<String, NetworkError> {
    let net: ipnet::Ipv4Net = text.trim().parse().map_err(|_| {
        NetworkError::InvalidParameterValue(format!(
            "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
        ))
    })?;
    if !(16..=28).contains(&net.prefix_len()) {
        return Err(NetworkError::InvalidVpcRange(text.to_string()));
    }
    Ok(net.trunc().to_string())
}

/// The listen addresses a tag value names: comma-separated `host:port`, at least one.
pub fn parse_listen_addresses(value: &str) -> Result<Vec<SocketAddr>, NetworkError> {
    let mut out = Vec::new();
    for part in value.split(',') {
        let part = part.trim();
        let addr: SocketAddr = part.parse().map_err(|_| {
            NetworkError::InvalidParameterValue(format!(
                "Value ({part}) for tag {LISTEN_ADDRESSES_TAG} is invalid. Listen addresses must be comma-separated IP:port pairs."
            ))
        })?;
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    Ok(out)
}

/// The listen addresses as the tag writes them.
pub fn format_listen_addresses(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Milliseconds since the epoch, for stored timestamps.
mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        let ms = t.unix_timestamp_nanos() / 1_000_000;
        s.serialize_i64(i64::try_from(ms).unwrap_or(i64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let ms = i64::deserialize(d)?;
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map_err(serde::de::Error::custom)
    }
}
