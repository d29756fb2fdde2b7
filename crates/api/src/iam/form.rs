//! IAM and STS parameters: the decoded form ([`Form`]) read as typed values, with IAM's
//! validation messages; lists are `Name.member.N`.

use palisade_directory::Tag;

use super::QueryError;
use crate::query::Form;

/// The parameters of one request.
pub struct Params<'a> {
    form: Form<'a>,
}

/// The lowerCamel member name AWS uses in validation messages (`UserName` -> `userName`).
pub(crate) fn field(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

impl<'a> Params<'a> {
    pub fn new(pairs: &'a [(String, String)]) -> Params<'a> {
        Params {
            form: Form::new(pairs),
        }
    }

    /// The value of a parameter (the last one if repeated).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.form.get(name)
    }

    /// A required parameter.
    pub fn required(&self, name: &str) -> Result<&'a str, QueryError> {
        self.get(name).ok_or_else(|| {
            QueryError::validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                field(name)
            ))
        })
    }

    /// An optional integer parameter.
    pub fn int(&self, name: &str) -> Result<Option<u32>, QueryError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<u32>().map(Some).map_err(|_| {
                QueryError::validation(format!(
                    "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must be a number",
                    field(name)
                ))
            }),
        }
    }

    /// An optional boolean parameter (`true`/`false`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, QueryError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(QueryError::validation(format!(
                "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must be a boolean",
                field(name)
            ))),
        }
    }

    /// A list `Name.member.1`, `Name.member.2`, ... (by index order); with `suffix`
    /// (`.arn`, `.Key`) the member's field.
    pub fn list(&self, name: &str, suffix: &str) -> Vec<&'a str> {
        self.form.indexed(&format!("{name}.member"), suffix)
    }

    /// `Tags.member.N.Key` / `Tags.member.N.Value` pairs, in N order.
    pub fn tags(&self, name: &str) -> Vec<Tag> {
        let field = |entries: &[(&str, &str)], f: &str| {
            entries
                .iter()
                .rev()
                .find(|(tail, _)| *tail == f)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        };
        self.form
            .numbered(&format!("{name}.member"))
            .into_values()
            .filter(|entries| entries.iter().any(|(tail, _)| !tail.is_empty()))
            .map(|entries| Tag {
                key: field(&entries, "Key"),
                value: field(&entries, "Value"),
            })
            .collect()
    }
}

/// One page of a listing: `MaxItems` (1..=1000, default 100) from `Marker` (an index).
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_marker: Option<String>,
}

/// Cuts one page out of a full, ordered listing.
pub fn paginate<T>(all: Vec<T>, p: &Params<'_>) -> Result<Page<T>, QueryError> {
    let max = p.int("MaxItems")?.unwrap_or(100);
    if !(1..=1000).contains(&max) {
        return Err(QueryError::validation(format!(
            "1 validation error detected: Value '{max}' at 'maxItems' failed to satisfy constraint: Member must have value {}",
            if max < 1 {
                "greater than or equal to 1"
            } else {
                "less than or equal to 1000"
            }
        )));
    }
    let start = match p.get("Marker") {
        None => 0,
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| QueryError::validation("Invalid Marker."))?,
    };
    let total = all.len();
    let end = start.saturating_add(max as usize).min(total);
    let items: Vec<T> = all
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    Ok(Page {
        items,
        next_marker: (end < total).then(|| end.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse_form;

    #[test]
    fn decodes_forms_and_lists() {
        let pairs = parse_form(
            b"Action=TagUser&UserName=bob&Tags.member.2.Key=b&Tags.member.1.Key=a+b&Tags.member.1.Value=%2Fx%25&Tags.member.2.Value=&TagKeys.member.10=z&TagKeys.member.2=y&bad=%G1%",
        );
        let p = Params::new(&pairs);
        assert_eq!(p.get("Action"), Some("TagUser"));
        let tags = p.tags("Tags");
        assert_eq!(tags.len(), 2);
        assert_eq!(
            (tags[0].key.as_str(), tags[0].value.as_str()),
            ("a b", "/x%")
        );
        assert_eq!(tags[1].key, "b");
        assert_eq!(p.list("TagKeys", ""), vec!["y", "z"]);
        assert_eq!(p.get("bad"), Some("%G1%"));
        assert!(p.required("Nope").is_err());
    }
}
