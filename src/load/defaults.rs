//! Defaults files: a `_defaults.yaml` (or `.yml`) in any folder of the build directory holds
//! a partial build document that every build file in that folder and below inherits. Nearest
//! wins: the build's own values, then its folder's defaults, then each parent's
//! ([`merge`](crate::load::merge) says how values combine). A defaults file may hold one
//! document for custom builds (`kind: custom`, or no `kind`) and one for template builds
//! (`kind: template`); a build inherits the one of its own kind, decided by its own file.
//!
//! Each defaults file is checked on its own here (its fields, their types, references), and
//! each merged build again by the build loader. A problem in a merged build at a value a
//! defaults file wrote is reported there, once: if checking the defaults file alone found it,
//! not again; otherwise with the first build that inherits it and how many more do. Pure
//! apart from the injected readers (see [`crate::load::refs::Resolver`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::load::check::{Checker, suggest};
use crate::load::diagnostic::Diagnostic;
use crate::load::document::{kind_of, read_build_script_file};
use crate::load::files::FileError;
use crate::load::finding::Finding;
use crate::load::inherited::InheritedProblems;
use crate::load::merge::{InheritedField, inherit, merge};
use crate::load::refs::{Resolver, resolve_tree};
use crate::load::rules::{check_document, check_masked_values};
use crate::load::schema::{CUSTOM_DEFAULTS, KIND, TEMPLATE_DEFAULTS, defaults_schema};
use crate::load::yaml::{self, FileId, Node, Pos, Value};
use crate::load::{ReferenceMode, Source};
use crate::reconcile::desired::{Inherited, Origin};
use crate::reconcile::spec::BuildKind;

/// The names of a defaults file; any other `*.yaml`/`*.yml` is a build file.
pub const DEFAULTS_FILE_NAMES: [&str; 2] = ["_defaults.yaml", "_defaults.yml"];

/// The code of problems only a defaults file can have (`name` in it, a bad `kind`, two of
/// them in one folder).
const CODE: &str = "defaults-file";

pub fn is_defaults_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| DEFAULTS_FILE_NAMES.contains(&name))
}

/// What references in defaults files need from outside: the same as in build files.
pub struct Readers<'a> {
    pub mode: ReferenceMode,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub read: &'a dyn Fn(&Path) -> Result<String, FileError>,
}

/// The defaults files of one load, and what each folder's builds inherit.
#[derive(Default)]
pub struct Defaults {
    /// Each defaults file by [`FileId`] (the first is file 1).
    files: Vec<Arc<Path>>,
    /// The folder of each, in the same order: inherited references start there.
    dirs: Vec<PathBuf>,
    folders: HashMap<PathBuf, Folder>,
    /// What a build in a folder inherits, per kind, computed once per folder.
    chains: HashMap<PathBuf, [Option<Rc<Chain>>; 2]>,
    /// The problems found in defaults files on their own, by place and code.
    reported: HashSet<(Pos, &'static str)>,
    /// Problems only merged builds showed, at places in defaults files.
    inherited: InheritedProblems,
    /// The defaults schema, made when the first defaults file is read.
    schema: Option<Json>,
}

/// A defaults file being read: its text, its number, and the schema it is checked against.
struct DefaultsText<'a> {
    text: &'a str,
    id: FileId,
    schema: &'a Json,
}

/// One folder's defaults file.
struct Folder {
    path: Arc<Path>,
    custom: Option<Node>,
    template: Option<Node>,
    /// The file could not be read as defaults at all (not YAML, a document that is not a
    /// mapping, an unknown `kind`): the builds below it are not checked against a guess.
    broken: bool,
}

/// What the builds of one folder and kind inherit, all defaults files above them merged.
#[derive(Default)]
struct Chain {
    document: Option<Node>,
    broken: bool,
}

/// A build document, ready for the build loader.
pub enum Prepared {
    /// Merged with its defaults, with the fields it took from them.
    Ready(Node, Inherited),
    /// A defaults file above it is broken: its problems are reported there; checking the
    /// build without those defaults would report fields it only lacks by their fault.
    Skip,
}

impl Defaults {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The folder of each defaults file, by [`FileId`], for a [`Resolver`].
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Reads one defaults file and checks it on its own. Every defaults file is added before
    /// the first build is prepared.
    pub fn add(
        &mut self,
        source: &Source,
        readers: &Readers<'_>,
        secrets: &mut Vec<String>,
    ) -> Vec<Diagnostic> {
        let (id, folder, mut entry) = match self.register(&source.path) {
            Ok(registered) => registered,
            Err(finding) => return vec![finding.into_diagnostic(&source.path)],
        };
        let schema = self.schema.take().unwrap_or_else(defaults_schema);
        let file = DefaultsText {
            text: &source.text,
            id,
            schema: &schema,
        };
        let findings = self.read_file(&file, &mut entry, readers, secrets);
        self.schema = Some(schema);
        self.folders.insert(folder, entry);
        self.reported
            .extend(findings.iter().map(|finding| (finding.pos, finding.code)));
        let path = &source.path;
        findings
            .into_iter()
            .map(|f| f.into_diagnostic(path))
            .collect()
    }

    /// A defaults file that could not be read (the walk reports why): the builds below it
    /// are not checked, as below any broken defaults file.
    pub fn add_unreadable(&mut self, path: &Path) {
        if let Ok((_, folder, mut entry)) = self.register(path) {
            entry.broken = true;
            self.folders.insert(folder, entry);
        }
    }

    /// Numbers a new defaults file, or refuses a second one in a folder.
    fn register(&mut self, path: &Path) -> Result<(FileId, PathBuf, Folder), Finding> {
        let folder = path.parent().unwrap_or(Path::new("")).to_path_buf();
        if let Some(first) = self.folders.get(&folder) {
            let message = format!(
                "this folder already has the defaults file `{}`; keep one of them (this one \
                 is ignored)",
                first.path.display()
            );
            return Err(Finding::error(CODE, Pos::START, message));
        }
        let id = FileId(u32::try_from(self.files.len() + 1).unwrap_or(u32::MAX));
        let path: Arc<Path> = path.into();
        self.files.push(path.clone());
        self.dirs.push(folder.clone());
        let entry = Folder {
            path,
            custom: None,
            template: None,
            broken: false,
        };
        Ok((id, folder, entry))
    }

    fn read_file(
        &self,
        file: &DefaultsText<'_>,
        entry: &mut Folder,
        readers: &Readers<'_>,
        secrets: &mut Vec<String>,
    ) -> Vec<Finding> {
        let id = file.id;
        let mut findings = Vec::new();
        let documents = match yaml::parse_documents(file.text) {
            Ok(documents) => documents,
            Err(error) => {
                let mut pos = error.pos.unwrap_or(Pos::START);
                pos.file = id;
                entry.broken = true;
                return vec![Finding::error("yaml", pos, error.message)];
            }
        };
        if documents.is_empty() {
            let message = "this defaults file holds nothing (it is empty or only comments)";
            findings.push(Finding::warning(
                "empty-file",
                Pos {
                    file: id,
                    ..Pos::START
                },
                message,
            ));
        }
        let base_dir = self.dirs.last().map_or(Path::new(""), PathBuf::as_path);
        let resolver = Resolver {
            mode: readers.mode,
            env: readers.env,
            read: readers.read,
            base_dir,
            defaults_dirs: &self.dirs,
        };
        for mut doc in documents {
            doc.stamp(id);
            let Some((kind, doc)) = kind_of_defaults(doc, entry, &mut findings) else {
                entry.broken = true;
                continue;
            };
            check_alone(&doc, kind, file.schema, &resolver, &mut findings, secrets);
            let slot = match kind {
                BuildKind::Custom => &mut entry.custom,
                BuildKind::Template => &mut entry.template,
            };
            *slot = Some(without(doc, KIND));
        }
        findings
    }

    /// A build document merged over what its folder inherits.
    pub fn prepare(&mut self, doc: Node, build_file: &Path) -> Prepared {
        if self.is_empty() {
            return Prepared::Ready(doc, Inherited::default());
        }
        let chain = self.chain(build_file, kind_of(&doc));
        if chain.broken {
            return Prepared::Skip;
        }
        let Some(defaults) = &chain.document else {
            return Prepared::Ready(doc, Inherited::default());
        };
        let (merged, fields) = inherit(doc, defaults);
        Prepared::Ready(merged, self.with_paths(fields))
    }

    fn with_paths(&self, fields: Vec<InheritedField>) -> Inherited {
        let mut inherited = Inherited::default();
        for (field, file) in fields {
            if let Some(path) = file.defaults_index().and_then(|i| self.files.get(i)) {
                inherited.push(field, path.clone());
            }
        }
        inherited
    }

    fn chain(&mut self, build_file: &Path, kind: BuildKind) -> Rc<Chain> {
        let folder = build_file.parent().unwrap_or(Path::new(""));
        let slot = kind as usize;
        if let Some(Some(chain)) = self.chains.get(folder).map(|chains| &chains[slot]) {
            return chain.clone();
        }
        let mut chain = Chain::default();
        let above: Vec<&Folder> = folder
            .ancestors()
            .filter_map(|ancestor| self.folders.get(ancestor))
            .collect();
        for defaults in above.into_iter().rev() {
            chain.broken |= defaults.broken;
            let nearer = match kind {
                BuildKind::Custom => &defaults.custom,
                BuildKind::Template => &defaults.template,
            };
            if let Some(nearer) = nearer {
                chain.document = Some(match chain.document.take() {
                    Some(farther) => merge(nearer.clone(), &farther),
                    None => nearer.clone(),
                });
            }
        }
        let chain = Rc::new(chain);
        let chains = self.chains.entry(folder.to_path_buf()).or_default();
        chains[slot] = Some(chain.clone());
        chain
    }

    /// Where a problem of a merged build goes: its own file (returned as it is), or, when the
    /// value was inherited, the defaults file that wrote it (kept for [`Self::finish`]).
    pub fn place(&mut self, finding: Finding, build: &Origin) -> Option<Finding> {
        if finding.pos.file.is_own() {
            return Some(finding);
        }
        if !self.reported.contains(&(finding.pos, finding.code)) {
            self.inherited.add(finding, build);
        }
        None
    }

    /// The problems only merged builds showed, each at its place in a defaults file.
    pub fn finish(self) -> Vec<Diagnostic> {
        let files = self.files;
        self.inherited
            .into_diagnostics(|file| file.defaults_index().and_then(|i| files.get(i)).cloned())
    }
}

/// The kind a defaults document is for, once: `None` (with the finding) when it is not a
/// mapping, names no kind zadig-sync knows, or repeats one the file already has.
fn kind_of_defaults(
    doc: Node,
    entry: &Folder,
    findings: &mut Vec<Finding>,
) -> Option<(BuildKind, Node)> {
    if !matches!(doc.value, Value::Map(_)) {
        let message = format!(
            "a defaults document must be a mapping of build fields (build_os, \
             advanced_settings, …), found {}",
            doc.describe()
        );
        findings.push(Finding::error("not-a-mapping", doc.pos, message));
        return None;
    }
    let kind = match doc.get(KIND).map(|node| (node.text(), node.pos)) {
        None | Some((Some("custom"), _)) => BuildKind::Custom,
        Some((Some("template"), _)) => BuildKind::Template,
        Some((text, pos)) => {
            let hint = suggest(text.unwrap_or_default(), &["custom", "template"])
                .map(|near| format!("; did you mean `{near}`?"))
                .unwrap_or_default();
            let message = format!(
                "`kind` must be `custom` (the default) or `template`, the builds this \
                 document gives values to{hint}"
            );
            findings.push(Finding::error(CODE, pos, message));
            return None;
        }
    };
    let taken = match kind {
        BuildKind::Custom => entry.custom.is_some(),
        BuildKind::Template => entry.template.is_some(),
    };
    let start = doc.entries().first().map_or(doc.pos, |(key, _)| key.pos);
    if taken {
        let message = format!(
            "this file already has a defaults document for {} builds; merge the two",
            kind.as_str()
        );
        findings.push(Finding::error(CODE, start, message));
        return None;
    }
    if let Some(name) = doc.get("name") {
        let message = "`name` cannot be a default: each build names itself in its own file";
        findings.push(Finding::error(CODE, name.pos, message));
    }
    Some((kind, without(doc, "name")))
}

/// The checks of a build document that hold for a part of one: its fields and their types
/// (none required), references, literal credentials, duplicates in its lists.
fn check_alone(
    doc: &Node,
    kind: BuildKind,
    schema: &Json,
    resolver: &Resolver<'_>,
    findings: &mut Vec<Finding>,
    secrets: &mut Vec<String>,
) {
    let mut rules = Vec::new();
    check_document(doc, kind, &mut rules);
    // What is missing here may come from the build (a Dockerfile template's name).
    rules.retain(|finding| finding.code != "missing-field");
    findings.append(&mut rules);
    resolver.check_empty_credentials(doc, kind, findings);
    let mut resolved = doc.clone();
    resolve_tree(&mut resolved, resolver, findings, secrets);
    check_masked_values(&resolved, kind, findings);
    let definition = match kind {
        BuildKind::Custom => CUSTOM_DEFAULTS,
        BuildKind::Template => TEMPLATE_DEFAULTS,
    };
    let mut checker = Checker::new(schema);
    let mut json = checker.document(&resolved, definition);
    findings.append(&mut checker.findings);
    read_build_script_file(&resolved, &mut json, resolver, findings);
}

fn without(mut doc: Node, field: &str) -> Node {
    if let Value::Map(entries) = &mut doc.value {
        entries.retain(|(key, _)| key.text() != Some(field));
    }
    doc
}
