//! Wildcard patterns (`*`, `?`) with optional policy variables (`${key}`), and the
//! segment-wise ARN matcher used by `Resource` and the `Arn*` condition operators.
//!
//! Patterns are parsed once when a policy is compiled. Matching never allocates unless the
//! pattern contains a policy variable, in which case a short list of borrowed pieces is built.

/// A context lookup used to resolve policy variables: returns the single value of a key
/// (the key is given in lower case).
pub(crate) trait Resolver {
    /// The value of a single-valued key, if present (`hash` is the key's
    /// [`key_hash`](crate::context::key_hash)).
    fn single(&self, key_lower: &str, hash: u64) -> Option<&str>;
}

/// A policy variable `${key}` or `${key, 'default'}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    /// The key name in lower case (variable names are case-insensitive).
    pub(crate) key: Box<str>,
    /// The key's hash.
    pub(crate) hash: u64,
    /// The default value used when the key is absent.
    pub(crate) default: Option<Box<str>>,
}

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Literal text (wildcard characters inside it are literal).
    Lit(Box<str>),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    Quest,
    /// A policy variable, replaced by its value as literal text.
    Var(Variable),
}

/// A borrowed piece after variable resolution.
#[derive(Debug, Clone, Copy)]
enum Tok<'a> {
    Lit(&'a str),
    Star,
    Quest,
}

/// How wildcards and variables in a pattern string are interpreted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards.
    pub(crate) wildcards: bool,
    /// `${...}` is a policy variable.
    pub(crate) variables: bool,
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pieces: Vec<Piece>,
    has_vars: bool,
    shape: Shape,
}

/// Precomputed shapes that match without the general algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `*`.
    Any,
    /// One literal.
    Exact,
    /// A literal followed by `*`.
    Prefix,
    /// Anything else.
    General,
}

impl Pattern {
    /// Parses `text` with the given syntax.
    pub(crate) fn parse(text: &str, syntax: Syntax) -> Pattern {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables
                && rest.starts_with("${")
                && let Some(end) = rest.find('}')
            {
                let inner = &rest[2..end];
                match inner {
                    "*" => lit.push('*'),
                    "?" => lit.push('?'),
                    "$" => lit.push('$'),
                    _ => {
                        flush(&mut lit, &mut pieces);
                        pieces.push(Piece::Var(parse_variable(inner)));
                    }
                }
                rest = &rest[end + 1..];
                continue;
            }
            match c {
                '*' if syntax.wildcards => {
                    flush(&mut lit, &mut pieces);
                    if pieces.last() != Some(&Piece::Star) {
                        pieces.push(Piece::Star);
                    }
                }
                '?' if syntax.wildcards => {
                    flush(&mut lit, &mut pieces);
                    pieces.push(Piece::Quest);
                }
                _ => lit.push(c),
            }
            rest = &rest[c.len_utf8()..];
        }
        flush(&mut lit, &mut pieces);
        let has_vars = pieces.iter().any(|p| matches!(p, Piece::Var(_)));
        let shape = match pieces.as_slice() {
            [Piece::Star] => Shape::Any,
            [Piece::Lit(_)] => Shape::Exact,
            [Piece::Lit(_), Piece::Star] => Shape::Prefix,
            _ => Shape::General,
        };
        Pattern {
            pieces,
            has_vars,
            shape,
        }
    }

    /// True when the pattern is a single `*`.
    pub(crate) fn is_any(&self) -> bool {
        self.shape == Shape::Any
    }

    /// The variables of the pattern.
    pub(crate) fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Var(v) => Some(v),
            _ => None,
        })
    }

    /// Matches `text`. Returns `None` when a variable has no value and no default (the
    /// pattern then matches nothing, and a negated operator treats it as not matching).
    pub(crate) fn matches<'a>(
        &'a self,
        text: &str,
        ci: bool,
        vars: &'a dyn Resolver,
    ) -> Option<bool> {
        match (self.shape, self.pieces.first()) {
            (Shape::Any, _) => return Some(true),
            (Shape::Exact, Some(Piece::Lit(l))) if !ci => return Some(text == &**l),
            (Shape::Prefix, Some(Piece::Lit(l))) if !ci => return Some(text.starts_with(&**l)),
            _ => {}
        }
        if !self.has_vars {
            let toks = self.pieces.iter().map(|p| match p {
                Piece::Lit(s) => Tok::Lit(s),
                Piece::Star => Tok::Star,
                Piece::Quest | Piece::Var(_) => Tok::Quest,
            });
            return Some(glob(toks, text, ci));
        }
        let resolved = |p: &'a Piece| -> Option<Tok<'a>> {
            Some(match p {
                Piece::Lit(s) => Tok::Lit(s),
                Piece::Star => Tok::Star,
                Piece::Quest => Tok::Quest,
                Piece::Var(v) => Tok::Lit(resolve(v, vars)?),
            })
        };
        // Short patterns resolve into a stack buffer; long ones allocate.
        const STACK: usize = 8;
        if self.pieces.len() <= STACK {
            let mut buf = [Tok::Star; STACK];
            for (slot, p) in buf.iter_mut().zip(&self.pieces) {
                *slot = resolved(p)?;
            }
            let toks = &buf[..self.pieces.len()];
            return Some(glob(toks.iter().copied(), text, ci));
        }
        let toks = self
            .pieces
            .iter()
            .map(resolved)
            .collect::<Option<Vec<_>>>()?;
        Some(glob(toks.into_iter(), text, ci))
    }
}

fn resolve<'a>(v: &'a Variable, vars: &'a dyn Resolver) -> Option<&'a str> {
    vars.single(&v.key, v.hash).or(v.default.as_deref())
}

fn flush(lit: &mut String, pieces: &mut Vec<Piece>) {
    if !lit.is_empty() {
        pieces.push(Piece::Lit(std::mem::take(lit).into_boxed_str()));
    }
}

/// Parses the inside of `${...}`: `key` or `key, 'default'`.
fn parse_variable(inner: &str) -> Variable {
    if let Some((key, default)) = inner.split_once(',') {
        let d = default.trim();
        let d = d
            .strip_prefix('\'')
            .and_then(|d| d.strip_suffix('\''))
            .unwrap_or(d);
        variable(key, Some(d.into()))
    } else {
        variable(inner, None)
    }
}

fn variable(key: &str, default: Option<Box<str>>) -> Variable {
    let key = key.trim().to_ascii_lowercase();
    let hash = crate::context::key_hash(&key);
    Variable {
        key: key.into(),
        hash,
        default,
    }
}

/// Matches `text` against pieces: the runs between stars are matched left-most first,
/// the first run anchored at the start and the last at the end. Linear in practice.
fn glob<'a>(toks: impl Iterator<Item = Tok<'a>> + Clone, text: &str, ci: bool) -> bool {
    let stars = toks.clone().filter(|t| matches!(t, Tok::Star)).count();
    if stars == 0 {
        return match_run(toks, text, 0, ci) == Some(text.len());
    }
    let mut run_index = 0usize;
    let mut pos = 0usize;
    let mut iter = toks.clone();
    loop {
        let run = iter.clone().take_while(|t| !matches!(t, Tok::Star));
        let run_len = run.clone().count();
        if run_index == 0 {
            match match_run(run, text, 0, ci) {
                Some(end) => pos = end,
                None => return false,
            }
        } else if run_index == stars {
            // The last run must end exactly at the end of the text.
            return (pos..=text.len())
                .filter(|i| text.is_char_boundary(*i))
                .any(|i| match_run(run.clone(), text, i, ci) == Some(text.len()));
        } else {
            let mut found = None;
            for i in (pos..=text.len()).filter(|i| text.is_char_boundary(*i)) {
                if let Some(end) = match_run(run.clone(), text, i, ci) {
                    found = Some(end);
                    break;
                }
            }
            match found {
                Some(end) => pos = end,
                None => return false,
            }
        }
        // Skip the run and its star.
        for _ in 0..=run_len {
            iter.next();
        }
        run_index += 1;
    }
}

/// Matches a run without stars at byte offset `start`; returns the end offset.
fn match_run<'a>(
    run: impl Iterator<Item = Tok<'a>>,
    text: &str,
    start: usize,
    ci: bool,
) -> Option<usize> {
    let mut pos = start;
    for tok in run {
        match tok {
            Tok::Star => {}
            Tok::Quest => {
                let c = text.get(pos..)?.chars().next()?;
                pos += c.len_utf8();
            }
            Tok::Lit(s) => {
                let rest = text.get(pos..)?;
                if ci {
                    let mut it = rest.chars();
                    for pc in s.chars() {
                        let tc = it.next()?;
                        if !chars_eq_ignore_case(pc, tc) {
                            return None;
                        }
                        pos += tc.len_utf8();
                    }
                } else {
                    if !rest.starts_with(s) {
                        return None;
                    }
                    pos += s.len();
                }
            }
        }
    }
    Some(pos)
}

/// Case-insensitive comparison of two characters (simple lower-case mapping).
pub(crate) fn chars_eq_ignore_case(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// The byte offsets of the first five colons of an ARN that are outside `${...}`, or `None`
/// when there are fewer than five.
pub(crate) fn arn_colons(arn: &str) -> Option<[usize; 5]> {
    let mut colons = [0usize; 5];
    let mut idx = 0;
    let mut depth = 0usize;
    let bytes = arn.as_bytes();
    let mut i = 0;
    while i < bytes.len() && idx < 5 {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                colons[idx] = i;
                idx += 1;
            }
            _ => {}
        }
        i += 1;
    }
    (idx == 5).then_some(colons)
}

/// Splits an ARN at the given colon offsets (from [`arn_colons`]).
pub(crate) fn split_at_colons(arn: &str, c: [usize; 5]) -> Option<[&str; 6]> {
    Some([
        arn.get(..c[0])?,
        arn.get(c[0] + 1..c[1])?,
        arn.get(c[1] + 1..c[2])?,
        arn.get(c[2] + 1..c[3])?,
        arn.get(c[3] + 1..c[4])?,
        arn.get(c[4] + 1..)?,
    ])
}

/// Splits an ARN into its six parts at the first five colons that are outside `${...}`.
/// Returns `None` when there are fewer than six parts.
pub(crate) fn split_arn(arn: &str) -> Option<[&str; 6]> {
    split_at_colons(arn, arn_colons(arn)?)
}

/// A resource or ARN pattern: `*`, a six-segment ARN matched segment by segment, or
/// (for text that is not ARN-shaped) a plain wildcard pattern over the whole string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// `*`: matches everything.
    Any,
    /// Six segment patterns, and whether any has a variable.
    Segments(Box<[Pattern; 6]>, bool),
    /// Not ARN-shaped: matched as one wildcard pattern.
    Whole(Pattern),
}

impl ArnPattern {
    /// Compiles an ARN pattern. `vars_in_all` allows variables in every segment (condition
    /// values); otherwise only the resource segment takes variables (`Resource`).
    pub(crate) fn parse(text: &str, variables: bool, vars_in_all: bool) -> ArnPattern {
        if text == "*" {
            return ArnPattern::Any;
        }
        let head = Syntax {
            wildcards: true,
            variables: variables && vars_in_all,
        };
        let tail = Syntax {
            wildcards: true,
            variables,
        };
        match split_arn(text) {
            Some(p) => {
                let segs = Box::new([
                    Pattern::parse(p[0], head),
                    Pattern::parse(p[1], head),
                    Pattern::parse(p[2], head),
                    Pattern::parse(p[3], head),
                    Pattern::parse(p[4], head),
                    Pattern::parse(p[5], tail),
                ]);
                let vars = segs.iter().any(|s| s.variables().next().is_some());
                ArnPattern::Segments(segs, vars)
            }
            None => ArnPattern::Whole(Pattern::parse(text, tail)),
        }
    }

    /// The policy variables of the pattern, in every segment.
    pub(crate) fn variables(&self) -> impl Iterator<Item = &Variable> {
        let segments: &[Pattern] = match self {
            ArnPattern::Any => &[],
            ArnPattern::Segments(segs, _) => segs.as_slice(),
            ArnPattern::Whole(p) => std::slice::from_ref(p),
        };
        segments.iter().flat_map(Pattern::variables)
    }

    /// Matches an ARN (`None`: an unresolved variable).
    pub(crate) fn matches(&self, arn: &str, vars: &dyn Resolver) -> Option<bool> {
        self.matches_split(arn, split_arn(arn), vars)
    }

    /// Matches an ARN already split into its six parts (`parts` is `split_arn(arn)`).
    pub(crate) fn matches_split(
        &self,
        arn: &str,
        parts: Option<[&str; 6]>,
        vars: &dyn Resolver,
    ) -> Option<bool> {
        match self {
            ArnPattern::Any => Some(true),
            ArnPattern::Whole(p) => p.matches(arn, false, vars),
            ArnPattern::Segments(segs, has_vars) => {
                let Some(parts) = parts else {
                    // Still resolve the variables so that an unresolved one is reported.
                    for s in segs.iter() {
                        for v in s.variables() {
                            resolve(v, vars)?;
                        }
                    }
                    return Some(false);
                };
                let mut result = true;
                // The resource part first: it is the most selective.
                for i in [5, 4, 3, 2, 1, 0] {
                    if !segs[i].matches(parts[i], false, vars)? {
                        result = false;
                        if !has_vars {
                            return Some(false);
                        }
                    }
                }
                Some(result)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Vars(&'static [(&'static str, &'static str)]);
    impl Resolver for Vars {
        fn single(&self, key: &str, _: u64) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
    }
    const NONE: Vars = Vars(&[]);
    const W: Syntax = Syntax {
        wildcards: true,
        variables: true,
    };

    fn m(p: &str, t: &str) -> bool {
        Pattern::parse(p, W).matches(t, false, &NONE).unwrap()
    }

    /// A naive recursive matcher over characters, as an independent model.
    fn reference(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| reference(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && reference(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && reference(rest, &t[1..]),
        }
    }

    proptest::proptest! {
        #[test]
        fn glob_agrees_with_a_naive_matcher(p in "[ab*?é]{0,8}", t in "[abé]{0,10}") {
            let pc: Vec<char> = p.chars().collect();
            let tc: Vec<char> = t.chars().collect();
            let got = Pattern::parse(&p, W).matches(&t, false, &NONE).unwrap();
            proptest::prop_assert_eq!(got, reference(&pc, &tc));
        }
    }

    #[test]
    fn star_and_question_mark() {
        assert!(m("*", ""));
        assert!(m("a*c", "abbbc"));
        assert!(m("a*c", "ac"));
        assert!(!m("a*c", "acb"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*b*b*", "abxbx"));
        assert!(!m("*b*b*", "abx"));
        assert!(m("é?", "éü"));
        assert!(m("ab*ab", "abab"));
        assert!(!m("ab*ab", "aba"));
    }

    #[test]
    fn case_insensitive_literal() {
        let p = Pattern::parse("dynamodb:get*", W);
        assert_eq!(p.matches("DynamoDB:GetItem", true, &NONE), Some(true));
        assert_eq!(p.matches("DynamoDB:GetItem", false, &NONE), Some(false));
    }

    #[test]
    fn variables_and_specials() {
        let vars = Vars(&[("aws:username", "bob")]);
        let p = Pattern::parse("home/${aws:username}/*", W);
        assert_eq!(p.matches("home/bob/x", false, &vars), Some(true));
        assert_eq!(p.matches("home/alice/x", false, &vars), Some(false));
        assert_eq!(p.matches("home/bob/x", false, &NONE), None);
        let d = Pattern::parse("t/${aws:PrincipalTag/team, 'all'}", W);
        assert_eq!(d.matches("t/all", false, &NONE), Some(true));
        // ${*} is a literal star, not a wildcard.
        let s = Pattern::parse("a${*}b", W);
        assert_eq!(s.matches("a*b", false, &NONE), Some(true));
        assert_eq!(s.matches("axb", false, &NONE), Some(false));
        let q = Pattern::parse("${$}${?}", W);
        assert_eq!(q.matches("$?", false, &NONE), Some(true));
    }

    #[test]
    fn arn_split_respects_variables() {
        let p = split_arn("arn:aws:s3:::b/${aws:userid}/x").unwrap();
        assert_eq!(p[5], "b/${aws:userid}/x");
        let p = split_arn("arn:aws:iam::${aws:PrincipalAccount}:role/x").unwrap();
        assert_eq!(p[4], "${aws:PrincipalAccount}");
        assert!(split_arn("arn:aws:s3").is_none());
    }

    #[test]
    fn arn_segments_do_not_span_colons() {
        let p = ArnPattern::parse("arn:aws:dynamodb:*:table/x", true, false);
        // Fewer than six segments: whole-string match.
        assert_eq!(
            p.matches("arn:aws:dynamodb:us-east-1:1:table/x", &NONE),
            Some(true)
        );
        let p = ArnPattern::parse("arn:aws:dynamodb:*:*:table/*", true, false);
        assert_eq!(
            p.matches("arn:aws:dynamodb:us-east-1:1:table/x:y", &NONE),
            Some(true)
        );
        let p = ArnPattern::parse("arn:aws:*:us-east-1:1:table/x", true, false);
        assert_eq!(
            p.matches("arn:aws:dynamodb:extra:us-east-1:1:table/x", &NONE),
            Some(false)
        );
    }
}
