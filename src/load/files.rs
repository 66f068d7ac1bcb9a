//! The desired directory on disk: find the build files (recursively, in sorted order, skipping
//! hidden entries and editor leftovers) and read them with a size cap. Does I/O.
//!
//! Hostile trees are answered with errors, never hangs: symlinks are followed but each real
//! directory is entered once (a loop is an error naming it), and only regular files are
//! opened, so a FIFO named `x.yaml` cannot block the read. Nothing under /proc, /dev or /sys
//! is read or walked, however a path or link leads there (see [`check_outside_system_roots`]):
//! a pull request must not be able to print `/proc/self/environ` in a plan.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::defaults::is_defaults_file;
use super::system_paths::MAX_SYMLINK_HOPS;
pub use super::system_paths::check_outside_system_roots;
use crate::fsio::{self, ReadError};

/// The scope file at the root of the build directory (the managed projects and server
/// defaults): never read as a build file.
pub const SCOPE_FILE: &str = "zadig-sync.yaml";

/// Build files larger than this are refused: no real build needs it, and it bounds memory.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("directory `{path}` does not exist (set --dir or ZADIG_SYNC_DIR)")]
    DirNotFound { path: PathBuf },
    #[error("`{path}` is not a directory (--dir must name the folder of build files)")]
    NotADirectory { path: PathBuf },
    #[error("cannot list directory `{path}`: {source}")]
    ListDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot read `{path}`: {source}")]
    Inspect {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is a symlink to nothing (remove it or fix its target)")]
    BrokenSymlink { path: PathBuf },
    #[error("`{path}` leads back to `{target}`, a directory already being read (a symlink loop)")]
    SymlinkLoop { path: PathBuf, target: PathBuf },
    #[error(
        "`{path}` is not a regular file (a FIFO, socket or device?); zadig-sync reads only \
         regular files"
    )]
    NotRegularFile { path: PathBuf },
    #[error("`{path}` is larger than {cap} bytes; build files are capped at that size")]
    TooLarge { path: PathBuf, cap: u64 },
    #[error("`{path}` is not UTF-8 text (first bad byte at line {line}, column {column})")]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    #[error(
        "`{path}` leads under `{root}`, which zadig-sync never reads: /proc, /dev and /sys \
         expose this process's environment (the API token included) and devices"
    )]
    SystemPath { path: PathBuf, root: &'static str },
    #[error("`{path}` goes through more than {MAX_SYMLINK_HOPS} symlinks (a symlink loop?)")]
    TooManySymlinks { path: PathBuf },
}

impl FileError {
    /// The entry the error is about.
    pub fn path(&self) -> &Path {
        match self {
            FileError::DirNotFound { path }
            | FileError::NotADirectory { path }
            | FileError::ListDir { path, .. }
            | FileError::Inspect { path, .. }
            | FileError::BrokenSymlink { path }
            | FileError::SymlinkLoop { path, .. }
            | FileError::NotRegularFile { path }
            | FileError::TooLarge { path, .. }
            | FileError::NotUtf8 { path, .. }
            | FileError::SystemPath { path, .. }
            | FileError::TooManySymlinks { path } => path,
        }
    }

    /// Nothing is there (a symlink to nothing included): unlike every other error, this one
    /// may go away where plan and apply run, e.g. a secret mounted only in the deploy job.
    pub fn is_missing(&self) -> bool {
        match self {
            FileError::Inspect { source, .. } => source.kind() == io::ErrorKind::NotFound,
            FileError::BrokenSymlink { .. } => true,
            _ => false,
        }
    }
}

/// What a walk found: the build files in order, the defaults files (`_defaults.yaml`) in
/// order, and the entries that could not be examined.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    pub defaults: Vec<PathBuf>,
    pub problems: Vec<FileError>,
}

/// `*.yaml` and `*.yml`.
pub fn is_build_file_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// Hidden entries (`.git`, `.#x` lock files) and editor leftovers (`x~`, `x.swp`, `#x#`).
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || (name.starts_with('#') && name.ends_with('#'))
}

/// Finds every build file (and defaults file) under `dir`. Fails only when `dir` itself is unusable; problems with
/// entries inside it are collected in [`Walk::problems`] while the walk goes on.
pub fn find_build_files(dir: &Path) -> Result<Walk, FileError> {
    let metadata = fs::metadata(dir).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => FileError::DirNotFound {
            path: dir.to_path_buf(),
        },
        _ => FileError::Inspect {
            path: dir.to_path_buf(),
            source,
        },
    })?;
    if !metadata.is_dir() {
        return Err(FileError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let mut walker = Walker::default();
    walker.enter(dir, dir);
    let scope_file = dir.join(SCOPE_FILE);
    walker.walk.files.retain(|path| *path != scope_file);
    Ok(walker.walk)
}

#[derive(Default)]
struct Walker {
    walk: Walk,
    /// Canonical paths of the directories entered so far, so that a symlink loop ends.
    entered: HashSet<PathBuf>,
}

impl Walker {
    fn enter(&mut self, dir: &Path, shown_as: &Path) {
        match fs::canonicalize(dir) {
            Ok(real) if !self.entered.insert(real.clone()) => {
                self.walk.problems.push(FileError::SymlinkLoop {
                    path: shown_as.to_path_buf(),
                    target: real,
                });
                return;
            }
            Ok(_) => {}
            Err(source) => return self.problem(shown_as, source),
        }
        let names = match sorted_entry_names(dir) {
            Ok(names) => names,
            Err(source) => {
                let path = shown_as.to_path_buf();
                return self.walk.problems.push(FileError::ListDir { path, source });
            }
        };
        for name in names {
            self.visit(&dir.join(&name), &name.to_string_lossy());
        }
    }

    fn visit(&mut self, path: &Path, name: &str) {
        if is_ignored_name(name) {
            return;
        }
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(source) => return self.problem(path, source),
        };
        if !metadata.is_dir() && !is_build_file_name(name) {
            return;
        }
        // A link into /proc would read the process's files, and `/proc/self/root` the disk.
        if let Err(error) = check_outside_system_roots(path) {
            return self.walk.problems.push(error);
        }
        if metadata.is_dir() {
            self.enter(path, path);
        } else if metadata.is_file() && is_defaults_file(path) {
            self.walk.defaults.push(path.to_path_buf());
        } else if metadata.is_file() {
            self.walk.files.push(path.to_path_buf());
        } else {
            let path = path.to_path_buf();
            self.walk.problems.push(FileError::NotRegularFile { path });
        }
    }

    fn problem(&mut self, path: &Path, source: io::Error) {
        let dangling = source.kind() == io::ErrorKind::NotFound && path.is_symlink();
        self.walk.problems.push(if dangling {
            FileError::BrokenSymlink {
                path: path.to_path_buf(),
            }
        } else {
            FileError::Inspect {
                path: path.to_path_buf(),
                source,
            }
        });
    }
}

/// Entry names in byte order, so every machine walks the tree the same way. Names are kept as
/// the OS gives them, so a name that is not UTF-8 is still opened (and shown lossily).
fn sorted_entry_names(dir: &Path) -> io::Result<Vec<std::ffi::OsString>> {
    let mut names = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

/// Reads a regular file as UTF-8 text, refusing files larger than `cap` bytes.
pub fn read_text(path: &Path, cap: u64) -> Result<String, FileError> {
    let path_buf = || path.to_path_buf();
    let bytes = fsio::read_bytes(path, cap).map_err(|error| match error {
        ReadError::NotRegular => FileError::NotRegularFile { path: path_buf() },
        ReadError::TooLarge { cap } => FileError::TooLarge {
            path: path_buf(),
            cap,
        },
        ReadError::Io(source) => FileError::Inspect {
            path: path_buf(),
            source,
        },
        ReadError::NotUtf8 => FileError::NotUtf8 {
            path: path_buf(),
            line: 1,
            column: 1,
        },
    })?;
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let (line, column) = line_and_column(valid);
        FileError::NotUtf8 {
            path: path_buf(),
            line,
            column,
        }
    })
}

/// [`read_text`] for a file that a build file names (`${file:…}`, `build_script_file`) or
/// that the walk found, refusing any path that leads under a [`SYSTEM_ROOTS`] entry. Paths
/// are not confined to the build directory: mounted secrets (`/run/secrets/x`) and shared
/// scripts (`../scripts/x.sh`) are legitimate.
pub fn read_named_file(path: &Path, cap: u64) -> Result<String, FileError> {
    check_outside_system_roots(path)?;
    // The path as written is what messages should show, so it is read rather than the
    // resolved one; swapping a link between the two calls needs write access while we run.
    read_text(path, cap)
}

/// The 1-based position just after `prefix`, counting characters.
pub(crate) fn line_and_column(prefix: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(prefix);
    let line = text.matches('\n').count() + 1;
    let column = text
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_skipped() {
        for name in [
            ".git",
            ".hidden.yaml",
            "a.yaml~",
            "a.yaml.swp",
            ".#a.yaml",
            "#a.yaml#",
        ] {
            assert!(is_ignored_name(name), "{name}");
        }
        for name in ["a.yaml", "b.yml", "scripts"] {
            assert!(!is_ignored_name(name), "{name}");
        }
    }

    #[test]
    fn build_file_names() {
        assert!(is_build_file_name("a.yaml"));
        assert!(is_build_file_name("a.yml"));
        assert!(!is_build_file_name("a.yaml.bak"));
        assert!(!is_build_file_name("a.json"));
    }

    #[test]
    fn the_scope_file_at_the_root_is_not_a_build_file_but_one_deeper_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("p");
        fs::create_dir_all(&nested).expect("mkdir");
        for path in [dir.path().join(SCOPE_FILE), nested.join(SCOPE_FILE)] {
            fs::write(path, "projects: [p]\n").expect("write");
        }
        let walk = find_build_files(dir.path()).expect("walk");
        assert_eq!(walk.files, [nested.join(SCOPE_FILE)]);
    }

    #[test]
    fn defaults_files_are_found_apart_from_build_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("shop");
        fs::create_dir_all(&nested).expect("mkdir");
        for path in [
            dir.path().join("_defaults.yaml"),
            nested.join("_defaults.yml"),
            nested.join("api.yaml"),
        ] {
            fs::write(path, "build_os: x\n").expect("write");
        }
        let walk = find_build_files(dir.path()).expect("walk");
        assert_eq!(walk.files, [nested.join("api.yaml")]);
        let defaults = [
            dir.path().join("_defaults.yaml"),
            nested.join("_defaults.yml"),
        ];
        assert_eq!(walk.defaults, defaults);
    }

    #[test]
    fn position_of_a_bad_byte() {
        assert_eq!(line_and_column(b""), (1, 1));
        assert_eq!(line_and_column(b"ab\ncd"), (2, 3));
        assert_eq!(line_and_column("é\n\né".as_bytes()), (3, 2));
    }
}
