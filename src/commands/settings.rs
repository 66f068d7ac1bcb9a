//! What every command that talks to Zadig does first: turn the flags and the environment into
//! a ready client (to the server named by `--url`/`ZADIG_URL`, or, with `--emulator`, to the
//! bundled emulator started in-process with its state under the working directory), load the
//! files (stopping on any error, so that nothing is written or deleted on a broken tree), read
//! the live state and make the plan.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use std::collections::BTreeSet;

use anyhow::{Context, bail};

use crate::cache::desired_strings;
use crate::cli::ServerArgs;
use crate::emulator::lock::StateLock;
use crate::emulator::{self, Edition, EmulatorConfig, RunningEmulator, Seeds};
use crate::reconcile::desired::DesiredSet;
use crate::remote::{ClientConfig, Token, ZadigClient, resolve_token};
use std::path::Path;

use crate::cli::ScopeArgs;
use crate::load::diagnostic::{Diagnostic, Severity};
use crate::load::scope::{SCOPE_FILE, Scope};
use crate::load::{ReferenceMode, load_dir};
use crate::reconcile::live::LiveProject;
use crate::reconcile::plan::{Plan, PlanOptions, make_plan};
use crate::reconcile::redact::Secrets;
use crate::remote::RequestObserver;
use crate::remote::fetch::{KnownDetails, NothingKnown, fetch_live_reusing};
use crate::remote::progress::SharedProgress;
use crate::report::{Document, Stage};
use std::sync::Arc;
use std::time::SystemTime;

use super::output::{Output, errln};
use super::progress::Bar;

/// Where `--emulator` keeps its builds, so that a second run sees what the first one applied.
pub const EMULATOR_STATE: &str = ".zadig-sync/emulator-state.json";

/// A client, and the in-process emulator behind it when `--emulator` was given.
pub struct Connection {
    pub client: ZadigClient,
    /// Which server this is, for saved plans: the URL, or `emulator` for `--emulator`
    /// (whose port changes every run).
    pub server: String,
    /// Kept to be redacted from everything printed (a build file could quote it).
    token: Token,
    emulator: Option<RunningEmulator>,
    /// With `--emulator`: the lock of its state file, released after `close` saved it.
    state_lock: Option<StateLock>,
}

impl Connection {
    /// What this run must never show: the values `${env:…}` references resolved to, and the
    /// API token (a build file could quote it). Log lines hide the same values from now on.
    pub fn secrets(&self, desired: &DesiredSet) -> Secrets {
        let values = self.secret_values(desired);
        super::log::hide(&values);
        Secrets::new(&values)
    }

    /// The values themselves: the `${env:…}` values and the token.
    pub fn secret_values(&self, desired: &DesiredSet) -> Vec<String> {
        let mut values = desired.secrets.clone();
        values.push(self.token.expose().to_string());
        values
    }

    /// Stops the in-process emulator (flushing its state), if there is one.
    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(emulator) = self.emulator {
            emulator
                .shutdown()
                .await
                .context("stopping the bundled emulator and saving its state")?;
        }
        drop(self.state_lock);
        Ok(())
    }
}

/// `--max-deletes` when neither the flag nor zadig-sync.yaml sets it.
pub const DEFAULT_MAX_DELETES: usize = 5;

/// The settings of a run that talks to Zadig, each resolved once here:
/// flag > environment > the scope file (`zadig-sync.yaml`) > built-in default.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server flags, `url` resolved (`--url`, `ZADIG_URL`, else the scope file's).
    pub server: ServerArgs,
    pub rate_limit: u32,
    pub concurrency: u32,
    pub prune: bool,
    pub max_deletes: usize,
    /// `--project`: this run is restricted to these projects (none: every managed project).
    pub only: Vec<String>,
}

impl Settings {
    pub fn resolve(server: &ServerArgs, scope_args: &ScopeArgs, file: Option<&Scope>) -> Self {
        let file = file.cloned().unwrap_or_default();
        let mut server = server.clone();
        server.url = server.url.or(file.url);
        Settings {
            rate_limit: server
                .rate_limit
                .or(file.rate_limit)
                .unwrap_or(ClientConfig::DEFAULT_RATE_LIMIT),
            concurrency: server
                .concurrency
                .or(file.concurrency)
                .unwrap_or(ClientConfig::DEFAULT_CONCURRENCY),
            server,
            prune: scope_args.prune || file.prune.unwrap_or(false),
            max_deletes: scope_args
                .max_deletes
                .or(file.max_deletes)
                .unwrap_or(DEFAULT_MAX_DELETES),
            only: scope_args.projects.clone(),
        }
    }
}

/// The client configuration the settings describe, for the server at `base_url`.
fn client_config(
    settings: &Settings,
    base_url: String,
    token: Token,
    observer: Option<Arc<dyn RequestObserver>>,
) -> ClientConfig {
    let args = &settings.server;
    ClientConfig {
        observer,
        ca_file: args.ca_file.clone(),
        insecure_http: args.insecure_http,
        rate_limit: settings.rate_limit,
        concurrency: settings.concurrency,
        request_timeout: args.request_timeout,
        max_body_size: args.max_body_size,
        deadline: (!args.deadline.is_zero()).then_some(args.deadline),
        ..ClientConfig::new(base_url, token)
    }
}

pub async fn connect(settings: &Settings) -> anyhow::Result<Connection> {
    connect_observed(settings, None).await
}

/// [`connect`], with `observer` told about every request (the daemon's metrics).
pub async fn connect_observed(
    settings: &Settings,
    observer: Option<Arc<dyn RequestObserver>>,
) -> anyhow::Result<Connection> {
    let args = &settings.server;
    if args.emulator {
        return connect_to_emulator(settings, observer).await;
    }
    let url = args.url.clone().context(
        "no Zadig server given: set ZADIG_URL, pass --url or write `url:` in zadig-sync.yaml \
         (or try --emulator)",
    )?;
    let token = resolve_token(
        args.token_file.as_deref(),
        std::env::var("ZADIG_TOKEN").ok(),
        std::env::var_os("ZADIG_TOKEN_FILE").map(PathBuf::from),
    )?;
    let config = client_config(settings, url.clone(), token.clone(), observer);
    let client = ZadigClient::new(config)?;
    Ok(Connection {
        client,
        token,
        server: url.trim_end_matches('/').to_string(),
        emulator: None,
        state_lock: None,
    })
}

async fn connect_to_emulator(
    settings: &Settings,
    observer: Option<Arc<dyn RequestObserver>>,
) -> anyhow::Result<Connection> {
    if let Some(url) = &settings.server.url {
        let url = crate::remote::config::without_userinfo(url);
        errln(format_args!(
            "Ignoring the server {url} (--url, ZADIG_URL or zadig-sync.yaml): --emulator was given."
        ));
    }
    let state_path = PathBuf::from(EMULATOR_STATE);
    if let Some(folder) = state_path.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating {} for the emulator's state", folder.display()))?;
        // The state holds credential values in plain text (as Zadig does): keep it out of git.
        let ignore = folder.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(
                &ignore,
                "# zadig-sync --emulator state: never commit it\n*\n",
            )
            .with_context(|| format!("writing {}", ignore.display()))?;
        }
    }
    // Another run in this folder would write its builds over ours: one at a time.
    let state_lock = super::emulator::lock_state(&state_path).await?;
    let secret = format!("emulator-{:016x}", rand::random::<u64>());
    let config = EmulatorConfig {
        token: secret.clone(),
        state_path: Some(state_path),
        seeds: Seeds::default(),
        latency: Duration::ZERO,
        fail_rate: 0.0,
        throttle_rate: 0.0,
        edition: Edition::Enterprise,
    };
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let emulator = emulator::start(loopback, config)
        .await
        .context("starting the bundled emulator")?;
    errln(format_args!(
        "Using the bundled Zadig emulator at {} (state in {EMULATOR_STATE}).",
        emulator.url()
    ));
    let token = Token::generated(secret);
    let config = client_config(settings, emulator.url(), token.clone(), observer);
    let client = ZadigClient::new(config)?;
    Ok(Connection {
        client,
        server: "emulator".to_string(),
        token,
        emulator: Some(emulator),
        state_lock: Some(state_lock),
    })
}

/// Everything a command needs after the plan is made.
pub struct Planned {
    pub desired: DesiredSet,
    pub plan: Plan,
    /// What must never be shown, for everything printed after the plan.
    pub secrets: Secrets,
    pub connection: Connection,
}

/// The files, loaded for a command that talks to Zadig: the builds, the scope file when there
/// is one, and the warnings.
pub struct Loaded {
    pub desired: DesiredSet,
    pub scope: Option<Scope>,
    pub warnings: Vec<Diagnostic>,
}

/// Loads the files for a command that talks to Zadig: every `${env:…}` must resolve.
/// Warnings go to stderr (text and Markdown; JSON documents carry them); when the files have
/// errors, the command's document carrying every diagnostic is printed on stdout and `None`
/// means the command must stop.
pub fn load_for_server(dir: &Path, stage: Stage, output: &Output) -> Option<Loaded> {
    let env = |name: &str| std::env::var(name).ok();
    let outcome = load_dir(dir, ReferenceMode::Online, &env);
    if outcome.has_errors() {
        output.print(Document::Stopped(stage, &outcome.diagnostics), &[]);
        return None;
    }
    let warnings: Vec<Diagnostic> = outcome
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    output.warn(&warnings);
    Some(Loaded {
        desired: outcome.desired,
        scope: outcome.scope,
        warnings,
    })
}

/// Connects, reads the live state of the managed projects (taking from `cache`, when given,
/// the details it may vouch for, and saving this run's settled ones there), and plans.
pub async fn plan_against_server(
    loaded: Loaded,
    settings: &Settings,
    cache: Option<&Path>,
    output: &Output,
) -> anyhow::Result<Planned> {
    let scoped = scope_desired(loaded, settings)?;
    let connection = connect(settings).await?;
    let secrets = connection.secrets(&scoped.desired);
    let cache = super::cache::open(cache, settings.server.emulator, &connection.server);
    let recall = cache
        .as_ref()
        .map(|cache| Arc::new(cache.recall(&desired_strings(&scoped.desired))));
    let known: Arc<dyn KnownDetails> = match &recall {
        Some(recall) => recall.clone(),
        None => Arc::new(NothingKnown),
    };
    let bar = Bar::new(output.progress, "Reading", "builds");
    let shared = bar.shared();
    let read = plan_on(
        &connection.client,
        &scoped,
        &secrets,
        settings,
        &shared,
        known,
    )
    .await;
    drop(bar);
    if let Some(recall) = &recall {
        tracing::info!(details = recall.used(), "details taken from the cache");
    }
    if let (Some(cache), Ok(live_plan)) = (cache, &read) {
        let never_written = connection.secret_values(&scoped.desired);
        super::cache::save(cache, live_plan, &never_written);
    }
    match read {
        Ok(live_plan) => Ok(Planned {
            desired: scoped.desired,
            plan: live_plan.plan,
            secrets,
            connection,
        }),
        Err(message) => {
            connection.close().await?;
            anyhow::bail!("{message}");
        }
    }
}

/// The desired builds of the managed projects only, and those projects.
pub struct Scoped {
    pub desired: DesiredSet,
    pub projects: Vec<String>,
    /// Whether a scope file names the projects (else the files do, and the plan says so).
    pub has_scope_file: bool,
}

/// Keeps the builds of the projects this run manages.
pub fn scope_desired(loaded: Loaded, settings: &Settings) -> anyhow::Result<Scoped> {
    let projects = managed_projects(&loaded, &settings.only)?;
    let mut desired = loaded.desired;
    desired
        .builds
        .retain(|b| projects.contains(b.spec.project_key()));
    Ok(Scoped {
        desired,
        projects: projects.into_iter().collect(),
        has_scope_file: loaded.scope.is_some(),
    })
}

/// A plan with the live state it was made from.
pub struct LivePlan {
    pub plan: Plan,
    pub live: Vec<LiveProject>,
    /// Per project of `live`: the server's time of its list (its `Date` header).
    pub listed_at: Vec<Option<SystemTime>>,
}

/// The one way a plan is made (by `plan`, `apply` and every daemon pass): list the managed
/// projects, read the details `known` does not supply, plan with the settings' options. An
/// error (redacted) when the run was stopped: 401, 403, an unreachable server or the deadline
/// made every later request fail the same way, so the first error is reported once.
pub async fn plan_on(
    client: &ZadigClient,
    scoped: &Scoped,
    secrets: &Secrets,
    settings: &Settings,
    progress: &SharedProgress,
    known: Arc<dyn KnownDetails>,
) -> Result<LivePlan, String> {
    let fetched = fetch_live_reusing(client, &scoped.projects, progress, known).await;
    if let Some(stop) = client.stopped() {
        return Err(secrets.redact(&stop.first_error).into_owned());
    }
    let (live, listed_at): (Vec<LiveProject>, Vec<Option<SystemTime>>) = fetched
        .into_iter()
        .map(|project| (project.live, project.listed_at))
        .unzip();
    let options = PlanOptions {
        prune: settings.prune,
        max_deletes: settings.max_deletes,
    };
    let mut plan = make_plan(&scoped.desired, &live, &options, secrets);
    if !scoped.has_scope_file {
        plan.notes.push(managed_by_files_note(&scoped.projects));
    }
    Ok(LivePlan {
        plan,
        live,
        listed_at,
    })
}

/// The projects this run manages: the scope file's (else those the files name), or only
/// those named by `--project`, which must then be in the scope file when there is one.
fn managed_projects(loaded: &Loaded, only: &[String]) -> anyhow::Result<BTreeSet<String>> {
    if only.is_empty() {
        return Ok(match &loaded.scope {
            Some(scope) => scope.projects.iter().cloned().collect(),
            None => loaded.desired.projects().into_iter().collect(),
        });
    }
    if let Some(scope) = &loaded.scope
        && let Some(outside) = only.iter().find(|p| !scope.manages(p))
    {
        bail!(
            "--project {outside}: {} does not list it under `projects:`; add it there to \
             manage it",
            scope.path.display()
        );
    }
    Ok(only.iter().cloned().collect())
}

/// Without a scope file, a project whose last file is removed is no longer managed (and so
/// never pruned): the plan says which projects it manages, and how to keep one.
fn managed_by_files_note(projects: &[String]) -> String {
    let list = if projects.is_empty() {
        "no projects".to_string()
    } else {
        format!("projects {}", projects.join(", "))
    };
    format!(
        "managing {list}; list them in {SCOPE_FILE} to keep managing a project after its last \
         file is removed"
    )
}
