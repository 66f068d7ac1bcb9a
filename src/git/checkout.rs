//! The files of one commit, written out for the loader: the tree at `--git-path` is written
//! into a new folder beside the others, then renamed to `checkouts/<commit>` in one step, so
//! a pass only ever reads a whole commit, never a half-written one. Regular and executable
//! files and folders are written; symbolic links (which could lead a `${file:…}` out of the
//! repository) and submodules are left out. Old checkouts are removed, keeping the one
//! written before (a pass may still be reading it). Blocking; writes files.

use std::path::{Path, PathBuf};

use gix::objs::tree::EntryKind;
use tracing::warn;

use crate::git::GitError;

/// Writes the tree at `path` in commit `id` into `checkouts/<id>` under `work` (unless it is
/// there already); returns that folder.
pub(super) fn checkout(
    repo: &gix::Repository,
    id: gix::ObjectId,
    path: &Path,
    checkouts: &Path,
) -> Result<PathBuf, GitError> {
    let target = checkouts.join(id.to_string());
    if target.is_dir() {
        return Ok(target);
    }
    let subtree = tree_at(repo, id, path)?;
    let partial = checkouts.join(format!(".{id}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    write_tree(repo, &subtree, &partial)?;
    std::fs::rename(&partial, &target).map_err(|source| GitError::Write {
        path: target.clone(),
        source,
    })?;
    Ok(target)
}

/// The tree at `path` (the root for an empty path or `.`) in commit `id`.
fn tree_at<'repo>(
    repo: &'repo gix::Repository,
    id: gix::ObjectId,
    path: &Path,
) -> Result<gix::Tree<'repo>, GitError> {
    let read_error = |e: gix::Error| GitError::Read {
        what: format!("commit {id}"),
        reason: format!("{e:#}"),
    };
    let tree = (repo.find_commit(id))
        .and_then(|commit| commit.tree())
        .map_err(read_error)?;
    if path.as_os_str().is_empty() || path == Path::new(".") {
        return Ok(tree);
    }
    let entry = (tree.lookup_entry_by_path(path))
        .map_err(read_error)?
        .filter(|entry| entry.mode().is_tree())
        .ok_or_else(|| GitError::PathNotFound {
            commit: id.to_string(),
            path: path.display().to_string(),
        })?;
    (entry.object())
        .and_then(|object| object.peel_to_tree())
        .map_err(read_error)
}

/// Writes `tree` into the folder `into` (created), recursively.
fn write_tree(repo: &gix::Repository, tree: &gix::Tree<'_>, into: &Path) -> Result<(), GitError> {
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GitError::Write { path, source }
    };
    std::fs::create_dir_all(into).map_err(write_error(into))?;
    for entry in tree.iter() {
        let entry = entry.map_err(|e| GitError::Read {
            what: format!("tree {}", tree.id),
            reason: e.to_string(),
        })?;
        let name = entry.filename().to_string();
        if !is_plain_name(&name) {
            warn!(name = %name, "a file name that cannot be written safely; left out");
            continue;
        }
        let path = into.join(&name);
        let object = || {
            repo.find_object(entry.oid()).map_err(|e| GitError::Read {
                what: format!("{} in tree {}", name, tree.id),
                reason: format!("{e:#}"),
            })
        };
        match entry.mode().kind() {
            EntryKind::Tree => {
                let subtree = object()?.into_tree();
                write_tree(repo, &subtree, &path)?;
            }
            EntryKind::Blob | EntryKind::BlobExecutable => {
                let blob = object()?;
                std::fs::write(&path, &blob.data).map_err(write_error(&path))?;
            }
            EntryKind::Link => {
                warn!(path = %path.display(), "a symbolic link in the repository; left out");
            }
            EntryKind::Commit => {}
        }
    }
    Ok(())
}

/// A name that is one path component and not a special one.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.eq_ignore_ascii_case(".git")
        && !name.contains(['/', '\\', '\0'])
}

/// Removes every checkout but `keep` (and any other process's partial folder).
pub(super) fn prune(checkouts: &Path, keep: &[&Path]) {
    let Ok(entries) = std::fs::read_dir(checkouts) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let partial_of_another =
            name.starts_with('.') && !name.ends_with(&format!("-{}", std::process::id()));
        if keep.contains(&path.as_path()) || partial_of_another {
            continue;
        }
        if let Err(error) = std::fs::remove_dir_all(&path) {
            warn!(path = %path.display(), %error, "cannot remove an old checkout");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_written() {
        for name in ["a.yaml", "..data", "_defaults.yaml"] {
            assert!(is_plain_name(name), "{name}");
        }
        for name in ["", ".", "..", ".git", ".GIT", "a/b", "a\\b"] {
            assert!(!is_plain_name(name), "{name}");
        }
    }
}
