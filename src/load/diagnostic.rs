//! Diagnostics: one problem found in the build files, with where it is and how to fix it
//! (rendered by `report::diagnostic`). Pure data.

use std::fmt;

use serde::Serialize;

use crate::reconcile::desired::Origin;

/// Errors make a run fail; warnings are printed and the run goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem in the build files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A short stable name of the rule, e.g. `unknown-field`, for CI filters and tests.
    pub code: &'static str,
    /// The offending node; `None` when the problem has no place (e.g. a missing directory).
    pub origin: Option<Origin>,
    /// What is wrong and how to fix it. Never holds a secret value.
    pub message: String,
}

impl Diagnostic {
    pub fn error(code: &'static str, origin: Option<Origin>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            origin,
            message: message.into(),
        }
    }

    pub fn warning(code: &'static str, origin: Option<Origin>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            code,
            origin,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)
    }
}
