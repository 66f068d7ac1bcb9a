//! What the loop shares with the endpoints (which run on a thread of their own): whether the
//! loop is alive and not stuck in one pass, whether a recent pass read Zadig (readiness, with
//! why not), the revision applied, the metrics and the status board. Each probe's answer is
//! decided here; `http` serves them. No I/O.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::daemon::git::{AppliedRevision, GitFeed};
use crate::daemon::metrics::Metrics;
use crate::daemon::notify::Notifier;
use crate::daemon::status::Board;

/// What the endpoints report, shared with the loop.
#[derive(Debug)]
pub struct Status {
    alive: AtomicBool,
    health: Mutex<Health>,
    pub metrics: Arc<Metrics>,
    /// The commit (and ref) the last completed pass applied, when the files are one.
    revision: Mutex<Option<AppliedRevision>>,
    /// With `--git`: the fetch loop's view (the commit in force, a refused one, a failure).
    pub git: std::sync::OnceLock<Arc<GitFeed>>,
    /// Each build's state, the last pass and the events, for the status API and the page.
    pub board: Board,
}

/// What the probes decide from, as the loop records it.
#[derive(Debug)]
struct Health {
    /// When the last pass that read Zadig and executed its plan ended.
    completed: Option<Instant>,
    /// Why the last pass could not read Zadig (an unreachable server, a refused token).
    problem: Option<String>,
    /// When the running pass started, if one runs.
    busy_since: Option<Instant>,
    /// Not ready when no pass completed for this long (3 × `--interval`).
    stale_after: Duration,
    /// Not alive when one pass runs for this long (the loop is stuck).
    stuck_after: Duration,
}

impl Status {
    /// `interval`: the resync interval (readiness lapses after three of them without a
    /// completed pass); `stuck_after`: how long one pass may run before `/healthz` fails.
    pub fn new(metrics: Arc<Metrics>, interval: Duration, stuck_after: Duration) -> Self {
        Status {
            alive: AtomicBool::new(true),
            health: Mutex::new(Health {
                completed: None,
                problem: None,
                busy_since: None,
                stale_after: interval.saturating_mul(3),
                stuck_after,
            }),
            board: Board::new(metrics.requests_sent.clone(), interval, None),
            metrics,
            revision: Mutex::new(None),
            git: std::sync::OnceLock::new(),
        }
    }

    /// A pass completed with the files of `revision`.
    pub fn set_revision(&self, revision: Option<AppliedRevision>) {
        *self.revision.lock().unwrap_or_else(PoisonError::into_inner) = revision;
    }

    /// The commit (and ref) the last completed pass applied.
    pub fn revision(&self) -> Option<AppliedRevision> {
        self.revision
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The same, telling every event to `notifier` too.
    pub fn notifying(mut self, notifier: Option<Notifier>) -> Self {
        self.board = self.board.with_notifier(notifier);
        self
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A pass starts.
    pub fn pass_started(&self) {
        self.health().busy_since = Some(Instant::now());
    }

    /// The pass ended, however.
    pub fn pass_ended(&self) {
        self.health().busy_since = None;
    }

    /// The pass read Zadig and executed its plan (even if some builds failed).
    pub fn pass_completed(&self) {
        let mut health = self.health();
        health.completed = Some(Instant::now());
        health.problem = None;
    }

    /// The pass could not read Zadig: `/readyz` says why until a pass completes.
    pub fn zadig_unreadable(&self, why: String) {
        self.health().problem = Some(why);
    }

    /// `Ok` when ready, else why not.
    pub fn readiness(&self) -> Result<(), String> {
        let health = self.health();
        if let Some(problem) = &health.problem {
            return Err(format!("the last pass could not read Zadig: {problem}"));
        }
        match health.completed {
            None => Err("no pass has completed yet".into()),
            Some(at) if at.elapsed() > health.stale_after => Err(format!(
                "no pass has completed for {}s (3 × --interval); see the log",
                at.elapsed().as_secs()
            )),
            Some(_) => Ok(()),
        }
    }

    /// `Ok` while the loop runs and no pass is stuck, else why not.
    pub fn liveness(&self) -> Result<(), String> {
        if !self.alive.load(Ordering::SeqCst) {
            return Err("the loop has stopped".into());
        }
        let health = self.health();
        match health.busy_since {
            Some(since) if since.elapsed() > health.stuck_after => Err(format!(
                "one pass has been running for {}s: the loop is stuck",
                since.elapsed().as_secs()
            )),
            _ => Ok(()),
        }
    }

    /// The loop ended (or panicked): `/healthz` answers 503.
    pub fn set_dead(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }
}

/// Marks the loop dead when dropped, so that a panic in it shows on `/healthz` too.
pub struct AliveGuard(pub Arc<Status>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.set_dead();
    }
}
