//! The identity of the desired state, for the `zadig_sync_desired_state` info metric and to
//! tell whether an event changed anything: a hash of every build's fingerprint (secrets are
//! already out of fingerprints), and the git commit when the directory is a checkout (read
//! from `.git` directly: git-sync's worktrees have a `.git` file pointing at the repository).
//! Reads files; never runs git.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::reconcile::BuildId;

/// `sha256:…` over the sorted builds and the managed projects.
pub fn tree_hash(fingerprints: &BTreeMap<BuildId, String>, projects: &[String]) -> String {
    let mut hasher = Sha256::new();
    for (build, fingerprint) in fingerprints {
        hasher.update(format!(
            "{}\0{}\0{fingerprint}\n",
            build.project, build.name
        ));
    }
    for project in projects {
        hasher.update(format!("project\0{project}\n"));
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// A digest of every credential value of the files, keyed with `key` (the daemon's own,
/// random, never shown): fingerprints leave credentials out, so without it a rotated
/// `${file:}` credential would look like no change until the next resync.
pub fn credentials_digest(key: &[u8], values: &[(&BuildId, Vec<&str>)]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    for (build, credentials) in values {
        mac.update(build.to_string().as_bytes());
        for value in credentials {
            mac.update(&[0]);
            mac.update(value.as_bytes());
        }
        mac.update(b"\n");
    }
    hex::encode(mac.finalize().into_bytes())
}

/// The commit checked out at `dir` or the closest folder above it, if any.
pub fn git_commit(dir: &Path) -> Option<String> {
    let start = std::fs::canonicalize(dir).ok()?;
    let git_dir = start.ancestors().find_map(git_dir_of)?;
    let head = read_trimmed(&git_dir.join("HEAD"))?;
    let Some(reference) = head.strip_prefix("ref: ") else {
        return is_commit(&head).then_some(head);
    };
    let common = common_dir(&git_dir);
    read_trimmed(&git_dir.join(reference))
        .or_else(|| read_trimmed(&common.join(reference)))
        .or_else(|| packed_ref(&common, reference))
        .filter(|commit| is_commit(commit))
}

/// `.git` as a folder, or a `.git` file saying `gitdir: PATH` (worktrees).
fn git_dir_of(folder: &Path) -> Option<PathBuf> {
    let dot_git = folder.join(".git");
    if dot_git.is_dir() {
        return Some(dot_git);
    }
    let text = read_trimmed(&dot_git)?;
    let target = PathBuf::from(text.strip_prefix("gitdir: ")?);
    Some(if target.is_absolute() {
        target
    } else {
        folder.join(target)
    })
}

/// A worktree's `commondir` file names the repository holding the refs.
fn common_dir(git_dir: &Path) -> PathBuf {
    match read_trimmed(&git_dir.join("commondir")) {
        Some(common) if Path::new(&common).is_absolute() => PathBuf::from(common),
        Some(common) => git_dir.join(common),
        None => git_dir.to_path_buf(),
    }
}

fn packed_ref(common: &Path, reference: &str) -> Option<String> {
    let text = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    text.lines().find_map(|line| {
        let (commit, name) = line.split_once(' ')?;
        (name == reference).then(|| commit.to_string())
    })
}

fn read_trimmed(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.trim().to_string())
}

fn is_commit(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn a_branch_checkout_a_detached_worktree_and_no_checkout() {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("repo");
        std::fs::create_dir_all(repo.join(".git/refs/heads")).unwrap();
        std::fs::create_dir_all(repo.join("builds.d")).unwrap();
        std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(repo.join(".git/refs/heads/main"), format!("{COMMIT}\n")).unwrap();
        assert_eq!(git_commit(&repo.join("builds.d")).as_deref(), Some(COMMIT));

        let worktree = root.path().join("wt");
        let git_dir = repo.join(".git/worktrees/wt");
        std::fs::create_dir_all(&worktree).unwrap();
        std::fs::create_dir_all(&git_dir).unwrap();
        std::fs::write(
            worktree.join(".git"),
            format!("gitdir: {}\n", git_dir.display()),
        )
        .unwrap();
        let detached = "fedcba9876543210fedcba9876543210fedcba98";
        std::fs::write(git_dir.join("HEAD"), detached).unwrap();
        assert_eq!(git_commit(&worktree).as_deref(), Some(detached));

        let plain = tempfile::tempdir().unwrap();
        assert_eq!(git_commit(plain.path()), None);
    }

    #[test]
    fn packed_refs_are_read() {
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(repo.path().join(".git")).unwrap();
        std::fs::write(repo.path().join(".git/HEAD"), "ref: refs/heads/main").unwrap();
        let packed = format!("# pack-refs with: peeled\n{COMMIT} refs/heads/main\n");
        std::fs::write(repo.path().join(".git/packed-refs"), packed).unwrap();
        assert_eq!(git_commit(repo.path()).as_deref(), Some(COMMIT));
    }

    #[test]
    fn the_credentials_digest_follows_every_value_and_depends_on_the_key() {
        let build = BuildId::new("p", "a");
        let digest = |key: &[u8], value| credentials_digest(key, &[(&build, vec![value])]);
        assert_eq!(digest(b"k", "old"), digest(b"k", "old"));
        assert_ne!(digest(b"k", "old"), digest(b"k", "new"));
        assert_ne!(digest(b"k", "old"), digest(b"other", "old"));
        assert!(!digest(b"k", "s3cret").contains("s3cret"));
    }

    #[test]
    fn the_tree_hash_follows_the_fingerprints() {
        let key = |n: &str| BuildId::new("p", n);
        let one = BTreeMap::from([(key("a"), "f1".to_string())]);
        let two = BTreeMap::from([(key("a"), "f2".to_string())]);
        assert_eq!(tree_hash(&one, &[]), tree_hash(&one, &[]));
        assert_ne!(tree_hash(&one, &[]), tree_hash(&two, &[]));
        assert_ne!(tree_hash(&one, &[]), tree_hash(&one, &["q".into()]));
    }
}
