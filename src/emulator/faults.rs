//! Injected trouble for tests and benchmarks: a fixed latency on every answer, a share of
//! requests answered 500/502/503, and a share answered 429 with `Retry-After: 1`, decided
//! before any work is done; plus faults aimed at named builds and projects, set while running
//! through `POST /_emulator/faults`, for tests that need the same failure every time.
//! Sleeping is the only I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// Deterministic faults, replaced whole by `POST /_emulator/faults` (an empty object clears them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TargetedFaults {
    /// Writes (POST, PUT, DELETE) naming one of these builds are answered 503.
    pub fail_writes_to: BTreeSet<String>,
    /// Detail reads of these builds are answered 503.
    pub fail_reads_of: BTreeSet<String>,
    /// Lists of these projects say `total` is this much more than the builds they hold, as
    /// when pages and `total` disagree because builds were written while paging.
    pub inflate_total: BTreeMap<String, usize>,
    /// The answer to the next successful write (POST, PUT, DELETE) naming one of these builds
    /// is lost: the write is made, then answered 504 with an empty body, as by a proxy whose
    /// upstream answered too late. Each name is used once, then removed.
    pub drop_answers_to: BTreeSet<String>,
}

impl TargetedFaults {
    pub fn is_empty(&self) -> bool {
        *self == TargetedFaults::default()
    }

    /// Whether a request touching `build` (a write when `write`, else a detail read) fails.
    pub fn fails(&self, build: Option<&str>, write: bool) -> bool {
        let names = if write {
            &self.fail_writes_to
        } else {
            &self.fail_reads_of
        };
        build.is_some_and(|name| names.contains(name))
    }

    /// Whether the answer to this successful write to `build` is lost; uses the name up.
    pub fn take_dropped_answer(&mut self, build: Option<&str>) -> bool {
        build.is_some_and(|name| self.drop_answers_to.remove(name))
    }

    pub fn extra_total(&self, project: &str) -> usize {
        self.inflate_total.get(project).copied().unwrap_or(0)
    }
}

/// The fault knobs of [`super::EmulatorConfig`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    pub latency: Duration,
    /// Share (0.0–1.0) of requests answered 500, 502 or 503.
    pub fail_rate: f64,
    /// Share (0.0–1.0) of requests answered 429.
    pub throttle_rate: f64,
}

/// What a request gets instead of its real answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    ServerError(StatusCode),
    Throttled,
}

const SERVER_ERRORS: [StatusCode; 3] = [
    StatusCode::INTERNAL_SERVER_ERROR,
    StatusCode::BAD_GATEWAY,
    StatusCode::SERVICE_UNAVAILABLE,
];

impl Faults {
    /// Waits the configured latency, then decides whether this request fails.
    pub async fn before_request(&self) -> Option<Injected> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        self.decide(
            rand::random::<f64>(),
            rand::random_range(0..SERVER_ERRORS.len()),
        )
    }

    /// The fail share comes first on the unit interval, the throttle share right after it.
    fn decide(&self, roll: f64, which_error: usize) -> Option<Injected> {
        if roll < self.fail_rate {
            return SERVER_ERRORS
                .get(which_error)
                .copied()
                .map(Injected::ServerError);
        }
        if roll < self.fail_rate + self.throttle_rate {
            return Some(Injected::Throttled);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_answer_is_used_once_per_build() {
        let mut faults = TargetedFaults {
            drop_answers_to: ["a".to_owned()].into(),
            ..TargetedFaults::default()
        };
        assert!(!faults.take_dropped_answer(Some("b")));
        assert!(!faults.take_dropped_answer(None));
        assert!(faults.take_dropped_answer(Some("a")));
        assert!(!faults.take_dropped_answer(Some("a")));
        assert!(faults.is_empty());
    }

    fn faults(fail_rate: f64, throttle_rate: f64) -> Faults {
        Faults {
            latency: Duration::ZERO,
            fail_rate,
            throttle_rate,
        }
    }

    #[test]
    fn rolls_fall_into_the_fail_share_then_the_throttle_share() {
        let knobs = faults(0.2, 0.3);
        assert_eq!(
            knobs.decide(0.1, 1),
            Some(Injected::ServerError(StatusCode::BAD_GATEWAY))
        );
        assert_eq!(knobs.decide(0.4, 0), Some(Injected::Throttled));
        assert_eq!(knobs.decide(0.6, 0), None);
        assert_eq!(faults(0.0, 0.0).decide(0.0, 0), None);
    }
}
