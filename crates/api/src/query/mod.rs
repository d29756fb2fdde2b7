//! What the Query-protocol services (IAM, STS, EC2) share: form decoding and indexed list
//! parameters ([`Form`]), XML escaping and element writing ([`Xml`]), and the authorization
//! context of an authenticated request ([`authorizer`]). Each service keeps its own envelopes,
//! error documents and error codes, which differ.

mod form;
mod xml;

pub use form::{Form, parse_form};
pub use xml::{Xml, escape};

use palisade_directory::KeyIdentity;

use crate::Identity;
use crate::authorizer::{IamAuthorizer, Origin};

/// Where a request came from (transport, VPC endpoint), as the listener recorded it.
pub(crate) fn origin(parts: &http::request::Parts) -> Origin {
    parts
        .extensions
        .get::<Origin>()
        .cloned()
        .unwrap_or_default()
}

/// The IAM engine's view of an authenticated caller in `region`: its identity and session
/// policies, the organization's and the VPC endpoint's policies. No resource policy and no
/// tables (those are for DynamoDB and `sts:AssumeRole`, which set them). Organizations, over
/// JSON 1.1, authorizes the same way.
pub(crate) fn authorizer<'a>(
    identity: &'a Identity,
    key: &'a KeyIdentity,
    origin: &'a Origin,
    region: &'a str,
) -> IamAuthorizer<'a> {
    IamAuthorizer {
        directory: &identity.directory,
        organizations: &identity.organizations,
        network: &identity.network,
        caller: &key.caller,
        session_policies: &key.session_policies,
        origin,
        region,
        resource_policy: None,
        tables: None,
    }
}
