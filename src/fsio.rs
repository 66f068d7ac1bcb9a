//! Files read and written safely, for every part of the tool that touches the disk: the build
//! files and the files flags name (`--token-file`, `--ca-file`, saved plans, emulator seeds
//! and state, the scope file), and everything written (exported files, the scope file edit,
//! saved plans, the cache, the emulator's state). Owned by no stage and importing nothing of
//! the crate, so the emulator can use it without importing the client. Does I/O.
//!
//! Reading: only a regular file is opened (a FIFO would block until a writer comes, a device
//! such as `/dev/zero` would never end), and at most a cap of bytes is read, whatever the file
//! grows to meanwhile. A symlink to a regular file is read (mounted secrets are symlinks).
//!
//! Writing: never through a symlink. A file is written to a temporary file created beside it
//! (`O_EXCL`, which never follows a link), then renamed over the path, which replaces the
//! directory entry itself: a symlink planted at the path is replaced by the file, and its
//! target is left untouched. A reader sees the old content or the new, never half.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// One kibibyte, for the caps callers set.
pub const KIB: u64 = 1024;
/// One mebibyte.
pub const MIB: u64 = 1024 * KIB;

/// Why a file could not be read. The caller names the file and the flag it came from.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(
        "it is not a regular file (a FIFO, socket, device or directory?); zadig-sync reads \
         only regular files"
    )]
    NotRegular,
    #[error("it is larger than {}, the most zadig-sync reads from such a file", size(*.cap))]
    TooLarge { cap: u64 },
    #[error("it is not UTF-8 text")]
    NotUtf8,
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl ReadError {
    /// Nothing is at the path (a symlink to nothing included).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(error) if error.kind() == io::ErrorKind::NotFound)
    }
}

/// `bytes` for people: `64 KiB`, `4 MiB`, or bytes.
pub fn size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The bytes of the regular file at `path`, refusing anything else and files over `cap`.
pub fn read_bytes(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    // Opening a FIFO blocks until a writer comes, so the path is looked at before it is opened,
    // and the opened file once more (the path may have been swapped in between).
    if !fs::metadata(path)?.is_file() {
        return Err(ReadError::NotRegular);
    }
    let file = fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(ReadError::NotRegular);
    }
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge { cap });
    }
    Ok(bytes)
}

/// [`read_bytes`], as UTF-8 text.
pub fn read_text(path: &Path, cap: u64) -> Result<String, ReadError> {
    String::from_utf8(read_bytes(path, cap)?).map_err(|_| ReadError::NotUtf8)
}

/// Who may read a file written here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers {
    /// Its owner only (mode 0600) from the first byte: saved plans name builds and servers,
    /// the cache and the emulator's state hold what Zadig holds.
    Owner,
    /// As the umask says, like any file a user creates (exported build files, the scope file).
    Umask,
}

/// Writes `bytes` to `path`, replacing whatever is there (a symlink is replaced, never
/// written through), so that a reader sees the old content or the new, never half.
pub fn write_atomically(path: &Path, bytes: &[u8], readers: Readers) -> io::Result<()> {
    let temp = write_temporary(path, bytes, readers)?;
    fs::rename(&temp, path).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

/// Writes `bytes` to `path` only if nothing is there (not even a symlink to nothing), even
/// when something appeared since the caller looked: `AlreadyExists` otherwise. A reader sees
/// no file or the whole file.
pub fn write_new(path: &Path, bytes: &[u8], readers: Readers) -> io::Result<()> {
    let temp = write_temporary(path, bytes, readers)?;
    // A hard link, unlike a rename, fails when the name is taken, and does not follow a link.
    let linked = fs::hard_link(&temp, path);
    let _ = fs::remove_file(&temp);
    linked
}

/// Whether `path` itself is a symlink (whatever it points to, if anything).
pub fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// A new file beside `path` holding `bytes`, under a name no one else uses.
fn write_temporary(path: &Path, bytes: &[u8], readers: Readers) -> io::Result<PathBuf> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let unique = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
    let temp = folder.join(format!(".{name}.tmp-{unique}"));
    let written = new_file(&temp, readers).and_then(|mut file| file.write_all(bytes));
    match written {
        Ok(()) => Ok(temp),
        Err(error) => {
            let _ = fs::remove_file(&temp);
            Err(error)
        }
    }
}

/// Creates `path`, failing if anything is there: `O_EXCL` never follows a symlink.
fn new_file(path: &Path, readers: Readers) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if readers == Readers::Owner {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    #[cfg(not(unix))]
    let _ = readers;
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_cap_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "12345").unwrap();
        assert_eq!(read_text(&file, 5).unwrap(), "12345");
        assert!(matches!(
            read_bytes(&file, 4),
            Err(ReadError::TooLarge { cap: 4 })
        ));
        assert!(matches!(
            read_bytes(dir.path(), 4),
            Err(ReadError::NotRegular)
        ));
        assert!(
            read_bytes(&dir.path().join("none"), 4)
                .unwrap_err()
                .is_not_found()
        );
        fs::write(&file, [0xff, 0xfe]).unwrap();
        assert!(matches!(read_text(&file, 5), Err(ReadError::NotUtf8)));
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_before_a_byte_is_read() {
        let error = read_bytes(Path::new("/dev/zero"), MIB).unwrap_err();
        assert!(matches!(error, ReadError::NotRegular), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_path_is_replaced_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("bashrc");
        fs::write(&target, "original").unwrap();
        let link = dir.path().join("script.sh");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomically(&link, b"from zadig", Readers::Umask).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "original");
        assert!(!is_symlink(&link));
        assert_eq!(fs::read_to_string(&link).unwrap(), "from zadig");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_never_takes_the_place_of_a_symlink_even_to_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("a.yaml");
        std::os::unix::fs::symlink(dir.path().join("missing"), &link).unwrap();
        let error = write_new(&link, b"x", Readers::Umask).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert!(!dir.path().join("missing").exists());
        let fresh = dir.path().join("b.yaml");
        write_new(&fresh, b"x", Readers::Umask).unwrap();
        assert_eq!(fs::read_to_string(&fresh).unwrap(), "x");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary left"
        );
    }

    #[cfg(unix)]
    #[test]
    fn owner_only_files_are_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        write_atomically(&path, b"{}", Readers::Owner).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(64 * KIB), "64 KiB");
        assert_eq!(size(4 * MIB), "4 MiB");
        assert_eq!(size(1000), "1000 bytes");
    }
}
