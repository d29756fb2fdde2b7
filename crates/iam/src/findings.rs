//! Validation findings: errors (IAM would reject the document) and warnings (it would be
//! accepted but probably does not do what its author meant), each with a JSON path.

use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// IAM would reject the document.
    Error,
    /// Accepted, but suspicious or ineffective.
    Warning,
}

impl Severity {
    /// `"ERROR"` or `"WARNING"`, as Access Analyzer spells them.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        }
    }
}

/// One finding about a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// A stable machine-readable code, e.g. `MISSING_PRINCIPAL`.
    pub code: &'static str,
    /// The JSON path of the offending element, e.g. `Statement[0].Action[1]`.
    pub path: String,
    /// A message for people.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} at {}: {}",
            self.severity.name(),
            self.code,
            self.path,
            self.message
        )
    }
}

/// The findings gathered while parsing and validating one document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// All findings in discovery order.
    pub items: Vec<Finding>,
}

impl Findings {
    /// Adds an error.
    pub(crate) fn error(&mut self, code: &'static str, path: &str, message: impl Into<String>) {
        self.items.push(Finding {
            severity: Severity::Error,
            code,
            path: path.to_owned(),
            message: message.into(),
        });
    }

    /// Adds a warning.
    pub(crate) fn warning(&mut self, code: &'static str, path: &str, message: impl Into<String>) {
        self.items.push(Finding {
            severity: Severity::Warning,
            code,
            path: path.to_owned(),
            message: message.into(),
        });
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|f| f.severity == Severity::Error)
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.items.iter().filter(|f| f.severity == Severity::Error)
    }
}

/// A document that could not be parsed into a [`crate::Policy`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.errors))]
pub struct PolicyError {
    /// The errors (at least one).
    pub errors: Vec<Finding>,
}

fn describe(errors: &[Finding]) -> String {
    match errors {
        [] => "invalid policy".to_owned(),
        [one] => format!("{} (at {})", one.message, one.path),
        [first, rest @ ..] => {
            format!(
                "{} (at {}) and {} more errors",
                first.message,
                first.path,
                rest.len()
            )
        }
    }
}
