//! The daemon's HTTP endpoints: `/healthz` (the loop is alive and not stuck in one pass),
//! `/readyz` (a recent pass read Zadig and executed its plan), `/metrics` (OpenMetrics text,
//! which Prometheus reads), and the status API and page (`status::api`). Each failing probe
//! says why. Read-only, unauthenticated and free of secrets by construction; may listen on any
//! address (it is a service). Does I/O.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::daemon::git::{AppliedRevision, GitFeed};
use crate::daemon::metrics::Metrics;
use crate::daemon::own_thread;
use crate::daemon::status::{self, Board};
use crate::notify::Notifier;

/// What the endpoints report, shared with the loop.
#[derive(Debug)]
pub struct Status {
    alive: AtomicBool,
    health: Mutex<Health>,
    pub metrics: Arc<Metrics>,
    /// The commit (and ref) the last completed pass applied, when the files are one.
    revision: Mutex<Option<AppliedRevision>>,
    /// With `--git`: the fetch loop's view (the commit in force, a refused one, a failure).
    pub git: std::sync::OnceLock<Arc<GitFeed>>,
    /// Each build's state, the last pass and the events, for the status API and the page.
    pub board: Board,
}

/// What the probes decide from, as the loop records it.
#[derive(Debug)]
struct Health {
    /// When the last pass that read Zadig and executed its plan ended.
    completed: Option<Instant>,
    /// Why the last pass could not read Zadig (an unreachable server, a refused token).
    problem: Option<String>,
    /// When the running pass started, if one runs.
    busy_since: Option<Instant>,
    /// Not ready when no pass completed for this long (3 × `--interval`).
    stale_after: Duration,
    /// Not alive when one pass runs for this long (the loop is stuck).
    stuck_after: Duration,
}

impl Status {
    /// `interval`: the resync interval (readiness lapses after three of them without a
    /// completed pass); `stuck_after`: how long one pass may run before `/healthz` fails.
    pub fn new(metrics: Arc<Metrics>, interval: Duration, stuck_after: Duration) -> Self {
        Status {
            alive: AtomicBool::new(true),
            health: Mutex::new(Health {
                completed: None,
                problem: None,
                busy_since: None,
                stale_after: interval.saturating_mul(3),
                stuck_after,
            }),
            board: Board::new(metrics.requests_sent.clone(), interval, None),
            metrics,
            revision: Mutex::new(None),
            git: std::sync::OnceLock::new(),
        }
    }

    /// A pass completed with the files of `revision`.
    pub fn set_revision(&self, revision: Option<AppliedRevision>) {
        *self.revision.lock().unwrap_or_else(PoisonError::into_inner) = revision;
    }

    /// The commit (and ref) the last completed pass applied.
    pub fn revision(&self) -> Option<AppliedRevision> {
        self.revision
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The same, telling every event to `notifier` too.
    pub fn notifying(mut self, notifier: Option<Notifier>) -> Self {
        self.board = self.board.with_notifier(notifier);
        self
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A pass starts.
    pub fn pass_started(&self) {
        self.health().busy_since = Some(Instant::now());
    }

    /// The pass ended, however.
    pub fn pass_ended(&self) {
        self.health().busy_since = None;
    }

    /// The pass read Zadig and executed its plan (even if some builds failed).
    pub fn pass_completed(&self) {
        let mut health = self.health();
        health.completed = Some(Instant::now());
        health.problem = None;
    }

    /// The pass could not read Zadig: `/readyz` says why until a pass completes.
    pub fn zadig_unreadable(&self, why: String) {
        self.health().problem = Some(why);
    }

    /// `Ok` when ready, else why not.
    pub fn readiness(&self) -> Result<(), String> {
        let health = self.health();
        if let Some(problem) = &health.problem {
            return Err(format!("the last pass could not read Zadig: {problem}"));
        }
        match health.completed {
            None => Err("no pass has completed yet".into()),
            Some(at) if at.elapsed() > health.stale_after => Err(format!(
                "no pass has completed for {}s (3 × --interval); see the log",
                at.elapsed().as_secs()
            )),
            Some(_) => Ok(()),
        }
    }

    /// `Ok` while the loop runs and no pass is stuck, else why not.
    pub fn liveness(&self) -> Result<(), String> {
        if !self.alive.load(Ordering::SeqCst) {
            return Err("the loop has stopped".into());
        }
        let health = self.health();
        match health.busy_since {
            Some(since) if since.elapsed() > health.stuck_after => Err(format!(
                "one pass has been running for {}s: the loop is stuck",
                since.elapsed().as_secs()
            )),
            _ => Ok(()),
        }
    }

    /// The loop ended (or panicked): `/healthz` answers 503.
    pub fn set_dead(&self) {
        self.alive.store(false, Ordering::SeqCst);
    }
}

/// Marks the loop dead when dropped, so that a panic in it shows on `/healthz` too.
pub struct AliveGuard(pub Arc<Status>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.set_dead();
    }
}

pub fn router(status: Arc<Status>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(status::api::routes())
        .with_state(status)
}

/// Serves the endpoints on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    status: Arc<Status>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(status))
        .with_graceful_shutdown(shutdown)
        .await
}

/// [`serve`] on a thread of its own, with its own small runtime: probes and scrapes are
/// answered at once even while a pass keeps the daemon's one thread busy (loading thousands
/// of files, planning). The receiver resolves when the server has stopped.
pub fn serve_on_own_thread(
    listener: std::net::TcpListener,
    status: Arc<Status>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<oneshot::Receiver<std::io::Result<()>>> {
    let what = "/healthz, /readyz and /metrics";
    own_thread::serve_router("zadig-sync-http", what, listener, router(status), shutdown)
}

/// 200 with `yes`, or 503 saying why not.
fn probe(answer: Result<(), String>, yes: &'static str) -> Response {
    match answer {
        Ok(()) => (StatusCode::OK, yes).into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")).into_response(),
    }
}

async fn healthz(State(status): State<Arc<Status>>) -> Response {
    probe(status.liveness(), "ok\n")
}

async fn readyz(State(status): State<Arc<Status>>) -> Response {
    probe(status.readiness(), "ready\n")
}

async fn metrics(State(status): State<Arc<Status>>) -> Response {
    match status.metrics.render() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "cannot render metrics\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get_status(base: &str, path: &str) -> (u16, String) {
        let response = reqwest::get(format!("{base}{path}")).await.unwrap();
        let code = response.status().as_u16();
        (code, response.text().await.unwrap())
    }

    fn status() -> Arc<Status> {
        let minute = Duration::from_secs(60);
        Arc::new(Status::new(Arc::new(Metrics::new()), minute, minute))
    }

    #[tokio::test]
    async fn ready_only_after_a_pass_and_unhealthy_once_the_loop_ends() {
        let status = status();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, status.clone(), async {
            let _ = stopped.await;
        }));
        assert_eq!(get_status(&base, "/healthz").await.0, 200);
        assert_eq!(
            get_status(&base, "/readyz").await,
            (503, "no pass has completed yet\n".into())
        );
        status.pass_completed();
        assert_eq!(get_status(&base, "/readyz").await.0, 200);
        status.zadig_unreadable("Zadig refused the API token (401)".into());
        let (code, why) = get_status(&base, "/readyz").await;
        assert_eq!(code, 503);
        assert!(why.contains("refused the API token"), "{why}");
        status.pass_completed();
        assert_eq!(get_status(&base, "/readyz").await.0, 200);
        drop(AliveGuard(status.clone()));
        assert_eq!(get_status(&base, "/healthz").await.0, 503);
        let (code, text) = get_status(&base, "/metrics").await;
        assert_eq!(code, 200);
        assert!(text.contains("zadig_sync_passes_total"), "{text}");
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }

    #[test]
    fn readiness_lapses_without_a_recent_pass_and_a_stuck_pass_fails_liveness() {
        let status = Status::new(Arc::new(Metrics::new()), Duration::ZERO, Duration::ZERO);
        status.pass_completed();
        std::thread::sleep(Duration::from_millis(5));
        let why = status.readiness().unwrap_err();
        assert!(why.contains("no pass has completed for"), "{why}");
        assert!(status.liveness().is_ok(), "no pass runs: nothing is stuck");
        status.pass_started();
        std::thread::sleep(Duration::from_millis(5));
        let why = status.liveness().unwrap_err();
        assert!(why.contains("the loop is stuck"), "{why}");
        status.pass_ended();
        assert!(status.liveness().is_ok());
    }

    /// One request over a plain socket, without any runtime (this thread stays blocked).
    fn blocking_get(addr: std::net::SocketAddr, path: &str) -> String {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(stream, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    // The daemon runs on one thread; a pass busy on the CPU (here: this test blocking its
    // own runtime's only thread) must not keep a liveness probe waiting.
    #[tokio::test(flavor = "current_thread")]
    async fn probes_are_answered_while_the_daemon_thread_is_busy() {
        let status = status();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = serve_on_own_thread(listener, status, async {
            let _ = stopped.await;
        })
        .unwrap();
        let answer = blocking_get(addr, "/healthz");
        assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
        assert!(answer.ends_with("ok\n"), "{answer}");
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }
}
