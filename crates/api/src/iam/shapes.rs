//! The XML shapes of IAM entities, element names and nesting as AWS sends them.

use palisade_directory::{
    AccessKeyInfo, Group, ManagedPolicy, PolicyVersion, Role, Tag, User, iso8601,
};

use super::xml::url_encode;
use crate::query::Xml;

pub fn tags(x: &mut Xml, tags: &[Tag]) {
    x.open("Tags");
    for t in tags {
        x.open("member")
            .elem("Key", &t.key)
            .elem("Value", &t.value)
            .close("member");
    }
    x.close("Tags");
}

fn boundary(x: &mut Xml, arn: Option<&str>) {
    if let Some(arn) = arn {
        x.open("PermissionsBoundary")
            .elem("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
            .elem("PermissionsBoundaryArn", arn)
            .close("PermissionsBoundary");
    }
}

/// `<tag><Path/><UserName/><UserId/><Arn/><CreateDate/>[boundary][tags]</tag>`.
pub fn user(x: &mut Xml, tag: &str, u: &User, full: bool) {
    x.open(tag)
        .elem("Path", &u.path)
        .elem("UserName", &u.name)
        .elem("UserId", &u.id)
        .elem("Arn", &u.arn())
        .elem("CreateDate", &iso8601(u.created));
    if full {
        boundary(x, u.boundary.as_deref());
        if !u.tags.is_empty() {
            tags(x, &u.tags);
        }
    }
    x.close(tag);
}

pub fn group(x: &mut Xml, tag: &str, g: &Group) {
    x.open(tag)
        .elem("Path", &g.path)
        .elem("GroupName", &g.name)
        .elem("GroupId", &g.id)
        .elem("Arn", &g.arn())
        .elem("CreateDate", &iso8601(g.created))
        .close(tag);
}

pub fn role(x: &mut Xml, tag: &str, r: &Role, full: bool) {
    x.open(tag)
        .elem("Path", &r.path)
        .elem("RoleName", &r.name)
        .elem("RoleId", &r.id)
        .elem("Arn", &r.arn())
        .elem("CreateDate", &iso8601(r.created))
        .elem("AssumeRolePolicyDocument", &url_encode(&r.trust_policy))
        .opt("Description", r.description.as_deref())
        .elem("MaxSessionDuration", &r.max_session_duration.to_string());
    if full {
        boundary(x, r.boundary.as_deref());
        if !r.tags.is_empty() {
            tags(x, &r.tags);
        }
    }
    x.close(tag);
}

pub fn policy(x: &mut Xml, tag: &str, p: &ManagedPolicy, attached: usize, boundaries: usize) {
    x.open(tag)
        .elem("PolicyName", &p.name)
        .elem("PolicyId", &p.id)
        .elem("Arn", &p.arn())
        .elem("Path", &p.path)
        .elem("DefaultVersionId", &p.default_version)
        .elem("AttachmentCount", &attached.to_string())
        .elem("PermissionsBoundaryUsageCount", &boundaries.to_string())
        .elem("IsAttachable", "true")
        .opt("Description", p.description.as_deref())
        .elem("CreateDate", &iso8601(p.created))
        .elem("UpdateDate", &iso8601(p.updated))
        .close(tag);
}

pub fn version(x: &mut Xml, tag: &str, v: &PolicyVersion, is_default: bool, document: bool) {
    x.open(tag);
    if document {
        x.elem("Document", &url_encode(&v.document));
    }
    x.elem("VersionId", &v.version_id)
        .elem(
            "IsDefaultVersion",
            if is_default { "true" } else { "false" },
        )
        .elem("CreateDate", &iso8601(v.created))
        .close(tag);
}

pub fn access_key(x: &mut Xml, tag: &str, k: &AccessKeyInfo, secret: Option<&str>) {
    x.open(tag)
        .elem("UserName", &k.user_name)
        .elem("AccessKeyId", &k.access_key_id)
        .elem("Status", k.status.as_str())
        .opt("SecretAccessKey", secret)
        .elem("CreateDate", &iso8601(k.created))
        .close(tag);
}

/// `<IsTruncated>` and, if truncated, `<Marker>`.
pub fn truncation(x: &mut Xml, next: Option<&str>) {
    x.elem("IsTruncated", if next.is_some() { "true" } else { "false" })
        .opt("Marker", next);
}
