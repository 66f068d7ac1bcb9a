//! What the daemon shows of itself beyond probes and metrics: each build's state, the last
//! pass, the events timeline, and the notifications sent for them. The loop tells the
//! [`Board`] when a pass starts and ends and every event it tells (`pass.rs`); the endpoints'
//! thread reads what was last published (`api.rs`, the page in `page.rs`), behind one lock
//! held only to copy. The documents are in `doc.rs` (docs/status.md). No I/O here.

pub mod api;
pub mod doc;
pub mod page;
pub mod snapshot;
pub mod timeline;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::daemon::events::Event;
use crate::daemon::notify::Notifier;
use crate::daemon::state::{Now, States};
use crate::daemon::trigger::PassResult;
use crate::daemon::trigger::{PassEnd, Trigger};
use doc::{
    BuildView, Counts, EventsDoc, KeptView, LastPass, Revision, STATUS_FORMAT, StatusDoc, Time,
};
use timeline::Timeline;

/// What the status API and the page read, published by the loop.
#[derive(Debug)]
pub struct Board {
    shown: Mutex<Shown>,
    /// Requests sent to Zadig since the start (the metrics' counter), to count a pass's.
    requests: Arc<AtomicU64>,
    /// `--interval`: the next resync is due this long after a pass that read Zadig.
    interval: Duration,
    /// Where events are sent, when sinks are configured.
    notifier: Option<Notifier>,
}

/// The published state.
#[derive(Debug, Default)]
struct Shown {
    revision: Revision,
    running: Option<Running>,
    last_pass: Option<LastPass>,
    next_pass_due: Option<SystemTime>,
    builds: Arc<Vec<BuildView>>,
    kept: Arc<Vec<KeptView>>,
    timeline: Timeline,
}

/// The pass running now.
#[derive(Debug, Clone)]
struct Running {
    started: SystemTime,
    trigger: String,
    requests_before: u64,
}

/// Which builds a status query selects: every one when a list is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub projects: Vec<String>,
    pub states: Vec<String>,
    /// List the builds no file describes too.
    pub kept: bool,
}

impl Selection {
    fn project(&self, project: &str) -> bool {
        self.projects.is_empty() || self.projects.iter().any(|p| p == project)
    }

    fn state(&self, state: &str) -> bool {
        self.states.is_empty() || self.states.iter().any(|s| s == state)
    }
}

impl Board {
    pub fn new(requests: Arc<AtomicU64>, interval: Duration, notifier: Option<Notifier>) -> Self {
        Board {
            shown: Mutex::default(),
            requests,
            interval,
            notifier,
        }
    }

    /// The same board, telling every event to `notifier` too.
    pub fn with_notifier(self, notifier: Option<Notifier>) -> Self {
        Board { notifier, ..self }
    }

    fn shown(&self) -> MutexGuard<'_, Shown> {
        self.shown.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The desired state just loaded.
    pub fn desired(&self, commit: Option<&str>, tree: &str) {
        self.shown().revision = Revision {
            commit: commit.map(str::to_string),
            tree: Some(tree.to_string()),
        };
    }

    pub fn pass_started(&self, trigger: Trigger) {
        self.shown().running = Some(Running {
            started: SystemTime::now(),
            trigger: trigger.to_string(),
            requests_before: self.requests.load(Ordering::Relaxed),
        });
    }

    /// The pass ended: its summary, when the next one is due, and every build's state.
    pub fn pass_ended(&self, result: PassResult, end: &PassEnd, states: &States) {
        let now = Now {
            at: Instant::now(),
            wall: SystemTime::now(),
        };
        let builds = Arc::new(snapshot::builds(states, now));
        let kept = Arc::new(snapshot::kept(states));
        let requests = self.requests.load(Ordering::Relaxed);
        let mut shown = self.shown();
        if let Some(running) = shown.running.take() {
            shown.last_pass = Some(LastPass {
                started: Time(running.started),
                ended: Time(now.wall),
                trigger: running.trigger,
                result: result.word().to_string(),
                requests: requests.saturating_sub(running.requests_before),
            });
        }
        let resync = end.read_zadig.then(|| now.at + self.interval);
        let due = match (resync, end.retry_at) {
            (Some(resync), Some(retry)) => Some(resync.min(retry)),
            (resync, retry) => resync.or(retry),
        };
        if let Some(due) = due {
            shown.next_pass_due = Some(now.wall + due.saturating_duration_since(now.at));
        }
        shown.builds = builds;
        shown.kept = kept;
    }

    /// An event was told: it joins the timeline and goes to the sinks that want it.
    pub fn told(&self, event: &Event) {
        let view = {
            let mut shown = self.shown();
            let revision = shown.revision.shown().map(str::to_string);
            shown
                .timeline
                .record(event, SystemTime::now(), revision.as_deref())
        };
        if let Some(notifier) = &self.notifier {
            notifier.offer(view);
        }
    }

    /// The status document for `selection`; `readiness` is `/readyz`'s answer.
    pub fn status(&self, selection: &Selection, readiness: Result<(), String>) -> StatusDoc {
        let shown = self.shown();
        let (builds, kept) = (shown.builds.clone(), shown.kept.clone());
        let mut doc = StatusDoc {
            format: STATUS_FORMAT,
            generated_at: Time(SystemTime::now()),
            revision: shown.revision.clone(),
            ready: readiness.is_ok(),
            not_ready_because: readiness.err(),
            running_since: shown.running.as_ref().map(|r| Time(r.started)),
            last_pass: shown.last_pass.clone(),
            next_pass_due: shown.next_pass_due.map(Time),
            counts: Counts::default(),
            builds: Vec::new(),
            kept: None,
        };
        drop(shown);
        for build in builds.iter() {
            if selection.project(&build.project) && selection.state(&build.state) {
                doc.counts.add(&build.state);
                doc.builds.push(build.clone());
            }
        }
        let kept: Vec<KeptView> = (kept.iter())
            .filter(|k| selection.project(&k.project))
            .cloned()
            .collect();
        doc.counts.kept = kept.len() as u64;
        doc.kept = selection.kept.then_some(kept);
        doc
    }

    /// The events after `since`.
    pub fn events(&self, since: Option<u64>) -> EventsDoc {
        self.shown().timeline.after(since)
    }
}
