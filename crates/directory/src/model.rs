//! The entities of the directory as stored (JSON under keys starting with byte 0x20) and as
//! returned to the API layer. Times are Unix seconds; [`iso8601`] formats them as AWS does.

use serde::{Deserialize, Serialize};

use crate::crypto::Sealed;

/// A tag on a user, role or session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An inline policy: name and document text as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: String,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub account: String,
    pub path: String,
    pub name: String,
    /// `AIDA...`
    pub id: String,
    pub created: i64,
    pub tags: Vec<Tag>,
    /// Permissions boundary policy ARN.
    pub boundary: Option<String>,
    pub inline: Vec<InlinePolicy>,
    /// Attached managed policy ARNs.
    pub attached: Vec<String>,
    /// Names of the groups the user belongs to.
    pub groups: Vec<String>,
}

impl User {
    /// `arn:aws:iam::ACCT:user/path/name`
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            self.account, self.path, self.name
        )
    }
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub account: String,
    pub path: String,
    pub name: String,
    /// `AGPA...`
    pub id: String,
    pub created: i64,
    pub inline: Vec<InlinePolicy>,
    pub attached: Vec<String>,
}

impl Group {
    /// `arn:aws:iam::ACCT:group/path/name`
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:group{}{}",
            self.account, self.path, self.name
        )
    }
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub account: String,
    pub path: String,
    pub name: String,
    /// `AROA...`
    pub id: String,
    pub created: i64,
    /// The trust policy document as given.
    pub trust_policy: String,
    pub description: Option<String>,
    /// Seconds, 3600..=43200.
    pub max_session_duration: u32,
    pub tags: Vec<Tag>,
    pub boundary: Option<String>,
    pub inline: Vec<InlinePolicy>,
    pub attached: Vec<String>,
}

impl Role {
    /// `arn:aws:iam::ACCT:role/path/name`
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub version_id: String,
    pub document: String,
    pub created: i64,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub account: String,
    pub path: String,
    pub name: String,
    /// `ANPA...`
    pub id: String,
    pub description: Option<String>,
    pub created: i64,
    pub updated: i64,
    pub default_version: String,
    /// The number the next version gets.
    pub next_version: u32,
    pub versions: Vec<PolicyVersion>,
}

impl ManagedPolicy {
    /// `arn:aws:iam::ACCT:policy/path/name`
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy{}{}",
            self.account, self.path, self.name
        )
    }

    /// The default version.
    pub fn default(&self) -> Option<&PolicyVersion> {
        self.versions
            .iter()
            .find(|v| v.version_id == self.default_version)
    }
}

/// `Active` or `Inactive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }

    pub fn parse(s: &str) -> Option<KeyStatus> {
        match s {
            "Active" => Some(KeyStatus::Active),
            "Inactive" => Some(KeyStatus::Inactive),
            _ => None,
        }
    }
}

/// A long-term access key as stored (the secret sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    pub account: String,
    pub user_name: String,
    pub status: KeyStatus,
    pub created: i64,
    pub secret: Sealed,
}

/// An access key without its secret, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyInfo {
    pub access_key_id: String,
    pub user_name: String,
    pub status: KeyStatus,
    pub created: i64,
}

/// Whose session a temporary key belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionOwner {
    /// AssumeRole.
    Role {
        role_name: String,
        /// Role ARN with its path.
        role_arn: String,
        role_id: String,
        session_name: String,
    },
    /// GetSessionToken by an IAM user.
    User { user_name: String },
}

/// An STS session as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// `ASIA...`
    pub access_key_id: String,
    pub account: String,
    pub owner: SessionOwner,
    pub secret: Sealed,
    pub token: Sealed,
    pub created: i64,
    pub expires: i64,
    /// The inline session policy, as given.
    pub policy: Option<String>,
    /// Managed session policy ARNs.
    pub policy_arns: Vec<String>,
    pub session_tags: Vec<Tag>,
    /// Lower-cased keys of the transitive session tags.
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    /// Created with role-session credentials (role chaining).
    pub chained: bool,
}

/// Formats Unix seconds as `2026-01-02T03:04:05Z`.
pub fn iso8601(ts: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(ts).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The current time in Unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
