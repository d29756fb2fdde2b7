//! EC2 Query parameters: numbered lists (`VpcId.1`), filters (`Filter.1.Name`,
//! `Filter.1.Value.1`) and tag specifications (`TagSpecification.1.Tag.1.Key`).

use std::collections::BTreeMap;

use palisade_network::Tag;

use super::Ec2Error;
use crate::query::Form;

/// The parameters of one request.
pub(super) struct Params<'a> {
    form: Form<'a>,
}

/// One `Filter.N`: a name and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// One `TagSpecification.N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TagSpecification {
    pub resource_type: String,
    pub tags: Vec<Tag>,
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

    /// A required parameter (`MissingParameter` otherwise, as EC2).
    pub fn required(&self, name: &str) -> Result<&'a str, Ec2Error> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(Ec2Error::new(
                "MissingParameter",
                format!("The request must contain the parameter {name}"),
            )),
        }
    }

    /// A boolean parameter (`true`/`false`; absent = false).
    pub fn flag(&self, name: &str) -> Result<bool, Ec2Error> {
        match self.get(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(Ec2Error::invalid_value(format!(
                "Invalid value '{v}' for {name}. Valid values: true, false"
            ))),
        }
    }

    /// `Name.1`, `Name.2`, ... in order.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.form
            .numbered(name)
            .into_values()
            .filter_map(|entries| {
                entries
                    .into_iter()
                    .find(|(tail, _)| tail.is_empty())
                    .map(|(_, v)| v.to_string())
            })
            .collect()
    }

    /// `Filter.N.Name` and `Filter.N.Value.M`.
    pub fn filters(&self) -> Result<Vec<Filter>, Ec2Error> {
        let mut out = Vec::new();
        for entries in self.form.numbered("Filter").into_values() {
            let name = entries
                .iter()
                .find(|(tail, _)| *tail == "Name")
                .map(|(_, v)| v.to_string())
                .ok_or_else(|| {
                    Ec2Error::new(
                        "MissingParameter",
                        "The request must contain the parameter Filter.Name",
                    )
                })?;
            let mut values: Vec<(u32, String)> = entries
                .iter()
                .filter_map(|(tail, v)| {
                    let n = tail.strip_prefix("Value.")?.parse::<u32>().ok()?;
                    Some((n, v.to_string()))
                })
                .collect();
            values.sort();
            out.push(Filter {
                name,
                values: values.into_iter().map(|(_, v)| v).collect(),
            });
        }
        Ok(out)
    }

    /// `TagSpecification.N.ResourceType` and `TagSpecification.N.Tag.M.Key/Value`.
    pub fn tag_specifications(&self) -> Vec<TagSpecification> {
        let mut out = Vec::new();
        for entries in self.form.numbered("TagSpecification").into_values() {
            let resource_type = entries
                .iter()
                .find(|(tail, _)| *tail == "ResourceType")
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            let mut tags: BTreeMap<u32, Tag> = BTreeMap::new();
            for (tail, v) in &entries {
                let Some(rest) = tail.strip_prefix("Tag.") else {
                    continue;
                };
                let Some((n, field)) = rest.split_once('.') else {
                    continue;
                };
                let Ok(n) = n.parse::<u32>() else { continue };
                let tag = tags.entry(n).or_insert_with(|| Tag {
                    key: String::new(),
                    value: String::new(),
                });
                match field {
                    "Key" => tag.key = v.to_string(),
                    "Value" => tag.value = v.to_string(),
                    _ => {}
                }
            }
            out.push(TagSpecification {
                resource_type,
                tags: tags.into_values().collect(),
            });
        }
        out
    }
}

/// EC2's filter-value wildcards: `*` any run, `?` one character.
pub(super) fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether any of a filter's values matches any of the resource's values.
pub(super) fn matches(filter: &Filter, have: &[&str]) -> bool {
    filter
        .values
        .iter()
        .any(|pattern| have.iter().any(|h| wildcard(pattern, h)))
}

/// The values a `tag:Key` or `tag-key` filter sees on a resource; `None` for other names.
pub(super) fn tag_filter<'t>(name: &str, tags: &'t [Tag]) -> Option<Vec<&'t str>> {
    if let Some(key) = name.strip_prefix("tag:") {
        return Some(
            tags.iter()
                .filter(|t| t.key == key)
                .map(|t| t.value.as_str())
                .collect(),
        );
    }
    (name == "tag-key").then(|| tags.iter().map(|t| t.key.as_str()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(form: &str) -> Vec<(String, String)> {
        crate::query::parse_form(form.as_bytes())
    }

    #[test]
    fn wildcards_match_as_ec2_filters_do() {
        for (pattern, text, expected) in [
            ("main", "main", true),
            ("ma*", "main", true),
            ("*in", "main", true),
            ("m?in", "main", true),
            ("m*n*", "mainland", true),
            ("m?n", "main", false),
            ("", "", true),
            ("*", "", true),
            ("main", "Main", false),
            ("a*b*c", "aXbYbZ", false),
        ] {
            assert_eq!(wildcard(pattern, text), expected, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn numbered_lists_filters_and_tags_are_read_in_order() {
        let form = pairs(
            "VpcId.2=vpc-b&VpcId.1=vpc-a&VpcId.10=vpc-j&Filter.2.Name=tag%3AName&Filter.2.Value.1=x&Filter.1.Name=vpc-id&Filter.1.Value.2=v2&Filter.1.Value.1=v1&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.2.Key=b&TagSpecification.1.Tag.1.Key=a&TagSpecification.1.Tag.1.Value=1",
        );
        let p = Params::new(&form);
        assert_eq!(p.list("VpcId"), ["vpc-a", "vpc-b", "vpc-j"]);
        assert_eq!(
            p.filters().unwrap(),
            vec![
                Filter {
                    name: "vpc-id".into(),
                    values: vec!["v1".into(), "v2".into()]
                },
                Filter {
                    name: "tag:Name".into(),
                    values: vec!["x".into()]
                },
            ]
        );
        let specs = p.tag_specifications();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].resource_type, "vpc");
        assert_eq!(
            specs[0].tags,
            vec![
                Tag {
                    key: "a".into(),
                    value: "1".into()
                },
                Tag {
                    key: "b".into(),
                    value: String::new()
                },
            ]
        );
        let form = pairs("Filter.1.Value.1=x");
        assert_eq!(
            Params::new(&form).filters().unwrap_err().code,
            "MissingParameter"
        );
        let form = pairs("DryRun=maybe");
        assert_eq!(
            Params::new(&form).flag("DryRun").unwrap_err().code,
            "InvalidParameterValue"
        );
    }
}
