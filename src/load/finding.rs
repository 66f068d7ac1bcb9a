//! A problem found inside one file, before the file's path is attached: what the checks of
//! one document produce. Pure, no I/O.

use std::path::Path;

use crate::load::diagnostic::{Diagnostic, Severity};
use crate::load::yaml::Pos;
use crate::reconcile::desired::Origin;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub pos: Pos,
    pub message: String,
}

impl Finding {
    pub fn error(code: &'static str, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            pos,
            message: message.into(),
        }
    }

    pub fn warning(code: &'static str, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, pos, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn into_diagnostic(self, path: &Path) -> Diagnostic {
        Diagnostic {
            severity: self.severity,
            code: self.code,
            origin: Some(origin(path, self.pos)),
            message: self.message,
        }
    }
}

pub fn origin(path: &Path, pos: Pos) -> Origin {
    Origin {
        path: path.to_path_buf(),
        line: pos.line(),
        column: pos.column(),
    }
}
