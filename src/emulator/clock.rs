//! The emulator's clock: the system time plus an offset that only grows. Zadig stamps
//! `update_time` in whole seconds, so two writes within a second carry the same time; tests
//! move this clock forward (`POST /_emulator/clock`) instead of sleeping a second. Reading
//! the system clock is its only I/O.

use std::sync::atomic::{AtomicI64, Ordering};

use serde::Deserialize;

/// Seconds since the Unix epoch, `advance_seconds` ahead of the system clock.
#[derive(Debug, Default)]
pub struct Clock {
    offset_seconds: AtomicI64,
}

/// The body of `POST /_emulator/clock`: how far to move the clock forward (never back, so
/// that `update_time` never decreases).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    pub advance_seconds: u32,
}

impl Clock {
    /// What Zadig would stamp as `update_time` now.
    pub fn now_seconds(&self) -> i64 {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(since_epoch.as_secs())
            .unwrap_or(i64::MAX)
            .saturating_add(self.offset_seconds.load(Ordering::SeqCst))
    }

    /// Moves the clock forward; returns the new time.
    pub fn advance(&self, by: Advance) -> i64 {
        self.offset_seconds
            .fetch_add(i64::from(by.advance_seconds), Ordering::SeqCst);
        self.now_seconds()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_the_time_forward_by_at_least_that_much() {
        let clock = Clock::default();
        let before = clock.now_seconds();
        let after = clock.advance(Advance {
            advance_seconds: 3600,
        });
        assert!(after >= before + 3600, "{before} → {after}");
        assert!(clock.now_seconds() >= after);
    }
}
