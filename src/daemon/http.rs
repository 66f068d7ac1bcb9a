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
}
