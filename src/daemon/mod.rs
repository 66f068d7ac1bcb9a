//! The daemon: `apply` run for ever. A file watch, the `--interval` resync and retries are
//! merged into one trigger stream ([`trigger`]); each trigger runs one pass ([`pass`]), which
//! is exactly apply's pipeline and safety rules (load, plan, execute) plus drift handling,
//! per-build backoff and the memory of settled details ([`memory`]); `/healthz`, `/readyz`
//! and `/metrics` are served beside it ([`http`], [`metrics`]), on a thread of their own:
//! passes run on one thread (`main.rs` picks the runtime), which keeps a service that runs
//! for months to one allocator arena (docs/daemon.md, "Memory"). Does I/O.
//!
//! [`run_loop`] takes its shutdown future as an argument (as mini-redis does): the running
//! pass may finish within a grace period, and no new pass starts.

pub mod backoff;
pub mod http;
pub mod identity;
pub mod memory;
pub mod metrics;
pub mod pass;
pub mod states;
pub mod trigger;
pub mod watch;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::ValueEnum;
use tokio::time::timeout;
use tracing::info;

use crate::cli::{ScopeArgs, ServerArgs};
use crate::commands::settings::Connection;
use metrics::Metrics;

use trigger::{PassEnd, Trigger, Triggers};

/// `--drift`: what to do with a build changed in Zadig's UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftMode {
    /// Write the file's version back, and log the fields.
    Correct,
    /// Log and count it; write nothing to that build.
    Report,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The daemon's own settings (the connection and scope are the commands' business).
#[derive(Debug, Clone)]
pub struct DaemonSettings {
    pub dir: PathBuf,
    pub interval: Duration,
    pub debounce: Duration,
    pub full_resync: Duration,
    pub listen: SocketAddr,
    pub drift: DriftMode,
}

/// How long a pass running at shutdown may go on finishing its writes (below Kubernetes'
/// default 30 s grace period).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Set once shutdown was asked for: a pass that has not started writing yet writes nothing.
#[derive(Debug, Clone, Default)]
pub struct Stopping(Arc<AtomicBool>);

impl Stopping {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

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
/// to finish (its writes in flight complete; `stopping` is set, so a pass that has not begun
/// writing writes nothing); no pass starts after it.
pub async fn run_loop<R: Runner>(
    mut triggers: Triggers,
    runner: &mut R,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
    stopping: &Stopping,
) {
    tokio::pin!(shutdown);
    loop {
        let trigger = tokio::select! {
            biased;
            () = &mut shutdown => break,
            trigger = triggers.next() => trigger,
        };
        tracing::debug!(?trigger, "pass triggered");
        let running = runner.pass(trigger);
        tokio::pin!(running);
        let end = tokio::select! {
            end = &mut running => end,
            () = &mut shutdown => {
                stopping.set();
                tracing::info!("shutting down: letting the running pass finish its writes");
                if timeout(grace, running).await.is_err() {
                    tracing::warn!(grace_s = grace.as_secs(), "the running pass did not finish in time");
                }
                break;
            }
        };
        triggers.after(end);
    }
    stopping.set();
}

/// Everything a daemon needs besides its connection: the flags and the shared metrics.
pub struct Daemon {
    pub settings: DaemonSettings,
    pub server: ServerArgs,
    pub scope: ScopeArgs,
    pub metrics: Arc<Metrics>,
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
}

/// Serves the endpoints, watches the directory and runs passes until `shutdown` resolves;
/// gives the connection back (to be closed by the caller).
pub async fn run(
    daemon: Daemon,
    connection: Connection,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Connection, DaemonError> {
    let Daemon {
        settings,
        server: server_args,
        scope,
        metrics,
    } = daemon;
    let listen_error = |source| DaemonError::Listen {
        addr: settings.listen,
        source,
    };
    let listener = std::net::TcpListener::bind(settings.listen).map_err(listen_error)?;
    let listening = listener.local_addr().unwrap_or(settings.listen);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let status = Arc::new(http::Status::new(metrics));
    let server = http::serve_on_own_thread(listener, status.clone(), wait_for(stopped.clone()))
        .map_err(|source| DaemonError::Serve { source })?;
    info!(address = %listening, "serving /healthz, /readyz and /metrics");
    let (events, receiver) = tokio::sync::mpsc::unbounded_channel();
    let triggers = Triggers::new(receiver, settings.interval, settings.debounce);
    let mut passes = pass::Passes::new(
        settings.clone(),
        (server_args, scope),
        connection,
        status.clone(),
    );
    passes.watch = Some(watch::DirWatch::start(&settings.dir, events)?);
    let stopping = passes.stopping.clone();
    {
        let _alive = http::AliveGuard(status);
        run_loop(
            triggers,
            &mut passes,
            wait_for(stopped.clone()),
            SHUTDOWN_GRACE,
            &stopping,
        )
        .await;
    }
    info!("stopped");
    // The endpoints stop with the loop (the shutdown signal reached both); a scraper holding
    // a connection open must not keep the process alive.
    let _ = timeout(Duration::from_secs(5), server).await;
    Ok(passes.connection)
}

/// Resolves once the shutdown flag is set (or its sender is gone).
async fn wait_for(mut stopped: tokio::sync::watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// A duration flag that must not be zero (a zero interval would spin).
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|error| error.to_string())?;
    if duration.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(duration)
}
