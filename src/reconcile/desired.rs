//! The desired state: every build the files describe, each with where it was written.
//! What `load` produces and `normalize`/`plan` consume. Pure data, no I/O.

use std::fmt;
use std::path::PathBuf;

use crate::reconcile::spec::BuildSpec;

/// A place in a build file, 1-based, for messages a user can jump to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// One build from the files, with every reference already resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredBuild {
    pub spec: BuildSpec,
    /// Where the build's document starts.
    pub origin: Origin,
}

/// All builds of the desired directory, in file order.
#[derive(Clone, Default, PartialEq)]
pub struct DesiredSet {
    pub builds: Vec<DesiredBuild>,
    /// How many build files were read (for the summary line).
    pub file_count: usize,
    /// Every value an `${env:…}` reference resolved to. They may be secrets, so the planner
    /// redacts them from everything it shows and leaves them out of fingerprints.
    pub secrets: Vec<String>,
}

/// By hand, so that a debug log of the desired set never prints the secrets.
impl fmt::Debug for DesiredSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DesiredSet")
            .field("builds", &self.builds)
            .field("file_count", &self.file_count)
            .field(
                "secrets",
                &format_args!("({} redacted)", self.secrets.len()),
            )
            .finish()
    }
}

impl DesiredSet {
    /// The projects the files name, sorted and without repeats.
    pub fn projects(&self) -> Vec<String> {
        let mut projects: Vec<String> = self
            .builds
            .iter()
            .map(|b| b.spec.project_key().to_string())
            .collect();
        projects.sort();
        projects.dedup();
        projects
    }
}
