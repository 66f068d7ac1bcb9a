//! The daemon: `apply` run for ever, shaped like a controller. A file watch, the token file,
//! the `--interval` resync and the retries that are due are merged into one trigger stream
//! ([`trigger`]); each trigger runs one pass ([`pass`]): the planner decides everything (drift
//! policy, builds held while backing off, each step's cause) and the pass executes the plan,
//! then moves each build's one state ([`state`]) by a pure transition, tells what happened
//! ([`events`]) and schedules the next wake-up from the states. `/healthz`, `/readyz` and
//! `/metrics` are served beside it ([`http`], [`metrics`]), on a thread of their own: passes
//! run on one thread (`main.rs` picks the runtime), which keeps a service that runs for months
//! to one allocator arena (docs/daemon.md, "Memory"). Does I/O.
//!
//! [`run_loop`] takes its shutdown future as an argument (as mini-redis does): the running
//! pass may finish its writes in flight within a grace period, starts no new write, and no
//! new pass starts. The daemon sees no command-line type: `commands/daemon.rs` hands it a
//! [`DaemonConfig`] and a connection.

pub mod drift_pull;
pub mod events;
pub mod git;
pub mod hooks;
pub mod http;
pub mod identity;
pub mod memory;
pub mod metrics;
pub mod notify;
pub mod own_thread;
pub mod pass;
pub mod settle;
pub mod shared;
pub mod state;
pub mod status;
pub mod trigger;
pub mod watch;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::timeout;
use tracing::info;

use crate::apply::StopSignal;
use crate::reconcile::plan::DriftPolicy;
use crate::session::{Connection, ScopeOptions, ServerOptions};
use metrics::Metrics;

use trigger::{PassEnd, Trigger, Triggers};

/// Everything a daemon is told at start besides its connection.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    pub dir: PathBuf,
    pub interval: Duration,
    pub debounce: Duration,
    pub full_resync: Duration,
    pub listen: SocketAddr,
    pub drift: DriftPolicy,
    /// The server and scope options as given: with each pass's scope file they give that
    /// pass's settings (projects, prune, max deletes).
    pub server: ServerOptions,
    pub scope: ScopeOptions,
    /// `zadig-sync 0.1.0 (abc1234 2026-12-01)`, logged at start.
    pub version: &'static str,
    /// With `--git`: the files come from there (and `dir` is not read).
    pub git: Option<git::GitDaemon>,
    /// Where every event is also sent, when sinks are configured.
    pub notifier: Option<crate::daemon::notify::Notifier>,
}

impl DaemonConfig {
    /// How long one pass may run before `/healthz` says the loop is stuck: the run's
    /// `--deadline` bounds its requests, plus time to load and plan.
    pub fn stuck_after(&self) -> Duration {
        match self.server.deadline {
            deadline if deadline.is_zero() => Duration::from_secs(3600),
            deadline => deadline + Duration::from_secs(300),
        }
    }
}

/// How long a pass running at shutdown may go on finishing its writes (below Kubernetes'
/// default 30 s grace period).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Whatever runs one pass per trigger (the real [`pass::Passes`], or a test's stand-in).
pub trait Runner {
    fn pass(&mut self, trigger: Trigger) -> impl Future<Output = PassEnd>;
}

impl Runner for pass::Passes {
    fn pass(&mut self, trigger: Trigger) -> impl Future<Output = PassEnd> {
        pass::Passes::pass(self, trigger)
    }
}

/// Runs a pass for every trigger until `shutdown` resolves. A pass running then gets `grace`
/// to finish its writes in flight (`stop` is set, so it starts no new one); no pass starts
/// after it.
pub async fn run_loop<R: Runner>(
    mut triggers: Triggers,
    runner: &mut R,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
    stop: &StopSignal,
) {
    tokio::pin!(shutdown);
    loop {
        let trigger = tokio::select! {
            biased;
            () = &mut shutdown => break,
            trigger = triggers.next() => trigger,
        };
        let running = runner.pass(trigger);
        tokio::pin!(running);
        let end = tokio::select! {
            end = &mut running => end,
            () = &mut shutdown => {
                stop.set();
                info!("shutting down: no new write starts; letting writes in flight finish");
                if timeout(grace, running).await.is_err() {
                    tracing::warn!(grace_s = grace.as_secs(), "the running pass did not finish in time");
                }
                break;
            }
        };
        triggers.after(end);
    }
    stop.set();
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot listen on {addr} for /healthz, /readyz and /metrics: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the thread serving /healthz, /readyz and /metrics: {source}")]
    Serve {
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Watch(#[from] watch::WatchError),
    #[error("cannot listen on {addr} for POST /hooks/git: {source}")]
    HooksListen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Serves the endpoints, watches the directory and runs passes until `shutdown` resolves;
/// gives the connection back (to be closed by the caller).
pub async fn run(
    config: DaemonConfig,
    metrics: Arc<Metrics>,
    connection: Connection,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Connection, DaemonError> {
    info!(version = config.version, "zadig-sync daemon starting");
    let listen_error = |source| DaemonError::Listen {
        addr: config.listen,
        source,
    };
    let listener = std::net::TcpListener::bind(config.listen).map_err(listen_error)?;
    let listening = listener.local_addr().unwrap_or(config.listen);
    let (stop_tx, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let status = Arc::new(
        shared::Status::new(metrics, config.interval, config.stuck_after())
            .notifying(config.notifier.clone()),
    );
    let server = http::serve_on_own_thread(listener, status.clone(), wait_for(stopped.clone()))
        .map_err(|source| DaemonError::Serve { source })?;
    info!(address = %listening, "serving /healthz, /readyz and /metrics");
    let (changes, receiver) = tokio::sync::mpsc::unbounded_channel();
    let triggers = Triggers::new(receiver, config.interval, config.debounce);
    let watched_dir = config.git.is_none().then_some(config.dir.as_path());
    let watch = watch::DirWatch::start(watched_dir, connection.token_file(), changes.clone())?;
    let git = (config.git.as_ref())
        .map(|git| {
            git::start(
                git,
                status.metrics.clone(),
                changes,
                wait_for(stopped.clone()),
            )
        })
        .transpose()?;
    let feed = git.as_ref().map(|git| git.feed.clone());
    let mut passes = pass::Passes::new(config, connection, status.clone(), watch).with_git(feed);
    let stop = passes.stop.clone();
    {
        let _alive = shared::AliveGuard(status);
        run_loop(
            triggers,
            &mut passes,
            wait_for(stopped.clone()),
            SHUTDOWN_GRACE,
            &stop,
        )
        .await;
    }
    if let Some(git) = git {
        git.stop().await;
    }
    info!("stopped");
    // The endpoints stop with the loop (the shutdown signal reached both); a scraper holding
    // a connection open must not keep the process alive.
    let _ = timeout(Duration::from_secs(5), server).await;
    Ok(passes.into_connection())
}

/// Resolves once the shutdown flag is set (or its sender is gone).
async fn wait_for(mut stopped: tokio::sync::watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
