//! Watching the build directory as real deployments change it: recursively (editors save by
//! rename, a checkout touches thousands of files), through notify's debouncer. `--dir` may be
//! a symlink swapped atomically (git-sync's `--link`): its parent is watched too, and the
//! link is resolved again before every pass, moving the recursive watch to the new target.
//! Inside, a Kubernetes ConfigMap swaps its `..data` symlink: an event in the directory
//! itself, seen by the recursive watch. Only content changes count (a file created, written,
//! removed or renamed): reading a file (as every pass does) is not a change, or the daemon
//! would wake itself for ever. The folder of the token file, when there is one, is watched
//! too (Kubernetes rotates a Secret by swapping its `..data` link). Every change, a queue
//! overflow included, only says "something changed": the pass re-reads the whole tree. Does
//! I/O.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind, MetadataKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache, new_debouncer,
};
use tokio::sync::mpsc::UnboundedSender;
use tracing::{debug, info, warn};

use crate::daemon::trigger::Change;

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
    /// Starts watching `dir` (which may not exist yet) and its parent, and the folder of
    /// `token_file` when given; each batch of content changes sends one [`Change`] per kind
    /// on `changes`.
    pub fn start(
        dir: &Path,
        token_file: Option<&Path>,
        changes: UnboundedSender<Change>,
    ) -> Result<Self, WatchError> {
        let token_folder = token_file.map(parent_of);
        // Beside `--dir`, the token's folder is also the one whose events may be a swap of
        // the build directory's link.
        let shared = token_folder.as_deref() == Some(parent_of(dir).as_path());
        let handler = move |result: DebounceEventResult| match result {
            Ok(batch) => {
                let (mut files, mut token) = (false, false);
                for event in batch.iter().filter(|e| is_content_change(e)) {
                    for path in &event.paths {
                        let about_token =
                            token_folder.is_some() && path.parent() == token_folder.as_deref();
                        token |= about_token;
                        files |= !about_token || shared;
                    }
                    files |= event.paths.is_empty();
                }
                if files {
                    debug!(events = batch.len(), "files changed");
                    let _ = changes.send(Change::Files);
                }
                if token {
                    debug!("the token file's folder changed");
                    let _ = changes.send(Change::Token);
                }
            }
            Err(errors) => {
                // An overflowed queue or a lost watch: re-read everything, as after a change.
                for error in &errors {
                    warn!(%error, "file watch error; the directory will be read again");
                }
                let _ = changes.send(Change::Files);
                let _ = changes.send(Change::Token);
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
        if let Some(folder) = watch_token_folder(&mut watch, token_file) {
            info!(folder = %folder.display(), "watching the token file's folder");
        }
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

/// Watches the folder of the token file (not recursively), when there is one and it is not
/// already watched as the build directory's parent; returns it.
fn watch_token_folder(watch: &mut DirWatch, token_file: Option<&Path>) -> Option<PathBuf> {
    let folder = parent_of(token_file?);
    if folder == parent_of(&watch.dir) {
        return Some(folder);
    }
    match watch.debouncer.watch(&folder, RecursiveMode::NonRecursive) {
        Ok(()) => Some(folder),
        Err(error) => {
            warn!(folder = %folder.display(), %error,
                "cannot watch the token file's folder; a rotated token is read after a 401");
            None
        }
    }
}

/// Whether an event says content changed: a file or folder created, written, removed,
/// renamed, or its permissions changed. Reads (open, access, close after reading) and access
/// times are not changes: the daemon's own reads make them.
fn is_content_change(event: &DebouncedEvent) -> bool {
    match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        EventKind::Create(_)
        | EventKind::Modify(_)
        | EventKind::Remove(_)
        | EventKind::Any
        | EventKind::Other => true,
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
