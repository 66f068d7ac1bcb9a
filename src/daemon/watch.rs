//! Watching the build directory as real deployments change it: recursively (editors save by
//! rename, a checkout touches thousands of files), through notify's debouncer. `--dir` may be
//! a symlink swapped atomically (git-sync's `--link`): its parent is watched too, and the
//! link is resolved again before every pass, moving the recursive watch to the new target.
//! Inside, a Kubernetes ConfigMap swaps its `..data` symlink: an event in the directory
//! itself, seen by the recursive watch. Every event, a queue overflow included, only says
//! "something changed": the pass re-reads the whole tree. Does I/O.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc::UnboundedSender;
use tracing::{debug, info, warn};

/// How long notify's debouncer gathers events before passing them on (it also stitches the
/// two halves of a rename together, which arrive microseconds apart); the `--debounce` quiet
/// period is applied after it, so this only adds to the time from a save to its pass.
const NOTIFY_TICK: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {}: {source}", path.display())]
    Watch {
        path: PathBuf,
        #[source]
        source: notify::Error,
    },
    #[error("cannot start the file watcher: {source}")]
    Start {
        #[source]
        source: notify::Error,
    },
}

/// The watch of one `--dir`.
pub struct DirWatch {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    dir: PathBuf,
    /// The directory `dir` resolved to when it was last watched.
    watched: Option<PathBuf>,
}

impl DirWatch {
    /// Starts watching `dir` (which may not exist yet) and its parent; each batch of events
    /// sends one `()` on `events`.
    pub fn start(dir: &Path, events: UnboundedSender<()>) -> Result<Self, WatchError> {
        let handler = move |result: DebounceEventResult| match result {
            Ok(batch) => {
                if !batch.is_empty() {
                    debug!(events = batch.len(), "files changed");
                    let _ = events.send(());
                }
            }
            Err(errors) => {
                // An overflowed queue or a lost watch: re-read everything, as after a change.
                for error in &errors {
                    warn!(%error, "file watch error; the directory will be read again");
                }
                let _ = events.send(());
            }
        };
        let debouncer = new_debouncer(NOTIFY_TICK, None, handler)
            .map_err(|source| WatchError::Start { source })?;
        let mut watch = DirWatch {
            debouncer,
            dir: dir.to_path_buf(),
            watched: None,
        };
        let parent = parent_of(dir);
        watch
            .debouncer
            .watch(&parent, RecursiveMode::NonRecursive)
            .map_err(|source| WatchError::Watch {
                path: parent,
                source,
            })?;
        watch.refresh();
        Ok(watch)
    }

    /// Resolves `--dir` again and, when it now leads elsewhere (a swapped symlink), moves the
    /// recursive watch there. Called before every pass; a directory that does not exist yet
    /// is watched once it appears.
    pub fn refresh(&mut self) {
        let resolved = std::fs::canonicalize(&self.dir).ok();
        if resolved == self.watched {
            return;
        }
        if let Some(old) = self.watched.take() {
            // Gone already when the old target was deleted; nothing to undo then.
            let _ = self.debouncer.unwatch(&old);
        }
        let Some(target) = resolved else {
            warn!(dir = %self.dir.display(), "the build directory does not exist (yet)");
            return;
        };
        match self.debouncer.watch(&target, RecursiveMode::Recursive) {
            Ok(()) => {
                info!(dir = %self.dir.display(), target = %target.display(), "watching");
                self.watched = Some(target);
            }
            Err(error) => {
                warn!(dir = %target.display(), %error, "cannot watch the build directory")
            }
        }
    }
}

/// The folder holding `dir` (`.` for a bare name).
fn parent_of(dir: &Path) -> PathBuf {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    match absolute.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
