//! [`BuildId`]: how a build is keyed everywhere (plans, outcomes, the daemon's states). Zadig
//! names builds globally, but every route also takes the project, and a build moving between
//! projects is two builds for a while, so the key is both. Pure data.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A build: its project and its name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BuildId {
    pub project: String,
    pub name: String,
}

impl BuildId {
    pub fn new(project: impl Into<String>, name: impl Into<String>) -> Self {
        BuildId {
            project: project.into(),
            name: name.into(),
        }
    }
}

/// `project/name`, as logs and messages name a build.
impl fmt::Display for BuildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.project, self.name)
    }
}
