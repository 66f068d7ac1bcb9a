//! Git as the source of the build files (docs/git.md): `--git URL` is fetched (shallow, one
//! ref) into a private folder under `--state-dir`, the HEAD commit is checked against
//! `--git-verify` when given, and the tree at `--git-path` of exactly that commit is written
//! into a folder of its own that the existing loader reads. `plan`, `validate` and every
//! daemon fetch go through [`sync`]. Pure Rust (gitoxide); SSH uses the system's `ssh`
//! client, as git does. Nothing here ever holds a credential in a URL, a log line or an
//! error. Does I/O.

pub mod allowed_signers;
mod checkout;
mod fetch;
pub mod signature;
pub mod url;
pub mod verify;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use sha2::{Digest, Sha256};

pub use url::{RepoUrl, Transport, UrlError};
pub use verify::{Trust, Untrusted};

/// Everything needed to fetch the build files from git.
#[derive(Debug, Clone)]
pub struct GitSource {
    pub url: RepoUrl,
    pub reference: GitRef,
    /// The folder of build files inside the repository (`builds.d`; empty or `.` for the root).
    pub path: PathBuf,
    /// How long one fetch may take.
    pub timeout: Duration,
    pub auth: GitAuth,
    /// Apply only commits signed by these keys.
    pub trust: Option<Trust>,
    /// Where the repository and the checkouts are kept (private to this user).
    pub state_dir: PathBuf,
}

/// `--git-ref`: which commit to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitRef {
    /// The branch the remote's HEAD names (the default).
    RemoteHead,
    /// A branch or, when no branch has that name, a tag.
    Name(String),
    /// A full ref name, `refs/…`.
    Full(String),
    /// A commit, by its full id.
    Commit(String),
}

impl GitRef {
    pub fn parse(text: Option<&str>) -> Result<GitRef, String> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(GitRef::RemoteHead);
        };
        let invalid =
            text.contains([' ', '~', '^', ':', '?', '*', '[', '\\']) || text.contains("..");
        if invalid || text.starts_with(['-', '/', '+']) {
            return Err(format!("`{text}` is not a branch, tag, ref or commit name"));
        }
        let is_commit =
            matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit());
        Ok(if is_commit {
            GitRef::Commit(text.to_ascii_lowercase())
        } else if text.starts_with("refs/") {
            GitRef::Full(text.to_string())
        } else {
            GitRef::Name(text.to_string())
        })
    }
}

impl fmt::Display for GitRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitRef::RemoteHead => f.write_str("HEAD"),
            GitRef::Name(name) | GitRef::Full(name) | GitRef::Commit(name) => f.write_str(name),
        }
    }
}

/// How zadig-sync authenticates to the git server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitAuth {
    None,
    /// `--git-token-file`: `TOKEN`, or `USER:TOKEN`, sent over HTTPS when the server asks.
    Token(PathBuf),
    /// `--git-ssh-key` with `--git-known-hosts`.
    Ssh {
        key: PathBuf,
        known_hosts: PathBuf,
    },
}

/// The token and its user, read from `--git-token-file`. Never printed.
pub(crate) struct Token {
    pub user: String,
    pub secret: String,
}

/// The user name sent with a token whose file names none (GitHub, GitLab and Gitee accept
/// any with a personal access token).
const TOKEN_USER: &str = "zadig-sync";

/// Reads `--git-token-file` and hides the token from every log line from now on.
pub(crate) fn read_token(file: &Path) -> Result<Token, GitError> {
    let text = std::fs::read_to_string(file).map_err(|source| GitError::TokenFile {
        path: file.to_path_buf(),
        source,
    })?;
    let text = text.trim();
    let (user, secret) = match text.split_once(':') {
        Some((user, secret)) if !user.is_empty() => (user, secret),
        _ => (TOKEN_USER, text),
    };
    // The Authorization header carries base64(user:token): hidden as well.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
    crate::logs::hide(&[secret.to_string(), text.to_string(), basic]);
    Ok(Token {
        user: user.to_string(),
        secret: secret.to_string(),
    })
}

/// A commit whose files are ready to be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The full commit id.
    pub commit: String,
    /// The ref it was read from (`refs/heads/main`), or the commit when `--git-ref` is one.
    pub reference: String,
    /// The folder holding the tree at `--git-path` of that commit.
    pub dir: PathBuf,
    /// Who signed it, when `--git-verify` checked it.
    pub signer: Option<String>,
}

/// The short form of a commit id shown in markers, logs and metrics.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// What a fetch found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Ready(Revision),
    /// The ref's commit is not signed by a trusted key: its files were not written.
    Refused {
        commit: String,
        reference: String,
        reason: Untrusted,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot use {} to keep the git repository: {source}", path.display())]
    StateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the git token file {}: {source}", path.display())]
    TokenFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("fetching {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("fetching {url}: no ref `{reference}` there")]
    RefNotFound { url: String, reference: String },
    #[error("fetching {url}: no answer within {} (--git-timeout)", humantime::format_duration(*after))]
    Timeout { url: String, after: Duration },
    #[error("reading {what} from the fetched repository: {reason}")]
    Read { what: String, reason: String },
    #[error("commit {commit} has no folder {path} (--git-path)")]
    PathNotFound { commit: String, path: String },
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `$XDG_CACHE_HOME/zadig-sync` (else `~/.cache/zadig-sync`), the default `--state-dir`.
pub fn default_state_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("zadig-sync")
}

impl GitSource {
    /// The folder of this repository, ref and path under the state dir: one per address,
    /// ref and `--git-path`, so that runs reading something else never share one (a
    /// checkout holds one path's files).
    pub fn work_dir(&self) -> PathBuf {
        let key = format!("{}\0{}\0{}", self.url, self.reference, self.path.display());
        let key = Sha256::digest(key);
        self.state_dir.join("git").join(&hex::encode(key)[..16])
    }
}

/// Fetches, verifies and writes out the files of the watched ref (blocking). Two processes
/// sharing a state dir take turns.
pub fn sync(source: &GitSource, interrupt: &AtomicBool) -> Result<Fetched, GitError> {
    let work = source.work_dir();
    let _lock = lock(&work)?;
    let repo_dir = work.join("repo");
    let fetched = fetch::fetch(source, &repo_dir, interrupt)?;
    let commit = fetched.id.to_string();
    let signer = match &source.trust {
        None => None,
        Some(trust) => match verify::verify(trust, &fetched.raw) {
            Ok(signer) => Some(signer),
            Err(reason) => {
                let reference = fetched.reference;
                return Ok(Fetched::Refused {
                    commit,
                    reference,
                    reason,
                });
            }
        },
    };
    let dir = write_out(&work, &repo_dir, fetched.id, &source.path)?;
    Ok(Fetched::Ready(Revision {
        commit,
        reference: fetched.reference,
        dir,
        signer,
    }))
}

fn state_error(path: &Path) -> impl FnOnce(std::io::Error) -> GitError {
    let path = path.to_path_buf();
    move |source| GitError::StateDir { path, source }
}

/// Makes the work dir (private to this user) and takes its lock, held until dropped.
fn lock(work: &Path) -> Result<std::fs::File, GitError> {
    let checkouts = work.join("checkouts");
    create_private_dir(&checkouts).map_err(state_error(&checkouts))?;
    let path = work.join("lock");
    let lock = std::fs::File::create(&path).map_err(state_error(&path))?;
    fs4::FileExt::lock(&lock).map_err(state_error(&path))?;
    Ok(lock)
}

/// Writes the files of commit `id` into `checkouts/<id>`, keeps the checkout of the commit
/// before (a pass may be reading it), removes the others, and records `id` as the current one.
fn write_out(
    work: &Path,
    repo_dir: &Path,
    id: gix::ObjectId,
    path: &Path,
) -> Result<PathBuf, GitError> {
    let repo =
        gix::open_opts(repo_dir, gix::open::Options::isolated()).map_err(|e| GitError::Read {
            what: repo_dir.display().to_string(),
            reason: format!("{e:#}"),
        })?;
    let checkouts = work.join("checkouts");
    let dir = checkout::checkout(&repo, id, path, &checkouts)?;
    let previous = read_current(work).unwrap_or_default();
    checkout::prune(&checkouts, &[&dir, &previous]);
    let current = work.join("current");
    std::fs::write(&current, id.to_string()).map_err(state_error(&current))?;
    Ok(dir)
}

/// The checkout the last sync of this work dir produced.
fn read_current(work: &Path) -> Option<PathBuf> {
    let commit = std::fs::read_to_string(work.join("current")).ok()?;
    Some(work.join("checkouts").join(commit.trim()))
}

/// The files of the last commit synced into the state dir, to start from while the remote
/// cannot be reached.
pub fn last_synced(source: &GitSource) -> Option<Revision> {
    let work = source.work_dir();
    let dir = read_current(&work).filter(|dir| dir.is_dir())?;
    let commit = dir.file_name()?.to_string_lossy().into_owned();
    Some(Revision {
        commit: commit.clone(),
        reference: source.reference.to_string(),
        dir,
        signer: None,
    })
}

#[cfg(unix)]
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
}

#[cfg(not(unix))]
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)
}

/// [`sync`] on a thread of its own (gitoxide's HTTP client blocks), bounded by the source's
/// timeout: past it the fetch is told to stop and [`GitError::Timeout`] is returned.
pub async fn sync_in_background(source: Arc<GitSource>) -> Result<Fetched, GitError> {
    let interrupt = Arc::new(AtomicBool::new(false));
    let (done, result) = tokio::sync::oneshot::channel();
    let (thread_source, flag) = (source.clone(), interrupt.clone());
    let spawned = std::thread::Builder::new()
        .name("zadig-sync-git".into())
        .spawn(move || {
            let _ = done.send(sync(&thread_source, &flag));
        });
    let timed_out = || GitError::Timeout {
        url: source.url.to_string(),
        after: source.timeout,
    };
    if let Err(source_error) = spawned {
        return Err(GitError::StateDir {
            path: source.state_dir.clone(),
            source: source_error,
        });
    }
    match tokio::time::timeout(source.timeout, result).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) | Err(_) => {
            interrupt.store(true, Ordering::SeqCst);
            Err(timed_out())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ref_is_the_remote_head_a_name_a_full_ref_or_a_commit() {
        assert_eq!(GitRef::parse(None), Ok(GitRef::RemoteHead));
        assert_eq!(GitRef::parse(Some("main")), Ok(GitRef::Name("main".into())));
        assert_eq!(
            GitRef::parse(Some("refs/tags/v1")),
            Ok(GitRef::Full("refs/tags/v1".into()))
        );
        let id = "0123456789ABCDEF0123456789abcdef01234567";
        assert_eq!(
            GitRef::parse(Some(id)),
            Ok(GitRef::Commit(id.to_ascii_lowercase()))
        );
        for bad in ["a b", "x..y", "-rf", "a:b", "+main"] {
            assert!(GitRef::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_address_ref_and_path_has_a_work_dir_of_its_own() {
        let source = |url: &str, reference: Option<&str>, path: &str| GitSource {
            url: RepoUrl::parse(url, false).unwrap(),
            reference: GitRef::parse(reference).unwrap(),
            path: path.into(),
            timeout: Duration::from_secs(1),
            auth: GitAuth::None,
            trust: None,
            state_dir: "/state".into(),
        };
        let base = source("https://h/a.git", None, "builds.d").work_dir();
        assert!(base.starts_with("/state/git"));
        assert_eq!(base, source("https://h/a.git", None, "builds.d").work_dir());
        for other in [
            source("https://h/b.git", None, "builds.d"),
            source("https://h/a.git", Some("main"), "builds.d"),
            source("https://h/a.git", None, "."),
        ] {
            assert_ne!(other.work_dir(), base, "{other:?}");
        }
    }

    #[test]
    fn a_token_file_may_name_its_user() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "ghp_abc\n").unwrap();
        let token = read_token(&file).unwrap();
        assert_eq!(
            (token.user.as_str(), token.secret.as_str()),
            (TOKEN_USER, "ghp_abc")
        );
        std::fs::write(&file, "oauth2:glpat-x\n").unwrap();
        let token = read_token(&file).unwrap();
        assert_eq!(
            (token.user.as_str(), token.secret.as_str()),
            ("oauth2", "glpat-x")
        );
    }
}
