//! What a pull did, build by build and file by file: the data `report` renders and the daemon
//! keeps for its status API. Pure data.

use std::path::PathBuf;

use crate::reconcile::BuildId;
use crate::reconcile::export::Inferred;
use crate::reconcile::pull::Skipped;
use crate::reconcile::pull::patch::unified;

/// A file's text before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: PathBuf,
    pub old: String,
    pub new: String,
}

impl FileChange {
    /// The unified diff of the change, the path shown as `shown`.
    pub fn patch(&self, shown: &str) -> String {
        unified(shown, &self.old, &self.new)
    }
}

/// One build's part in a pull.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildOutcome {
    pub build: BuildId,
    /// The build file describing it.
    pub file: Option<PathBuf>,
    pub result: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Pulled (`fields`), except `skipped`; `written`: values Zadig does not return, to be
    /// checked; `changes`: this build's own changes of its files.
    Pulled {
        fields: Vec<String>,
        skipped: Vec<Skipped>,
        written: Vec<Inferred>,
        changes: Vec<FileChange>,
    },
    /// Not pulled, on purpose (why).
    Left(String),
    /// Pulling it failed (why); its file is left as it was.
    Failed(String),
}

impl BuildOutcome {
    /// Whether something that differs is left as it was (a field or the whole build).
    pub fn left_something(&self) -> bool {
        match &self.result {
            Outcome::Pulled { skipped, .. } => !skipped.is_empty(),
            Outcome::Left(_) | Outcome::Failed(_) => true,
        }
    }
}

/// A whole pull: every build it said something of, and the files it changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PullReport {
    pub builds: Vec<BuildOutcome>,
    /// Each changed file once, every build's edits in it.
    pub changes: Vec<FileChange>,
    /// `--build` names no file describes.
    pub unknown: Vec<String>,
}

impl PullReport {
    pub fn has_failures(&self) -> bool {
        !self.unknown.is_empty()
            || (self.builds.iter()).any(|b| matches!(b.result, Outcome::Failed(_)))
    }

    /// Whether some difference was not pulled.
    pub fn left_something(&self) -> bool {
        self.builds.iter().any(BuildOutcome::left_something)
    }

    /// How many builds had fields pulled.
    pub fn pulled(&self) -> usize {
        let pulled = |b: &&BuildOutcome| matches!(&b.result, Outcome::Pulled { fields, .. } if !fields.is_empty());
        self.builds.iter().filter(pulled).count()
    }
}
