//! Capped exponential backoff with jitter: how long the daemon waits before retrying a pass
//! that could not reach Zadig, and before writing again a build whose write keeps failing.
//! Pure arithmetic apart from the random jitter; no I/O, no clock.

use std::time::Duration;

/// The failures so far and the wait they lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    /// The daemon's pass retries: 1 s, 2 s, 4 s, … up to one minute.
    pub const PASS_BASE: Duration = Duration::from_secs(1);
    pub const PASS_CAP: Duration = Duration::from_secs(60);
    /// A build whose write fails: 5 s, 10 s, … up to fifteen minutes.
    pub const BUILD_BASE: Duration = Duration::from_secs(5);
    pub const BUILD_CAP: Duration = Duration::from_secs(15 * 60);

    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff {
            base,
            cap: cap.max(base),
            failures: 0,
        }
    }

    /// Failures in a row since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failure and returns the wait before the next attempt: "equal jitter" over
    /// the ceiling, so that it is never below half of it and never above it.
    pub fn fail(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        jittered(self.ceiling(), rand::random::<f64>())
    }

    /// A success: the next failure starts again from `base`.
    pub fn succeed(&mut self) {
        self.failures = 0;
    }

    /// `base · 2^(failures − 1)`, at most `cap`.
    pub fn ceiling(&self) -> Duration {
        let doublings = self.failures.saturating_sub(1).min(31);
        self.base
            .checked_mul(1u32 << doublings)
            .map_or(self.cap, |wait| wait.min(self.cap))
    }
}

/// Half of `ceiling`, plus `random` (0.0–1.0) times the other half.
fn jittered(ceiling: Duration, random: f64) -> Duration {
    let half = ceiling / 2;
    half + half.mul_f64(random.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn grows_doubling_and_is_capped() {
        let mut backoff = Backoff::new(S(1), S(10));
        let mut ceilings = Vec::new();
        for _ in 0..7 {
            let wait = backoff.fail();
            let ceiling = backoff.ceiling();
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{wait:?} vs {ceiling:?}"
            );
            ceilings.push(ceiling.as_secs());
        }
        assert_eq!(ceilings, [1, 2, 4, 8, 10, 10, 10]);
        assert_eq!(backoff.failures(), 7);
    }

    #[test]
    fn resets_after_a_success() {
        let mut backoff = Backoff::new(S(1), S(60));
        for _ in 0..5 {
            backoff.fail();
        }
        assert_eq!(backoff.ceiling(), S(16));
        backoff.succeed();
        assert_eq!(backoff.failures(), 0);
        backoff.fail();
        assert_eq!(backoff.ceiling(), S(1));
    }

    #[test]
    fn many_failures_never_overflow() {
        let mut backoff = Backoff::new(S(5), S(900));
        for _ in 0..200 {
            backoff.fail();
        }
        assert_eq!(backoff.ceiling(), S(900));
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_ceiling() {
        assert_eq!(jittered(S(8), 0.0), S(4));
        assert_eq!(jittered(S(8), 1.0), S(8));
        assert_eq!(jittered(S(8), 7.0), S(8));
    }
}
