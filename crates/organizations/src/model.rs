//! The stored data model of one organization: root, OUs, accounts, customer-managed policies,
//! attachments and the enabled policy types. One organization is one record (JSON), rewritten
//! as a whole on every change; `version` grows by one per change.

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// The AWS-managed SCP attached everywhere when SCPs are enabled.
pub const FULL_AWS_ACCESS_ID: &str = "p-FullAWSAccess";
/// The AWS-managed RCP attached everywhere when RCPs are enabled.
pub const RCP_FULL_AWS_ACCESS_ID: &str = "p-RCPFullAWSAccess";
/// Policies of one type directly attached to one root, OU or account, at most.
pub const MAX_ATTACHMENTS: usize = 5;
/// OU nesting below the root, at most.
pub const MAX_OU_DEPTH: usize = 5;
/// Customer-managed policies of one type in an organization, at most.
pub const MAX_POLICIES_PER_TYPE: usize = 1000;
/// OUs in an organization, at most.
pub const MAX_OUS: usize = 2000;
/// Size of an SCP or RCP document, in characters, at most.
pub const MAX_POLICY_CHARS: usize = 5120;

const FULL_AWS_ACCESS_CONTENT: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const RCP_FULL_AWS_ACCESS_CONTENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// The policy types this implementation supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PolicyKind {
    /// `SERVICE_CONTROL_POLICY`.
    Scp,
    /// `RESOURCE_CONTROL_POLICY`.
    Rcp,
}

impl PolicyKind {
    /// The wire name, e.g. `SERVICE_CONTROL_POLICY`.
    pub fn wire_name(self) -> &'static str {
        match self {
            PolicyKind::Scp => "SERVICE_CONTROL_POLICY",
            PolicyKind::Rcp => "RESOURCE_CONTROL_POLICY",
        }
    }

    /// Parses a wire name.
    pub fn from_wire(name: &str) -> Option<PolicyKind> {
        match name {
            "SERVICE_CONTROL_POLICY" => Some(PolicyKind::Scp),
            "RESOURCE_CONTROL_POLICY" => Some(PolicyKind::Rcp),
            _ => None,
        }
    }

    /// The segment of a policy ARN, e.g. `service_control_policy`.
    pub fn arn_segment(self) -> &'static str {
        match self {
            PolicyKind::Scp => "service_control_policy",
            PolicyKind::Rcp => "resource_control_policy",
        }
    }

    /// The policy language type used to validate documents of this kind.
    pub fn iam_type(self) -> palisade_iam::PolicyType {
        match self {
            PolicyKind::Scp => palisade_iam::PolicyType::Scp,
            PolicyKind::Rcp => palisade_iam::PolicyType::Rcp,
        }
    }

    /// The AWS-managed policy attached everywhere while this type is enabled.
    pub fn full_access_id(self) -> &'static str {
        match self {
            PolicyKind::Scp => FULL_AWS_ACCESS_ID,
            PolicyKind::Rcp => RCP_FULL_AWS_ACCESS_ID,
        }
    }
}

/// `ALL` or `CONSOLIDATED_BILLING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureSet {
    All,
    ConsolidatedBilling,
}

impl FeatureSet {
    /// The wire name.
    pub fn wire_name(self) -> &'static str {
        match self {
            FeatureSet::All => "ALL",
            FeatureSet::ConsolidatedBilling => "CONSOLIDATED_BILLING",
        }
    }
}

/// How an account joined: `CREATED` (CreateAccount) or `INVITED` (the management account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinedMethod {
    Created,
    Invited,
}

impl JoinedMethod {
    /// The wire name.
    pub fn wire_name(self) -> &'static str {
        match self {
            JoinedMethod::Created => "CREATED",
            JoinedMethod::Invited => "INVITED",
        }
    }
}

/// The root of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootRec {
    /// `r-` + 4 lowercase letters or digits.
    pub id: String,
    pub name: String,
    /// Policy types enabled in this root.
    pub enabled: Vec<PolicyKind>,
    /// Ids of the policies attached directly to the root.
    pub attached: Vec<String>,
}

/// An organizational unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OuRec {
    /// `ou-` + root part + `-` + 8 characters.
    pub id: String,
    pub name: String,
    /// The root or OU that contains it.
    pub parent: String,
    pub attached: Vec<String>,
}

/// A member account (the management account included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRec {
    /// 12 digits.
    pub id: String,
    pub name: String,
    pub email: String,
    pub joined_method: JoinedMethod,
    /// Milliseconds since the Unix epoch.
    pub joined_ms: i64,
    /// The root or OU that contains it.
    pub parent: String,
    pub attached: Vec<String>,
}

/// A customer-managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRec {
    /// `p-` + 8 lowercase letters or digits.
    pub id: String,
    pub name: String,
    pub description: String,
    pub kind: PolicyKind,
    pub content: String,
}

/// A finished CreateAccount request (accounts are created synchronously).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAccountStatus {
    /// `car-` + 32 lowercase letters or digits.
    pub id: String,
    pub account_name: String,
    /// `SUCCEEDED` or `FAILED`.
    pub state: String,
    pub requested_ms: i64,
    pub completed_ms: i64,
    /// The new account, when the request succeeded.
    pub account_id: Option<String>,
    /// Why it failed, e.g. `EMAIL_ALREADY_EXISTS`.
    pub failure_reason: Option<String>,
}

/// One organization, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgData {
    /// Grows by one on every committed change.
    pub version: u64,
    /// `o-` + 10 lowercase letters or digits.
    pub id: String,
    pub management_account: String,
    pub feature_set: FeatureSet,
    pub root: RootRec,
    pub ous: BTreeMap<String, OuRec>,
    pub accounts: BTreeMap<String, AccountRec>,
    pub policies: BTreeMap<String, PolicyRec>,
    pub create_requests: BTreeMap<String, CreateAccountStatus>,
}

/// What an id names inside an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Root,
    OrganizationalUnit,
    Account,
}

impl TargetKind {
    /// The wire name used by ListParents, ListChildren and ListTargetsForPolicy.
    pub fn wire_name(self) -> &'static str {
        match self {
            TargetKind::Root => "ROOT",
            TargetKind::OrganizationalUnit => "ORGANIZATIONAL_UNIT",
            TargetKind::Account => "ACCOUNT",
        }
    }
}

/// A policy, customer-managed or AWS-managed, as listed and described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub kind: PolicyKind,
    pub aws_managed: bool,
    pub content: &'a str,
}

/// The AWS-managed policies, in listing order.
pub fn builtin_policies() -> [PolicyView<'static>; 2] {
    [
        PolicyView {
            id: FULL_AWS_ACCESS_ID,
            name: "FullAWSAccess",
            description: "Allows access to every operation",
            kind: PolicyKind::Scp,
            aws_managed: true,
            content: FULL_AWS_ACCESS_CONTENT,
        },
        PolicyView {
            id: RCP_FULL_AWS_ACCESS_ID,
            name: "RCPFullAWSAccess",
            description: "Allows access to every operation",
            kind: PolicyKind::Rcp,
            aws_managed: true,
            content: RCP_FULL_AWS_ACCESS_CONTENT,
        },
    ]
}

impl OrgData {
    /// `arn:aws:organizations::MGMT:organization/o-…`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:organizations::{}:organization/{}",
            self.management_account, self.id
        )
    }

    /// `arn:aws:organizations::MGMT:root/o-…/r-…`.
    pub fn root_arn(&self) -> String {
        format!(
            "arn:aws:organizations::{}:root/{}/{}",
            self.management_account, self.id, self.root.id
        )
    }

    /// `arn:aws:organizations::MGMT:ou/o-…/ou-…`.
    pub fn ou_arn(&self, ou: &str) -> String {
        format!(
            "arn:aws:organizations::{}:ou/{}/{ou}",
            self.management_account, self.id
        )
    }

    /// `arn:aws:organizations::MGMT:account/o-…/ACCOUNT`.
    pub fn account_arn(&self, account: &str) -> String {
        format!(
            "arn:aws:organizations::{}:account/{}/{account}",
            self.management_account, self.id
        )
    }

    /// The ARN of a policy: AWS-managed ones live in the `aws` account.
    pub fn policy_arn(&self, policy: &PolicyView<'_>) -> String {
        if policy.aws_managed {
            format!(
                "arn:aws:organizations::aws:policy/{}/{}",
                policy.kind.arn_segment(),
                policy.id
            )
        } else {
            format!(
                "arn:aws:organizations::{}:policy/{}/{}/{}",
                self.management_account,
                self.id,
                policy.kind.arn_segment(),
                policy.id
            )
        }
    }

    /// The ARN of a root, OU or account.
    pub fn target_arn(&self, id: &str) -> Option<String> {
        match self.target_kind(id)? {
            TargetKind::Root => Some(self.root_arn()),
            TargetKind::OrganizationalUnit => Some(self.ou_arn(id)),
            TargetKind::Account => Some(self.account_arn(id)),
        }
    }

    /// What `id` names, if anything in this organization.
    pub fn target_kind(&self, id: &str) -> Option<TargetKind> {
        if id == self.root.id {
            Some(TargetKind::Root)
        } else if self.ous.contains_key(id) {
            Some(TargetKind::OrganizationalUnit)
        } else if self.accounts.contains_key(id) {
            Some(TargetKind::Account)
        } else {
            None
        }
    }

    /// The name of a root, OU or account.
    pub fn target_name(&self, id: &str) -> Option<&str> {
        if id == self.root.id {
            return Some(&self.root.name);
        }
        if let Some(ou) = self.ous.get(id) {
            return Some(&ou.name);
        }
        self.accounts.get(id).map(|a| a.name.as_str())
    }

    /// The policies attached directly to a root, OU or account.
    pub fn attached(&self, id: &str) -> Option<&Vec<String>> {
        if id == self.root.id {
            return Some(&self.root.attached);
        }
        if let Some(ou) = self.ous.get(id) {
            return Some(&ou.attached);
        }
        self.accounts.get(id).map(|a| &a.attached)
    }

    /// Mutable access to the attachments of a root, OU or account.
    pub fn attached_mut(&mut self, id: &str) -> Option<&mut Vec<String>> {
        if id == self.root.id {
            return Some(&mut self.root.attached);
        }
        if let Some(ou) = self.ous.get_mut(id) {
            return Some(&mut ou.attached);
        }
        self.accounts.get_mut(id).map(|a| &mut a.attached)
    }

    /// The parent of an OU or account.
    pub fn parent_of(&self, id: &str) -> Option<&str> {
        if let Some(ou) = self.ous.get(id) {
            return Some(&ou.parent);
        }
        self.accounts.get(id).map(|a| a.parent.as_str())
    }

    /// Whether `id` is the root or an OU (a container).
    pub fn is_container(&self, id: &str) -> bool {
        id == self.root.id || self.ous.contains_key(id)
    }

    /// The containers from the root down to `id`'s parent, root first; `id` excluded.
    pub fn ancestors(&self, id: &str) -> Vec<String> {
        let mut path = Vec::new();
        let mut cur = self.parent_of(id).map(str::to_string);
        while let Some(p) = cur {
            cur = self.parent_of(&p).map(str::to_string);
            path.push(p);
            if path.len() > MAX_OU_DEPTH + 1 {
                break;
            }
        }
        path.reverse();
        path
    }

    /// A policy by id: customer-managed or AWS-managed.
    pub fn policy(&self, id: &str) -> Option<PolicyView<'_>> {
        if let Some(p) = self.policies.get(id) {
            return Some(PolicyView {
                id: &p.id,
                name: &p.name,
                description: &p.description,
                kind: p.kind,
                aws_managed: false,
                content: &p.content,
            });
        }
        builtin_policies().into_iter().find(|p| p.id == id)
    }

    /// Whether a policy type is enabled in the root.
    pub fn enabled(&self, kind: PolicyKind) -> bool {
        self.root.enabled.contains(&kind)
    }

    /// Every root, OU and account id: root first, then OUs, then accounts.
    pub fn all_targets(&self) -> Vec<String> {
        let mut out = vec![self.root.id.clone()];
        out.extend(self.ous.keys().cloned());
        out.extend(self.accounts.keys().cloned());
        out
    }
}

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `n` random lowercase letters or digits.
pub fn random_alnum(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(ALNUM[rng.random_range(0..ALNUM.len())]))
        .collect()
}

/// A random 12-digit account id.
pub fn random_account_id() -> String {
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}
