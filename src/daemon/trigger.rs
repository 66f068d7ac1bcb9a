//! Why a pass runs: a change of the files, a change of the token file, the `--interval`
//! resync, a retry that is due. They are merged into one stream of [`Trigger`]s, and
//! everything that arrived while a pass was running is collapsed into exactly one follow-up.
//! Only content changes arrive here (the watcher drops reads), and a folder that is written
//! to without pause still gets a pass once the maximum wait is over. Only tokio timers: tests
//! run them on a paused clock.

use std::fmt;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{Instant, sleep_until, timeout_at};

/// What the watcher saw change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Something in the build directory.
    Files,
    /// The API token's file (rotated).
    Token,
    /// With `--git`: a fetch brought news (a new commit, a refused one, a failure or its end).
    Git,
}

/// What asked for a pass; several causes can be merged into one trigger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Trigger {
    /// The first pass after start.
    pub start: bool,
    /// Something changed in the watched directory.
    pub changed: bool,
    /// The token file changed: read it again before talking to Zadig.
    pub token: bool,
    /// `--interval` elapsed since the last pass that read Zadig.
    pub resync: bool,
    /// A retry is due (a failed pass, or a build whose backoff ended).
    pub retry: bool,
    /// With `--git`: a fetch brought news.
    pub git: bool,
}

impl Trigger {
    /// Whether the pass must read Zadig even if the files did not change.
    pub fn must_read_zadig(&self) -> bool {
        self.start || self.resync || self.retry || self.token
    }
}

/// `start+changed`, as a pass's span names its trigger.
impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let causes = [
            (self.start, "start"),
            (self.changed, "changed"),
            (self.token, "token"),
            (self.resync, "resync"),
            (self.retry, "retry"),
            (self.git, "git"),
        ];
        let named: Vec<&str> = causes
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        f.write_str(&named.join("+"))
    }
}

/// How a pass ended, as far as scheduling the next one is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassEnd {
    /// The pass read Zadig, so the resync clock starts again.
    pub read_zadig: bool,
    /// Run a pass at this time (a failure to retry, a build whose backoff ends), unless
    /// something else triggers one first.
    pub retry_at: Option<Instant>,
}

/// How a pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassResult {
    /// Every build converged (or is held on purpose: drift reported, backing off).
    Success,
    /// Some build failed or was refused.
    Partial,
    /// Zadig could not be read (or a project's list could not): retried with backoff.
    Failed,
    /// The files have errors: nothing written.
    Invalid,
    /// The files changed, but not the builds they describe: nothing to do.
    Unchanged,
    /// Shutdown came first: no write was started.
    Stopped,
}

impl PassResult {
    /// How the pass ended, in one word (the status API's `result`).
    pub fn word(self) -> &'static str {
        match self {
            PassResult::Success => "success",
            PassResult::Partial => "partial",
            PassResult::Failed => "failed",
            PassResult::Invalid => "invalid",
            PassResult::Unchanged => "unchanged",
            PassResult::Stopped => "stopped",
        }
    }

    /// The `result` label of `zadig_sync_passes_total`, for the passes it counts.
    pub fn label(self) -> Option<&'static str> {
        match self {
            PassResult::Unchanged | PassResult::Stopped => None,
            counted => Some(counted.word()),
        }
    }
}

/// A folder that is never quiet for `--debounce` still gets a pass after this many quiet
/// periods.
pub const MAX_WAIT_IN_DEBOUNCES: u32 = 20;

/// The merged trigger stream. Changes arrive on a channel (the watcher's debouncer already
/// coalesced them); here they are debounced again on tokio's clock.
#[derive(Debug)]
pub struct Triggers {
    changes: UnboundedReceiver<Change>,
    interval: Duration,
    debounce: Duration,
    next_resync: Instant,
    retry_at: Option<Instant>,
    started: bool,
}

impl Triggers {
    pub fn new(changes: UnboundedReceiver<Change>, interval: Duration, debounce: Duration) -> Self {
        Triggers {
            changes,
            interval,
            debounce,
            next_resync: Instant::now() + interval,
            retry_at: None,
            started: false,
        }
    }

    /// Waits for the next trigger: the start, a change (once the directory has been quiet for
    /// `debounce`, or the maximum wait is over), the resync or a retry; whatever else is due
    /// by then is merged into it.
    pub async fn next(&mut self) -> Trigger {
        let mut trigger = Trigger::default();
        if !self.started {
            self.started = true;
            trigger.start = true;
            self.drain(&mut trigger);
            return trigger;
        }
        let deadline = self.deadline();
        tokio::select! {
            biased;
            Some(change) = self.changes.recv() => {
                trigger.note(change);
                self.settle(&mut trigger).await;
            }
            () = sleep_until(deadline) => {}
        }
        self.drain(&mut trigger);
        trigger
    }

    /// The resync, or the retry when it comes first.
    fn deadline(&self) -> Instant {
        self.retry_at
            .map_or(self.next_resync, |retry| retry.min(self.next_resync))
    }

    /// Schedules what follows a pass. A pass that did not read Zadig (the files were invalid,
    /// or did not change what they describe) leaves a pending retry as it was, and moves the
    /// resync only if it was due (else an invalid tree would be re-read without pause).
    pub fn after(&mut self, end: PassEnd) {
        let now = Instant::now();
        if end.read_zadig || now >= self.next_resync {
            self.next_resync = now + self.interval;
        }
        if end.read_zadig {
            self.retry_at = end.retry_at;
        }
    }

    /// Waits until no change came for `debounce` (or the watcher is gone), but no longer than
    /// [`MAX_WAIT_IN_DEBOUNCES`] quiet periods, nor past a due resync or retry.
    async fn settle(&mut self, trigger: &mut Trigger) {
        let limit = (Instant::now() + self.debounce * MAX_WAIT_IN_DEBOUNCES).min(self.deadline());
        loop {
            let quiet_until = (Instant::now() + self.debounce).min(limit);
            match timeout_at(quiet_until, self.changes.recv()).await {
                Ok(Some(change)) if Instant::now() < limit => trigger.note(change),
                Ok(Some(change)) => {
                    trigger.note(change);
                    return;
                }
                Ok(None) | Err(_) => return,
            }
        }
    }

    /// Merges into `trigger` every change already queued and every timer already due.
    fn drain(&mut self, trigger: &mut Trigger) {
        while let Ok(change) = self.changes.try_recv() {
            trigger.note(change);
        }
        let now = Instant::now();
        if now >= self.next_resync {
            trigger.resync = true;
        }
        if self.retry_at.is_some_and(|retry| now >= retry) {
            trigger.retry = true;
            self.retry_at = None;
        }
    }
}

impl Trigger {
    fn note(&mut self, change: Change) {
        match change {
            Change::Files => self.changed = true,
            Change::Token => self.token = true,
            Change::Git => self.git = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
    use tokio::time::{sleep, timeout};

    use super::*;
    use crate::apply::StopSignal;
    use crate::daemon::{Runner, run_loop};

    const MS: fn(u64) -> Duration = Duration::from_millis;
    const S: fn(u64) -> Duration = Duration::from_secs;

    fn triggers(interval: Duration) -> (UnboundedSender<Change>, Triggers) {
        let (tx, rx) = unbounded_channel();
        (tx, Triggers::new(rx, interval, MS(500)))
    }

    fn send_at(tx: &UnboundedSender<Change>, delays_ms: &[u64]) {
        for &delay in delays_ms {
            let tx = tx.clone();
            tokio::spawn(async move {
                sleep(MS(delay)).await;
                let _ = tx.send(Change::Files);
            });
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_trigger_is_the_start() {
        let (_tx, mut triggers) = triggers(S(60));
        let first = triggers.next().await;
        assert!(first.start && first.must_read_zadig());
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_events_gives_one_trigger_after_the_quiet_period() {
        let (tx, mut triggers) = triggers(S(60));
        triggers.next().await;
        let began = Instant::now();
        send_at(&tx, &[0, 100, 200, 300, 400, 700]);
        let trigger = triggers.next().await;
        assert_eq!(
            trigger,
            Trigger {
                changed: true,
                ..Trigger::default()
            }
        );
        assert!(!trigger.must_read_zadig());
        // The last event came at 700 ms; the quiet period is 500 ms.
        assert!(began.elapsed() >= MS(1200), "{:?}", began.elapsed());
        let nothing_more = timeout(S(30), triggers.next()).await;
        assert!(nothing_more.is_err(), "a second trigger: {nothing_more:?}");
    }

    // A folder written to every 200 ms (never quiet for the 500 ms debounce) used to stall
    // every pass for ever while both probes answered 200.
    #[tokio::test(start_paused = true)]
    async fn a_folder_that_is_never_quiet_still_gets_a_pass_after_the_maximum_wait() {
        let (tx, mut triggers) = triggers(S(600));
        triggers.next().await;
        let began = Instant::now();
        let every_200ms: Vec<u64> = (0..1_000).map(|i| i * 200).collect();
        send_at(&tx, &every_200ms);
        let trigger = triggers.next().await;
        assert!(trigger.changed);
        let waited = began.elapsed();
        assert!(waited >= MS(500) * MAX_WAIT_IN_DEBOUNCES, "{waited:?}");
        assert!(
            waited <= MS(500) * (MAX_WAIT_IN_DEBOUNCES + 1),
            "{waited:?}"
        );
        // And again: the stream goes on, so does the daemon.
        let began = Instant::now();
        assert!(triggers.next().await.changed);
        assert!(began.elapsed() <= MS(500) * (MAX_WAIT_IN_DEBOUNCES + 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_change_is_its_own_cause_and_reads_zadig() {
        let (tx, mut triggers) = triggers(S(600));
        triggers.next().await;
        tx.send(Change::Token).unwrap();
        let trigger = triggers.next().await;
        assert!(trigger.token && !trigger.changed && trigger.must_read_zadig());
        assert_eq!(trigger.to_string(), "token");
    }

    #[tokio::test(start_paused = true)]
    async fn the_resync_comes_every_interval_after_the_last_pass_that_read_zadig() {
        let (_tx, mut triggers) = triggers(S(60));
        triggers.next().await;
        triggers.after(PassEnd {
            read_zadig: true,
            retry_at: None,
        });
        let began = Instant::now();
        let trigger = triggers.next().await;
        assert!(trigger.resync && !trigger.changed);
        assert_eq!(began.elapsed(), S(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_resync_that_could_not_read_zadig_waits_a_full_interval_again() {
        let (_tx, mut triggers) = triggers(S(60));
        triggers.next().await;
        triggers.after(PassEnd::default());
        assert!(triggers.next().await.resync);
        // The files were invalid: no API call, and the next resync is an interval away.
        triggers.after(PassEnd::default());
        let began = Instant::now();
        assert!(triggers.next().await.resync);
        assert_eq!(began.elapsed(), S(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pending_retry_survives_a_pass_that_did_not_read_zadig() {
        let (tx, mut triggers) = triggers(S(600));
        triggers.next().await;
        triggers.after(PassEnd {
            read_zadig: true,
            retry_at: Some(Instant::now() + S(5)),
        });
        send_at(&tx, &[1_000]);
        assert!(triggers.next().await.changed);
        triggers.after(PassEnd::default());
        assert!(triggers.next().await.retry);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_comes_after_its_wait_before_the_resync() {
        let (_tx, mut triggers) = triggers(S(60));
        triggers.next().await;
        triggers.after(PassEnd {
            read_zadig: true,
            retry_at: Some(Instant::now() + S(4)),
        });
        let began = Instant::now();
        let trigger = triggers.next().await;
        assert_eq!(
            trigger,
            Trigger {
                retry: true,
                ..Trigger::default()
            }
        );
        assert_eq!(began.elapsed(), S(4));
    }

    /// Counts passes; the first one takes `first_pass` of (paused) time.
    struct Counting {
        count: Arc<AtomicUsize>,
        first_pass: Duration,
    }

    impl Runner for Counting {
        async fn pass(&mut self, _trigger: Trigger) -> PassEnd {
            if self.count.fetch_add(1, Ordering::SeqCst) == 0 {
                sleep(self.first_pass).await;
            }
            PassEnd {
                read_zadig: true,
                retry_at: None,
            }
        }
    }

    fn counting_pass(count: &Arc<AtomicUsize>, first_pass: Duration) -> Counting {
        Counting {
            count: count.clone(),
            first_pass,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn triggers_during_a_pass_give_exactly_one_follow_up() {
        let (tx, triggers) = triggers(S(600));
        // Three events and a due resync, all while the first (10 s) pass runs.
        send_at(&tx, &[1_000, 2_000, 9_000]);
        let count = Arc::new(AtomicUsize::new(0));
        let mut pass = counting_pass(&count, S(10));
        run_loop(
            triggers,
            &mut pass,
            sleep(S(300)),
            S(1),
            &StopSignal::default(),
        )
        .await;
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_for_the_running_pass_and_starts_no_other() {
        let (tx, triggers) = triggers(S(600));
        send_at(&tx, &[1_000]);
        let count = Arc::new(AtomicUsize::new(0));
        let mut pass = counting_pass(&count, S(10));
        let began = Instant::now();
        let stop = StopSignal::default();
        run_loop(triggers, &mut pass, sleep(S(2)), S(30), &stop).await;
        assert!(stop.is_set());
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert_eq!(
            began.elapsed(),
            S(10),
            "the running pass was allowed to finish"
        );
    }
}
