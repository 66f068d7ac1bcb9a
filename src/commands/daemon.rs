//! `zadig-sync daemon`: connect once (with the metrics' request hook), then hand over to
//! `daemon::run` until SIGTERM or Ctrl-C; exit 0 after a clean stop.

use std::sync::Arc;

use anyhow::Context;

use super::Exit;
use super::settings::connect_observed;
use crate::cli::DaemonArgs;
use crate::daemon::metrics::Metrics;
use crate::daemon::{self, Daemon, DaemonSettings};

pub async fn run(args: DaemonArgs) -> anyhow::Result<Exit> {
    let metrics = Arc::new(Metrics::new());
    let connection = connect_observed(&args.server, Some(metrics.request_observer())).await?;
    let settings = DaemonSettings {
        dir: args.dir.dir,
        interval: args.interval,
        debounce: args.debounce,
        full_resync: args.full_resync,
        listen: args.listen,
        drift: args.drift,
    };
    let shutdown = shutdown_signal()?;
    let daemon = Daemon {
        settings,
        scope: args.scope,
        metrics,
    };
    let connection = daemon::run(daemon, connection, shutdown).await?;
    connection.close().await?;
    Ok(Exit::Success)
}

/// Resolves on the first SIGTERM or SIGINT (Ctrl-C).
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM received"),
            _ = interrupt.recv() => tracing::info!("SIGINT received"),
        }
    })
}
