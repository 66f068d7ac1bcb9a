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
use crate::reconcile::desired::DesiredSet;
use crate::reconcile::diff::{Difference, UNOBSERVABLE_PATH};
use crate::reconcile::marker::fingerprint;
use crate::reconcile::pull::differences;
use crate::reconcile::pull::outcome::FileChange;

use super::{PullRequest, Taken, Texts, changes};

/// The pulled builds whose edit does not pass the check, and why.
pub(super) fn checked(
    request: &PullRequest<'_>,
    texts: &Texts,
    taken: &[Taken<'_>],
) -> BTreeMap<BuildId, String> {
    let mut failed = BTreeMap::new();
    if taken.is_empty() {
        return failed;
    }
    let all: Vec<&Taken> = taken.iter().collect();
    if check(request, texts, &all).is_ok() {
        return failed;
    }
    // Something is wrong: each build alone, to name the ones at fault.
    for one in taken {
        if let Err(why) = check(request, texts, &[one]) {
            failed.insert(one.build.clone(), why);
        }
    }
    let rest: Vec<&Taken> = all
        .into_iter()
        .filter(|one| !failed.contains_key(&one.build))
        .collect();
    if let Err(why) = check(request, texts, &rest) {
        for one in rest {
            let together = format!("pulled together with the other builds: {why}");
            failed.insert(one.build.clone(), together);
        }
    }
    failed
}

/// Loads the folder with the edits of `taken` in place and checks the builds.
fn check(request: &PullRequest<'_>, texts: &Texts, taken: &[&Taken<'_>]) -> Result<(), String> {
    let overlay: HashMap<PathBuf, String> = changes(texts, taken)?
        .into_iter()
        .map(|FileChange { path, new, .. }| (path, new))
        .collect();
    let after = load(request.dir, &overlay)?;
    for one in taken {
        let Some(now) = after.get(&one.build) else {
            return Err("after the edit the files no longer describe it".into());
        };
        let skipped: Vec<&str> = one.made.skipped.iter().map(|s| s.path.as_str()).collect();
        let left: Vec<String> = (differences(now, one.detail).iter())
            .filter(|d| !matches!(d, Difference::Credential { .. }))
            .map(|d| d.path().to_string())
            .filter(|path| path != UNOBSERVABLE_PATH && !skipped.contains(&path.as_str()))
            .collect();
        if !left.is_empty() {
            return Err(format!(
                "after the edit the file would still differ from Zadig at {}; pull it by hand",
                left.join(", ")
            ));
        }
    }
    unchanged_others(request.desired, &after, taken)
}

/// Every build not pulled loads as it did.
fn unchanged_others(
    before: &DesiredSet,
    after: &HashMap<BuildId, crate::reconcile::desired::DesiredBuild>,
    taken: &[&Taken<'_>],
) -> Result<(), String> {
    for build in &before.builds {
        let id = BuildId::new(build.spec.project_key(), build.spec.name());
        if taken.iter().any(|one| one.build == id) {
            continue;
        }
        let same = after
            .get(&id)
            .is_some_and(|now| fingerprint(&now.spec) == fingerprint(&build.spec));
        if !same {
            return Err(format!(
                "the edit would change build {} too (a file or script they share)",
                id
            ));
        }
    }
    Ok(())
}

/// Every build of `dir`, the texts of `overlay` read instead of the files'.
fn load(
    dir: &Path,
    overlay: &HashMap<PathBuf, String>,
) -> Result<HashMap<BuildId, crate::reconcile::desired::DesiredBuild>, String> {
    let walk = find_build_files(dir).map_err(|error| error.to_string())?;
    let read = |path: &Path| -> Result<String, FileError> {
        match overlay.get(path) {
            Some(text) => Ok(text.clone()),
            None => read_named_file(path, MAX_FILE_BYTES),
        }
    };
    let mut sources = Vec::new();
    for path in walk.defaults.into_iter().chain(walk.files) {
        let text = read(&path).map_err(|error| error.to_string())?;
        sources.push(Source { path, text });
    }
    let env = |name: &str| std::env::var(name).ok();
    let outcome = load_sources(&sources, ReferenceMode::Offline, &env, &read);
    if let Some(error) = outcome.diagnostics.iter().find(|d| d.is_error()) {
        return Err(format!("after the edit the files would not load: {error}"));
    }
    Ok((outcome.desired.builds.into_iter())
        .map(|build| {
            let id = BuildId::new(build.spec.project_key(), build.spec.name());
            (id, build)
        })
        .collect())
}
