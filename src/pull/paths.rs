//! Where pull may write, and how its changes are named in a patch: only files inside the
//! build folder, never a symlink nor through a symlinked folder (a link could lead a write
//! anywhere); written atomically with the permissions they had (a script stays executable);
//! in a patch, each path relative to the root of the git repository holding the folder, so
//! that `git apply` takes it there. Reads and writes files.

use std::io;
use std::path::{Component, Path, PathBuf};

use crate::fsio::{self, Readers};
use crate::pull::PullError;
use crate::reconcile::pull::outcome::FileChange;

/// Refuses a file pull must not write: outside `dir`, a symlink, or behind a symlinked
/// folder inside `dir`.
pub fn writable(dir: &Path, path: &Path) -> Result<(), PullError> {
    let path = lexical(path);
    let dir = lexical(dir);
    // A `..` that cannot be taken out leads above `dir` (with `--dir .`, `dir` is empty here
    // and every path starts with it).
    let inside = (path.strip_prefix(&dir)).is_ok_and(|rest| {
        (rest.components()).all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    });
    if !inside {
        return Err(PullError::Outside { path, dir });
    }
    let linked = (path.ancestors())
        .take_while(|folder| *folder != dir && folder.starts_with(&dir))
        .find(|at| fsio::is_symlink(at));
    match linked {
        Some(link) => Err(PullError::Symlink {
            path: link.to_path_buf(),
        }),
        None => Ok(()),
    }
}

/// `path` with `.` and `a/..` taken out, without looking at the disk.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Writes every change, each atomically and with the permissions the file had; the files
/// that could not be written, and why.
pub fn write_changes(changes: &[FileChange]) -> Vec<(PathBuf, io::Error)> {
    let mut failed = Vec::new();
    for change in changes {
        let permissions = std::fs::metadata(&change.path).map(|m| m.permissions());
        let written = fsio::write_atomically(&change.path, change.new.as_bytes(), Readers::Umask)
            .and_then(|()| match permissions {
                Ok(permissions) => std::fs::set_permissions(&change.path, permissions),
                Err(_) => Ok(()),
            });
        if let Err(error) = written {
            failed.push((change.path.clone(), error));
        }
    }
    failed
}

/// How files are named in a patch: relative to `base` (a folder on disk), under `prefix`
/// (where `base` is in the repository).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchRoot {
    base: PathBuf,
    prefix: PathBuf,
}

impl PatchRoot {
    /// The root of the git repository holding `dir` (the nearest folder above it with a
    /// `.git`), else the working directory.
    pub fn around(dir: &Path) -> PatchRoot {
        let start = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let repository = start.ancestors().find(|at| at.join(".git").exists());
        let base = match repository {
            Some(root) => root.to_path_buf(),
            None => std::env::current_dir().unwrap_or_default(),
        };
        PatchRoot {
            base,
            prefix: PathBuf::new(),
        }
    }

    /// A checkout of the repository's `prefix` folder written at `base` (`--git`).
    pub fn checkout(base: &Path, prefix: &Path) -> PatchRoot {
        PatchRoot {
            base: std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf()),
            prefix: lexical(prefix),
        }
    }

    /// `path` as the patch names it: `/` between its parts, relative to the root.
    pub fn shown(&self, path: &Path) -> String {
        let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let relative = match full.strip_prefix(&self.base) {
            Ok(inside) => self.prefix.join(inside),
            Err(_) => path.to_path_buf(),
        };
        let parts: Vec<String> = (relative.components())
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        parts.join("/")
    }

    /// The unified diff of every change.
    pub fn patch(&self, changes: &[FileChange]) -> String {
        (changes.iter())
            .map(|change| change.patch(&self.shown(&change.path)))
            .collect()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_folder_and_never_through_a_symlink() {
        let dir = tempfile::tempdir().expect("tempdir");
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let builds = dir.path().join("builds.d");
        std::fs::create_dir_all(builds.join("shop")).expect("mkdir");
        std::os::unix::fs::symlink(elsewhere.path(), builds.join("linked")).expect("link");
        assert!(writable(&builds, &builds.join("shop/api.yaml")).is_ok());
        assert!(writable(&builds, &builds.join("shop/../shop/x.sh")).is_ok());
        // The build folder given as `.`, as `--dir .` does: what climbs out is still refused.
        assert!(writable(Path::new("."), Path::new("./shop/x.sh")).is_ok());
        assert!(writable(Path::new("."), Path::new("./shop/../../x.sh")).is_err());
        assert!(writable(Path::new("."), Path::new("../x.sh")).is_err());
        let outside = writable(&builds, &builds.join("shop/../../x.sh")).expect_err("outside");
        assert!(
            outside.to_string().contains("outside the build folder"),
            "{outside}"
        );
        let linked = writable(&builds, &builds.join("linked/x.sh")).expect_err("linked");
        assert!(linked.to_string().contains("is a symlink"), "{linked}");
    }

    #[test]
    fn patch_paths_are_relative_to_the_repository() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(".git")).expect("mkdir");
        let file = dir.path().join("builds.d/shop/api.yaml");
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, "a: 1\n").expect("write");
        let root = PatchRoot::around(&dir.path().join("builds.d"));
        assert_eq!(root.shown(&file), "builds.d/shop/api.yaml");
        let checkout =
            PatchRoot::checkout(&dir.path().join("builds.d"), Path::new("deploy/builds"));
        assert_eq!(checkout.shown(&file), "deploy/builds/shop/api.yaml");
    }
}
