//! What every request of one run shares besides the connection pool: the circuit breaker, the
//! run's deadline, and the projects whose list a create proved incomplete.
//!
//! - **Breaker.** An answer of 401 or 403, a DNS failure, or [`CONNECTION_FAILURES_TO_OPEN`]
//!   connection failures in a row (refused, reset, timed out) stop the run: every later
//!   request fails at once with `Kind::Halted`, whose text points back at the one
//!   error that stopped it, so that error is reported once instead of once per build.
//! - **Deadline.** `--deadline` bounds the whole run; past it no request is sent.
//! - **Disproved lists.** A create answered "name already taken" by a build of its *own*
//!   project shows that the project's list missed a build; no deletion runs in that project
//!   for the rest of the run (docs/architecture.md §5).
//!
//! Pure state behind a mutex; the clock is tokio's, so tests can pause it.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// Connection failures in a row (over all requests) that open the breaker: enough that one
/// dropped connection is retried, few enough that a dead server costs seconds, not hours.
pub const CONNECTION_FAILURES_TO_OPEN: u32 = 5;

/// Why a run stopped sending requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// 401: the token is not accepted; every request would get the same answer.
    Unauthorized,
    /// 403: the token's user lacks a permission.
    Forbidden,
    /// The server cannot be reached (DNS, refused, reset, no answer).
    Unreachable,
    /// `--deadline` passed.
    Deadline,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Unauthorized => "unauthorized",
            StopReason::Forbidden => "forbidden",
            StopReason::Unreachable => "unreachable",
            StopReason::Deadline => "deadline",
        }
    }

    /// Why a request was stopped, for [`Kind::Halted`](super::Kind::Halted).
    pub fn explain(self) -> &'static str {
        match self {
            StopReason::Unauthorized => "Zadig refused the API token earlier in this run",
            StopReason::Forbidden => "Zadig refused a permission earlier in this run",
            StopReason::Unreachable => "Zadig could not be reached earlier in this run",
            StopReason::Deadline => "the run's --deadline passed",
        }
    }
}

/// The error that stopped the run, as it was reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    pub reason: StopReason,
    /// The full text of the first error, which no later error repeats.
    pub first_error: String,
}

#[derive(Debug, Default)]
struct State {
    stop: Option<Stop>,
    connection_failures: u32,
    disproved: BTreeSet<String>,
}

/// One run's shared state.
#[derive(Debug)]
pub(super) struct RunGuard {
    deadline: Option<Instant>,
    state: Mutex<State>,
}

impl RunGuard {
    /// `deadline`: how long the run may take from now; `None` for no limit.
    pub fn new(deadline: Option<Duration>) -> Self {
        RunGuard {
            deadline: deadline.and_then(|length| Instant::now().checked_add(length)),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while holding it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Why requests must not be sent any more, if they must not.
    pub fn stopped(&self) -> Option<Stop> {
        self.state().stop.clone()
    }

    /// Whether `wait` from now still ends before the deadline.
    pub fn fits(&self, wait: Duration) -> bool {
        self.deadline
            .is_none_or(|deadline| Instant::now() + wait < deadline)
    }

    /// Stops the run; the first stop wins, so its error is the one reported. Returns the
    /// reason the run had already stopped for, when this was not the first stop: checked and
    /// set under one lock, so two refusals answered at once cannot both count as the first.
    pub fn stop(&self, reason: StopReason, first_error: String) -> Option<StopReason> {
        let mut state = self.state();
        if let Some(stop) = &state.stop {
            return Some(stop.reason);
        }
        state.stop = Some(Stop {
            reason,
            first_error,
        });
        None
    }

    /// An answer arrived (of any status): the server is reachable.
    pub fn answered(&self) {
        self.state().connection_failures = 0;
    }

    /// A connection failed; true when this failure opens the breaker.
    pub fn connection_failed(&self) -> bool {
        let mut state = self.state();
        state.connection_failures = state.connection_failures.saturating_add(1);
        state.stop.is_none() && state.connection_failures >= CONNECTION_FAILURES_TO_OPEN
    }

    pub fn disprove_list(&self, project: &str) {
        self.state().disproved.insert(project.to_owned());
    }

    pub fn list_disproved(&self, project: &str) -> bool {
        self.state().disproved.contains(project)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_consecutive_failures_only() {
        let guard = RunGuard::new(None);
        for _ in 1..CONNECTION_FAILURES_TO_OPEN {
            assert!(!guard.connection_failed());
        }
        guard.answered();
        for _ in 1..CONNECTION_FAILURES_TO_OPEN {
            assert!(!guard.connection_failed());
        }
        assert!(guard.connection_failed());
    }

    #[test]
    fn the_first_stop_is_the_one_reported() {
        let guard = RunGuard::new(None);
        assert_eq!(guard.stopped(), None);
        assert_eq!(
            guard.stop(StopReason::Unauthorized, "401 first".into()),
            None
        );
        assert_eq!(
            guard.stop(StopReason::Unreachable, "later".into()),
            Some(StopReason::Unauthorized),
            "a later stop learns it was not the first"
        );
        let stop = guard.stopped().unwrap();
        assert_eq!(
            (stop.reason, stop.first_error.as_str()),
            (StopReason::Unauthorized, "401 first")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_counts_from_the_start_of_the_run() {
        let guard = RunGuard::new(Some(Duration::from_secs(60)));
        assert!(guard.fits(Duration::from_secs(59)));
        assert!(!guard.fits(Duration::from_secs(61)));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(!guard.fits(Duration::ZERO));
        assert!(RunGuard::new(None).fits(Duration::MAX));
    }

    #[test]
    fn a_disproved_list_is_remembered_per_project() {
        let guard = RunGuard::new(None);
        guard.disprove_list("shop");
        assert!(guard.list_disproved("shop"));
        assert!(!guard.list_disproved("web"));
    }
}
