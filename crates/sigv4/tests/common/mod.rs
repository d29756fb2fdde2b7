//! Helpers shared by the integration tests: a parser for the test suite's raw HTTP requests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palisade_sigv4::RequestParts;

/// An owned raw HTTP request.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// Parses `METHOD target HTTP/1.1`, `Name:value` header lines (continuation lines starting with
    /// whitespace are appended to the previous value after a newline, i.e. obsolete line folding),
    /// a blank line and the body.
    pub fn parse(text: &str) -> RawRequest {
        Self::parse_with(text, false)
    }

    /// Like [`RawRequest::parse`], but for AWS's 2015 legacy suite, whose expected output treats a
    /// continuation line as one more value of the same header (`value1,value2,value3`), whereas
    /// the current suite folds it into the value (`value1 value2 value3`). The two suites disagree
    /// on the same input, so the legacy input is read as the repeated headers it stands for.
    pub fn parse_legacy(text: &str) -> RawRequest {
        Self::parse_with(text, true)
    }

    fn parse_with(text: &str, continuation_is_new_value: bool) -> RawRequest {
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let request_line = lines.next().unwrap();
        let (method, rest) = request_line.split_once(' ').unwrap();
        let target = rest.rsplit_once(" HTTP/").map_or(rest, |(t, _)| t);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut body_lines: Vec<&str> = Vec::new();
        let mut in_body = false;
        for line in lines {
            if in_body {
                body_lines.push(line);
            } else if line.is_empty() {
                in_body = true;
            } else if line.starts_with([' ', '\t']) {
                if continuation_is_new_value {
                    let name = headers.last().unwrap().0.clone();
                    headers.push((name, line.to_owned()));
                } else {
                    let last = headers.last_mut().unwrap();
                    last.1.push('\n');
                    last.1.push_str(line);
                }
            } else {
                let (n, v) = line.split_once(':').unwrap();
                headers.push((n.to_owned(), v.to_owned()));
            }
        }
        RawRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body_lines.join("\n").into_bytes(),
        }
    }

    /// Header pairs borrowed for [`RequestParts`].
    pub fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    /// The request with `headers` as its header list.
    pub fn parts<'a>(&'a self, headers: &'a [(&'a str, &'a str)]) -> RequestParts<'a> {
        RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers,
        }
    }
}

/// The vectors directory (beside the repository clone), if present.
pub fn vectors_dir() -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/sigv4-vectors"
    ));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "NOTICE: SigV4 vectors not found at {}; vector tests skipped",
            dir.display()
        );
        None
    }
}
