//! The first steps of every command that talks to Zadig, as a command sees them: the flags
//! turned into the session's plain values (once), the connection made with its notices on
//! stderr, the files loaded with their diagnostics printed, and the plan made with a progress
//! bar and the cache. The work itself is `session`'s.

use std::path::Path;
use std::sync::Arc;

use crate::cache::SyncedStore;
use crate::cli::{CacheArgs, ScopeArgs, ServerArgs};
use crate::load::diagnostic::{Diagnostic, Severity};
use crate::load::{LoadOptions, ReferenceMode, load_dir_with};
use crate::reconcile::desired::DesiredSet;
use crate::reconcile::live::LiveProject;
use crate::reconcile::plan::{NoHistory, Plan, PlanOptions};
use crate::reconcile::redact::Secrets;
use crate::remote::RequestObserver;
use crate::remote::fetch::{KnownDetails, NothingKnown};
use crate::report::{Document, Stage};
use crate::session::{
    Connection, Loaded, PlanInputs, ScopeOptions, ServerOptions, Settings, plan_on, scope_desired,
};

use super::output::{Output, errln};
use super::progress::Bar;

/// The server flags as the session takes them.
pub fn server_options(args: &ServerArgs) -> ServerOptions {
    ServerOptions {
        url: args.url.clone(),
        token_file: args.token_file.clone(),
        ca_file: args.ca_file.clone(),
        insecure_http: args.insecure_http,
        rate_limit: args.rate_limit,
        burst: args.burst,
        concurrency: args.concurrency,
        request_timeout: args.request_timeout,
        max_body_size: args.max_body_size,
        deadline: args.deadline,
        emulator: args.emulator,
    }
}

/// The scope flags as the session takes them.
pub fn scope_options(args: &ScopeArgs) -> ScopeOptions {
    ScopeOptions {
        projects: args.projects.clone(),
        prune: args.prune,
        max_deletes: args.max_deletes,
    }
}

/// The settings of this run: the flags, then the scope file.
pub fn settings(server: &ServerArgs, scope: &ScopeArgs, loaded: &Loaded) -> Settings {
    Settings::resolve(
        &server_options(server),
        &scope_options(scope),
        loaded.scope.as_ref(),
    )
}

/// Connects as the settings say, printing its notices (which server, what was ignored) on
/// stderr.
pub async fn connect(
    settings: &Settings,
    observer: Option<Arc<dyn RequestObserver>>,
) -> anyhow::Result<Connection> {
    let mut notice = |text: String| errln(text);
    Ok(crate::session::connect(settings, observer, &mut notice).await?)
}

/// Loads the files for a command that talks to Zadig: every `${env:…}` must resolve, and with
/// `scope.prune` (`--prune`) an empty build file is an error. Warnings go to stderr (text and
/// Markdown; JSON documents carry them); when the files have errors, the command's document
/// carrying every diagnostic is printed on stdout and `None` means the command must stop.
pub fn load_for_server(
    dir: &Path,
    scope: &ScopeArgs,
    stage: Stage,
    output: &Output,
) -> Option<Loaded> {
    let env = |name: &str| std::env::var(name).ok();
    let options = LoadOptions {
        references: ReferenceMode::Online,
        prune: scope.prune,
    };
    let outcome = load_dir_with(dir, options, &env);
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

/// Everything a command needs after the plan is made.
pub struct Planned {
    pub desired: DesiredSet,
    pub plan: Plan,
    /// What Zadig held when the plan was made (`pull` takes values from it).
    pub live: Vec<LiveProject>,
    /// What must never be shown, for everything printed after the plan.
    pub secrets: Secrets,
    pub connection: Connection,
    /// Which version of the files each build was last in sync with (none with `--no-cache`):
    /// the plan's history, noted again after an apply.
    pub synced: Option<SyncedStore>,
}

/// Connects, reads the live state of the managed projects (taking from the cache, unless
/// `--no-cache`, the details it may vouch for, and saving this run's settled ones there), and
/// plans.
pub async fn plan_against_server(
    loaded: Loaded,
    settings: &Settings,
    cache: &CacheArgs,
    output: &Output,
) -> anyhow::Result<Planned> {
    let scoped = scope_desired(loaded, settings)?;
    let connection = connect(settings, None).await?;
    let secrets = connection.secrets(&scoped.desired);
    let folder = super::cache::folder(cache, settings.server.emulator);
    let tell = output.format == crate::report::Format::Text;
    let cache = super::cache::open(folder.as_deref(), &connection, tell);
    let mut synced = super::cache::open_synced(folder.as_deref(), &connection);
    let recall = cache
        .as_ref()
        .map(|cache| Arc::new(cache.recall(&crate::cache::desired_strings(&scoped.desired))));
    let known: Arc<dyn KnownDetails> = match &recall {
        Some(recall) => recall.clone(),
        None => Arc::new(NothingKnown),
    };
    let bar = Bar::new(output.progress, "Reading", "builds");
    let inputs = PlanInputs {
        settings,
        secrets: &secrets,
        progress: &bar.shared(),
        known,
        history: match &synced {
            Some(store) => store,
            None => &NoHistory,
        },
        options: PlanOptions::of(settings),
    };
    let read = plan_on(&connection.client, &scoped, inputs).await;
    drop(bar);
    if let Some(recall) = &recall {
        tracing::info!(details = recall.used(), "details taken from the cache");
    }
    if let (Some(cache), Ok(live_plan)) = (cache, &read) {
        let never_written = connection.secret_values(&scoped.desired);
        super::cache::save(cache, live_plan, &never_written);
    }
    if let (Some(store), Ok(live_plan)) = (&mut synced, &read) {
        super::cache::note_plan(store, &live_plan.plan);
    }
    match read {
        Ok(live_plan) => Ok(Planned {
            desired: scoped.desired,
            plan: live_plan.plan,
            live: live_plan.live,
            secrets,
            connection,
            synced,
        }),
        Err(unreadable) => {
            connection.close().await?;
            Err(unreadable.into())
        }
    }
}
