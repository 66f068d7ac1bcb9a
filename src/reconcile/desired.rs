//! The desired state: every build the files describe, each with where it was written.
//! What `load` produces and `normalize`/`plan` consume. Pure data, no I/O.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// The fields whose value came from a defaults file (`_defaults.yaml`), for the plan.
    pub inherited: Inherited,
}

/// The fields of one build whose value a defaults file gave, each with that file, so that the
/// plan can say where a changed value was written ("via shop/_defaults.yaml"). A field is a
/// path of mapping keys in the build file's terms (`build_os`, `parameters`,
/// `advanced_settings.resource_spec`): lists are inherited whole, mappings key by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inherited {
    fields: Vec<(String, Arc<Path>)>,
}

impl Inherited {
    pub fn push(&mut self, field: String, file: Arc<Path>) {
        self.fields.push((field, file));
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The defaults file that gave the value a plan path stands in (`advanced_settings.timeout`,
    /// `parameters[TOKEN].default_value`): the file of the longest inherited field holding it.
    pub fn source_of(&self, plan_path: &str) -> Option<&Path> {
        self.field_of(plan_path).map(|(_, file)| file)
    }

    /// The longest inherited field holding the value a plan path stands in (`parameters` for
    /// `parameters[TOKEN].default_value`: lists are inherited whole), with its file.
    pub fn field_of(&self, plan_path: &str) -> Option<(&str, &Path)> {
        let keys = plan_path.split('[').next().unwrap_or(plan_path);
        let holds = |field: &str| {
            keys.strip_prefix(field)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        };
        self.fields
            .iter()
            .filter(|(field, _)| holds(field))
            .max_by_key(|(field, _)| field.len())
            .map(|(field, file)| (field.as_str(), &**file))
    }
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
    /// Whether any build took a value from a defaults file.
    pub fn has_inherited(&self) -> bool {
        self.builds.iter().any(|b| !b.inherited.is_empty())
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_path_is_traced_to_the_longest_inherited_field_holding_it() {
        let root: Arc<Path> = Path::new("b/_defaults.yaml").into();
        let shop: Arc<Path> = Path::new("b/shop/_defaults.yaml").into();
        let mut inherited = Inherited::default();
        inherited.push("advanced_settings".into(), root.clone());
        inherited.push("advanced_settings.resource_spec".into(), shop.clone());
        inherited.push("parameters".into(), root.clone());
        let source = |path| inherited.source_of(path);
        assert_eq!(
            source("advanced_settings.resource_spec.cpu_limit"),
            Some(&*shop)
        );
        assert_eq!(source("advanced_settings.timeout"), Some(&*root));
        assert_eq!(source("parameters[A.B].default_value"), Some(&*root));
        assert_eq!(source("advanced_settings_x"), None);
        assert_eq!(source("build_os"), None);
        assert_eq!(source("(fields Zadig does not return)"), None);
    }
}
