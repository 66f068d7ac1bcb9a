//! The feed between the daemon's fetch loop and its passes: the commit in force (fetched,
//! verified, its files written out), a commit refused by `--git-verify`, a failure or its
//! end, and the news for the next pass to tell; also which files a pass reads (the commit in
//! force with `--git`, else `--dir`). Read by the passes, the status and the webhook
//! listener. No I/O but reading a checkout's `HEAD` for `--dir`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::daemon::events::Event;
use crate::daemon::identity::git_commit;
use crate::daemon::metrics::{GitRevisionLabels, Metrics, RefusedLabels, ResultLabel};
use crate::git::{Fetched, GitError, GitSource, Revision, Untrusted};

/// What the status shows of the git source.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GitStatus {
    pub url: String,
    /// `--git-ref` as given (`HEAD`: the remote's default branch).
    pub watched: String,
    /// The commit in force and its ref.
    pub commit: Option<String>,
    pub reference: Option<String>,
    pub signer: Option<String>,
    /// Unix time of the last fetch that reached the remote.
    pub last_fetch: Option<u64>,
    /// Why the last fetch failed, while fetches fail.
    pub fetch_error: Option<String>,
    /// The commit `--git-verify` refuses, and why.
    pub refused: Option<RefusedCommit>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RefusedCommit {
    pub commit: String,
    pub reason: String,
}

/// The fetch loop's findings, read by the passes (and the webhook listener, for the ref).
#[derive(Debug)]
pub struct GitFeed {
    inner: Mutex<FeedState>,
}

#[derive(Debug, Default)]
struct FeedState {
    current: Option<Revision>,
    status: GitStatus,
    /// Events for the next pass to tell.
    news: Vec<Event>,
}

impl GitFeed {
    pub fn new(source: &GitSource, initial: Option<Revision>) -> Self {
        let status = GitStatus {
            url: source.url.to_string(),
            watched: source.reference.to_string(),
            ..GitStatus::default()
        };
        let mut state = FeedState {
            current: None,
            status,
            news: Vec::new(),
        };
        if let Some(revision) = initial {
            state.set_current(revision);
        }
        GitFeed {
            inner: Mutex::new(state),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FeedState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The commit in force, if any was fetched yet.
    pub fn current(&self) -> Option<Revision> {
        self.state().current.clone()
    }

    pub fn status(&self) -> GitStatus {
        self.state().status.clone()
    }

    /// The events not told yet.
    pub fn take_news(&self) -> Vec<Event> {
        std::mem::take(&mut self.state().news)
    }

    /// Records a fetch; whether it is news for a pass. Counts the fetch.
    pub fn record(&self, fetched: &Result<Fetched, GitError>, metrics: &Metrics) -> bool {
        let mut state = self.state();
        let (result, news) = match fetched {
            Ok(fetched) => state.fetched(fetched, metrics),
            Err(error) => ("failed", state.failed(error.to_string())),
        };
        metrics
            .git_fetches
            .get_or_create(&ResultLabel { result })
            .inc();
        if let Some(revision) = &state.current {
            metrics.git_revision.clear();
            let labels = GitRevisionLabels {
                commit: revision.commit.clone(),
                r#ref: revision.reference.clone(),
            };
            metrics.git_revision.get_or_create(&labels).set(1);
        }
        news
    }
}

impl FeedState {
    fn set_current(&mut self, revision: Revision) {
        self.status.commit = Some(revision.commit.clone());
        self.status.reference = Some(revision.reference.clone());
        self.status.signer = revision.signer.clone();
        self.current = Some(revision);
    }

    /// A fetch that reached the remote: its result label and whether it is news.
    fn fetched(&mut self, fetched: &Fetched, metrics: &Metrics) -> (&'static str, bool) {
        self.status.last_fetch = Some(unix_seconds());
        let back = self.status.fetch_error.take().is_some();
        if back {
            self.news.push(Event::GitBack);
        }
        let (result, news) = match fetched {
            Fetched::Ready(revision) => self.ready(revision, metrics),
            Fetched::Refused {
                commit,
                reference,
                reason,
            } => self.refused(commit, reference, reason, metrics),
        };
        (result, news || back)
    }

    /// A commit with its files written out: news when it is another commit.
    fn ready(&mut self, revision: &Revision, metrics: &Metrics) -> (&'static str, bool) {
        if self.status.refused.take().is_some() {
            metrics.git_refused.clear();
        }
        if self.current.as_ref().map(|c| &c.commit) == Some(&revision.commit) {
            return ("unchanged", false);
        }
        self.news.push(Event::CommitFetched {
            commit: revision.commit.clone(),
            reference: revision.reference.clone(),
            signer: revision.signer.clone(),
        });
        self.set_current(revision.clone());
        ("changed", true)
    }

    /// A commit `--git-verify` refused: news when it is not the one refused already.
    fn refused(
        &mut self,
        commit: &str,
        reference: &str,
        reason: &Untrusted,
        metrics: &Metrics,
    ) -> (&'static str, bool) {
        let refused = RefusedCommit {
            commit: commit.to_string(),
            reason: reason.to_string(),
        };
        if self.status.refused.as_ref() == Some(&refused) {
            return ("refused", false);
        }
        metrics.git_refused.clear();
        let labels = RefusedLabels {
            commit: commit.to_string(),
            reason: reason_word(reason),
        };
        metrics.git_refused.get_or_create(&labels).set(1);
        self.news.push(Event::CommitRefused {
            commit: commit.to_string(),
            reference: reference.to_string(),
            reason: reason.to_string(),
        });
        self.status.refused = Some(refused);
        ("refused", true)
    }

    /// A fetch that failed: news when fetches were working until now.
    fn failed(&mut self, reason: String) -> bool {
        let first = self.status.fetch_error.is_none();
        if first {
            self.news.push(Event::GitUnreachable {
                reason: reason.clone(),
            });
        }
        self.status.fetch_error = Some(reason);
        first
    }
}

/// The fixed word of a refusal, for the metric's label.
fn reason_word(reason: &Untrusted) -> &'static str {
    match reason {
        Untrusted::Unsigned => "unsigned",
        Untrusted::NotTrusted { .. } => "untrusted",
        Untrusted::Malformed(_) => "malformed",
        Untrusted::WrongKind { .. } => "wrong_kind",
        Untrusted::Keys { .. } => "keys",
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The commit (and ref) a completed pass applied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AppliedRevision {
    pub commit: String,
    pub reference: Option<String>,
}

/// The files a pass reads and the commit they are: the commit in force with `--git` (none
/// before the first fetch), else `--dir` and the commit checked out there, if any.
pub struct SourceFiles {
    pub dir: PathBuf,
    pub revision: Option<String>,
    pub reference: Option<String>,
}

pub fn files_to_read(dir: &Path, feed: Option<&GitFeed>) -> Option<SourceFiles> {
    match feed {
        Some(feed) => feed.current().map(|revision| SourceFiles {
            dir: revision.dir,
            revision: Some(revision.commit),
            reference: Some(revision.reference),
        }),
        None => Some(SourceFiles {
            dir: dir.to_path_buf(),
            revision: git_commit(dir),
            reference: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::git::{GitAuth, GitRef, RepoUrl};

    fn source() -> GitSource {
        GitSource {
            url: RepoUrl::parse("https://git.example.com/a.git", false).unwrap(),
            reference: GitRef::RemoteHead,
            path: "builds.d".into(),
            timeout: Duration::from_secs(5),
            auth: GitAuth::None,
            trust: None,
            state_dir: "/nonexistent".into(),
        }
    }

    fn revision(commit: &str) -> Fetched {
        Fetched::Ready(Revision {
            commit: commit.into(),
            reference: "refs/heads/main".into(),
            dir: format!("/checkouts/{commit}").into(),
            signer: None,
        })
    }

    fn failure() -> Result<Fetched, GitError> {
        Err(GitError::Fetch {
            url: "https://git.example.com/a.git".into(),
            reason: "connection refused".into(),
        })
    }

    #[test]
    fn a_failure_or_a_refusal_keeps_the_commit_in_force_and_each_episode_is_news_once() {
        let metrics = Metrics::new();
        let feed = GitFeed::new(&source(), None);
        assert!(feed.record(&Ok(revision("aaa")), &metrics));
        assert!(!feed.record(&Ok(revision("aaa")), &metrics), "unchanged");
        assert!(feed.record(&failure(), &metrics));
        assert!(!feed.record(&failure(), &metrics), "still failing: no news");
        assert_eq!(feed.current().unwrap().commit, "aaa");
        let refused = Fetched::Refused {
            commit: "bbb".into(),
            reference: "refs/heads/main".into(),
            reason: Untrusted::Unsigned,
        };
        assert!(
            feed.record(&Ok(refused.clone()), &metrics),
            "back, and refused"
        );
        assert!(
            !feed.record(&Ok(refused), &metrics),
            "the same refusal again"
        );
        assert_eq!(feed.current().unwrap().commit, "aaa");
        let kinds: Vec<&str> = feed.take_news().iter().map(Event::kind).collect();
        assert_eq!(
            kinds,
            [
                "commit_fetched",
                "git_unreachable",
                "git_back",
                "commit_refused"
            ]
        );
        let text = metrics.render().unwrap();
        assert!(
            text.contains(r#"zadig_sync_git_refused{commit="bbb",reason="unsigned"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"zadig_sync_git_revision{commit="aaa",ref="refs/heads/main"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"zadig_sync_git_fetch_total{result="failed"} 2"#),
            "{text}"
        );

        assert!(feed.record(&Ok(revision("ccc")), &metrics));
        assert_eq!(feed.status().refused, None);
        assert!(
            !metrics
                .render()
                .unwrap()
                .contains("zadig_sync_git_refused{")
        );
    }
}
