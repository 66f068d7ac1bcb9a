//! The daemon's HTTP endpoints: `/healthz` (the loop is alive), `/readyz` (a pass has
//! completed), `/metrics` (OpenMetrics text, which Prometheus reads). Unauthenticated and
//! free of secrets by construction; may listen on any address (it is a service). Does I/O.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::daemon::metrics::Metrics;

/// What the endpoints report, shared with the loop.
#[derive(Debug)]
pub struct Status {
    alive: AtomicBool,
    ready: AtomicBool,
    pub metrics: Arc<Metrics>,
}

impl Status {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Status {
            alive: AtomicBool::new(true),
            ready: AtomicBool::new(false),
            metrics,
        }
    }

    /// A pass has completed: from now on `/readyz` answers 200.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::SeqCst);
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
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (done, stopped) = oneshot::channel();
    std::thread::Builder::new()
        .name("zadig-sync-http".into())
        .spawn(move || {
            let served = runtime.block_on(async move {
                serve(TcpListener::from_std(listener)?, status, shutdown).await
            });
            if let Err(error) = &served {
                // Probes fail from now on; this line says why.
                tracing::error!(%error, "/healthz, /readyz and /metrics stopped");
            }
            let _ = done.send(served);
        })?;
    Ok(stopped)
}

fn flag(set: bool, yes: &'static str, no: &'static str) -> Response {
    if set {
        (StatusCode::OK, yes).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, no).into_response()
    }
}

async fn healthz(State(status): State<Arc<Status>>) -> Response {
    flag(
        status.alive.load(Ordering::SeqCst),
        "ok\n",
        "the loop has stopped\n",
    )
}

async fn readyz(State(status): State<Arc<Status>>) -> Response {
    flag(
        status.ready.load(Ordering::SeqCst),
        "ready\n",
        "no pass has completed yet\n",
    )
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

    #[tokio::test]
    async fn ready_only_after_a_pass_and_unhealthy_once_the_loop_ends() {
        let status = Arc::new(Status::new(Arc::new(Metrics::new())));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, status.clone(), async {
            let _ = stopped.await;
        }));
        assert_eq!(get_status(&base, "/healthz").await.0, 200);
        assert_eq!(get_status(&base, "/readyz").await.0, 503);
        status.set_ready();
        assert_eq!(get_status(&base, "/readyz").await.0, 200);
        drop(AliveGuard(status.clone()));
        assert_eq!(get_status(&base, "/healthz").await.0, 503);
        let (code, text) = get_status(&base, "/metrics").await;
        assert_eq!(code, 200);
        assert!(text.contains("zadig_sync_passes_total"), "{text}");
        let _ = stop.send(());
        server.await.unwrap().unwrap();
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
        let status = Arc::new(Status::new(Arc::new(Metrics::new())));
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
