//! EC2's XML: response envelopes, the `Vpc` and `VpcEndpoint` shapes, and error documents.

use palisade_network::{Tag, Vpc, VpcEndpoint};

use super::NS;
use crate::query::{Xml, escape};

/// `<tagSet><item><key>…</key><value>…</value></item>…</tagSet>`, or `<tagSet/>`.
fn tags<'x>(x: &'x mut Xml, tags: &[Tag]) -> &'x mut Xml {
    if tags.is_empty() {
        return x.empty("tagSet");
    }
    x.open("tagSet");
    for t in tags {
        x.open("item")
            .elem("key", &t.key)
            .elem("value", &t.value)
            .close("item");
    }
    x.close("tagSet")
}

/// `<{Action}Response xmlns="…"><requestId>…</requestId>{body}</{Action}Response>`.
pub(super) fn envelope(action: &str, request_id: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{NS}\"><requestId>{}</requestId>{body}</{action}Response>",
        escape(request_id)
    )
}

/// EC2's error document.
pub(super) fn error(code: &str, message: &str, request_id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{}</Code><Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>",
        escape(code),
        escape(message),
        escape(request_id)
    )
}

/// The association id of a VPC's `n`th CIDR block, derived from the VPC id (stable).
fn association_id(vpc: &Vpc, n: usize) -> String {
    let suffix = vpc.id.strip_prefix("vpc-").unwrap_or(&vpc.id);
    if n == 0 {
        format!("vpc-cidr-assoc-{suffix}")
    } else {
        format!("vpc-cidr-assoc-{suffix}{n}")
    }
}

/// The members of a `Vpc` (inside `<vpc>` or an `<item>`).
pub(super) fn vpc(x: &mut Xml, v: &Vpc) {
    x.elem("vpcId", &v.id)
        .elem("ownerId", &v.owner_account)
        .elem("state", &v.state)
        .elem(
            "cidrBlock",
            v.cidr_blocks
                .first()
                .map(String::as_str)
                .unwrap_or_default(),
        );
    x.open("cidrBlockAssociationSet");
    for (n, cidr) in v.cidr_blocks.iter().enumerate() {
        x.open("item")
            .elem("cidrBlock", cidr)
            .elem("associationId", &association_id(v, n))
            .open("cidrBlockState")
            .elem("state", "associated")
            .close("cidrBlockState")
            .close("item");
    }
    x.close("cidrBlockAssociationSet")
        .empty("ipv6CidrBlockAssociationSet")
        .elem("dhcpOptionsId", "default")
        .elem("instanceTenancy", "default")
        .elem("isDefault", if v.is_default { "true" } else { "false" });
    tags(x, &v.tags);
}

/// EC2's timestamp form: `2026-11-30T00:12:24.000Z`.
pub(super) fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// The members of a `VpcEndpoint`; the listen addresses are its `dnsEntrySet`.
pub(super) fn endpoint(x: &mut Xml, e: &VpcEndpoint, region: &str) {
    x.elem("vpcEndpointId", &e.id)
        .elem("vpcEndpointType", &e.endpoint_type)
        .elem("vpcId", &e.vpc_id)
        .elem("serviceName", &e.service_name_in(region))
        .elem("state", &e.state)
        .elem("policyDocument", &e.policy_document)
        .empty("routeTableIdSet")
        .empty("subnetIdSet")
        .empty("groupSet")
        .elem("ipAddressType", "ipv4")
        .open("dnsOptions")
        .elem("dnsRecordIpType", "ipv4")
        .close("dnsOptions")
        .elem("privateDnsEnabled", "false")
        .elem("requesterManaged", "false")
        .empty("networkInterfaceIdSet");
    if e.listen_addresses.is_empty() {
        x.empty("dnsEntrySet");
    } else {
        x.open("dnsEntrySet");
        for a in &e.listen_addresses {
            x.open("item")
                .elem("dnsName", &a.to_string())
                .elem("hostedZoneId", "palisade")
                .close("item");
        }
        x.close("dnsEntrySet");
    }
    x.elem("creationTimestamp", &timestamp(e.created));
    tags(x, &e.tags).elem("ownerId", &e.owner_account);
}
