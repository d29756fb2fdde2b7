//! Input rules of IAM and STS, with AWS's ValidationError texts
//! (`1 validation error detected: Value 'x' at 'userName' failed to satisfy constraint: ...`).

use palisade_iam::{Policy, PolicyType};

use crate::error::{DirectoryError, Result, invalid, invalid_input, limit, malformed};
use crate::model::Tag;

fn constraint(field: &str, value: &str, what: &str) -> DirectoryError {
    invalid(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {what}"
    ))
}

/// Checks a length range (in characters).
pub(crate) fn length(field: &str, value: &str, min: usize, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n < min {
        return Err(constraint(
            field,
            value,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(constraint(
            field,
            value,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// A user, group, role, policy or session name: `[\w+=,.@-]+` and a length range.
pub(crate) fn name(field: &str, value: &str, max: usize) -> Result<()> {
    length(field, value, 1, max)?;
    if !value.chars().all(word_char) {
        return Err(constraint(
            field,
            value,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        ));
    }
    Ok(())
}

/// A role session name: 2..=64 of `[\w+=,.@-]*`.
pub(crate) fn session_name(value: &str) -> Result<()> {
    length("roleSessionName", value, 2, 64)?;
    if !value.chars().all(word_char) {
        return Err(constraint(
            "roleSessionName",
            value,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    Ok(())
}

/// A path: `/` or `/.../` of printable ASCII, at most 512 characters.
pub(crate) fn path(value: &str) -> Result<()> {
    length("path", value, 1, 512)?;
    let ok = value == "/"
        || (value.len() >= 2
            && value.starts_with('/')
            && value.ends_with('/')
            && value.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if !ok {
        return Err(constraint(
            "path",
            value,
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ));
    }
    Ok(())
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// Validates tags being added to an entity that has `existing` tags; returns the merged list
/// (keys compare case-insensitively; a new value replaces the old one).
pub(crate) fn merge_tags(existing: &[Tag], new: &[Tag], quota: &str) -> Result<Vec<Tag>> {
    for (i, t) in new.iter().enumerate() {
        length("tags.member.key", &t.key, 1, 128)?;
        length("tags.member.value", &t.value, 0, 256)?;
        if !t.key.chars().all(tag_char) {
            return Err(constraint(
                "tags.member.key",
                &t.key,
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
            ));
        }
        if !t.value.chars().all(tag_char) {
            return Err(constraint(
                "tags.member.value",
                &t.value,
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
            ));
        }
        if new[..i].iter().any(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            return Err(invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    let mut out = existing.to_vec();
    for t in new {
        match out.iter_mut().find(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            Some(o) => *o = t.clone(),
            None => out.push(t.clone()),
        }
    }
    if out.len() > 50 {
        return Err(limit(format!("Cannot exceed quota for {quota}: 50")));
    }
    Ok(out)
}

/// Whether `s` is a 12-digit account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits `arn:aws:iam::ACCT:policy/path/name` into (account, path, name).
pub fn parse_policy_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, res) = rest.split_once(':')?;
    let res = res.strip_prefix("policy")?;
    if !res.starts_with('/') {
        return None;
    }
    let slash = res.rfind('/')?;
    let (path, name) = (&res[..=slash], &res[slash + 1..]);
    if name.is_empty() {
        return None;
    }
    Some((account, path, name))
}

/// Checks a policy ARN's syntax (ValidationError otherwise).
pub(crate) fn policy_arn(field: &str, arn: &str) -> Result<()> {
    length(field, arn, 20, 2048)?;
    if !arn.starts_with("arn:") {
        return Err(invalid_input(format!("ARN {arn} is not valid.")));
    }
    Ok(())
}

/// Parses an identity-type document (inline, managed, boundary or session policy) the way
/// IAM does when storing it.
pub(crate) fn identity_document(text: &str) -> Result<Policy> {
    document(text, PolicyType::Identity)
}

/// Parses a policy document of the given type, mapping problems to MalformedPolicyDocument.
pub(crate) fn document(text: &str, ty: PolicyType) -> Result<Policy> {
    if serde_json::from_str::<serde_json::Value>(text).is_err() {
        return Err(malformed("Syntax errors in policy."));
    }
    Policy::parse(text, ty).map_err(|e| match e.errors.first() {
        Some(f) if f.code == "POLICY_SIZE_EXCEEDED" => limit(match ty {
            PolicyType::Trust => "Cannot exceed quota for ACLSizePerRole: 2048".to_owned(),
            _ => "Cannot exceed quota for PolicySize: 6144".to_owned(),
        }),
        Some(f) => malformed(f.message.clone()),
        None => malformed("Syntax errors in policy."),
    })
}

/// Parses an inline policy: only the aggregate size per entity limits it, so the document
/// size limit of managed policies does not apply.
pub(crate) fn inline_document(text: &str) -> Result<Policy> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| malformed("Syntax errors in policy."))?;
    Policy::from_json(&value, PolicyType::Identity).map_err(|e| match e.errors.first() {
        Some(f) => malformed(f.message.clone()),
        None => malformed("Syntax errors in policy."),
    })
}

/// The IAM user and role ARNs of `account` named in the `AWS` principals of a policy.
pub(crate) fn local_principals(policy: &Policy, account: &str) -> Vec<String> {
    let prefix = format!("arn:aws:iam::{account}:");
    let mut out = Vec::new();
    for st in &policy.statements {
        let Some(palisade_iam::PrincipalClause::Principal(palisade_iam::Principals::Listed(m))) =
            &st.principal
        else {
            continue;
        };
        for a in &m.aws {
            if let Some(res) = a.strip_prefix(&prefix)
                && (res.starts_with("user/") || res.starts_with("role/"))
            {
                out.push(a.clone());
            }
        }
    }
    out
}

/// The size IAM counts for a document: characters other than whitespace.
pub(crate) fn counted_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_paths_arns() {
        assert!(name("userName", "bob+x@y.z-1_=,", 64).is_ok());
        let e = name("userName", "bob smith", 64).unwrap_err();
        assert!(e.to_string().contains("Value 'bob smith' at 'userName'"));
        assert!(name("userName", &"a".repeat(65), 64).is_err());
        assert!(path("/").is_ok());
        assert!(path("/a/b/").is_ok());
        assert!(path("/a").is_err());
        assert!(path("a/").is_err());
        assert_eq!(
            parse_policy_arn("arn:aws:iam::123456789012:policy/a/b/P"),
            Some(("123456789012", "/a/b/", "P"))
        );
        assert_eq!(
            parse_policy_arn("arn:aws:iam::aws:policy/AdministratorAccess"),
            Some(("aws", "/", "AdministratorAccess"))
        );
        assert!(parse_policy_arn("arn:aws:iam::1:user/x").is_none());
    }

    #[test]
    fn tags_merge_case_insensitively() {
        let a = vec![Tag {
            key: "Env".into(),
            value: "dev".into(),
        }];
        let m = merge_tags(
            &a,
            &[Tag {
                key: "env".into(),
                value: "prod".into(),
            }],
            "TagsPerUser",
        )
        .unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].value, "prod");
        let dup = [
            Tag {
                key: "a".into(),
                value: String::new(),
            },
            Tag {
                key: "A".into(),
                value: String::new(),
            },
        ];
        assert!(merge_tags(&[], &dup, "TagsPerUser").is_err());
    }
}
