//! The in-memory view answered on the request hot path: every organization with, per member
//! account, its SCP and RCP chains already compiled and its `aws:PrincipalOrgPaths` string.
//! Rebuilt for one organization whenever it changes and swapped in whole.

use std::collections::{HashMap, HashSet};
use std::ops::Deref;
use std::sync::Arc;

use palisade_iam::CompiledPolicy;

use crate::model::{OrgData, PolicyKind, builtin_policies};

/// The SCPs (or RCPs) that apply to one account, one list per level: the root first, then
/// each OU down the path, then the account itself. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PolicyChain {
    levels: Arc<[Vec<CompiledPolicy>]>,
    targets: Arc<[String]>,
}

impl PolicyChain {
    /// The compiled policies per level, root first (what `PolicySet::scps` / `rcps` take).
    pub fn levels(&self) -> &[Vec<CompiledPolicy>] {
        &self.levels
    }

    /// The id of each level's root, OU or account, in the same order as [`levels`](Self::levels).
    pub fn targets(&self) -> &[String] {
        &self.targets
    }
}

impl Deref for PolicyChain {
    type Target = [Vec<CompiledPolicy>];

    fn deref(&self) -> &[Vec<CompiledPolicy>] {
        &self.levels
    }
}

/// One organization and what is derived from it.
#[derive(Debug)]
pub(crate) struct OrgView {
    pub data: Arc<OrgData>,
    scp: HashMap<String, PolicyChain>,
    rcp: HashMap<String, PolicyChain>,
    paths: HashMap<String, String>,
}

impl OrgView {
    /// Compiles every policy once and builds every member account's chains.
    pub fn build(data: OrgData) -> OrgView {
        let mut compiled: HashMap<String, CompiledPolicy> = HashMap::new();
        let mut sources: Vec<(String, PolicyKind, String)> = data
            .policies
            .values()
            .map(|p| (p.id.clone(), p.kind, p.content.clone()))
            .collect();
        sources.extend(
            builtin_policies()
                .iter()
                .map(|b| (b.id.to_string(), b.kind, b.content.to_string())),
        );
        for (id, kind, content) in &sources {
            let Some(view) = data.policy(id) else {
                continue;
            };
            let arn = data.policy_arn(&view);
            match CompiledPolicy::parse(content, kind.iam_type()) {
                Ok(c) => {
                    compiled.insert(id.clone(), c.with_label(arn));
                }
                Err(e) => {
                    // Documents are validated when written; a stored one that no longer
                    // parses (a stricter parser) is left out of the chain and logged.
                    tracing::error!(policy = %id, error = %e, "organizations: stored policy does not compile");
                }
            }
        }
        let mut scp = HashMap::new();
        let mut rcp = HashMap::new();
        let mut paths = HashMap::new();
        for account in data.accounts.keys() {
            let mut path = data.ancestors(account);
            let mut text = format!("{}/", data.id);
            for p in &path {
                text.push_str(p);
                text.push('/');
            }
            paths.insert(account.clone(), text);
            if *account == data.management_account {
                continue;
            }
            path.push(account.clone());
            for (kind, out) in [(PolicyKind::Scp, &mut scp), (PolicyKind::Rcp, &mut rcp)] {
                if !data.enabled(kind) {
                    continue;
                }
                let levels: Vec<Vec<CompiledPolicy>> = path
                    .iter()
                    .map(|t| {
                        data.attached(t)
                            .into_iter()
                            .flatten()
                            .filter(|p| data.policy(p).is_some_and(|v| v.kind == kind))
                            .filter_map(|p| compiled.get(p).cloned())
                            .collect()
                    })
                    .collect();
                out.insert(
                    account.clone(),
                    PolicyChain {
                        levels: levels.into(),
                        targets: path.clone().into(),
                    },
                );
            }
        }
        OrgView {
            data: Arc::new(data),
            scp,
            rcp,
            paths,
        }
    }
}

/// Every organization, indexed by id and by member account.
#[derive(Debug, Default)]
pub(crate) struct View {
    orgs: HashMap<String, Arc<OrgView>>,
    by_account: HashMap<String, Arc<OrgView>>,
    /// Deleted organizations: a late swap of an older version must not bring one back.
    removed: HashSet<String>,
}

/// A committed change to apply to the view.
#[derive(Debug)]
pub(crate) enum Change {
    Put(OrgData),
    Remove(String),
}

impl View {
    /// A view of the given organizations.
    pub fn new(orgs: Vec<OrgData>) -> View {
        let orgs = orgs
            .into_iter()
            .map(|o| (o.id.clone(), Arc::new(OrgView::build(o))))
            .collect();
        let mut v = View {
            orgs,
            by_account: HashMap::new(),
            removed: HashSet::new(),
        };
        v.index();
        v
    }

    fn index(&mut self) {
        self.by_account = self
            .orgs
            .values()
            .flat_map(|o| {
                o.data
                    .accounts
                    .keys()
                    .map(move |a| (a.clone(), Arc::clone(o)))
            })
            .collect();
    }

    /// The view after `change`, or `None` when the change is older than what is shown.
    pub fn apply(&self, change: Change) -> Option<View> {
        let mut orgs = self.orgs.clone();
        let mut removed = self.removed.clone();
        match change {
            Change::Put(data) => {
                if removed.contains(&data.id)
                    || orgs
                        .get(&data.id)
                        .is_some_and(|o| o.data.version >= data.version)
                {
                    return None;
                }
                orgs.insert(data.id.clone(), Arc::new(OrgView::build(data)));
            }
            Change::Remove(id) => {
                orgs.remove(&id);
                removed.insert(id);
            }
        }
        let mut v = View {
            orgs,
            by_account: HashMap::new(),
            removed,
        };
        v.index();
        Some(v)
    }

    /// An organization by id.
    pub fn org_by_id(&self, id: &str) -> Option<&Arc<OrgView>> {
        self.orgs.get(id)
    }

    /// The organization `account` belongs to.
    pub fn org_of(&self, account: &str) -> Option<&Arc<OrgView>> {
        self.by_account.get(account)
    }

    pub fn scp_chain(&self, account: &str) -> Option<PolicyChain> {
        self.org_of(account)?.scp.get(account).cloned()
    }

    pub fn rcp_chain(&self, account: &str) -> Option<PolicyChain> {
        self.org_of(account)?.rcp.get(account).cloned()
    }

    pub fn org_path(&self, account: &str) -> Option<String> {
        self.org_of(account)?.paths.get(account).cloned()
    }
}
