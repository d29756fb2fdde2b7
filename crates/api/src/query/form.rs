//! Query-protocol input: `application/x-www-form-urlencoded` bodies (or query strings) of
//! `Action=...&Version=...&Name=value&...`, and the indexed lists in them (`Name.N`,
//! `Name.member.N`, `Name.N.Field`).

use std::collections::BTreeMap;

/// Decodes a form body: `&`-separated `name=value` pairs, `+` as space, `%XX` escapes.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(s[i + 1]), hex(s[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded parameters of one request; each service reads its own shapes on top.
#[derive(Debug, Clone, Copy)]
pub struct Form<'a> {
    pairs: &'a [(String, String)],
}

impl<'a> Form<'a> {
    pub fn new(pairs: &'a [(String, String)]) -> Form<'a> {
        Form { pairs }
    }

    /// The value of a parameter (the last one if repeated).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The values of `prefix.N` followed by `suffix` (`""`, `.arn`, `.Key`), in N order (a
    /// repeated N in the order sent).
    pub fn indexed(&self, prefix: &str, suffix: &str) -> Vec<&'a str> {
        let prefix = format!("{prefix}.");
        let mut items: Vec<(u32, &'a str)> = self
            .pairs
            .iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(&prefix)?;
                let idx = rest.strip_suffix(suffix)?;
                Some((idx.parse::<u32>().ok()?, v.as_str()))
            })
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items.into_iter().map(|(_, v)| v).collect()
    }

    /// The entries `prefix.N[.rest]` grouped by N, in N order: each `(rest, value)`, `rest`
    /// empty for `prefix.N` itself.
    pub fn numbered(&self, prefix: &str) -> BTreeMap<u32, Vec<(&'a str, &'a str)>> {
        let mut out: BTreeMap<u32, Vec<(&str, &str)>> = BTreeMap::new();
        for (k, v) in self.pairs {
            let Some(rest) = k.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            let (n, tail) = rest.split_once('.').unwrap_or((rest, ""));
            if let Ok(n) = n.parse::<u32>() {
                out.entry(n).or_default().push((tail, v.as_str()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_indexed_lists() {
        let pairs = parse_form(
            b"Action=Tag&K.member.2=b&K.member.10=c&K.member.1=a+b&A.member.1.arn=%2Fx%25&Id.2=y&Id.1=x&Id.1.Name=n&bad=%G1%",
        );
        let f = Form::new(&pairs);
        assert_eq!(f.get("Action"), Some("Tag"));
        assert_eq!(f.get("bad"), Some("%G1%"));
        assert_eq!(f.get("Nope"), None);
        assert_eq!(f.indexed("K.member", ""), ["a b", "b", "c"]);
        assert_eq!(f.indexed("A.member", ".arn"), ["/x%"]);
        assert_eq!(f.indexed("A.member", ""), Vec::<&str>::new());
        let ids = f.numbered("Id");
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[&1], [("", "x"), ("Name", "n")]);
        assert_eq!(ids[&2], [("", "y")]);
    }
}
