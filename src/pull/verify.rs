//! The check before anything is written: the build folder loaded again with the pulled
//! files' new texts in place. Each pulled build must then say what Zadig has, but for the
//! fields reported (and credentials, never written); every other build must load as before.
//! A build whose edit fails this is not pulled, and says why; the others still are. Reads
//! files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::load::files::{FileError, MAX_FILE_BYTES, find_build_files, read_named_file};
use crate::load::{ReferenceMode, Source, load_sources};
use crate::reconcile::BuildId;
use crate::reconcile::desired::{DesiredBuild, DesiredSet};
use crate::reconcile::diff::{Difference, UNOBSERVABLE_PATH};
use crate::reconcile::marker::fingerprint;
use crate::reconcile::pull::outcome::FileChange;
use crate::reconcile::pull::{Skipped, Why, differences};

use super::{PullError, PullRequest, Taken, Texts, changes};

/// The pulled builds whose edit does not pass the check, and why.
/// A build whose script file, shared with another build, is what fails is pulled without
/// its script (said so), which stays as it is.
pub(super) fn checked(
    request: &PullRequest<'_>,
    texts: &Texts,
    taken: &mut [Taken<'_>],
) -> BTreeMap<BuildId, PullError> {
    let mut failed = BTreeMap::new();
    let all: Vec<&Taken> = taken.iter().collect();
    if taken.is_empty() || check(request, texts, &all).is_ok() {
        return failed;
    }
    // Something is wrong: each build alone, to name the ones at fault.
    for one in taken.iter_mut() {
        match check(request, texts, &[one]) {
            Err(PullError::ChangesOther { .. }) if without_script(one, request, texts) => {}
            Err(why) => {
                failed.insert(one.build.clone(), why);
            }
            Ok(()) => {}
        }
    }
    let all: Vec<&Taken> = taken.iter().collect();
    let rest: Vec<&Taken> = all
        .into_iter()
        .filter(|one| !failed.contains_key(&one.build))
        .collect();
    if let Err(why) = check(request, texts, &rest) {
        for one in rest {
            failed.insert(one.build.clone(), PullError::Together(why.to_string()));
        }
    }
    failed
}

/// Whether `one` passes the check once its script is left as it is (then it is, with why).
fn without_script(one: &mut Taken<'_>, request: &PullRequest<'_>, texts: &Texts) -> bool {
    let Some((relative, _)) = one.made.script.take() else {
        return false;
    };
    one.made.pulled.retain(|path| path != "build_script");
    let why = Why::Edit(format!(
        "its script file {relative} is shared with other builds: edit it by hand"
    ));
    one.made.skipped.push(Skipped {
        path: "build_script".into(),
        why,
    });
    check(request, texts, &[one]).is_ok()
}

/// Loads the folder with the edits of `taken` in place and checks the builds.
fn check(request: &PullRequest<'_>, texts: &Texts, taken: &[&Taken<'_>]) -> Result<(), PullError> {
    let overlay: HashMap<PathBuf, String> = changes(texts, taken)?
        .into_iter()
        .map(|FileChange { path, new, .. }| (path, new))
        .collect();
    let after = load(request.dir, &overlay)?;
    for one in taken {
        let Some(now) = after.get(&one.build) else {
            return Err(PullError::Gone);
        };
        let skipped: Vec<&str> = one.made.skipped.iter().map(|s| s.path.as_str()).collect();
        let left: Vec<String> = (differences(now, one.detail).iter())
            .filter(|d| !matches!(d, Difference::Credential { .. }))
            .map(|d| d.path().to_string())
            .filter(|path| path != UNOBSERVABLE_PATH && !skipped.contains(&path.as_str()))
            .collect();
        if !left.is_empty() {
            return Err(PullError::StillDiffers {
                fields: left.join(", "),
            });
        }
    }
    unchanged_others(request.desired, &after, taken)
}

/// Every build not pulled loads as it did.
fn unchanged_others(
    before: &DesiredSet,
    after: &HashMap<BuildId, DesiredBuild>,
    taken: &[&Taken<'_>],
) -> Result<(), PullError> {
    for build in &before.builds {
        let id = BuildId::new(build.spec.project_key(), build.spec.name());
        if taken.iter().any(|one| one.build == id) {
            continue;
        }
        let same = after
            .get(&id)
            .is_some_and(|now| fingerprint(&now.spec) == fingerprint(&build.spec));
        if !same {
            return Err(PullError::ChangesOther { build: id });
        }
    }
    Ok(())
}

/// Every build of `dir`, the texts of `overlay` read instead of the files'.
fn load(
    dir: &Path,
    overlay: &HashMap<PathBuf, String>,
) -> Result<HashMap<BuildId, DesiredBuild>, PullError> {
    let walk = find_build_files(dir).map_err(PullError::Walk)?;
    let read = |path: &Path| -> Result<String, FileError> {
        match overlay.get(path) {
            Some(text) => Ok(text.clone()),
            None => read_named_file(path, MAX_FILE_BYTES),
        }
    };
    let mut sources = Vec::new();
    for path in walk.defaults.into_iter().chain(walk.files) {
        let text = read(&path).map_err(PullError::Read)?;
        sources.push(Source { path, text });
    }
    let env = |name: &str| std::env::var(name).ok();
    let outcome = load_sources(&sources, ReferenceMode::Offline, &env, &read);
    if let Some(error) = outcome.diagnostics.iter().find(|d| d.is_error()) {
        return Err(PullError::NotLoading(error.to_string()));
    }
    Ok((outcome.desired.builds.into_iter())
        .map(|build| {
            let id = BuildId::new(build.spec.project_key(), build.spec.name());
            (id, build)
        })
        .collect())
}
