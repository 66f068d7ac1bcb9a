//! Progress of the stages that fan out over builds (reading details, applying steps), for a
//! caller that wants to show it: a counter of work known so far and work done. The stages
//! report; what is shown (a bar on a terminal, nothing at all) is the caller's choice. No I/O.

use std::sync::Arc;

/// Told how much work there is (it can grow: each project's list adds its builds) and each
/// time one piece is done. Called from concurrent tasks.
pub trait Progress: Send + Sync {
    fn add_total(&self, count: usize);
    fn advance(&self);
}

/// Shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn add_total(&self, _count: usize) {}
    fn advance(&self) {}
}

/// A shared handle, cheap to clone into tasks.
pub type SharedProgress = Arc<dyn Progress>;

/// The handle that shows nothing.
pub fn no_progress() -> SharedProgress {
    Arc::new(NoProgress)
}
