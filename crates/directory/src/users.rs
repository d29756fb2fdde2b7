//! Users, groups, group membership, user tags and long-term access keys.

use crate::crypto::{ID_ALPHABET, SECRET_ALPHABET, Secret, random_string};
use crate::error::{Result, conflict, exists, invalid, limit, no_such};
use crate::model::{AccessKeyInfo, AccessKeyRecord, Group, KeyStatus, Tag, User, now};
use crate::store::{Change, KeyEntry, State};
use crate::{Directory, validate};

/// A new unique id: `prefix` and 17 characters, as AWS's `AIDA...`/`AROA...` ids.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", random_string(ID_ALPHABET, 17))
}

/// A new access key id: `prefix` (`AKIA` or `ASIA`) and 16 characters.
pub(crate) fn new_access_key_id(prefix: &str) -> String {
    format!("{prefix}{}", random_string(ID_ALPHABET, 16))
}

/// A new 40-character secret access key.
pub(crate) fn new_secret() -> Secret {
    Secret::new(random_string(SECRET_ALPHABET, 40))
}

pub(crate) fn user_not_found(name: &str) -> crate::DirectoryError {
    no_such(format!("The user with name {name} cannot be found."))
}

pub(crate) fn group_not_found(name: &str) -> crate::DirectoryError {
    no_such(format!("The group with name {name} cannot be found."))
}

fn key_not_found(akid: &str) -> crate::DirectoryError {
    no_such(format!("The Access Key with id {akid} cannot be found."))
}

pub(crate) fn get_user<'s>(st: &'s State, account: &str, name: &str) -> Result<&'s User> {
    st.user(account, name).ok_or_else(|| user_not_found(name))
}

pub(crate) fn get_group<'s>(st: &'s State, account: &str, name: &str) -> Result<&'s Group> {
    st.group(account, name).ok_or_else(|| group_not_found(name))
}

fn path_or_root(path: Option<&str>) -> Result<String> {
    let p = path.unwrap_or("/");
    validate::path(p)?;
    Ok(p.to_owned())
}

fn with_prefix<'a, T: Clone + 'a>(
    items: impl Iterator<Item = &'a T>,
    prefix: Option<&str>,
    path: impl Fn(&T) -> &str,
) -> Vec<T> {
    items
        .filter(|x| prefix.is_none_or(|p| path(x).starts_with(p)))
        .cloned()
        .collect()
}

impl Directory {
    /// CreateUser.
    pub async fn create_user(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        tags: &[Tag],
        boundary: Option<&str>,
    ) -> Result<User> {
        validate::name("userName", name, 64)?;
        let path = path_or_root(path)?;
        let tags = validate::merge_tags(&[], tags, "TagsPerUser")?;
        self.mutate(|st| {
            if st.user(account, name).is_some() {
                return Err(exists(format!("User with name {name} already exists.")));
            }
            if let Some(b) = boundary {
                crate::policies::check_boundary(st, b)?;
            }
            let user = User {
                account: account.to_owned(),
                path,
                name: name.to_owned(),
                id: new_id("AIDA"),
                created: now(),
                tags,
                boundary: boundary.map(str::to_owned),
                inline: Vec::new(),
                attached: Vec::new(),
                groups: Vec::new(),
            };
            Ok((vec![Change::user(&user)], user))
        })
        .await
    }

    /// GetUser.
    pub fn get_user(&self, account: &str, name: &str) -> Result<User> {
        get_user(&self.state.read(), account, name).cloned()
    }

    /// ListUsers, sorted by name, optionally only those whose path starts with `prefix`.
    pub fn list_users(&self, account: &str, prefix: Option<&str>) -> Vec<User> {
        let st = self.state.read();
        st.account(account)
            .map(|a| with_prefix(a.users.values(), prefix, |u: &User| &u.path))
            .unwrap_or_default()
    }

    /// DeleteUser: the user must have no access keys, policies or group memberships.
    pub async fn delete_user(&self, account: &str, name: &str) -> Result<()> {
        self.mutate(|st| {
            let u = get_user(st, account, name)?;
            if st
                .keys
                .values()
                .any(|k| k.rec.account == account && k.rec.user_name == u.name)
            {
                return Err(conflict(
                    "Cannot delete entity, must delete access keys first.",
                ));
            }
            if !u.inline.is_empty() {
                return Err(conflict("Cannot delete entity, must delete policies first."));
            }
            if !u.attached.is_empty() {
                return Err(conflict(
                    "Cannot delete entity, must detach all policies first.",
                ));
            }
            if !u.groups.is_empty() {
                return Err(conflict(
                    "Cannot delete entity, must remove users from group first.",
                ));
            }
            let mut changes = vec![Change::User(
                account.to_owned(),
                u.name.to_ascii_lowercase(),
                None,
            )];
            // Temporary credentials the user obtained with GetSessionToken end with it.
            for (id, s) in &st.sessions {
                if s.rec.account == account
                    && matches!(&s.rec.owner, crate::SessionOwner::User { user_name } if *user_name == u.name)
                {
                    changes.push(Change::Session(id.clone(), None));
                }
            }
            Ok((changes, ()))
        })
        .await
    }

    /// TagUser.
    pub async fn tag_user(&self, account: &str, name: &str, tags: &[Tag]) -> Result<()> {
        self.mutate(|st| {
            let mut u = get_user(st, account, name)?.clone();
            u.tags = validate::merge_tags(&u.tags, tags, "TagsPerUser")?;
            Ok((vec![Change::user(&u)], ()))
        })
        .await
    }

    /// UntagUser (keys compare case-insensitively; unknown keys are ignored).
    pub async fn untag_user(&self, account: &str, name: &str, keys: &[String]) -> Result<()> {
        self.mutate(|st| {
            let mut u = get_user(st, account, name)?.clone();
            u.tags
                .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok((vec![Change::user(&u)], ()))
        })
        .await
    }

    /// CreateAccessKey: a new `AKIA...` key and its secret (returned only here).
    pub async fn create_access_key(
        &self,
        account: &str,
        user: &str,
    ) -> Result<(AccessKeyInfo, Secret)> {
        let akid = new_access_key_id("AKIA");
        let secret = new_secret();
        self.add_access_key(account, user, akid, secret, KeyStatus::Active)
            .await
    }

    /// Adds an access key with a given id and secret (bootstrap, imports).
    pub(crate) async fn add_access_key(
        &self,
        account: &str,
        user: &str,
        akid: String,
        secret: Secret,
        status: KeyStatus,
    ) -> Result<(AccessKeyInfo, Secret)> {
        self.mutate(|st| {
            let u = get_user(st, account, user)?;
            if st.keys.contains_key(&akid) || st.sessions.contains_key(&akid) {
                return Err(exists(format!("Access key {akid} already exists.")));
            }
            let n = st
                .keys
                .values()
                .filter(|k| k.rec.account == account && k.rec.user_name == u.name)
                .count();
            if n >= 2 {
                return Err(limit("Cannot exceed quota for AccessKeysPerUser: 2"));
            }
            let rec = AccessKeyRecord {
                access_key_id: akid.clone(),
                account: account.to_owned(),
                user_name: u.name.clone(),
                status,
                created: now(),
                secret: self.keyring.seal(&akid, secret.expose())?,
            };
            let info = info(&rec);
            let entry = KeyEntry {
                rec,
                secret: secret.clone(),
            };
            Ok((vec![Change::Key(akid.clone(), Some(entry))], (info, secret)))
        })
        .await
    }

    /// ListAccessKeys of a user, oldest first.
    pub fn list_access_keys(&self, account: &str, user: &str) -> Result<Vec<AccessKeyInfo>> {
        let st = self.state.read();
        let u = get_user(&st, account, user)?;
        let mut keys: Vec<AccessKeyInfo> = st
            .keys
            .values()
            .filter(|k| k.rec.account == account && k.rec.user_name == u.name)
            .map(|k| info(&k.rec))
            .collect();
        keys.sort_by(|a, b| (a.created, &a.access_key_id).cmp(&(b.created, &b.access_key_id)));
        Ok(keys)
    }

    /// UpdateAccessKey.
    pub async fn update_access_key(
        &self,
        account: &str,
        user: &str,
        akid: &str,
        status: KeyStatus,
    ) -> Result<()> {
        self.mutate(|st| {
            let u = get_user(st, account, user)?;
            let k = st
                .keys
                .get(akid)
                .filter(|k| k.rec.account == account && k.rec.user_name == u.name)
                .ok_or_else(|| key_not_found(akid))?;
            let mut rec = k.rec.clone();
            rec.status = status;
            let entry = KeyEntry {
                rec,
                secret: k.secret.clone(),
            };
            Ok((vec![Change::Key(akid.to_owned(), Some(entry))], ()))
        })
        .await
    }

    /// DeleteAccessKey.
    pub async fn delete_access_key(&self, account: &str, user: &str, akid: &str) -> Result<()> {
        self.mutate(|st| {
            let u = get_user(st, account, user)?;
            st.keys
                .get(akid)
                .filter(|k| k.rec.account == account && k.rec.user_name == u.name)
                .ok_or_else(|| key_not_found(akid))?;
            Ok((vec![Change::Key(akid.to_owned(), None)], ()))
        })
        .await
    }

    /// CreateGroup.
    pub async fn create_group(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
    ) -> Result<Group> {
        validate::name("groupName", name, 128)?;
        let path = path_or_root(path)?;
        self.mutate(|st| {
            if st.group(account, name).is_some() {
                return Err(exists(format!("Group with name {name} already exists.")));
            }
            let g = Group {
                account: account.to_owned(),
                path,
                name: name.to_owned(),
                id: new_id("AGPA"),
                created: now(),
                inline: Vec::new(),
                attached: Vec::new(),
            };
            Ok((vec![Change::group(&g)], g))
        })
        .await
    }

    /// GetGroup: the group and its members, sorted by name.
    pub fn get_group(&self, account: &str, name: &str) -> Result<(Group, Vec<User>)> {
        let st = self.state.read();
        let g = get_group(&st, account, name)?.clone();
        let members = st
            .account(account)
            .map(|a| {
                a.users
                    .values()
                    .filter(|u| u.groups.iter().any(|x| x.eq_ignore_ascii_case(&g.name)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        Ok((g, members))
    }

    /// ListGroups, sorted by name.
    pub fn list_groups(&self, account: &str, prefix: Option<&str>) -> Vec<Group> {
        let st = self.state.read();
        st.account(account)
            .map(|a| with_prefix(a.groups.values(), prefix, |g: &Group| &g.path))
            .unwrap_or_default()
    }

    /// DeleteGroup: the group must have no members and no policies.
    pub async fn delete_group(&self, account: &str, name: &str) -> Result<()> {
        self.mutate(|st| {
            let g = get_group(st, account, name)?;
            let has_members = st.account(account).is_some_and(|a| {
                a.users
                    .values()
                    .any(|u| u.groups.iter().any(|x| x.eq_ignore_ascii_case(&g.name)))
            });
            if has_members {
                return Err(conflict(
                    "Cannot delete entity, must remove users from group first.",
                ));
            }
            if !g.inline.is_empty() {
                return Err(conflict(
                    "Cannot delete entity, must delete policies first.",
                ));
            }
            if !g.attached.is_empty() {
                return Err(conflict(
                    "Cannot delete entity, must detach all policies first.",
                ));
            }
            let c = Change::Group(account.to_owned(), g.name.to_ascii_lowercase(), None);
            Ok((vec![c], ()))
        })
        .await
    }

    /// AddUserToGroup (adding a member again changes nothing).
    pub async fn add_user_to_group(&self, account: &str, group: &str, user: &str) -> Result<()> {
        self.mutate(|st| {
            let g = get_group(st, account, group)?;
            let mut u = get_user(st, account, user)?.clone();
            if u.groups.iter().any(|x| x.eq_ignore_ascii_case(&g.name)) {
                return Ok((Vec::new(), ()));
            }
            if u.groups.len() >= 10 {
                return Err(limit("Cannot exceed quota for GroupsPerUser: 10"));
            }
            u.groups.push(g.name.clone());
            Ok((vec![Change::user(&u)], ()))
        })
        .await
    }

    /// RemoveUserFromGroup.
    pub async fn remove_user_from_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<()> {
        self.mutate(|st| {
            let g = get_group(st, account, group)?;
            let mut u = get_user(st, account, user)?.clone();
            let before = u.groups.len();
            u.groups.retain(|x| !x.eq_ignore_ascii_case(&g.name));
            if u.groups.len() == before {
                return Err(no_such(format!(
                    "The user with name {} cannot be found in group {}.",
                    u.name, g.name
                )));
            }
            Ok((vec![Change::user(&u)], ()))
        })
        .await
    }

    /// ListGroupsForUser, sorted by name.
    pub fn list_groups_for_user(&self, account: &str, user: &str) -> Result<Vec<Group>> {
        let st = self.state.read();
        let u = get_user(&st, account, user)?;
        let mut groups: Vec<Group> = u
            .groups
            .iter()
            .filter_map(|g| st.group(account, g).cloned())
            .collect();
        groups.sort_by_key(|g| g.name.to_ascii_lowercase());
        Ok(groups)
    }
}

fn info(rec: &AccessKeyRecord) -> AccessKeyInfo {
    AccessKeyInfo {
        access_key_id: rec.access_key_id.clone(),
        user_name: rec.user_name.clone(),
        status: rec.status,
        created: rec.created,
    }
}

/// Parses an access key status parameter.
pub fn parse_status(s: &str) -> Result<KeyStatus> {
    KeyStatus::parse(s).ok_or_else(|| {
        invalid(format!(
            "1 validation error detected: Value '{s}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
        ))
    })
}
