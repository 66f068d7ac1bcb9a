//! One pass: exactly `apply`'s pipeline and safety rules (load, plan through
//! `session::plan_on`, execute through `apply::execute`), with the daemon's states as the
//! planner's history (drift, builds backing off) and the drift policy as its option. After
//! executing, each build's state moves by `state::transition`, what happened is told once
//! (`events`), and the next wake-up is read off the states. Does I/O.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::apply::outcome::{ApplyReport, OutcomeStatus};
use crate::apply::{Job, PlanSource, StopSignal, execute};
use crate::backoff::Backoff;
use crate::daemon::DaemonConfig;
use crate::daemon::drift_pull::{DriftInputs, DriftPull, drift_pulls};
use crate::daemon::events::Event;
use crate::daemon::git::{AppliedRevision, GitFeed, SourceFiles, files_to_read};
use crate::daemon::identity::{credentials_digest, tree_hash};
use crate::daemon::memory::Memory;
use crate::daemon::metrics::ResultLabel;
use crate::daemon::settle;
use crate::daemon::shared::Status;
use crate::daemon::state::{States, WAKE_FLOOR};
use crate::daemon::trigger::{PassEnd, PassResult, Trigger};
use crate::daemon::watch::DirWatch;
use crate::load::diagnostic::Severity;
use crate::load::{LoadOptions, ReferenceMode, load_dir_with};
use crate::pull::PatchRoot;
use crate::reconcile::BuildId;
use crate::reconcile::marker::{credential_values, fingerprint};
use crate::reconcile::plan::{Plan, PlanOptions};
use crate::reconcile::redact::Secrets;
use crate::remote::StopReason;
use crate::remote::progress::no_progress;
use crate::session::{
    Connection, Loaded as Files, PlanInputs, Scoped, Settings, Unreadable, plan_on, scope_desired,
};

/// Everything that lives from one pass to the next.
pub struct Passes {
    config: DaemonConfig,
    connection: Connection,
    status: Arc<Status>,
    watch: DirWatch,
    /// Set at shutdown: no new write starts.
    pub stop: StopSignal,
    memory: Memory,
    states: States,
    /// The desired state last planned against Zadig (its tree hash and credentials digest),
    /// to skip changes that changed nothing.
    last_tree: Option<String>,
    /// Keys the digest of the files' credential values; random, in memory only.
    credentials_key: [u8; 32],
    last_full_read: Option<Instant>,
    /// Passes in a row that could not read Zadig (their retries back off).
    failures_in_a_row: u32,
    /// Conditions told once, when they start and when they end.
    files_invalid: bool,
    zadig_problem: Option<StopReason>,
    /// Whether a pass has read Zadig yet (the first one's result is always logged).
    read_once: bool,
    /// With `--git`: the commit in force and the fetch loop's news.
    git: Option<Arc<GitFeed>>,
}

/// The desired state as loaded for one pass.
struct Loaded {
    scoped: Scoped,
    /// Prune, max deletes and projects, from the flags and this pass's scope file.
    run: Settings,
    /// What must never be shown: `${env:…}` values and the token.
    secrets: Secrets,
    fingerprints: HashMap<BuildId, String>,
    /// What decides whether the files changed: the tree hash and the credentials digest.
    tree: String,
    /// The git commit of the files, when they are a checkout (or fetched with `--git`).
    revision: Option<String>,
    /// The ref that commit was fetched from, with `--git`.
    reference: Option<String>,
    /// The folder the files were read from, and how a patch names them.
    dir: PathBuf,
    root: PatchRoot,
}

impl Passes {
    pub fn new(
        config: DaemonConfig,
        connection: Connection,
        status: Arc<Status>,
        watch: DirWatch,
    ) -> Self {
        Passes {
            config,
            connection,
            status,
            watch,
            stop: StopSignal::default(),
            memory: Memory::default(),
            states: States::default(),
            last_tree: None,
            credentials_key: rand::random(),
            last_full_read: None,
            failures_in_a_row: 0,
            files_invalid: false,
            zadig_problem: None,
            read_once: false,
            git: None,
        }
    }

    /// Reads the files of the commit `feed` holds in force, instead of `--dir`.
    pub fn with_git(mut self, feed: Option<Arc<GitFeed>>) -> Self {
        if let Some(feed) = &feed {
            let _ = self.status.git.set(feed.clone());
        }
        self.git = feed;
        self
    }

    /// The connection, once the loop is over (to be closed).
    pub fn into_connection(self) -> Connection {
        self.connection
    }

    /// Runs one pass for `trigger`, in a span that names it.
    pub async fn pass(&mut self, trigger: Trigger) -> PassEnd {
        let span = info_span!("pass", trigger = %trigger, revision = tracing::field::Empty);
        self.status.pass_started();
        self.status.board.pass_started(trigger);
        let started = Instant::now();
        let (result, end) = self.run(trigger).instrument(span).await;
        self.status.pass_ended();
        self.status.board.pass_ended(result, &end, &self.states);
        let metrics = &self.status.metrics;
        if let Some(result) = result.label() {
            metrics.passes.get_or_create(&ResultLabel { result }).inc();
        }
        if end.read_zadig {
            let seconds = started.elapsed().as_secs_f64();
            metrics.pass_duration.observe(seconds);
        }
        if result == PassResult::Success {
            metrics.last_success.set(unix_now());
        }
        end
    }

    async fn run(&mut self, trigger: Trigger) -> (PassResult, PassEnd) {
        debug!("pass started");
        self.watch.refresh();
        if trigger.token {
            self.reread_token();
        }
        for news in self
            .git
            .as_ref()
            .map(|feed| feed.take_news())
            .unwrap_or_default()
        {
            self.tell(news);
        }
        let Some(files) = files_to_read(&self.config.dir, self.git.as_deref()) else {
            debug!("no commit fetched from git yet; waiting for the first fetch");
            return (PassResult::Unchanged, PassEnd::default());
        };
        let Some(loaded) = self.load(files) else {
            return (PassResult::Invalid, PassEnd::default());
        };
        if !trigger.must_read_zadig() && self.last_tree.as_deref() == Some(loaded.tree.as_str()) {
            debug!("the files changed, but the builds they describe did not");
            return (PassResult::Unchanged, PassEnd::default());
        }
        let result = self.read_plan_execute(loaded).await;
        let now = Instant::now();
        let retry_at = match result {
            PassResult::Failed => Some(self.retry_after_failure(now)),
            PassResult::Stopped => None,
            _ => {
                self.failures_in_a_row = 0;
                self.states.next_retry(now)
            }
        };
        let end = PassEnd {
            read_zadig: result != PassResult::Stopped,
            retry_at,
        };
        (result, end)
    }

    /// When to try again after a pass that could not read Zadig: the pass backoff, or at
    /// once (past the floor) when the token it was refused has been replaced since.
    fn retry_after_failure(&mut self, now: Instant) -> Instant {
        self.failures_in_a_row = self.failures_in_a_row.saturating_add(1);
        let refused = matches!(
            self.zadig_problem,
            Some(StopReason::Unauthorized | StopReason::Forbidden)
        );
        if refused && self.reread_token() {
            return now + WAKE_FLOOR;
        }
        let wait = Backoff::PASS.wait(self.failures_in_a_row);
        warn!(
            failures = self.failures_in_a_row,
            retry_in_ms = wait.as_millis() as u64,
            "the pass could not read Zadig; retrying with backoff"
        );
        now + wait
    }

    /// Reads the token again; whether it changed.
    fn reread_token(&mut self) -> bool {
        match self.connection.reread_token() {
            Ok(true) => {
                info!("the API token changed; using the new one");
                true
            }
            Ok(false) => false,
            Err(problem) => {
                warn!(%problem, "cannot read the API token again; keeping the one in use");
                false
            }
        }
    }

    /// Loads the files; `None` (after logging every diagnostic, and holding every build)
    /// when they have errors.
    fn load(&mut self, source: SourceFiles) -> Option<Loaded> {
        self.status.metrics.tree_reads.inc();
        let env = |name: &str| std::env::var(name).ok();
        let options = LoadOptions {
            references: ReferenceMode::Online,
            prune: self.config.scope.prune,
        };
        let outcome = load_dir_with(&source.dir, options, &env);
        for diagnostic in &outcome.diagnostics {
            match diagnostic.severity {
                Severity::Error => error!(%diagnostic, "invalid build file"),
                _ => warn!(%diagnostic, "build file warning"),
            }
        }
        let errors = (outcome.diagnostics.iter())
            .filter(|d| d.severity == Severity::Error)
            .count();
        if errors > 0 {
            self.files_invalid_now(errors);
            return None;
        }
        let run = Settings::resolve(
            &self.config.server,
            &self.config.scope,
            outcome.scope.as_ref(),
        );
        let files = Files {
            desired: outcome.desired,
            scope: outcome.scope,
            warnings: Vec::new(),
        };
        let scoped = match scope_desired(files, &run) {
            Ok(scoped) => scoped,
            Err(problem) => {
                error!(%problem, "nothing is written or deleted until this is fixed");
                self.files_invalid_now(1);
                return None;
            }
        };
        if std::mem::take(&mut self.files_invalid) {
            self.tell(Event::FilesValidAgain);
        }
        Some(self.identify(scoped, run, source))
    }

    /// The files have errors: every build is held until they are fixed.
    fn files_invalid_now(&mut self, errors: usize) {
        if !self.files_invalid {
            self.tell(Event::FilesInvalid { errors });
        }
        self.files_invalid = true;
        self.states
            .hold_all("the files have errors (see the log)", SystemTime::now());
        self.publish_states();
    }

    /// The loaded files with their fingerprints, identity and secrets.
    fn identify(&mut self, scoped: Scoped, run: Settings, source: SourceFiles) -> Loaded {
        let secrets = self.connection.secrets(&scoped.desired);
        let sorted: BTreeMap<BuildId, String> = (scoped.desired.builds.iter())
            .map(|b| {
                let id = BuildId::new(b.spec.project_key(), b.spec.name());
                (id, fingerprint(&b.spec))
            })
            .collect();
        let tree = tree_hash(&sorted, &scoped.projects);
        let root = match &self.config.git {
            Some(git) => PatchRoot::checkout(&source.dir, &git.source.path),
            None => PatchRoot::around(&source.dir),
        };
        let revision = source.revision;
        if let Some(commit) = &revision {
            tracing::Span::current().record("revision", crate::git::short(commit));
        }
        let metrics = &self.status.metrics;
        metrics.set_desired_state(revision.as_deref(), &tree);
        self.status.board.desired(revision.as_deref(), &tree);
        let ids: Vec<BuildId> = (scoped.desired.builds.iter())
            .map(|b| BuildId::new(b.spec.project_key(), b.spec.name()))
            .collect();
        let credentials: Vec<(&BuildId, Vec<&str>)> = (ids.iter())
            .zip(&scoped.desired.builds)
            .map(|(id, build)| (id, credential_values(&build.spec)))
            .collect();
        let identity = format!(
            "{tree}+{}",
            credentials_digest(&self.credentials_key, &credentials)
        );
        drop(credentials);
        Loaded {
            fingerprints: sorted.into_iter().collect(),
            scoped,
            run,
            secrets,
            tree: identity,
            revision,
            reference: source.reference,
            dir: source.dir,
            root,
        }
    }

    /// Reads Zadig (taking settled details from memory), plans with the states as history,
    /// executes, and moves every build's state.
    async fn read_plan_execute(&mut self, loaded: Loaded) -> PassResult {
        let full = (self.last_full_read).is_none_or(|at| at.elapsed() >= self.config.full_resync);
        let recall = self.memory.recall(&loaded.fingerprints, full);
        // A new run per pass: a breaker tripped by an earlier pass (Zadig down) is closed again.
        let client = self.connection.client.new_run();
        let history = self.states.history(Instant::now());
        let inputs = PlanInputs {
            settings: &loaded.run,
            secrets: &loaded.secrets,
            progress: &no_progress(),
            known: recall.clone(),
            history: &history,
            options: PlanOptions {
                prune: loaded.run.prune,
                max_deletes: loaded.run.max_deletes,
                drift: self.config.drift,
            },
        };
        let read = plan_on(&client, &loaded.scoped, inputs).await;
        self.status.metrics.details_reused.inc_by(recall.used());
        let live_plan = match read {
            Ok(live_plan) => live_plan,
            Err(unreadable) => {
                self.memory.give_back(recall, |_| true);
                self.zadig_unreadable(unreadable);
                return PassResult::Failed;
            }
        };
        self.zadig_readable();
        let plan = &live_plan.plan;
        for problem in &plan.errors {
            warn!(%problem, "cannot read Zadig");
        }
        if self.stop.is_set() {
            self.memory.give_back(recall, |_| true);
            info!("shutting down: this pass writes nothing");
            return PassResult::Stopped;
        }
        let job = Job {
            plan,
            source: PlanSource::Fresh,
            desired: &loaded.scoped.desired,
            secrets: &loaded.secrets,
            stop: &self.stop,
            revision: loaded.revision.as_deref(),
        };
        let report = execute(&client, job).await;
        let pulls = drift_pulls(&DriftInputs {
            dir: &loaded.dir,
            root: &loaded.root,
            desired: &loaded.scoped.desired,
            plan,
            live: &live_plan.live,
            secrets: &loaded.secrets,
        });
        let written = self.move_states(plan, &report, loaded.revision.as_deref(), pulls);
        let result = self.result_of(plan, &report);
        let listed: HashSet<String> = (live_plan.live.iter())
            .filter(|p| p.listing.is_ok())
            .map(|p| p.project.clone())
            .collect();
        let (live, listed_at) = (live_plan.live, live_plan.listed_at);
        self.memory
            .remember(live, &listed_at, &loaded.fingerprints, &written);
        self.memory
            .give_back(recall, |id| !listed.contains(&id.project));
        if result != PassResult::Stopped {
            self.status.pass_completed();
            let applied = (loaded.revision.clone()).map(|commit| AppliedRevision {
                commit,
                reference: loaded.reference.clone(),
            });
            self.status.set_revision(applied);
            self.last_tree = Some(loaded.tree);
            if full {
                self.last_full_read = Some(Instant::now());
            }
        }
        result
    }

    /// How the pass ended, from its plan and what apply made of it; the first one is logged.
    fn result_of(&mut self, plan: &Plan, report: &ApplyReport) -> PassResult {
        let not_started =
            (report.outcomes.iter()).any(|o| matches!(o.status, OutcomeStatus::NotStarted(_)));
        let result = if not_started {
            PassResult::Stopped
        } else if !plan.errors.is_empty() {
            PassResult::Failed
        } else if report.has_failures() {
            PassResult::Partial
        } else {
            PassResult::Success
        };
        if !std::mem::replace(&mut self.read_once, true) {
            let counts = self.states.counts().map(|(name, n)| format!("{n} {name}"));
            info!(result = result.word(), builds = %counts.join(", "),
                summary = %report.summary(), "first pass done");
        }
        result
    }

    /// Moves each planned build's state, tells what happened (`settle`), and returns the
    /// builds a write was sent to (their remembered detail is stale).
    fn move_states(
        &mut self,
        plan: &Plan,
        report: &ApplyReport,
        revision: Option<&str>,
        pulls: BTreeMap<BuildId, DriftPull>,
    ) -> HashSet<BuildId> {
        settle::move_states(
            &mut self.states,
            plan,
            report,
            revision,
            pulls,
            &self.status,
        )
    }

    fn tell(&self, event: Event) {
        settle::tell(&self.status, event);
    }

    fn publish_states(&self) {
        settle::publish_states(&self.states, &self.status);
    }

    /// Zadig could not be read: readiness and the metric say why; told once per episode.
    fn zadig_unreadable(&mut self, unreadable: Unreadable) {
        let reason = unreadable.reason;
        self.status.metrics.set_zadig_status(reason.as_str());
        self.status.zadig_unreadable(unreadable.message.clone());
        if self.zadig_problem != Some(reason) {
            let message = unreadable.message;
            self.tell(match reason {
                StopReason::Unauthorized | StopReason::Forbidden => {
                    Event::TokenRefused { reason: message }
                }
                _ => Event::ZadigUnreachable { reason: message },
            });
        }
        self.zadig_problem = Some(reason);
    }

    fn zadig_readable(&mut self) {
        self.status.metrics.set_zadig_status("ok");
        if self.zadig_problem.take().is_some() {
            self.tell(Event::ZadigBack);
        }
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs_f64()
}
