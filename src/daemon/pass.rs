//! One pass: exactly `apply`'s pipeline and safety rules (load, plan, execute, through
//! `commands::settings::plan_on` and `apply::execute`), plus what a service adds: details
//! taken from memory when settled, drift found and corrected or only reported, builds whose
//! writes keep failing backed off alone, logs per change, and the metrics. Does I/O.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use crate::apply::outcome::{ApplyReport, OutcomeStatus};
use crate::apply::{Job, PlanSource, execute};
use crate::cli::ScopeArgs;
use crate::cli::ServerArgs;
use crate::commands::settings::{
    Connection, LivePlan, Loaded as Files, Scoped, Settings, plan_on, scope_desired,
};
use crate::daemon::backoff::Backoff;
use crate::daemon::http::Status;
use crate::daemon::identity::{git_commit, tree_hash};
use crate::daemon::memory::{BuildKey, Memory};
use crate::daemon::states::{
    KeyRef, PassStates, StateCounts, classify, count_changes, fields, key_of, log_outcomes,
};
use crate::daemon::trigger::{PassEnd, Trigger};
use crate::daemon::watch::DirWatch;
use crate::daemon::{DaemonSettings, DriftMode, Stopping};
use crate::load::diagnostic::Severity;
use crate::load::{ReferenceMode, load_dir};
use crate::reconcile::live::{LiveDetail, LiveProject};
use crate::reconcile::marker::fingerprint;
use crate::reconcile::normalize::from_live;
use crate::reconcile::plan::{Action, Plan};
use crate::reconcile::redact::Secrets;
use crate::remote::progress::no_progress;

/// Everything that lives from one pass to the next.
pub struct Passes {
    pub settings: DaemonSettings,
    /// The server and scope flags; with the scope file of each pass they give its settings.
    pub server: ServerArgs,
    pub scope: ScopeArgs,
    pub connection: Connection,
    pub status: Arc<Status>,
    pub watch: Option<DirWatch>,
    pub stopping: Stopping,
    memory: Memory,
    /// The desired state last planned against Zadig, to skip events that changed nothing.
    last_tree: Option<String>,
    last_full_read: Option<Instant>,
    backoff: Backoff,
}

/// The desired state as loaded for one pass.
struct Loaded {
    scoped: Scoped,
    /// Prune, max deletes and projects, from the flags and this pass's scope file.
    run: Settings,
    /// What must never be shown: `${env:…}` values and the token.
    secrets: Secrets,
    fingerprints: HashMap<BuildKey, String>,
    tree: String,
}

impl Passes {
    pub fn new(
        settings: DaemonSettings,
        (server, scope): (ServerArgs, ScopeArgs),
        connection: Connection,
        status: Arc<Status>,
    ) -> Self {
        Passes {
            settings,
            server,
            scope,
            connection,
            status,
            watch: None,
            stopping: Stopping::default(),
            memory: Memory::default(),
            last_tree: None,
            last_full_read: None,
            backoff: Backoff::new(Backoff::PASS_BASE, Backoff::PASS_CAP),
        }
    }

    /// Runs one pass for `trigger`.
    pub async fn pass(&mut self, trigger: Trigger) -> PassEnd {
        if let Some(watch) = &mut self.watch {
            watch.refresh();
        }
        let Some(loaded) = self.load() else {
            self.status
                .metrics
                .passes
                .get_or_create(&result("invalid"))
                .inc();
            return PassEnd::default();
        };
        if !trigger.must_read_zadig() && self.last_tree.as_deref() == Some(loaded.tree.as_str()) {
            debug!("the files changed, but the builds they describe did not");
            return PassEnd::default();
        }
        let started = Instant::now();
        let outcome = self.read_plan_execute(loaded).await;
        let metrics = &self.status.metrics;
        metrics
            .pass_duration
            .observe(started.elapsed().as_secs_f64());
        metrics.passes.get_or_create(&result(outcome)).inc();
        let retry_in = match outcome {
            "failed" => {
                let wait = self.backoff.fail();
                warn!(
                    failures = self.backoff.failures(),
                    retry_in_ms = wait.as_millis() as u64,
                    "the pass failed; retrying with backoff"
                );
                Some(wait)
            }
            _ => {
                self.backoff.succeed();
                self.status.set_ready();
                self.memory
                    .next_build_retry()
                    .map(|at| at.saturating_duration_since(Instant::now()))
            }
        };
        if outcome == "success" {
            metrics.last_success.set(unix_now());
        }
        PassEnd {
            read_zadig: true,
            retry_in,
        }
    }

    /// Loads the files; `None` (after logging every diagnostic) when they have errors.
    fn load(&mut self) -> Option<Loaded> {
        let env = |name: &str| std::env::var(name).ok();
        let outcome = load_dir(&self.settings.dir, ReferenceMode::Online, &env);
        for diagnostic in &outcome.diagnostics {
            match diagnostic.severity {
                Severity::Error => error!(%diagnostic, "invalid build file"),
                _ => warn!(%diagnostic, "build file warning"),
            }
        }
        if outcome.has_errors() {
            error!(dir = %self.settings.dir.display(),
                "the files have errors: nothing is written or deleted until they are fixed");
            return None;
        }
        let run = Settings::resolve(&self.server, &self.scope, outcome.scope.as_ref());
        let files = Files {
            desired: outcome.desired,
            scope: outcome.scope,
            warnings: Vec::new(),
        };
        let scoped = match scope_desired(files, &run) {
            Ok(scoped) => scoped,
            Err(problem) => {
                error!(%problem, "nothing is written or deleted until this is fixed");
                return None;
            }
        };
        let secrets = self.connection.secrets(&scoped.desired);
        let sorted: BTreeMap<BuildKey, String> = scoped
            .desired
            .builds
            .iter()
            .map(|b| {
                (
                    key(b.spec.project_key(), b.spec.name()),
                    fingerprint(&b.spec),
                )
            })
            .collect();
        let tree = tree_hash(&sorted, &scoped.projects);
        let commit = git_commit(&self.settings.dir);
        self.status
            .metrics
            .set_desired_state(commit.as_deref(), &tree);
        Some(Loaded {
            scoped,
            run,
            secrets,
            fingerprints: sorted.into_iter().collect(),
            tree,
        })
    }

    /// Reads Zadig (taking settled details from memory), plans, executes; returns the result
    /// label: `success`, `partial` or `failed`.
    async fn read_plan_execute(&mut self, loaded: Loaded) -> &'static str {
        let full = self
            .last_full_read
            .is_none_or(|at| at.elapsed() >= self.settings.full_resync);
        let recall = self.memory.recall(&loaded.fingerprints, full);
        // A new run per pass: a breaker tripped by an earlier pass (Zadig down) is closed again.
        let client = self.connection.client.new_run();
        let read = plan_on(
            &client,
            &loaded.scoped,
            &loaded.secrets,
            &loaded.run,
            &no_progress(),
            recall.clone(),
        )
        .await;
        self.status.metrics.details_reused.inc_by(recall.used());
        drop(recall);
        let LivePlan {
            plan,
            live,
            listed_at,
        } = match read {
            Ok(read) => read,
            Err(problem) => {
                warn!(%problem, "cannot read Zadig");
                return "failed";
            }
        };
        for problem in &plan.errors {
            warn!(%problem, "cannot read Zadig");
        }
        let drifted = self.find_drift(&plan, &live);
        let runnable = self.runnable(&plan, &drifted);
        if self.stopping.is_set() {
            info!("shutting down: this pass writes nothing");
            return "failed";
        }
        let desired = &loaded.scoped.desired;
        let job = Job {
            plan: &runnable,
            source: PlanSource::Fresh,
            desired,
            secrets: &loaded.secrets,
        };
        let report = execute(&client, job).await;
        log_outcomes(&plan, &report);
        count_changes(&self.status, &report);
        let written = self.record_writes(&report);
        self.memory
            .remember(live, &listed_at, &loaded.fingerprints, &written);
        let counts = self.count_states(&plan, &report, &drifted, &runnable);
        if !plan.errors.is_empty() {
            return "failed";
        }
        if full {
            self.last_full_read = Some(Instant::now());
        }
        self.last_tree = Some(loaded.tree);
        if counts.failed + counts.refused > 0 {
            "partial"
        } else {
            "success"
        }
    }

    /// Updates of builds that are ours and whose file did not change: someone edited them in
    /// Zadig. Custom builds carry the fingerprint they were written with in their marker;
    /// template builds have none, so memory says what they were last in sync with.
    fn find_drift(&self, plan: &Plan, live: &[LiveProject]) -> HashSet<BuildKey> {
        let details = details_by_key(live);
        let mut drifted = HashSet::new();
        for step in plan.steps.iter().filter(|s| s.action == Action::Update) {
            let key = key(&step.project, &step.name);
            let Some(wanted) = step.desired_fingerprint.as_deref() else {
                continue;
            };
            let is_drift = match details.get(&key_of(step)) {
                Some(detail @ LiveDetail::Custom(_)) => {
                    from_live(detail).ownership.fingerprint() == Some(wanted)
                }
                Some(LiveDetail::Template { .. }) => self.memory.in_sync_with(&key) == Some(wanted),
                None => false,
            };
            if is_drift {
                self.status.metrics.drift.inc();
                let action = match self.settings.drift {
                    DriftMode::Correct => "writing the file's version back",
                    DriftMode::Report => "reported only (--drift report)",
                };
                warn!(project = %step.project, build = %step.name, fields = %fields(step),
                    "drift: changed in Zadig, not in the files; {action}");
                drifted.insert(key);
            }
        }
        drifted
    }

    /// The plan to execute: only the steps `execute` acts on (writes, errors, refusals),
    /// without drift in report mode, and without writes to builds that are backing off.
    fn runnable(&self, plan: &Plan, drifted: &HashSet<BuildKey>) -> Plan {
        let now = Instant::now();
        let steps = plan.steps.iter().filter(|step| {
            if matches!(step.action, Action::Unchanged | Action::Kept) {
                return false;
            }
            let key = key(&step.project, &step.name);
            if self.settings.drift == DriftMode::Report && drifted.contains(&key) {
                return false;
            }
            if step.action.is_write() && !self.memory.may_write(&key, now) {
                debug!(project = %step.project, build = %step.name,
                    "backing off: not written in this pass");
                return false;
            }
            true
        });
        Plan {
            format_version: plan.format_version,
            projects: plan.projects.clone(),
            steps: steps.cloned().collect(),
            errors: plan.errors.clone(),
            notes: plan.notes.clone(),
        }
    }

    /// Backs failing builds off; returns every build a write was attempted on.
    fn record_writes(&mut self, report: &ApplyReport) -> HashSet<BuildKey> {
        let now = Instant::now();
        let mut written = HashSet::new();
        for outcome in report.outcomes.iter().filter(|o| o.action.is_write()) {
            let key = key(&outcome.project, &outcome.name);
            match &outcome.status {
                OutcomeStatus::Refused(_) => continue,
                OutcomeStatus::Done => self.memory.record_write(&key, false, now),
                _ => self.memory.record_write(&key, true, now),
            }
            written.insert(key);
        }
        written
    }

    /// Sets `zadig_sync_builds` and the in-sync memory; returns the counts.
    fn count_states(
        &mut self,
        plan: &Plan,
        report: &ApplyReport,
        drifted: &HashSet<BuildKey>,
        runnable: &Plan,
    ) -> StateCounts {
        let PassStates { counts, in_sync } = classify(plan, report, drifted, runnable);
        self.memory.set_in_sync(in_sync);
        let present: HashSet<KeyRef> = plan.steps.iter().map(key_of).collect();
        self.memory
            .keep_failing_only(|(project, name)| present.contains(&(project.as_str(), name)));
        counts.publish(&self.status);
        counts
    }
}

fn details_by_key(live: &[LiveProject]) -> HashMap<KeyRef<'_>, &LiveDetail> {
    let mut details = HashMap::new();
    for project in live {
        for build in project.listing.iter().flatten() {
            if let Ok(detail) = &build.detail {
                details.insert((project.project.as_str(), build.name.as_str()), detail);
            }
        }
    }
    details
}

fn key(project: &str, name: &str) -> BuildKey {
    (project.to_string(), name.to_string())
}

fn result(result: &'static str) -> crate::daemon::metrics::ResultLabel {
    crate::daemon::metrics::ResultLabel { result }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs_f64()
}
