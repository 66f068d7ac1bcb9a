//! Capped exponential backoff with "equal jitter": the one rule for every wait before trying
//! again, whether the client retrying a request (`remote::retry`), the daemon retrying a pass
//! that could not read Zadig, or a build whose writes keep failing. Pure arithmetic; the only
//! randomness is the jitter, passed in or drawn by [`Backoff::wait`].

use std::time::Duration;

/// How waits grow: `base · 2^(attempt − 1)`, never above `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// The daemon's pass retries: 1 s, 2 s, 4 s, … up to one minute.
    pub const PASS: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    /// A build whose write fails: 5 s, 10 s, … up to fifteen minutes.
    pub const BUILD: Backoff = Backoff::new(Duration::from_secs(5), Duration::from_secs(15 * 60));

    pub const fn new(base: Duration, cap: Duration) -> Self {
        Backoff { base, cap }
    }

    /// The longest wait after `attempt` failures in a row (1 for the first): `base ·
    /// 2^(attempt − 1)`, at most `cap` (and never below `base`).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.base
            .saturating_mul(1u32 << doublings)
            .min(self.cap.max(self.base))
    }

    /// The wait after `attempt` failures, with `random` (0.0–1.0) spreading it between half
    /// the ceiling and all of it, so that many clients that failed together spread out, yet
    /// nobody retries at once.
    pub fn wait_with(&self, attempt: u32, random: f64) -> Duration {
        let half = self.ceiling(attempt) / 2;
        half + half.mul_f64(random.clamp(0.0, 1.0))
    }

    /// [`Self::wait_with`] a random draw.
    pub fn wait(&self, attempt: u32) -> Duration {
        self.wait_with(attempt, rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn grows_doubling_and_is_capped() {
        let backoff = Backoff::new(S(1), S(10));
        let ceilings: Vec<u64> = (1..=7).map(|a| backoff.ceiling(a).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 10, 10, 10]);
        for attempt in 1..=7 {
            let wait = backoff.wait(attempt);
            let ceiling = backoff.ceiling(attempt);
            assert!(
                wait >= ceiling / 2 && wait <= ceiling,
                "{wait:?} vs {ceiling:?}"
            );
        }
    }

    #[test]
    fn many_failures_never_overflow() {
        assert_eq!(Backoff::BUILD.ceiling(200), S(900));
        assert_eq!(Backoff::PASS.ceiling(u32::MAX), S(60));
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_ceiling() {
        let backoff = Backoff::new(S(8), S(8));
        assert_eq!(backoff.wait_with(1, 0.0), S(4));
        assert_eq!(backoff.wait_with(1, 1.0), S(8));
        assert_eq!(backoff.wait_with(1, 7.0), S(8));
    }
}
