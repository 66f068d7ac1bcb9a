//! Watching the build directory as real deployments change it: recursively (editors save by
//! rename, a checkout touches thousands of files), through notify's debouncer. `--dir` may be
//! a symlink swapped atomically (git-sync's `--link`): its parent is watched too, and the
//! link is resolved again before every pass, moving the recursive watch to the new target.
//! The link may also be a folder above `--dir` (git-sync's `--link=repo` with
//! `--dir=/git/repo/builds.d`): the folder holding every link on the path is watched too. A
//! `--dir` whose folders do not exist yet (before git-sync's first clone) is waited for,
//! watching the closest folder above it that exists, and saying so.
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
    #[error("cannot start the file watcher: {source}")]
    Start {
        #[source]
        source: notify::Error,
    },
}

/// The watch of one `--dir` (or, with `--git`, of the token file's folder only).
pub struct DirWatch {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    dir: Option<PathBuf>,
    /// The directory `dir` resolved to when it was last watched.
    watched: Option<PathBuf>,
    /// Folders watched (not recursively) where `dir`, or a link on the way to it, appears or
    /// is swapped: its parent (or, while that does not exist, the closest folder above that
    /// does), and the folder holding each symbolic link on its path.
    anchors: Vec<PathBuf>,
    /// The token file's folder, watched for the token's sake; never unwatched here.
    token_folder: Option<PathBuf>,
}

impl DirWatch {
    /// Starts watching `dir` (which, and whose parents, may not exist yet: the daemon waits
    /// for them) and the folder of `token_file` when given; each batch of content changes
    /// sends one [`Change`] per kind on `changes`.
    pub fn start(
        dir: Option<&Path>,
        token_file: Option<&Path>,
        changes: UnboundedSender<Change>,
    ) -> Result<Self, WatchError> {
        let token_folder = token_file.map(parent_of);
        // Beside `--dir`, the token's folder is also the one whose events may be a swap of
        // the build directory's link.
        let shared =
            dir.is_some_and(|dir| token_folder.as_deref() == Some(parent_of(dir).as_path()));
        let handler = content_handler(token_folder.clone(), shared, changes);
        let debouncer = new_debouncer(NOTIFY_TICK, None, handler)
            .map_err(|source| WatchError::Start { source })?;
        let mut watch = DirWatch {
            debouncer,
            dir: dir.map(Path::to_path_buf),
            watched: None,
            anchors: Vec::new(),
            token_folder: None,
        };
        if let Some(folder) = watch_token_folder(&mut watch, token_file) {
            info!(folder = %folder.display(), "watching the token file's folder");
            watch.token_folder = Some(folder);
        }
        watch.refresh();
        Ok(watch)
    }

    /// Resolves `--dir` again and, when it now leads elsewhere (a swapped symlink), moves the
    /// recursive watch there. Called before every pass; a directory that does not exist yet
    /// is watched once it appears.
    pub fn refresh(&mut self) {
        let Some(dir) = self.dir.clone() else {
            return;
        };
        self.refresh_anchors(&dir);
        let resolved = std::fs::canonicalize(&dir).ok();
        if resolved == self.watched {
            return;
        }
        if let Some(old) = self.watched.take() {
            // Gone already when the old target was deleted; nothing to undo then.
            let _ = self.debouncer.unwatch(&old);
        }
        let Some(target) = resolved else {
            warn!(dir = %dir.display(), "the build directory does not exist (yet)");
            return;
        };
        match self.debouncer.watch(&target, RecursiveMode::Recursive) {
            Ok(()) => {
                info!(dir = %dir.display(), target = %target.display(), "watching");
                self.watched = Some(target);
            }
            Err(error) => {
                warn!(dir = %target.display(), %error, "cannot watch the build directory")
            }
        }
    }

    /// Moves the non-recursive watches to the folders where `dir` or a link on its way can
    /// appear now; says so while its parent does not exist yet.
    fn refresh_anchors(&mut self, dir: &Path) {
        let wanted = anchors_of(dir);
        if wanted == self.anchors {
            return;
        }
        for old in self.anchors.iter().filter(|a| !wanted.contains(a)) {
            if self.token_folder.as_ref() != Some(old) {
                let _ = self.debouncer.unwatch(old);
            }
        }
        let parent = parent_of(dir);
        if !parent.is_dir() {
            info!(dir = %dir.display(), waiting_in = %wanted[0].display(),
                "the build directory's folder does not exist yet; waiting for it");
        }
        let mut watched = Vec::new();
        for anchor in wanted {
            let already =
                self.anchors.contains(&anchor) || self.token_folder.as_ref() == Some(&anchor);
            match already
                || self
                    .debouncer
                    .watch(&anchor, RecursiveMode::NonRecursive)
                    .is_ok()
            {
                true => watched.push(anchor),
                false => warn!(folder = %anchor.display(), "cannot watch this folder"),
            }
        }
        self.anchors = watched;
    }
}

/// The folders to watch for `dir` to appear or be swapped: its parent, or the closest folder
/// above it that exists, first; then the folder holding each symbolic link on its path.
fn anchors_of(dir: &Path) -> Vec<PathBuf> {
    let parent = parent_of(dir);
    let existing = parent
        .ancestors()
        .find(|a| a.is_dir())
        .unwrap_or(Path::new("/"));
    let mut anchors = vec![existing.to_path_buf()];
    for ancestor in parent.ancestors() {
        let is_link = std::fs::symlink_metadata(ancestor).is_ok_and(|m| m.file_type().is_symlink());
        let holder = parent_of(ancestor);
        if is_link && holder.is_dir() && !anchors.contains(&holder) {
            anchors.push(holder);
        }
    }
    anchors
}

/// The handler of notify's batches: one [`Change::Files`] and one [`Change::Token`] at most
/// per batch. `shared`: the token's folder is also `--dir`'s parent.
fn content_handler(
    token_folder: Option<PathBuf>,
    shared: bool,
    changes: UnboundedSender<Change>,
) -> impl FnMut(DebounceEventResult) + Send + 'static {
    move |result: DebounceEventResult| match result {
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
    }
}

/// Watches the folder of the token file (not recursively), when there is one and it is not
/// already watched as the build directory's parent; returns it.
fn watch_token_folder(watch: &mut DirWatch, token_file: Option<&Path>) -> Option<PathBuf> {
    let folder = parent_of(token_file?);
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
