//! Build files → the desired set, or every problem at once with file:line:column.
//!
//! [`load_dir`] does the I/O (walk, read); everything after the bytes are read is pure and
//! reachable through [`load_sources`]: parse ([`yaml`]), the defaults files each build
//! inherits from ([`defaults`], merged by [`merge`]), per-document rules ([`rules`]), `${…}`
//! references ([`refs`]), the schema check ([`check`] against [`schema`]), then the rules
//! across files (build names are global in Zadig).

pub mod check;
pub mod defaults;
pub mod diagnostic;
pub mod document;
pub mod files;
pub mod finding;
mod inherited;
pub mod merge;
pub mod notify;
pub mod refs;
pub mod rules;
pub mod schema;
pub mod scope;
mod system_paths;
pub mod yaml;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::load::diagnostic::Diagnostic;
use crate::reconcile::desired::{DesiredBuild, DesiredSet, Inherited, Origin};
use defaults::{Defaults, Prepared, Readers, is_defaults_file};
use document::{LoadedDocument, load_document};
use files::{FileError, MAX_FILE_BYTES};
use finding::{Finding, origin};
use refs::Resolver;
use scope::{Scope, read_scope};
use yaml::Pos;

/// How unresolved `${env:…}` / `${file:…}` references count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceMode {
    /// `validate`: no secrets needed; an unresolved reference is a warning.
    Offline,
    /// plan, apply, daemon: every reference must resolve; an unresolved one is an error.
    Online,
}

/// What a run tells the loader beyond the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    pub references: ReferenceMode,
    /// `--prune` was given. With it (or with `prune: true` in the scope file, read here), a
    /// build file that holds no build is an error rather than a warning: emptied by an
    /// interrupted save, it would have the builds it described deleted at once.
    pub prune: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadOutcome {
    /// The builds that loaded without errors.
    pub desired: DesiredSet,
    /// Every problem, in file order, then by place.
    pub diagnostics: Vec<Diagnostic>,
    /// The scope file (`zadig-sync.yaml` at the root of the directory), when there is one
    /// and it is valid.
    pub scope: Option<Scope>,
}

impl LoadOutcome {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// One build file's text.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

/// Reads every build file under `dir` and validates it. Env lookups go through `env` so tests
/// (and the pure parts) never read the process environment directly.
pub fn load_dir(
    dir: &Path,
    mode: ReferenceMode,
    env: &dyn Fn(&str) -> Option<String>,
) -> LoadOutcome {
    let options = LoadOptions {
        references: mode,
        prune: false,
    };
    load_dir_with(dir, options, env)
}

/// [`load_dir`], for a run that may delete ([`LoadOptions::prune`]).
pub fn load_dir_with(
    dir: &Path,
    options: LoadOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> LoadOutcome {
    let walk = match files::find_build_files(dir) {
        Ok(walk) => walk,
        Err(error) => {
            let diagnostic = Diagnostic::error("unreadable-dir", None, error.to_string());
            return LoadOutcome {
                diagnostics: vec![diagnostic],
                ..LoadOutcome::default()
            };
        }
    };
    let mut diagnostics: Vec<Diagnostic> = walk.problems.iter().map(file_diagnostic).collect();
    let scope = read_scope(dir).unwrap_or_else(|mut problems| {
        diagnostics.append(&mut problems);
        None
    });
    if walk.files.is_empty() && walk.problems.is_empty() {
        diagnostics.insert(0, empty_dir(dir, scope.as_ref()));
    }
    // One file at a time: its text is dropped once parsed, so a directory of thousands of
    // files is never held in memory at once (the daemon loads it on every pass).
    let read = |path: &Path| files::read_named_file(path, MAX_FILE_BYTES);
    let mut loader = Loader::new(
        options.references,
        env,
        &read,
        scope.as_ref(),
        walk.files.len(),
    );
    loader.prune = options.prune || scope.as_ref().is_some_and(|s| s.prune == Some(true));
    // Every defaults file first: a build inherits from its folder and every folder above it.
    for path in walk.defaults {
        match files::read_text(&path, MAX_FILE_BYTES) {
            Ok(text) => loader.add_defaults(&Source { path, text }),
            Err(error) => {
                diagnostics.push(file_diagnostic(&error));
                loader.defaults_unreadable(&error);
            }
        }
    }
    for path in walk.files {
        match files::read_text(&path, MAX_FILE_BYTES) {
            Ok(text) => loader.add(&Source { path, text }),
            Err(error) => diagnostics.push(file_diagnostic(&error)),
        }
    }
    let mut outcome = loader.finish();
    outcome.scope = scope;
    diagnostics.append(&mut outcome.diagnostics);
    // Walk, read and parse problems were collected stage by stage; a user reads them by file.
    diagnostics.sort_by(|a, b| {
        let place = |d: &Diagnostic| {
            d.origin
                .as_ref()
                .map(|o| (o.path.clone(), o.line, o.column))
        };
        place(a).cmp(&place(b))
    });
    outcome.diagnostics = diagnostics;
    outcome
}

/// A build directory with no build file in it: valid, but most likely the wrong `--dir`. With
/// a scope file listing projects it is not "nothing managed": those projects are managed, and
/// `--prune` would delete every build zadig-sync made in them.
fn empty_dir(dir: &Path, scope: Option<&Scope>) -> Diagnostic {
    let managed = match scope {
        Some(scope) if !scope.projects.is_empty() => format!(
            "projects {} are managed as having no build (with --prune, every build zadig-sync \
             made in them is deleted)",
            scope.projects.join(", ")
        ),
        _ => "no build is managed".to_string(),
    };
    let message = format!(
        "directory `{}` holds no build file (`*.yaml`, `*.yml`): {managed} (set --dir or \
         ZADIG_SYNC_DIR if the files are elsewhere)",
        dir.display()
    );
    Diagnostic::warning("empty-dir", None, message)
}

/// A file that could not be read, placed at its first line (or at its bad byte).
fn file_diagnostic(error: &FileError) -> Diagnostic {
    let (line, column) = match error {
        FileError::NotUtf8 { line, column, .. } => (*line, *column),
        _ => (1, 1),
    };
    let origin = Origin {
        path: error.path().to_path_buf(),
        line,
        column,
    };
    Diagnostic::error("unreadable-file", Some(origin), error.to_string())
}

/// Loads already-read build files (defaults files among them, by name). `read` serves
/// `${file:…}` and `build_script_file`.
pub fn load_sources(
    sources: &[Source],
    mode: ReferenceMode,
    env: &dyn Fn(&str) -> Option<String>,
    read: &dyn Fn(&Path) -> Result<String, FileError>,
) -> LoadOutcome {
    load_sources_in_scope(sources, mode, env, read, None)
}

/// [`load_sources`], where every build must belong to a project of `scope`, when given.
pub fn load_sources_in_scope(
    sources: &[Source],
    mode: ReferenceMode,
    env: &dyn Fn(&str) -> Option<String>,
    read: &dyn Fn(&Path) -> Result<String, FileError>,
    scope: Option<&Scope>,
) -> LoadOutcome {
    let mut loader = Loader::new(mode, env, read, scope, sources.len());
    let (defaults, builds): (Vec<&Source>, Vec<&Source>) = sources
        .iter()
        .partition(|source| is_defaults_file(&source.path));
    for source in defaults {
        loader.add_defaults(source);
    }
    for source in builds {
        loader.add(source);
    }
    loader.finish()
}

/// Loads build files one by one, carrying what spans files (the build names in use, the
/// scope), so that a caller can read each file just before it is loaded.
struct Loader<'a> {
    mode: ReferenceMode,
    env: &'a dyn Fn(&str) -> Option<String>,
    read: &'a dyn Fn(&Path) -> Result<String, FileError>,
    scope: Option<&'a Scope>,
    /// The JSON schema every document is checked against.
    schema: serde_json::Value,
    names: NameRegistry,
    /// The defaults files read so far, and what each folder inherits from them.
    defaults: Defaults,
    /// The run may delete: a file that holds no build is an error.
    prune: bool,
    outcome: LoadOutcome,
}

impl<'a> Loader<'a> {
    /// `files`: how many files will be added (most hold one build each).
    fn new(
        mode: ReferenceMode,
        env: &'a dyn Fn(&str) -> Option<String>,
        read: &'a dyn Fn(&Path) -> Result<String, FileError>,
        scope: Option<&'a Scope>,
        files: usize,
    ) -> Self {
        let mut outcome = LoadOutcome::default();
        outcome.desired.builds.reserve(files);
        Loader {
            mode,
            env,
            read,
            scope,
            schema: schema::file_schema(),
            names: NameRegistry::default(),
            defaults: Defaults::default(),
            prune: false,
            outcome,
        }
    }

    fn add_defaults(&mut self, source: &Source) {
        let readers = Readers {
            mode: self.mode,
            env: self.env,
            read: self.read,
        };
        let secrets = &mut self.outcome.desired.secrets;
        let mut diagnostics = self.defaults.add(source, &readers, secrets);
        self.outcome.diagnostics.append(&mut diagnostics);
    }

    /// A defaults file that could not be read still stands in its folder, so that the builds
    /// below it are not checked as if it were empty.
    fn defaults_unreadable(&mut self, error: &FileError) {
        self.defaults.add_unreadable(error.path());
    }

    fn add(&mut self, source: &Source) {
        self.outcome.desired.file_count += 1;
        let documents = match yaml::parse_documents(&source.text) {
            Ok(documents) => documents,
            Err(error) => {
                let pos = error.pos.unwrap_or(Pos::START);
                let finding = Finding::error("yaml", pos, error.message);
                self.outcome
                    .diagnostics
                    .push(finding.into_diagnostic(&source.path));
                return;
            }
        };
        if documents.is_empty() {
            let finding = self.empty_file();
            self.outcome
                .diagnostics
                .push(finding.into_diagnostic(&source.path));
        }
        for doc in documents {
            let (doc, inherited) = match self.defaults.prepare(doc, &source.path) {
                Prepared::Ready(doc, inherited) => (doc, inherited),
                Prepared::Skip => continue,
            };
            let resolver = Resolver {
                mode: self.mode,
                env: self.env,
                read: self.read,
                base_dir: source.path.parent().unwrap_or(Path::new(".")),
                defaults_dirs: self.defaults.dirs(),
            };
            let mut loaded = load_document(doc, &self.schema, &resolver);
            self.names.claim(&mut loaded, &source.path);
            if let Some(scope) = self.scope {
                check_in_scope(&mut loaded, scope);
            }
            let place = Placed {
                path: &source.path,
                defaults: &mut self.defaults,
            };
            add_document(&mut self.outcome, loaded, place, inherited);
        }
    }

    /// A file that holds no build: a warning, or with `prune` an error, since the builds it
    /// described (if an interrupted save emptied it) would be deleted at once.
    fn empty_file(&self) -> Finding {
        const EMPTY: &str = "this file holds no build (it is empty or only comments)";
        if !self.prune {
            return Finding::warning("empty-file", Pos::START, EMPTY);
        }
        let message = format!(
            "{EMPTY}; with --prune (or `prune: true` in the scope file) the builds it described \
             would be deleted, so nothing is written: restore the file if a save was \
             interrupted, or delete it"
        );
        Finding::error("empty-file", Pos::START, message)
    }

    fn finish(mut self) -> LoadOutcome {
        let mut inherited = self.defaults.finish();
        self.outcome.diagnostics.append(&mut inherited);
        let desired = &mut self.outcome.desired;
        desired.builds.shrink_to_fit();
        desired.secrets.sort();
        desired.secrets.dedup();
        self.outcome
    }
}

/// Where a document's problems go: its file, or the defaults file of an inherited value.
struct Placed<'a> {
    path: &'a Path,
    defaults: &'a mut Defaults,
}

/// A document's secrets are kept even when it has errors: redacting too much costs nothing.
fn add_document(
    outcome: &mut LoadOutcome,
    mut loaded: LoadedDocument,
    place: Placed<'_>,
    inherited: Inherited,
) {
    outcome.desired.secrets.append(&mut loaded.secrets);
    let ok = !loaded.findings.iter().any(Finding::is_error);
    loaded.findings.sort_by_key(|f| f.pos);
    let build = origin(place.path, loaded.start);
    for finding in loaded.findings {
        if let Some(own) = place.defaults.place(finding, &build) {
            outcome.diagnostics.push(own.into_diagnostic(place.path));
        }
    }
    if let (true, Some(spec)) = (ok, loaded.build) {
        outcome.desired.builds.push(DesiredBuild {
            spec,
            origin: build,
            inherited,
        });
    }
}

/// A build of a project the scope file does not list is an error at its `project_key`.
fn check_in_scope(loaded: &mut LoadedDocument, scope: &Scope) {
    let Some(project) = loaded.build.as_ref().map(|b| b.project_key().to_string()) else {
        return;
    };
    if scope.manages(&project) {
        return;
    }
    let message = format!(
        "project `{project}` is not listed in {}'s `projects:` ({}); add it there to manage \
         it, or correct project_key",
        scope.path.display(),
        if scope.projects.is_empty() {
            "none listed".to_string()
        } else {
            scope.projects.join(", ")
        }
    );
    let pos = loaded.project_pos.unwrap_or(loaded.start);
    loaded
        .findings
        .push(Finding::error("project-not-in-scope", pos, message));
    loaded.build = None;
}

/// Zadig's build names are global, not per project: the first file to use a name keeps it.
#[derive(Default)]
struct NameRegistry {
    first_use: HashMap<String, (Origin, String)>,
}

impl NameRegistry {
    fn claim(&mut self, loaded: &mut LoadedDocument, path: &Path) {
        let Some((name, pos)) = &loaded.name else {
            return;
        };
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return;
        }
        if let Some((first, project)) = self.first_use.get(trimmed) {
            let message = format!(
                "build name `{trimmed}` is already used at {first} (project `{project}`); \
                 Zadig's build names are unique across all projects: rename one of them"
            );
            loaded
                .findings
                .push(Finding::error("duplicate-name", *pos, message));
            loaded.build = None;
        } else {
            let value = (origin(path, *pos), loaded.project.clone());
            self.first_use.insert(trimmed.to_string(), value);
        }
    }
}
