//! The EC2 operations on VPCs and VPC endpoints: parameters, authorization checks, the change
//! on the network model, and the answer.

use palisade_network::{
    EndpointChange, LISTEN_ADDRESSES_TAG, Network, NewEndpoint, PolicyChange, Tag, Vpc,
    VpcEndpoint, dynamodb_service_name, parse_listen_addresses, valid_id,
};

use super::Ec2Error;
use super::params::{Filter, Params, matches, tag_filter};
use super::shapes::{self, envelope};
use crate::dynamodb::{Authorizer, Check};
use crate::query::Xml;

/// What an operation runs with.
pub(super) struct Ctx<'a> {
    pub network: &'a Network,
    pub authz: &'a dyn Authorizer,
    /// The caller's account: it owns what it creates and sees only what it owns.
    pub account: &'a str,
    pub region: &'a str,
}

impl Ctx<'_> {
    fn arn(&self, resource: &str) -> String {
        format!("arn:aws:ec2:{}:{}:{resource}", self.region, self.account)
    }

    /// Authorizes the checks; with `DryRun`, answers `DryRunOperation` once they pass.
    fn authorize(&self, checks: &[Check], dry_run: bool) -> Result<(), Ec2Error> {
        self.authz
            .authorize(checks)
            .map_err(|e| Ec2Error::from_api(&e))?;
        if dry_run {
            return Err(Ec2Error::new(
                "DryRunOperation",
                "Request would have succeeded, but DryRun flag is set.",
            )
            .with_status_412());
        }
        Ok(())
    }

    fn own_vpc(&self, id: &str) -> Option<Vpc> {
        self.network
            .vpc(id)
            .filter(|v| v.owner_account == self.account)
    }

    fn own_endpoint(&self, id: &str) -> Option<VpcEndpoint> {
        self.network
            .endpoint(id)
            .filter(|e| e.owner_account == self.account)
    }
}

impl Ec2Error {
    fn with_status_412(mut self) -> Ec2Error {
        self.status = 412;
        self
    }
}

/// Runs the operation `Action` names and renders its answer.
pub(super) async fn run(
    ctx: &Ctx<'_>,
    pairs: &[(String, String)],
    request_id: &str,
) -> Result<String, Ec2Error> {
    let p = Params::new(pairs);
    let action = p.get("Action").unwrap_or_default();
    let body = match action {
        "CreateVpc" => create_vpc(ctx, &p).await?,
        "DescribeVpcs" => describe_vpcs(ctx, &p)?,
        "DeleteVpc" => delete_vpc(ctx, &p).await?,
        "CreateVpcEndpoint" => create_vpc_endpoint(ctx, &p).await?,
        "DescribeVpcEndpoints" => describe_vpc_endpoints(ctx, &p)?,
        "ModifyVpcEndpoint" => modify_vpc_endpoint(ctx, &p).await?,
        "DeleteVpcEndpoints" => delete_vpc_endpoints(ctx, &p).await?,
        "" => {
            return Err(Ec2Error::new(
                "MissingAction",
                "The request must contain the parameter Action",
            ));
        }
        other => {
            return Err(Ec2Error::new(
                "InvalidAction",
                format!("The action {other} is not valid for this web service."),
            ));
        }
    };
    Ok(envelope(action, request_id, &body))
}

/// The tags of `TagSpecification.N` for `resource_type`; other resource types are refused.
fn request_tags(p: &Params<'_>, resource_type: &str) -> Result<Vec<Tag>, Ec2Error> {
    let mut tags: Vec<Tag> = Vec::new();
    for spec in p.tag_specifications() {
        if spec.resource_type != resource_type {
            return Err(Ec2Error::invalid_value(format!(
                "'{}' is not a valid taggable resource type for this operation.",
                spec.resource_type
            )));
        }
        for tag in spec.tags {
            if tag.key.is_empty() || tag.key.chars().count() > 127 {
                return Err(Ec2Error::invalid_value(format!(
                    "Tag key '{}' is invalid: a tag key must have 1 to 127 characters",
                    tag.key
                )));
            }
            if tag.value.chars().count() > 255 {
                return Err(Ec2Error::invalid_value(format!(
                    "Tag value of '{}' is invalid: a tag value must have at most 255 characters",
                    tag.key
                )));
            }
            if tag.key.to_ascii_lowercase().starts_with("aws:") {
                return Err(Ec2Error::invalid_value(format!(
                    "Tag key '{}' is invalid: keys starting with 'aws:' are reserved",
                    tag.key
                )));
            }
            tags.retain(|t| t.key != tag.key);
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// `aws:RequestTag/K` and `aws:TagKeys` of a create call.
fn with_request_tags(mut check: Check, tags: &[Tag]) -> Check {
    if tags.is_empty() {
        return check;
    }
    for t in tags {
        check = check.key(&format!("aws:RequestTag/{}", t.key), t.value.clone());
    }
    check.keys("aws:TagKeys", tags.iter().map(|t| t.key.clone()).collect())
}

fn with_resource_tags(mut check: Check, tags: &[Tag]) -> Check {
    check.resource_tags = tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    check
}

/// An id of the right shape, or EC2's `….Malformed` error.
fn check_id(prefix: &str, code: &str, id: &str) -> Result<(), Ec2Error> {
    if valid_id(prefix, id) {
        Ok(())
    } else {
        Err(Ec2Error::new(
            code,
            format!("Invalid id: \"{id}\" (expecting \"{prefix}-...\")"),
        ))
    }
}

async fn create_vpc(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<String, Ec2Error> {
    let cidr = p.required("CidrBlock")?;
    let tags = request_tags(p, "vpc")?;
    let check = with_request_tags(Check::new("ec2:CreateVpc", ctx.arn("vpc/*")), &tags);
    ctx.authorize(&[check], p.flag("DryRun")?)?;
    let vpc = ctx.network.create_vpc(ctx.account, cidr, tags).await?;
    let mut x = Xml::default();
    x.open("vpc");
    shapes::vpc(&mut x, &vpc);
    x.close("vpc");
    Ok(x.finish())
}

fn vpc_matches(v: &Vpc, f: &Filter) -> Result<bool, Ec2Error> {
    let have: Vec<&str> = match f.name.as_str() {
        "vpc-id" => vec![&v.id],
        "cidr" | "cidr-block-association.cidr-block" => {
            v.cidr_blocks.iter().map(String::as_str).collect()
        }
        "owner-id" => vec![&v.owner_account],
        "state" => vec![&v.state],
        "is-default" => vec![if v.is_default { "true" } else { "false" }],
        name => tag_filter(name, &v.tags)
            .ok_or_else(|| Ec2Error::invalid_value(format!("The filter '{name}' is invalid")))?,
    };
    Ok(matches(f, &have))
}

fn describe_vpcs(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<String, Ec2Error> {
    let ids = p.list("VpcId");
    let filters = p.filters()?;
    for id in &ids {
        check_id("vpc", "InvalidVpcID.Malformed", id)?;
    }
    ctx.authorize(&[Check::new("ec2:DescribeVpcs", "*")], p.flag("DryRun")?)?;
    let vpcs: Vec<Vpc> = if ids.is_empty() {
        ctx.network
            .vpcs()
            .into_iter()
            .filter(|v| v.owner_account == ctx.account)
            .collect()
    } else {
        let mut found = Vec::new();
        for id in &ids {
            let vpc = ctx.own_vpc(id).ok_or_else(|| {
                Ec2Error::from(palisade_network::NetworkError::VpcNotFound(id.clone()))
            })?;
            if !found.iter().any(|v: &Vpc| v.id == vpc.id) {
                found.push(vpc);
            }
        }
        found
    };
    let mut x = Xml::default();
    let mut items = Vec::new();
    for v in vpcs {
        let mut keep = true;
        for f in &filters {
            keep &= vpc_matches(&v, f)?;
        }
        if keep {
            items.push(v);
        }
    }
    if items.is_empty() {
        x.empty("vpcSet");
    } else {
        x.open("vpcSet");
        for v in &items {
            x.open("item");
            shapes::vpc(&mut x, v);
            x.close("item");
        }
        x.close("vpcSet");
    }
    Ok(x.finish())
}

async fn delete_vpc(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<String, Ec2Error> {
    let id = p.required("VpcId")?;
    check_id("vpc", "InvalidVpcID.Malformed", id)?;
    let tags = ctx.own_vpc(id).map(|v| v.tags).unwrap_or_default();
    let check = with_resource_tags(
        Check::new("ec2:DeleteVpc", ctx.arn(&format!("vpc/{id}"))),
        &tags,
    );
    ctx.authorize(&[check], p.flag("DryRun")?)?;
    ctx.network.delete_vpc(ctx.account, id).await?;
    Ok("<return>true</return>".to_string())
}

async fn create_vpc_endpoint(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<String, Ec2Error> {
    let vpc_id = p.required("VpcId")?;
    let service = p.required("ServiceName")?;
    check_id("vpc", "InvalidVpcID.Malformed", vpc_id)?;
    let endpoint_type = p.get("VpcEndpointType").unwrap_or("Gateway");
    if !matches!(endpoint_type, "Interface" | "Gateway") {
        return Err(Ec2Error::new(
            "InvalidParameter",
            format!(
                "Endpoint type ({endpoint_type}) does not match available service types ([Interface, Gateway])."
            ),
        ));
    }
    let tags = request_tags(p, "vpc-endpoint")?;
    let listen_addresses = match tags.iter().find(|t| t.key == LISTEN_ADDRESSES_TAG) {
        Some(t) => parse_listen_addresses(&t.value)?,
        None => Vec::new(),
    };
    let checks = [
        with_request_tags(
            Check::new("ec2:CreateVpcEndpoint", ctx.arn("vpc-endpoint/*")),
            &tags,
        ),
        with_resource_tags(
            Check::new("ec2:CreateVpcEndpoint", ctx.arn(&format!("vpc/{vpc_id}"))),
            &ctx.own_vpc(vpc_id).map(|v| v.tags).unwrap_or_default(),
        ),
    ];
    ctx.authorize(&checks, p.flag("DryRun")?)?;
    if ctx.own_vpc(vpc_id).is_none() {
        return Err(palisade_network::NetworkError::VpcNotFound(vpc_id.to_string()).into());
    }
    if service != dynamodb_service_name(ctx.region) {
        return Err(Ec2Error::new(
            "InvalidServiceName",
            format!("The Vpc Endpoint Service '{service}' does not exist"),
        ));
    }
    let endpoint = ctx
        .network
        .create_endpoint(NewEndpoint {
            vpc_id: vpc_id.to_string(),
            owner_account: ctx.account.to_string(),
            service_name: service.to_string(),
            endpoint_type: endpoint_type.to_string(),
            policy_document: p.get("PolicyDocument").map(str::to_string),
            listen_addresses,
            tags,
        })
        .await?;
    let mut x = Xml::default();
    x.open("vpcEndpoint");
    shapes::endpoint(&mut x, &endpoint, ctx.region);
    x.close("vpcEndpoint");
    Ok(x.finish())
}

fn endpoint_matches(ctx: &Ctx<'_>, e: &VpcEndpoint, f: &Filter) -> Result<bool, Ec2Error> {
    let service = e.service_name_in(ctx.region);
    let have: Vec<&str> = match f.name.as_str() {
        "vpc-id" => vec![&e.vpc_id],
        "vpc-endpoint-id" => vec![&e.id],
        "service-name" => vec![&service],
        "vpc-endpoint-state" => vec![&e.state],
        "vpc-endpoint-type" => vec![&e.endpoint_type],
        "owner-id" => vec![&e.owner_account],
        name => tag_filter(name, &e.tags)
            .ok_or_else(|| Ec2Error::invalid_value(format!("The filter '{name}' is invalid")))?,
    };
    Ok(matches(f, &have))
}

fn describe_vpc_endpoints(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<String, Ec2Error> {
    let ids = p.list("VpcEndpointId");
    let filters = p.filters()?;
    for id in &ids {
        check_id("vpce", "InvalidVpcEndpointId.Malformed", id)?;
    }
    ctx.authorize(
        &[Check::new("ec2:DescribeVpcEndpoints", "*")],
        p.flag("DryRun")?,
    )?;
    let endpoints: Vec<VpcEndpoint> = if ids.is_empty() {
        ctx.network
            .endpoints()
            .into_iter()
            .filter(|e| e.owner_account == ctx.account)
            .collect()
    } else {
        let mut found = Vec::new();
        for id in &ids {
            let e = ctx.own_endpoint(id).ok_or_else(|| {
                Ec2Error::from(palisade_network::NetworkError::EndpointNotFound(id.clone()))
            })?;
            if !found.iter().any(|f: &VpcEndpoint| f.id == e.id) {
                found.push(e);
            }
        }
        found
    };
    let mut items = Vec::new();
    for e in endpoints {
        let mut keep = true;
        for f in &filters {
            keep &= endpoint_matches(ctx, &e, f)?;
        }
        if keep {
            items.push(e);
        }
    }
    let mut x = Xml::default();
    if items.is_empty() {
        x.empty("vpcEndpointSet");
    } else {
        x.open("vpcEndpointSet");
        for e in &items {
            x.open("item");
            shapes::endpoint(&mut x, e, ctx.region);
            x.close("item");
        }
        x.close("vpcEndpointSet");
    }
    Ok(x.finish())
}

async fn modify_vpc_endpoint(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<String, Ec2Error> {
    let id = p.required("VpcEndpointId")?;
    check_id("vpce", "InvalidVpcEndpointId.Malformed", id)?;
    let reset = p.flag("ResetPolicy")?;
    let policy = match (p.get("PolicyDocument"), reset) {
        (Some(_), true) => {
            return Err(Ec2Error::new(
                "InvalidParameterCombination",
                "The parameter PolicyDocument cannot be used with the parameter ResetPolicy",
            ));
        }
        (Some(doc), false) => PolicyChange::Set(doc.to_string()),
        (None, true) => PolicyChange::Reset,
        (None, false) => PolicyChange::Keep,
    };
    let tags = ctx.own_endpoint(id).map(|e| e.tags).unwrap_or_default();
    let check = with_resource_tags(
        Check::new(
            "ec2:ModifyVpcEndpoint",
            ctx.arn(&format!("vpc-endpoint/{id}")),
        ),
        &tags,
    );
    ctx.authorize(&[check], p.flag("DryRun")?)?;
    ctx.network
        .modify_endpoint(
            ctx.account,
            id,
            EndpointChange {
                policy,
                ..EndpointChange::default()
            },
        )
        .await?;
    Ok("<return>true</return>".to_string())
}

async fn delete_vpc_endpoints(ctx: &Ctx<'_>, p: &Params<'_>) -> Result<String, Ec2Error> {
    let ids = p.list("VpcEndpointId");
    if ids.is_empty() {
        return Err(Ec2Error::new(
            "MissingParameter",
            "The request must contain the parameter VpcEndpointId",
        ));
    }
    for id in &ids {
        check_id("vpce", "InvalidVpcEndpointId.Malformed", id)?;
    }
    let checks: Vec<Check> = ids
        .iter()
        .map(|id| {
            let tags = ctx.own_endpoint(id).map(|e| e.tags).unwrap_or_default();
            with_resource_tags(
                Check::new(
                    "ec2:DeleteVpcEndpoints",
                    ctx.arn(&format!("vpc-endpoint/{id}")),
                ),
                &tags,
            )
        })
        .collect();
    ctx.authorize(&checks, p.flag("DryRun")?)?;
    let unsuccessful = ctx.network.delete_endpoints(ctx.account, &ids).await?;
    let mut x = Xml::default();
    if unsuccessful.is_empty() {
        x.empty("unsuccessful");
    } else {
        x.open("unsuccessful");
        for u in &unsuccessful {
            x.open("item")
                .open("error")
                .elem("code", u.code)
                .elem("message", &u.message)
                .close("error")
                .elem("resourceId", &u.resource_id)
                .close("item");
        }
        x.close("unsuccessful");
    }
    Ok(x.finish())
}
