//! Problems a merged build shows at a value it inherited: reported in the defaults file that
//! wrote the value, once, with the first build found to inherit it and how many others do
//! (a default that breaks two hundred builds is one line to fix, not two hundred). Pure.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::load::diagnostic::Diagnostic;
use crate::load::finding::Finding;
use crate::load::yaml::{FileId, Pos};
use crate::reconcile::desired::Origin;

/// Problems of merged builds at inherited values, each kept once with the first build it was
/// found in and how many others.
#[derive(Default)]
pub struct InheritedProblems {
    index: HashMap<(Pos, &'static str, String), usize>,
    found: Vec<(Finding, Origin, usize)>,
}

impl InheritedProblems {
    pub fn add(&mut self, finding: Finding, build: &Origin) {
        let key = (finding.pos, finding.code, finding.message.clone());
        match self.index.get(&key) {
            Some(&at) => self.found[at].2 += 1,
            None => {
                self.index.insert(key, self.found.len());
                self.found.push((finding, build.clone(), 0));
            }
        }
    }

    pub fn into_diagnostics(self, file: impl Fn(FileId) -> Option<Arc<Path>>) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::with_capacity(self.found.len());
        for (mut finding, build, others) in self.found {
            let Some(path) = file(finding.pos.file) else {
                continue;
            };
            let others = match others {
                0 => String::new(),
                1 => " and 1 other build".to_string(),
                n => format!(" and {n} other builds"),
            };
            finding.message = format!(
                "{} (inherited from here by the build at {build}{others})",
                finding.message
            );
            diagnostics.push(finding.into_diagnostic(&path));
        }
        diagnostics
    }
}
