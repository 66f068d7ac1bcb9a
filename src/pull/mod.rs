//! `zadig-sync pull`'s work on the files: for the builds the plan shows changed in Zadig,
//! read their files, let the pure `reconcile::pull` edit them, and check the result by
//! loading the whole folder again with the edits in place (each pulled build must now say
//! what Zadig has, but for the fields reported; every other build must be unchanged), then
//! write the files (atomically, never through a symlink, keeping their permissions) or
//! render the change as a patch. The daemon uses the same to show each drifted build's patch.
//! Reads and writes files.

mod error;
mod paths;
mod verify;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::load::files::{MAX_FILE_BYTES, read_text};
use crate::reconcile::BuildId;
use crate::reconcile::desired::{DesiredBuild, DesiredSet};
use crate::reconcile::live::{LiveDetail, LiveProject};
use crate::reconcile::plan::Plan;
use crate::reconcile::pull::edit::{Edit, apply};
use crate::reconcile::pull::outcome::{BuildOutcome, FileChange, Outcome, PullReport};
use crate::reconcile::pull::select::{Choice, choose};
use crate::reconcile::pull::{BuildPull, PullInput, pull_build};
use crate::reconcile::redact::Secrets;

pub use error::PullError;
pub use paths::{PatchRoot, write_changes};

/// What to pull, and from what.
pub struct PullRequest<'a> {
    /// The build folder: every file pull changes is inside it.
    pub dir: &'a Path,
    pub desired: &'a DesiredSet,
    pub plan: &'a Plan,
    pub live: &'a [LiveProject],
    /// `--build`: only these builds (every drifted one when empty).
    pub builds: &'a [String],
    /// `--override-defaults`: write inherited values into the build file.
    pub override_defaults: bool,
    /// What must never be written into a file: the `${env:…}` values and the token.
    pub secrets: &'a Secrets,
}

/// One build being pulled, with what the pure pull made of it.
struct Taken<'a> {
    build: BuildId,
    desired: &'a DesiredBuild,
    detail: &'a LiveDetail,
    made: BuildPull,
}

/// Pulls what the request asks for, changing nothing on disk: the report holds every file's
/// new text.
pub fn pull(request: &PullRequest<'_>) -> PullReport {
    let mut texts = Texts::default();
    let (mut builds, mut taken) = take_all(request, &mut texts);
    let failed = verify::checked(request, &texts, &mut taken);
    builds.extend(
        taken
            .iter()
            .map(|one| outcome_of(one, &texts, failed.get(&one.build))),
    );
    let kept: Vec<&Taken> = (taken.iter())
        .filter(|one| !failed.contains_key(&one.build))
        .collect();
    let changes = match changes(&texts, &kept) {
        Ok(changes) => changes,
        Err(error) => {
            // Checked one by one, their edits still clash together: none is written, and
            // each says why (never "pulled" with nothing written).
            let clashing = |b: &BuildOutcome| kept.iter().any(|one| one.build == b.build);
            for outcome in builds.iter_mut().filter(|b| clashing(b)) {
                outcome.result = Outcome::Failed(error.to_string());
            }
            Vec::new()
        }
    };
    PullReport {
        builds,
        changes,
        unknown: unknown_names(request),
    }
}

/// Each step of the request's builds: pulled (taken), or what is said of it instead.
fn take_all<'a>(
    request: &PullRequest<'a>,
    texts: &mut Texts,
) -> (Vec<BuildOutcome>, Vec<Taken<'a>>) {
    let (mut said, mut taken) = (Vec::new(), Vec::new());
    for step in &request.plan.steps {
        let named = request.builds.contains(&step.build.name);
        if !request.builds.is_empty() && !named {
            continue;
        }
        let outcome = match choose(step, named) {
            None => continue,
            Some(Choice::Leave(why)) => Outcome::Left(why),
            Some(Choice::Pull) => match take(request, &step.build, texts) {
                Ok(one) => {
                    taken.push(one);
                    continue;
                }
                Err(why) => Outcome::Failed(why.to_string()),
            },
        };
        said.push(BuildOutcome {
            build: step.build.clone(),
            file: desired_of(request.desired, &step.build).map(|d| d.origin.path.clone()),
            result: outcome,
        });
    }
    (said, taken)
}

/// `--build` names no build of the files has.
fn unknown_names(request: &PullRequest<'_>) -> Vec<String> {
    let names: BTreeSet<&str> = (request.desired.builds.iter())
        .map(|b| b.spec.name())
        .collect();
    let unknown: BTreeSet<&String> = (request.builds.iter())
        .filter(|name| !names.contains(name.as_str()))
        .collect();
    unknown.into_iter().cloned().collect()
}

fn desired_of<'a>(desired: &'a DesiredSet, build: &BuildId) -> Option<&'a DesiredBuild> {
    (desired.builds.iter())
        .find(|b| b.spec.project_key() == build.project && b.spec.name() == build.name)
}

fn detail_of<'a>(live: &'a [LiveProject], build: &BuildId) -> Option<&'a LiveDetail> {
    let project = live.iter().find(|p| p.project == build.project)?;
    let listed = (project.listing.as_ref().ok()?.iter()).find(|b| b.name == build.name)?;
    listed.detail.as_ref().ok()
}

/// The text of every file read, as it was.
#[derive(Default)]
pub(crate) struct Texts {
    read: BTreeMap<PathBuf, String>,
}

impl Texts {
    fn get(&mut self, path: &Path) -> Result<&str, PullError> {
        if !self.read.contains_key(path) {
            let text = read_text(path, MAX_FILE_BYTES).map_err(PullError::Read)?;
            self.read.insert(path.to_path_buf(), text);
        }
        Ok(self.read.get(path).map(String::as_str).unwrap_or_default())
    }

    fn old(&self, path: &Path) -> Option<&str> {
        self.read.get(path).map(String::as_str)
    }
}

/// Reads one build's files and pulls it.
fn take<'a>(
    request: &PullRequest<'a>,
    build: &BuildId,
    texts: &mut Texts,
) -> Result<Taken<'a>, PullError> {
    let desired = desired_of(request.desired, build).ok_or(PullError::NoFile)?;
    let detail = detail_of(request.live, build).ok_or(PullError::NoDetail)?;
    let path = &desired.origin.path;
    paths::writable(request.dir, path)?;
    let input = PullInput {
        text: texts.get(path)?,
        desired,
        detail,
        override_defaults: request.override_defaults,
        secrets: request.secrets,
    };
    let made = pull_build(&input);
    if let Some((relative, _)) = &made.script {
        let script = script_path(path, relative);
        paths::writable(request.dir, &script)?;
        texts.get(&script)?;
    }
    Ok(Taken {
        build: build.clone(),
        desired,
        detail,
        made,
    })
}

/// Where a `build_script_file` written in `yaml` is.
fn script_path(yaml: &Path, relative: &str) -> PathBuf {
    yaml.parent().unwrap_or(Path::new("")).join(relative)
}

/// Each changed file once, with the edits of every build in `taken`; an error when two
/// builds would write one script file differently or edits overlap.
fn changes(texts: &Texts, taken: &[&Taken<'_>]) -> Result<Vec<FileChange>, PullError> {
    let mut edits: BTreeMap<PathBuf, Vec<Edit>> = BTreeMap::new();
    let mut scripts: BTreeMap<PathBuf, String> = BTreeMap::new();
    for one in taken {
        let path = one.desired.origin.path.clone();
        edits
            .entry(path.clone())
            .or_default()
            .extend(one.made.edits.clone());
        if let Some((relative, script)) = &one.made.script {
            let at = script_path(&path, relative);
            if scripts.get(&at).is_some_and(|other| other != script) {
                return Err(PullError::Conflict { path: at });
            }
            scripts.insert(at, script.clone());
        }
    }
    let mut out = Vec::new();
    for (path, edits) in edits {
        let old = texts.old(&path).unwrap_or_default();
        let new = apply(old, edits).map_err(|source| PullError::Edit {
            path: path.clone(),
            source,
        })?;
        push_change(&mut out, path, old, new);
    }
    for (path, new) in scripts {
        let old = texts.old(&path).unwrap_or_default();
        push_change(&mut out, path, old, new);
    }
    Ok(out)
}

fn push_change(out: &mut Vec<FileChange>, path: PathBuf, old: &str, new: String) {
    if old != new {
        out.push(FileChange {
            path,
            old: old.to_string(),
            new,
        });
    }
}

/// The outcome of a pulled build: its fields and changes, or why the check refused them.
fn outcome_of(one: &Taken<'_>, texts: &Texts, failure: Option<&PullError>) -> BuildOutcome {
    let result = match failure {
        Some(why) => Outcome::Failed(why.to_string()),
        None => Outcome::Pulled {
            fields: one.made.pulled.clone(),
            skipped: one.made.skipped.clone(),
            written: one.made.written.clone(),
            changes: changes(texts, &[one]).unwrap_or_default(),
        },
    };
    BuildOutcome {
        build: one.build.clone(),
        file: Some(one.desired.origin.path.clone()),
        result,
    }
}
