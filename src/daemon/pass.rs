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
use crate::daemon::trigger::{PassEnd, Trigger};
use crate::daemon::watch::DirWatch;
use crate::daemon::{DaemonSettings, DriftMode, Stopping};
use crate::load::diagnostic::Severity;
use crate::load::{ReferenceMode, load_dir};
use crate::reconcile::live::{LiveDetail, LiveProject};
use crate::reconcile::marker::fingerprint;
use crate::reconcile::normalize::from_live;
use crate::reconcile::plan::{Action, Plan, Step};
use crate::reconcile::redact::Secrets;
use crate::reconcile::spec::BuildKind;
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
        let outcomes: HashMap<KeyRef, &OutcomeStatus> = report
            .outcomes
            .iter()
            .map(|o| ((o.project.as_str(), o.name.as_str()), &o.status))
            .collect();
        let attempted: HashSet<KeyRef> = runnable.steps.iter().map(key_of).collect();
        let mut counts = StateCounts::default();
        let mut in_sync = HashMap::new();
        for step in &plan.steps {
            let key = key_of(step);
            let state = match (step.action, outcomes.get(&key).copied()) {
                (Action::Unchanged, _) => "in_sync",
                (_, Some(OutcomeStatus::Done)) => "in_sync",
                (_, Some(OutcomeStatus::Refused(_))) | (Action::Refused, _) => "refused",
                (_, Some(_)) | (Action::Error, _) => "failed",
                (Action::Kept, None) => continue,
                _ if drifted.contains(&(key.0.to_string(), key.1.to_string())) => "drifted",
                _ if !attempted.contains(&key) => "failed",
                _ => continue,
            };
            // Only template builds need it: a custom build's marker says the same.
            let template = step.kind == BuildKind::Template;
            if let (Some(fingerprint), "in_sync", true) =
                (&step.desired_fingerprint, state, template)
            {
                in_sync.insert((key.0.to_string(), key.1.to_string()), fingerprint.clone());
            }
            counts.add(state);
        }
        self.memory.set_in_sync(in_sync);
        let present: HashSet<KeyRef> = plan.steps.iter().map(key_of).collect();
        self.memory
            .keep_failing_only(|(project, name)| present.contains(&(project.as_str(), name)));
        counts.publish(&self.status);
        counts
    }
}

#[derive(Debug, Default)]
struct StateCounts {
    in_sync: i64,
    drifted: i64,
    failed: i64,
    refused: i64,
}

impl StateCounts {
    fn add(&mut self, state: &str) {
        match state {
            "in_sync" => self.in_sync += 1,
            "drifted" => self.drifted += 1,
            "refused" => self.refused += 1,
            _ => self.failed += 1,
        }
    }

    fn publish(&self, status: &Status) {
        use crate::daemon::metrics::StateLabel;
        let builds = &status.metrics.builds;
        for (state, value) in [
            ("in_sync", self.in_sync),
            ("drifted", self.drifted),
            ("failed", self.failed),
            ("refused", self.refused),
        ] {
            builds.get_or_create(&StateLabel { state }).set(value);
        }
    }
}

/// One line per change applied and per failure, naming the build and the fields.
fn log_outcomes(plan: &Plan, report: &ApplyReport) {
    for outcome in &report.outcomes {
        let step = plan
            .steps
            .iter()
            .find(|s| s.project == outcome.project && s.name == outcome.name);
        let fields = step.map(fields).unwrap_or_default();
        let (project, build, action) = (&outcome.project, &outcome.name, outcome.action.as_str());
        match &outcome.status {
            OutcomeStatus::Done => info!(%project, %build, action, %fields, "applied"),
            OutcomeStatus::Unverified(reason) => {
                warn!(%project, %build, action, %fields, %reason, "written but not verified")
            }
            OutcomeStatus::Refused(reason) => warn!(%project, %build, action, %reason, "refused"),
            OutcomeStatus::Failed(reason) => warn!(%project, %build, action, %reason, "failed"),
        }
    }
}

/// `zadig_sync_changes_applied_total`: the writes that succeeded, by action.
fn count_changes(status: &Status, report: &ApplyReport) {
    use crate::daemon::metrics::ActionLabel;
    for outcome in &report.outcomes {
        let action = match outcome.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            _ => continue,
        };
        if outcome.status == OutcomeStatus::Done {
            status
                .metrics
                .changes
                .get_or_create(&ActionLabel { action })
                .inc();
        }
    }
}

/// The changed fields' paths (never their values).
fn fields(step: &Step) -> String {
    let paths: Vec<&str> = step.changes.iter().map(|c| c.path.as_str()).collect();
    paths.join(", ")
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

/// A build's key borrowed from a step, for the maps a pass builds and drops (5,000 builds
/// would otherwise mean 10,000 short-lived strings per map).
type KeyRef<'a> = (&'a str, &'a str);

fn key_of(step: &Step) -> KeyRef<'_> {
    (step.project.as_str(), step.name.as_str())
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
