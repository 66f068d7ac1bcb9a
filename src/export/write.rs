//! Writing an export's files under the output folder, never through a symlink: a file is
//! replaced (with `overwrite`) or created only where nothing is (`crate::fsio`), and a folder
//! between the output folder and a file that is a symlink is refused, since it could lead
//! anywhere (a planted `scripts -> ~` would put a script in the home folder). Does I/O.

use std::io;
use std::path::{Path, PathBuf};

use crate::fsio::{self, Readers};

/// Why a build's files were not written.
pub enum WriteError {
    /// These exist and `overwrite` is off.
    Exists(Vec<PathBuf>),
    Io(String),
}

/// Writes every file under `out`, or none when one exists and `overwrite` is off. Returns the
/// symlinks that were replaced by files (their targets untouched).
pub fn write_all(
    out: &Path,
    files: &[(PathBuf, String)],
    overwrite: bool,
) -> Result<Vec<PathBuf>, WriteError> {
    if !overwrite {
        let existing: Vec<PathBuf> = files
            .iter()
            .map(|(path, _)| path.clone())
            .filter(|path| path.symlink_metadata().is_ok())
            .collect();
        if !existing.is_empty() {
            return Err(WriteError::Exists(existing));
        }
    }
    let mut replaced = Vec::new();
    for (path, text) in files {
        if fsio::is_symlink(path) {
            replaced.push(path.clone());
        }
        write_file(out, path, text, overwrite).map_err(|error| match error.kind() {
            io::ErrorKind::AlreadyExists => WriteError::Exists(vec![path.clone()]),
            _ => WriteError::Io(format!("cannot write {}: {error}", path.display())),
        })?;
    }
    Ok(replaced)
}

/// Writes one file under `out` (and its folders); without `overwrite`, only if nothing is
/// there, even when something appeared since it was checked.
pub fn write_file(out: &Path, path: &Path, text: &str, overwrite: bool) -> io::Result<()> {
    // Looked at before any folder is made, so that none is made through a link either.
    if let Some(link) = symlinked_folder(out, path) {
        return Err(io::Error::other(format!(
            "{} is a symlink: export writes only inside the output folder, never through a \
             link (replace it with a folder)",
            link.display()
        )));
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    if overwrite {
        fsio::write_atomically(path, text.as_bytes(), Readers::Umask)
    } else {
        fsio::write_new(path, text.as_bytes(), Readers::Umask)
    }
}

/// The first folder below `out` on the way to `path` that is a symlink, if any. `out` itself
/// may be one: the user chose it.
fn symlinked_folder(out: &Path, path: &Path) -> Option<PathBuf> {
    let folders: Vec<&Path> = path
        .ancestors()
        .skip(1)
        .take_while(|folder| *folder != out && folder.starts_with(out))
        .collect();
    folders
        .into_iter()
        .rev()
        .find(|folder| fsio::is_symlink(folder))
        .map(Path::to_path_buf)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_symlinked_folder_inside_the_output_is_refused_and_nothing_is_written_through_it() {
        let out = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::create_dir(out.path().join("shop")).unwrap();
        let scripts = out.path().join("shop/scripts");
        std::os::unix::fs::symlink(elsewhere.path(), &scripts).unwrap();
        let script = scripts.join("api.sh");
        let error = write_file(out.path(), &script, "echo pwned", true).unwrap_err();
        assert!(error.to_string().contains("is a symlink"), "{error}");
        assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_output_folder_itself_may_be_a_symlink() {
        let real = tempfile::tempdir().unwrap();
        let holder = tempfile::tempdir().unwrap();
        let out = holder.path().join("builds.d");
        std::os::unix::fs::symlink(real.path(), &out).unwrap();
        let yaml = out.join("shop/api.yaml");
        write_file(&out, &yaml, "name: api\n", false).unwrap();
        assert!(real.path().join("shop/api.yaml").is_file());
    }
}
