//! The daemon with `--git`: a fetch loop beside the passes, and the feed between them. The
//! loop fetches every `--git-interval` (at once when a webhook says so), retries a failing
//! fetch with backoff, and records what it found in the [`GitFeed`]: the commit in force
//! (fetched, verified, its files written out), a commit refused by `--git-verify`, a failure
//! or its end. Each piece of news sends one [`Change::Git`]; the pass then reads the files of
//! the commit in force and tells the news (logs, metrics, notifications). A failure or a
//! refusal never replaces the commit in force. Does I/O (through `git`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;

use crate::backoff::Backoff;
use crate::daemon::metrics::Metrics;
use crate::daemon::trigger::Change;

pub mod feed;

use crate::git::{self, GitSource, Revision};
pub use feed::{AppliedRevision, GitFeed, GitStatus, RefusedCommit, SourceFiles, files_to_read};

/// What the daemon is told about its git source at start.
#[derive(Debug, Clone)]
pub struct GitDaemon {
    pub source: Arc<GitSource>,
    /// `--git-interval`.
    pub interval: Duration,
    /// The commit fetched at start (or left by an earlier run), in force until a fetch says
    /// otherwise.
    pub initial: Option<Revision>,
    /// `--hooks-listen` and the secret of `--hook-secret-file`.
    pub hooks: Option<crate::daemon::hooks::HooksConfig>,
}

/// The git side of a running daemon: the feed, the fetch loop, the webhook listener.
pub struct GitRunning {
    pub feed: Arc<GitFeed>,
    fetching: tokio::task::JoinHandle<()>,
    hooks: Option<tokio::sync::oneshot::Receiver<std::io::Result<()>>>,
}

/// Starts the fetch loop (and, with `--hooks-listen`, the webhook listener, which stops when
/// `shutdown` resolves).
pub fn start(
    git: &GitDaemon,
    metrics: Arc<Metrics>,
    changes: UnboundedSender<Change>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<GitRunning, crate::daemon::DaemonError> {
    let feed = Arc::new(GitFeed::new(&git.source, git.initial.clone()));
    let wake = Arc::new(Notify::new());
    let hooks = match &git.hooks {
        Some(config) => {
            let router = crate::daemon::hooks::router(
                config.secret.clone(),
                git.source.reference.clone(),
                feed.clone(),
                wake.clone(),
                metrics.clone(),
            );
            Some(serve_hooks(config, router, shutdown)?)
        }
        None => None,
    };
    let fetching = tokio::spawn(fetch_loop(
        git.source.clone(),
        feed.clone(),
        git.interval,
        wake,
        changes,
        metrics,
    ));
    Ok(GitRunning {
        feed,
        fetching,
        hooks,
    })
}

/// Serves the webhook router on `--hooks-listen`, on a thread of its own.
fn serve_hooks(
    config: &crate::daemon::hooks::HooksConfig,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<tokio::sync::oneshot::Receiver<std::io::Result<()>>, crate::daemon::DaemonError> {
    let listen_error = |source| crate::daemon::DaemonError::HooksListen {
        addr: config.listen,
        source,
    };
    let listener = std::net::TcpListener::bind(config.listen).map_err(listen_error)?;
    let address = listener.local_addr().unwrap_or(config.listen);
    let what = "POST /hooks/git";
    let served = crate::daemon::own_thread::serve_router(
        "zadig-sync-hooks",
        what,
        listener,
        router,
        shutdown,
    )
    .map_err(listen_error)?;
    tracing::info!(address = %address, "serving POST /hooks/git");
    Ok(served)
}

impl GitRunning {
    /// Stops fetching; waits a little for the webhook listener (stopped by the shutdown).
    pub async fn stop(self) {
        self.fetching.abort();
        if let Some(hooks) = self.hooks {
            let _ = tokio::time::timeout(Duration::from_secs(5), hooks).await;
        }
    }
}

/// Fetches for ever: every `interval`, at once when `wake` is notified (a webhook), sooner
/// with backoff after a failure. Sends [`Change::Git`] on news.
pub async fn fetch_loop(
    source: Arc<GitSource>,
    feed: Arc<GitFeed>,
    interval: Duration,
    wake: Arc<Notify>,
    changes: UnboundedSender<Change>,
    metrics: Arc<Metrics>,
) {
    let mut failures: u32 = 0;
    loop {
        let fetched = git::sync_in_background(source.clone()).await;
        failures = match &fetched {
            Err(_) => failures.saturating_add(1),
            Ok(_) => 0,
        };
        if feed.record(&fetched, &metrics) && changes.send(Change::Git).is_err() {
            return;
        }
        let wait = match failures {
            0 => interval,
            n => Backoff::PASS.wait(n).min(interval),
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = wake.notified() => tracing::debug!("a webhook asks for a fetch"),
        }
    }
}
