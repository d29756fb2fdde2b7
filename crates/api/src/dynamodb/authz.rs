//! What each DynamoDB operation asks of IAM: the action(s), the resource ARN(s) and the
//! DynamoDB condition keys, filled from the request as AWS fills them. Handlers build their
//! checks after parsing and hand them to an [`Authorizer`] before executing anything.

use std::borrow::Cow;

use palisade_iam::ContextValue;
use palisade_model::{AttributeValue, Item};

use crate::error::ApiError;

/// One authorization question: may the caller perform `action` on `resource`, given these
/// request-specific condition keys?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `dynamodb:GetItem`, ...
    pub action: Cow<'static, str>,
    /// A table, index or stream ARN, or `*` for actions without a resource.
    pub resource: String,
    /// Condition keys from the request (`dynamodb:LeadingKeys`, `aws:RequestTag/k`, ...).
    pub keys: Vec<(String, ContextValue)>,
    /// Tags of the resource, for `aws:ResourceTag/k`.
    pub resource_tags: Vec<(String, String)>,
}

impl Check {
    pub fn new(action: impl Into<Cow<'static, str>>, resource: impl Into<String>) -> Check {
        Check {
            action: action.into(),
            resource: resource.into(),
            keys: Vec::new(),
            resource_tags: Vec::new(),
        }
    }

    /// Adds a single-valued condition key.
    pub fn key(mut self, name: &str, value: impl Into<String>) -> Check {
        self.keys
            .push((name.to_string(), ContextValue::Single(value.into())));
        self
    }

    /// Adds a multi-valued condition key.
    pub fn keys(mut self, name: &str, values: Vec<String>) -> Check {
        self.keys
            .push((name.to_string(), ContextValue::Multi(values)));
        self
    }

    /// Adds a single-valued key when present.
    pub fn key_opt(self, name: &str, value: Option<&str>) -> Check {
        match value {
            Some(v) => self.key(name, v),
            None => self,
        }
    }

    /// Records the resource's tags (`aws:ResourceTag/k`).
    pub fn tags(mut self, tags: &[(String, String)]) -> Check {
        self.resource_tags = tags.to_vec();
        self
    }
}

/// Decides whether the caller of the current request may do what the checks ask. Every check
/// must be allowed; the first denied one ends the request with AWS's AccessDeniedException.
pub trait Authorizer: Send + Sync {
    fn authorize(&self, checks: &[Check]) -> Result<(), ApiError>;

    /// Whether `check` would be allowed if `policy` were the resource's policy (the
    /// ConfirmRemoveSelfResourceAccess check of PutResourcePolicy).
    fn allowed_with_resource_policy(
        &self,
        check: &Check,
        policy: &palisade_iam::CompiledPolicy,
    ) -> bool {
        let _ = (check, policy);
        true
    }
}

/// Allows everything (no identities configured, or tests of other layers).
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(&self, _: &[Check]) -> Result<(), ApiError> {
        Ok(())
    }
}

/// The string form of a key value as IAM sees it in `dynamodb:LeadingKeys`: strings as they
/// are, numbers in DynamoDB's canonical text, binaries in base64.
pub fn key_string(v: &AttributeValue) -> String {
    use base64::Engine as _;
    match v {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        AttributeValue::B(b) => base64::engine::general_purpose::STANDARD.encode(b),
        other => other.type_name().to_string(),
    }
}

/// The partition-key values of `items` (first partition attribute), for `dynamodb:LeadingKeys`.
pub fn leading_keys<'a>(
    partition_attr: &str,
    items: impl IntoIterator<Item = &'a Item>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if let Some(v) = item.get(partition_attr) {
            let s = key_string(v);
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}
