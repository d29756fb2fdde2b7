//! STS operations: GetCallerIdentity, AssumeRole, GetSessionToken.

use palisade_directory::{AssumeRoleInput, Caller, Directory, IssuedSession, iso8601};

use super::form::Params;
use super::{QueryError, RequiredAction};
use crate::query::Xml;

type Out = Result<Option<String>, QueryError>;

/// The action and resource an STS call needs (`None`: GetCallerIdentity needs none).
pub(crate) fn required(caller: &Caller, action: &str, p: &Params<'_>) -> Option<RequiredAction> {
    let _ = caller;
    match action {
        "AssumeRole" => Some(RequiredAction {
            action: "sts:AssumeRole".to_owned(),
            resource: p.get("RoleArn").unwrap_or("*").to_owned(),
            context: Vec::new(),
        }),
        "GetSessionToken" => Some(RequiredAction {
            action: "sts:GetSessionToken".to_owned(),
            resource: "*".to_owned(),
            context: Vec::new(),
        }),
        _ => None,
    }
}

fn credentials(x: &mut Xml, s: &IssuedSession) {
    let c = &s.credentials;
    x.open("Credentials")
        .elem("AccessKeyId", &c.access_key_id)
        .elem("SecretAccessKey", c.secret_access_key.expose())
        .elem("SessionToken", c.session_token.expose())
        .elem("Expiration", &iso8601(c.expiration))
        .close("Credentials");
}

pub(crate) async fn run(dir: &Directory, caller: &Caller, action: &str, p: &Params<'_>) -> Out {
    let mut x = Xml::new();
    match action {
        "GetCallerIdentity" => {
            x.elem("Arn", &caller.arn)
                .elem("UserId", &caller.user_id)
                .elem("Account", &caller.account);
        }
        "AssumeRole" => {
            let input = AssumeRoleInput {
                role_arn: p.required("RoleArn")?.to_owned(),
                role_session_name: p.required("RoleSessionName")?.to_owned(),
                duration_seconds: p.int("DurationSeconds")?,
                policy: p.get("Policy").map(str::to_owned),
                policy_arns: p
                    .list("PolicyArns", ".arn")
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                tags: p.tags("Tags"),
                transitive_tag_keys: p
                    .list("TransitiveTagKeys", "")
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                external_id: p.get("ExternalId").map(str::to_owned),
                source_identity: p.get("SourceIdentity").map(str::to_owned),
            };
            let s = dir.assume_role(caller, &input).await?;
            x.opt("SourceIdentity", s.source_identity.as_deref())
                .open("AssumedRoleUser")
                .elem("AssumedRoleId", s.assumed_role_id.as_deref().unwrap_or(""))
                .elem("Arn", s.assumed_role_arn.as_deref().unwrap_or(""))
                .close("AssumedRoleUser");
            credentials(&mut x, &s);
            if let Some(n) = s.packed_policy_size {
                x.elem("PackedPolicySize", &n.to_string());
            }
        }
        "GetSessionToken" => {
            let s = dir
                .get_session_token(caller, p.int("DurationSeconds")?)
                .await?;
            credentials(&mut x, &s);
        }
        _ => return Ok(None),
    }
    Ok(Some(x.finish()))
}
