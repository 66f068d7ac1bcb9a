//! Refusing paths that lead under /proc, /dev or /sys, however they get there: absolute,
//! through `..`, or through symlinks anywhere on the way. Does I/O (reads links) but never
//! opens a file.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::FileError;

/// Pseudo-filesystems a build file must never read: `/proc/self/environ` holds the CI job's
/// whole environment, the API token included; `/dev` and `/sys` hold devices and kernel state.
pub const SYSTEM_ROOTS: [&str; 3] = ["/proc", "/dev", "/sys"];

/// As many symlinks as Linux follows in one path before it answers `ELOOP`.
pub const MAX_SYMLINK_HOPS: usize = 40;

/// Walks `path` one component at a time as the kernel would, following each symlink and
/// `..`, and fails as soon as a step lands under a [`SYSTEM_ROOTS`] entry. Checking only the
/// canonical path would miss `/dev/stdin` redirected from a file, or `/proc/self/fd/N`.
/// A path that does not exist is checked as written from where it stops existing.
pub fn check_outside_system_roots(path: &Path) -> Result<(), FileError> {
    let absolute = std::path::absolute(path).map_err(|source| FileError::Inspect {
        path: path.to_path_buf(),
        source,
    })?;
    let mut walk = PathWalk {
        path,
        pending: Vec::new(),
        resolved: PathBuf::new(),
        hops: 0,
        exists: true,
    };
    push_components_reversed(&mut walk.pending, &absolute);
    while let Some(step) = walk.pending.pop() {
        match step {
            Step::Root => walk.resolved = PathBuf::from("/"),
            Step::Up => _ = walk.resolved.pop(),
            Step::Name(name) => walk.enter(&name)?,
        }
    }
    Ok(())
}

/// The state of [`check_outside_system_roots`].
struct PathWalk<'p> {
    /// The path as given, for errors.
    path: &'p Path,
    /// What is left to resolve, the next component last.
    pending: Vec<Step>,
    /// The real path so far: no symlink in it.
    resolved: PathBuf,
    hops: usize,
    /// False once a component is missing: the rest is checked as written.
    exists: bool,
}

impl PathWalk<'_> {
    fn enter(&mut self, name: &OsStr) -> Result<(), FileError> {
        self.resolved.push(name);
        let path = self.path.to_path_buf();
        if let Some(root) = SYSTEM_ROOTS
            .into_iter()
            .find(|r| self.resolved.starts_with(r))
        {
            return Err(FileError::SystemPath { path, root });
        }
        if !self.exists {
            return Ok(());
        }
        let target = match fs::symlink_metadata(&self.resolved) {
            Ok(metadata) if metadata.file_type().is_symlink() => fs::read_link(&self.resolved),
            Ok(_) => return Ok(()),
            Err(source) if source.kind() == io::ErrorKind::NotFound => {
                self.exists = false;
                return Ok(());
            }
            Err(source) => Err(source),
        };
        let target = target.map_err(|source| FileError::Inspect {
            path: path.clone(),
            source,
        })?;
        self.hops += 1;
        if self.hops > MAX_SYMLINK_HOPS {
            return Err(FileError::TooManySymlinks { path });
        }
        // A link's target replaces it, relative to the folder that holds it.
        self.resolved.pop();
        push_components_reversed(&mut self.pending, &target);
        Ok(())
    }
}

/// One component of a path still to resolve.
enum Step {
    Root,
    Up,
    Name(OsString),
}

/// Pushes `path`'s components so that popping yields them in order.
fn push_components_reversed(pending: &mut Vec<Step>, path: &Path) {
    let steps = path.components().filter_map(|component| match component {
        Component::RootDir => Some(Step::Root),
        Component::ParentDir => Some(Step::Up),
        Component::Normal(name) => Some(Step::Name(name.to_os_string())),
        Component::CurDir | Component::Prefix(_) => None,
    });
    let at = pending.len();
    pending.extend(steps);
    pending[at..].reverse();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_roots_are_refused_on_any_step_of_the_way() {
        let refused = |path: &str| match check_outside_system_roots(Path::new(path)) {
            Err(FileError::SystemPath { root, .. }) => Some(root),
            _ => None,
        };
        assert_eq!(refused("/proc"), Some("/proc"));
        assert_eq!(refused("/proc/self/environ"), Some("/proc"));
        assert_eq!(refused("/dev/stdin"), Some("/dev"));
        assert_eq!(refused("/sys/kernel/hostname"), Some("/sys"));
        assert_eq!(refused("/tmp/../proc/1/environ"), Some("/proc"));
        assert_eq!(refused("/no-such-dir/../../dev/x"), Some("/dev"));
        assert_eq!(
            refused("/dev/../tmp"),
            Some("/dev"),
            "passing through counts"
        );
        for allowed in ["/procfs/x", "/run/secrets/x", "/tmp", "/device"] {
            assert_eq!(refused(allowed), None, "{allowed}");
        }
    }

    #[test]
    fn a_symlink_loop_ends() -> io::Result<()> {
        let root = tempfile::tempdir()?;
        std::os::unix::fs::symlink("b", root.path().join("a"))?;
        std::os::unix::fs::symlink("a", root.path().join("b"))?;
        let error = check_outside_system_roots(&root.path().join("a/x"));
        assert!(
            matches!(error, Err(FileError::TooManySymlinks { .. })),
            "{error:?}"
        );
        Ok(())
    }
}
