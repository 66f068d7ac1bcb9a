//! Zadig's build API on loopback, with its quirks (`docs/zadig-api.md` §11), for tests,
//! benchmarks and first-time users. Keeps its own store and wire types: it models Zadig,
//! never the client's reading of Zadig (it imports nothing from `spec`, `remote` or the
//! normalisation). Does network and file I/O: [`serve`] owns a listener and the state file.

mod access;
mod clock;
mod convert;
mod faults;
mod handlers;
mod json;
pub mod lock;
mod model;
mod redirect;
mod render;
mod reply;
mod request;
mod response;
mod router;
mod seeds;
mod stats;
mod store;
mod template;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Mutex, oneshot};
use tokio::task::JoinHandle;

/// Which Zadig the emulator plays: the template routes need a licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    /// Open-source Zadig: template routes answer 7050 (no licence).
    Oss,
    /// ZadigX with a licence: template routes work.
    Enterprise,
}

impl Edition {
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::Oss => "oss",
            Edition::Enterprise => "enterprise",
        }
    }
}
pub use seeds::{LIMITED_TOKEN, Seeds};
use store::StateError;

use faults::Faults;
use handlers::Api;
use router::Shared;
use store::Store;

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The admin token; `Authorization: <word> <token>` (exactly 2 space-separated parts) or `?token=`.
    pub token: String,
    /// Loaded at start if present; written atomically (temp + rename) after each change.
    pub state_path: Option<PathBuf>,
    /// What exists before any build: images, code hosts, clusters, templates, limited users.
    pub seeds: Seeds,
    /// Added before every answer on `/openapi/…`.
    pub latency: Duration,
    /// Share (0.0–1.0) of requests answered 500/502/503, before any work is done.
    pub fail_rate: f64,
    /// Share (0.0–1.0) of requests answered 429 with `Retry-After: 1`.
    pub throttle_rate: f64,
    /// `Oss`: the template routes answer 400/7050 (no licence).
    pub edition: Edition,
}

impl EmulatorConfig {
    /// Default seeds, no state file, no faults, enterprise edition.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            state_path: None,
            seeds: Seeds::default(),
            latency: Duration::ZERO,
            fail_rate: 0.0,
            throttle_rate: 0.0,
            edition: Edition::Enterprise,
        }
    }
}

/// Why the emulator could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the address the emulator listens on")]
    LocalAddr(#[source] std::io::Error),
    #[error("the emulator's HTTP server failed")]
    Serve(#[source] std::io::Error),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("the emulator task ended abnormally")]
    Task(#[source] tokio::task::JoinError),
}

/// Serves until `shutdown` resolves, then writes the state file one last time.
pub async fn serve(
    listener: TcpListener,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), EmulatorError> {
    serve_shared(listener, Arc::new(shared_state(config)?), shutdown).await
}

async fn serve_shared(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), EmulatorError> {
    let app = axum::Router::new()
        .fallback(router::handle)
        .with_state(Arc::clone(&shared));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(EmulatorError::Serve)?;
    if let Some(path) = &shared.api.state_path {
        shared.api.store.lock().await.save(path).await?;
    }
    Ok(())
}

fn shared_state(config: EmulatorConfig) -> Result<Shared, EmulatorError> {
    let store = match &config.state_path {
        Some(path) => Store::load(path)?,
        None => Store::default(),
    };
    Ok(Shared {
        api: Api {
            seeds: config.seeds,
            edition: config.edition,
            store: Mutex::new(store),
            state_path: config.state_path,
            clock: Default::default(),
        },
        admin_token: config.token,
        targeted: std::sync::Mutex::default(),
        faults: Faults {
            latency: config.latency,
            fail_rate: config.fail_rate,
            throttle_rate: config.throttle_rate,
        },
        stats: Default::default(),
    })
}

/// An emulator serving in a background task.
#[derive(Debug)]
pub struct RunningEmulator {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), EmulatorError>>,
}

/// Binds `addr` (port 0 picks one), loads the state file, and serves in a spawned task.
pub async fn start(
    addr: SocketAddr,
    config: EmulatorConfig,
) -> Result<RunningEmulator, EmulatorError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| EmulatorError::Bind { addr, source })?;
    let addr = listener.local_addr().map_err(EmulatorError::LocalAddr)?;
    // Loaded here, not in the task, so that an unreadable state file fails the start.
    let shared = Arc::new(shared_state(config)?);
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        // A dropped handle stops the server too.
        let _ = stopped.await;
    };
    let task = tokio::spawn(serve_shared(listener, shared, shutdown));
    Ok(RunningEmulator { addr, stop, task })
}

impl RunningEmulator {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes requests in flight, writes the state file.
    pub async fn shutdown(self) -> Result<(), EmulatorError> {
        // The server may already have stopped on its own; its result is what matters.
        let _ = self.stop.send(());
        self.task.await.map_err(EmulatorError::Task)?
    }
}
