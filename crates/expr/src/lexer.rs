//! Turns expression text into tokens with byte spans.

use crate::error::Invalid;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A word: `[A-Za-z][A-Za-z0-9_]*` (attribute name, keyword or function name).
    Ident,
    /// `#name`: an expression attribute name placeholder.
    Name,
    /// `:name`: an expression attribute value placeholder.
    Value,
    /// Decimal digits (list indexes).
    Digits,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    /// A character the language does not know; always a syntax error.
    Unknown,
    /// End of input.
    Eof,
}

/// One token: its kind and where it is in the source (byte offsets).
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// The token's text in `src` (`<EOF>` for the end).
    pub fn text<'s>(&self, src: &'s str) -> &'s str {
        if self.kind == Tok::Eof {
            "<EOF>"
        } else {
            src.get(self.start..self.end).unwrap_or("")
        }
    }
}

fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Splits `src` into tokens. Never fails: characters outside the language become
/// [`Tok::Unknown`] tokens so the parser reports them as syntax errors in context.
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'a'..=b'z' | b'A'..=b'Z' => {
                while i < bytes.len() && is_word_char(bytes[i]) {
                    i += 1;
                }
                Tok::Ident
            }
            b'0'..=b'9' => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                Tok::Digits
            }
            b'#' | b':' => {
                i += 1;
                while i < bytes.len() && is_word_char(bytes[i]) {
                    i += 1;
                }
                if i == start + 1 {
                    Tok::Unknown
                } else if c == b'#' {
                    Tok::Name
                } else {
                    Tok::Value
                }
            }
            b'<' => {
                i += 1;
                match bytes.get(i) {
                    Some(b'>') => {
                        i += 1;
                        Tok::Ne
                    }
                    Some(b'=') => {
                        i += 1;
                        Tok::Le
                    }
                    _ => Tok::Lt,
                }
            }
            b'>' => {
                i += 1;
                if bytes.get(i) == Some(&b'=') {
                    i += 1;
                    Tok::Ge
                } else {
                    Tok::Gt
                }
            }
            _ => {
                i += 1;
                match c {
                    b'(' => Tok::LParen,
                    b')' => Tok::RParen,
                    b'[' => Tok::LBracket,
                    b']' => Tok::RBracket,
                    b',' => Tok::Comma,
                    b'.' => Tok::Dot,
                    b'=' => Tok::Eq,
                    b'+' => Tok::Plus,
                    b'-' => Tok::Minus,
                    _ => {
                        // Keep a multi-byte character whole so that spans stay on char
                        // boundaries.
                        while i < bytes.len() && !src.is_char_boundary(i) {
                            i += 1;
                        }
                        Tok::Unknown
                    }
                }
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out.push(Token {
        kind: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    out
}

/// DynamoDB's syntax error for the token at `index`: the token's text, and the source from
/// the start of the token before it to the end of the token after it.
pub(crate) fn syntax_error(src: &str, tokens: &[Token], index: usize) -> Invalid {
    let index = index.min(tokens.len().saturating_sub(1));
    let Some(tok) = tokens.get(index) else {
        return Invalid::Syntax {
            token: "<EOF>".to_string(),
            near: String::new(),
        };
    };
    let from = if index > 0 {
        tokens.get(index - 1).map_or(tok.start, |t| t.start)
    } else {
        tok.start
    };
    let to = match tokens.get(index + 1) {
        Some(next) if next.kind != Tok::Eof => next.end,
        _ => tok.end,
    };
    Invalid::Syntax {
        token: tok.text(src).to_string(),
        near: src.get(from..to).unwrap_or("").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        tokenize(s).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn splits_operators_and_words() {
        assert_eq!(
            kinds("a.b[2] <> :v AND #n>=x"),
            vec![
                Tok::Ident,
                Tok::Dot,
                Tok::Ident,
                Tok::LBracket,
                Tok::Digits,
                Tok::RBracket,
                Tok::Ne,
                Tok::Value,
                Tok::Ident,
                Tok::Name,
                Tok::Ge,
                Tok::Ident,
                Tok::Eof
            ]
        );
        assert_eq!(kinds("_x"), vec![Tok::Unknown, Tok::Ident, Tok::Eof]);
        assert_eq!(kinds("é"), vec![Tok::Unknown, Tok::Eof]);
    }

    #[test]
    fn syntax_error_shows_neighbours() {
        let src = "a+:delta<b";
        let toks = tokenize(src);
        assert_eq!(
            syntax_error(src, &toks, 1).to_string(),
            "Syntax error; token: \"+\", near: \"a+:delta\""
        );
        let src = "foo";
        let toks = tokenize(src);
        assert_eq!(
            syntax_error(src, &toks, 1).to_string(),
            "Syntax error; token: \"<EOF>\", near: \"foo\""
        );
    }
}
