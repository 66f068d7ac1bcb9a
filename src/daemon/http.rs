//! The daemon's HTTP endpoints: `/healthz` (the loop is alive and not stuck in one pass),
//! `/readyz` (a recent pass read Zadig and executed its plan), `/metrics` (OpenMetrics text,
//! which Prometheus reads), and the status API and page (`status::api`). Each failing probe
//! says why. Read-only, unauthenticated and free of secrets by construction; may listen on any
//! address (it is a service). Does I/O.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::daemon::own_thread;
use crate::daemon::shared::Status;
use crate::daemon::status;

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
    use std::time::Duration;

    use super::*;
    use crate::daemon::metrics::Metrics;
    use crate::daemon::shared::AliveGuard;

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
