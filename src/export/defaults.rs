//! `export --defaults`: a project's defaults file (`<out>/<project>/_defaults.yaml`) holding
//! the values all its exported custom builds share, left out of their build files (the
//! pure [`factor`] decides what). Writes the file.
//!
//! Only when that changes no other build: the defaults file applies to every build file in
//! the folder, so a file this export does not write there (kept, not overwritten, or another
//! build's) would start inheriting its values. Then the project is exported without one,
//! and the summary says why.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{ExportRequest, Prepared, write_file};
use crate::load::defaults::DEFAULTS_FILE_NAMES;
use crate::load::files::find_build_files;
use crate::reconcile::export::factor::factor;
use crate::reconcile::export::file_stem;
use crate::reconcile::spec::BuildSpec;

/// What `--defaults` did for one project.
#[derive(Debug)]
pub struct ProjectDefaults {
    pub project: String,
    pub result: DefaultsResult,
}

#[derive(Debug)]
pub enum DefaultsResult {
    /// The defaults file, written; the build files leave its values out.
    Written(PathBuf),
    /// Why none was written (the build files hold every value).
    Skipped(String),
    /// It could not be written (the build files hold every value).
    Failed(String),
}

/// Writes `project`'s defaults file and takes its values out of the prepared build files.
pub fn factor_project(
    request: &ExportRequest,
    project: &str,
    prepared: &mut [Prepared],
) -> ProjectDefaults {
    let folder = request.out.join(file_stem(project));
    let path = folder.join(DEFAULTS_FILE_NAMES[0]);
    let result = match why_not(request, &folder, &path, prepared) {
        Some(reason) => DefaultsResult::Skipped(reason),
        None => factor_and_write(project, &path, request, prepared),
    };
    ProjectDefaults {
        project: project.to_string(),
        result,
    }
}

fn factor_and_write(
    project: &str,
    path: &Path,
    request: &ExportRequest,
    prepared: &mut [Prepared],
) -> DefaultsResult {
    let mut custom: Vec<&mut String> = prepared
        .iter_mut()
        .flatten()
        .filter(|pending| matches!(pending.exported.spec, BuildSpec::Custom(_)))
        .filter_map(|pending| pending.files.first_mut().map(|(_, yaml)| yaml))
        .collect();
    if custom.len() < 2 {
        return DefaultsResult::Skipped("fewer than two custom builds to share values".into());
    }
    let texts: Vec<String> = custom.iter().map(|yaml| yaml.to_string()).collect();
    let Some(factored) = factor(project, &texts) else {
        return DefaultsResult::Skipped("its custom builds share no value".into());
    };
    // The defaults file first: build files without their shared values, next to no defaults
    // file, would lose them.
    if let Err(error) = write_file(&request.out, path, &factored.defaults, request.overwrite) {
        return DefaultsResult::Failed(format!("cannot write {}: {error}", path.display()));
    }
    for (yaml, text) in custom.iter_mut().zip(factored.builds) {
        **yaml = text;
    }
    DefaultsResult::Written(path.to_path_buf())
}

/// Why a defaults file would change more than this export's builds, if it would.
fn why_not(
    request: &ExportRequest,
    folder: &Path,
    path: &Path,
    prepared: &[Prepared],
) -> Option<String> {
    for name in DEFAULTS_FILE_NAMES {
        let existing = folder.join(name);
        let replaceable = request.overwrite && existing == path;
        if existing.symlink_metadata().is_ok() && !replaceable {
            return Some(format!(
                "{} exists (--overwrite replaces {})",
                existing.display(),
                DEFAULTS_FILE_NAMES[0]
            ));
        }
    }
    if !folder.is_dir() {
        return None;
    }
    let written: BTreeSet<&Path> = prepared
        .iter()
        .flatten()
        .filter_map(|pending| pending.files.first())
        .map(|(yaml, _)| yaml.as_path())
        .filter(|yaml| request.overwrite || yaml.symlink_metadata().is_err())
        .collect();
    let walk = match find_build_files(folder) {
        Ok(walk) => walk,
        Err(error) => return Some(error.to_string()),
    };
    let other = (walk.files.iter()).find(|file| !written.contains(file.as_path()))?;
    Some(format!(
        "{} is not written by this export and would inherit the shared values",
        other.display()
    ))
}
