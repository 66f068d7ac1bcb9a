//! `zadig-sync export` without the printing: read the projects' builds from Zadig (list, then
//! detail per build, through the same fetch stage as `plan`), turn each into a build file with
//! the pure [`crate::reconcile::export`], write the files under the output directory, and add
//! the projects to its scope file. I/O: HTTP through `remote`, files.
//!
//! Layout: `<out>/<project>/<build>.yaml`, and with script files
//! `<out>/<project>/scripts/<build>.sh`. Names that the build-file walk would skip or that
//! are not plain file names are adjusted ([`file_stem`]); two builds whose names adjust to the
//! same file get `-2`, `-3`, …
//!
//! Nothing is overwritten without `overwrite`: a build whose file (or script file) exists is
//! reported and skipped whole, so a YAML file never points at a script from another export.
//! A build that a file under the output directory already describes is "already described",
//! not a failure, wherever that file is: elsewhere (writing it again would make two files
//! claim one name, which `validate` refuses), or at its own place, written by an earlier
//! export (so that export can be run again to pick up new builds). Files are written
//! through `write`, never through a symlink.

pub mod defaults;
pub mod scope_file;
mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::load::{ReferenceMode, load_dir};
use crate::reconcile::export::{
    EnvNames, ExportOptions, ExportedBuild, Inferred, ScriptPlacement, export_build, file_stem,
    to_yaml,
};
use crate::reconcile::live::{LiveBuild, LiveProject};
use crate::reconcile::spec::BuildSpec;
use crate::remote::ZadigClient;
use crate::remote::fetch::fetch_live;
use defaults::{DefaultsResult, ProjectDefaults, factor_project};
use scope_file::{ScopeChange, ScopeFileError};
pub(crate) use write::write_file;
use write::{WriteError, write_all};

/// What to export, and how.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub projects: Vec<String>,
    pub out: PathBuf,
    pub overwrite: bool,
    pub script_files: bool,
    /// `--defaults`: each project's shared values go to its defaults file.
    pub defaults: bool,
    pub options: ExportOptions,
}

/// Everything an export did, build by build.
#[derive(Debug)]
pub struct ExportReport {
    /// The projects whose builds were listed, in the order asked.
    pub listed: Vec<String>,
    pub builds: Vec<BuildOutcome>,
    /// Projects whose builds could not be listed, with why.
    pub failed_projects: Vec<(String, String)>,
    pub scope: Result<ScopeChange, ScopeFileError>,
    /// With `--defaults`, what became of each listed project's defaults file.
    pub defaults: Vec<ProjectDefaults>,
}

impl ExportReport {
    /// Whether anything asked for was not done.
    pub fn has_failures(&self) -> bool {
        !self.failed_projects.is_empty()
            || self.scope.is_err()
            || (self.defaults.iter()).any(|d| matches!(d.result, DefaultsResult::Failed(_)))
            || self.builds.iter().any(|b| {
                !matches!(
                    b.result,
                    BuildResult::Written { .. } | BuildResult::AlreadyDescribed(_)
                )
            })
    }
}

#[derive(Debug)]
pub struct BuildOutcome {
    pub project: String,
    pub name: String,
    pub result: BuildResult,
}

#[derive(Debug)]
pub enum BuildResult {
    Written {
        files: Vec<PathBuf>,
        inferred: Vec<Inferred>,
        env_vars: Vec<String>,
        /// Symlinks that stood where a file was written (`overwrite`): replaced by the file,
        /// their targets never written.
        replaced_links: Vec<PathBuf>,
    },
    /// These files exist and `overwrite` was not given.
    NotOverwritten(Vec<PathBuf>),
    /// A build file at this place already describes the build; not a failure.
    AlreadyDescribed(PathBuf),
    /// Zadig's detail failed (it answers 500 for some builds made in its UI).
    DetailFailed(String),
    WriteFailed(String),
}

/// Reads, converts and writes every build of the requested projects.
pub async fn export(client: &ZadigClient, request: &ExportRequest) -> ExportReport {
    let live = fetch_live(client, &request.projects).await;
    let mut writer = Writer {
        request,
        names: EnvNames::default(),
        taken: BTreeSet::new(),
        described: described_builds(&request.out),
    };
    let mut report = ExportReport {
        listed: Vec::new(),
        builds: Vec::new(),
        failed_projects: Vec::new(),
        scope: Ok(ScopeChange::Unchanged),
        defaults: Vec::new(),
    };
    for project in live {
        let LiveProject { project, listing } = project;
        match listing {
            Ok(builds) => {
                report.listed.push(project.clone());
                let mut prepared: Vec<Prepared> = (builds.into_iter())
                    .map(|build| writer.prepare(&project, build))
                    .collect();
                if request.defaults {
                    report
                        .defaults
                        .push(factor_project(request, &project, &mut prepared));
                }
                let (out, overwrite) = (&request.out, request.overwrite);
                report.builds.extend(prepared.into_iter().map(|prepared| {
                    prepared
                        .map_or_else(|skipped| *skipped, |pending| pending.write(out, overwrite))
                }));
            }
            Err(error) => report.failed_projects.push((project, error.to_string())),
        }
    }
    report.scope = scope(&request.out, &report.listed, &writer.described);
    report
}

/// Adds the exported projects to the scope file. A new scope file also lists the projects of
/// the files already there: listing only the exported ones would put those files out of scope
/// and stop every later plan.
fn scope(
    out: &Path,
    exported: &[String],
    described: &BTreeMap<String, (PathBuf, String)>,
) -> Result<ScopeChange, ScopeFileError> {
    if exported.is_empty() {
        return Ok(ScopeChange::Unchanged);
    }
    let mut projects: BTreeSet<String> = exported.iter().cloned().collect();
    if !out.join(scope_file::SCOPE_FILE).exists() {
        projects.extend(described.values().map(|(_, project)| project.clone()));
    }
    let projects: Vec<String> = projects.into_iter().collect();
    std::fs::create_dir_all(out).map_err(|source| ScopeFileError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    scope_file::update(out, &projects)
}

/// The builds the files under `out` describe already, by name (Zadig's names are global),
/// with the file and the project of each. Files that do not load are left to `validate`.
fn described_builds(out: &Path) -> BTreeMap<String, (PathBuf, String)> {
    if !out.is_dir() {
        return BTreeMap::new();
    }
    let outcome = load_dir(out, ReferenceMode::Offline, &|_| None);
    outcome
        .desired
        .builds
        .into_iter()
        .map(|build| {
            let project = build.spec.project_key().to_string();
            (build.spec.name().to_string(), (build.origin.path, project))
        })
        .collect()
}

struct Writer<'a> {
    request: &'a ExportRequest,
    names: EnvNames,
    /// The YAML files of this run, so that two names never share one.
    taken: BTreeSet<PathBuf>,
    /// What the output directory described before this run.
    described: BTreeMap<String, (PathBuf, String)>,
}

/// A build ready to be written, or what became of it already.
type Prepared = Result<Pending, Box<BuildOutcome>>;

/// A build converted to its files, not written yet (`--defaults` may still change its YAML).
pub struct Pending {
    project: String,
    name: String,
    /// The YAML file first, then the script's file when it has one.
    files: Vec<(PathBuf, String)>,
    exported: ExportedBuild,
}

impl Pending {
    fn write(self, out: &Path, overwrite: bool) -> BuildOutcome {
        let result = match write_all(out, &self.files, overwrite) {
            Ok(replaced_links) => BuildResult::Written {
                files: self.files.into_iter().map(|(path, _)| path).collect(),
                inferred: self.exported.inferred,
                env_vars: self.exported.env_vars,
                replaced_links,
            },
            Err(WriteError::Exists(paths)) => BuildResult::NotOverwritten(paths),
            Err(WriteError::Io(message)) => BuildResult::WriteFailed(message),
        };
        BuildOutcome {
            project: self.project,
            name: self.name,
            result,
        }
    }
}

impl Writer<'_> {
    fn prepare(&mut self, project: &str, build: LiveBuild) -> Prepared {
        let outcome = |result| {
            Box::new(BuildOutcome {
                project: project.to_string(),
                name: build.name.clone(),
                result,
            })
        };
        let detail = match &build.detail {
            Ok(detail) => detail,
            Err(error) => return Err(outcome(BuildResult::DetailFailed(error.to_string()))),
        };
        let (yaml_path, script_name) = self.paths(project, &build.name);
        if let Some(path) = self.already_described(project, &build.name, &yaml_path) {
            return Err(outcome(BuildResult::AlreadyDescribed(path)));
        }
        let exported = export_build(detail, &self.request.options, &mut self.names);
        Ok(Pending {
            project: project.to_string(),
            name: build.name.clone(),
            files: self.files(&exported, yaml_path, &script_name),
            exported,
        })
    }

    /// The file that describes this build already and is to be left alone: one elsewhere
    /// (a second file would claim the name), or the one at the build's own place, written by
    /// an earlier export, unless `overwrite` asks to write it again.
    fn already_described(&self, project: &str, name: &str, yaml_path: &Path) -> Option<PathBuf> {
        let (path, described_project) = self.described.get(name)?;
        let elsewhere = path != yaml_path;
        let same_build = described_project == project;
        (elsewhere || (same_build && !self.request.overwrite)).then(|| path.clone())
    }

    /// The files of one build, with their text: the YAML, and the script when it goes to a
    /// file of its own.
    fn files(
        &self,
        exported: &ExportedBuild,
        yaml_path: PathBuf,
        script_name: &str,
    ) -> Vec<(PathBuf, String)> {
        let script = match &exported.spec {
            BuildSpec::Custom(custom)
                if self.request.script_files && !custom.build_script.is_empty() =>
            {
                Some(custom.build_script.clone())
            }
            _ => None,
        };
        let Some(script) = script else {
            let yaml = to_yaml(exported, ScriptPlacement::Inline);
            return vec![(yaml_path, yaml)];
        };
        let reference = format!("scripts/{script_name}");
        let yaml = to_yaml(exported, ScriptPlacement::File(&reference));
        let folder = yaml_path.parent().unwrap_or(Path::new(".")).to_path_buf();
        vec![(yaml_path, yaml), (folder.join(reference), script)]
    }

    /// The YAML file for a build and its script's file name, unique in this run.
    fn paths(&mut self, project: &str, name: &str) -> (PathBuf, String) {
        let folder = self.request.out.join(file_stem(project));
        let stem = file_stem(name);
        let mut candidate = stem.clone();
        let mut n = 1;
        while !self.taken.insert(folder.join(format!("{candidate}.yaml"))) {
            n += 1;
            candidate = format!("{stem}-{n}");
        }
        (
            folder.join(format!("{candidate}.yaml")),
            format!("{candidate}.sh"),
        )
    }
}
