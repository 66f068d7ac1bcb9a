//! `zadig-sync daemon`: connect once (with the metrics' request hook), then hand over to
//! `daemon::run` until SIGTERM or Ctrl-C; exit 0 after a clean stop.

use std::sync::Arc;

use anyhow::Context;
use tracing::error;

use super::Exit;
use super::settings::{Settings, connect_observed};
use crate::cli::DaemonArgs;
use crate::daemon::metrics::Metrics;
use crate::daemon::{self, Daemon, DaemonSettings};
use crate::load::scope::read_scope;

pub async fn run(args: DaemonArgs) -> anyhow::Result<Exit> {
    let metrics = Arc::new(Metrics::new());
    // The scope file as the daemon starts may name the server and its limits; later changes
    // to those need a restart (prune, max deletes and projects are read again every pass).
    // Only the scope file is read here; the builds are the first pass's business. A scope
    // file with errors is logged and left out: every pass then refuses to write until it is
    // fixed, and the daemon stays up to see the fix.
    let scope_file = read_scope(&args.dir.dir).unwrap_or_else(|diagnostics| {
        for diagnostic in &diagnostics {
            error!(%diagnostic, "invalid scope file");
        }
        None
    });
    let settings = Settings::resolve(&args.server, &args.scope, scope_file.as_ref());
    let connection = connect_observed(&settings, Some(metrics.request_observer())).await?;
    let daemon_settings = DaemonSettings {
        dir: args.dir.dir.clone(),
        interval: args.interval,
        debounce: args.debounce,
        full_resync: args.full_resync,
        listen: args.listen,
        drift: args.drift,
    };
    let shutdown = shutdown_signal()?;
    let daemon = Daemon {
        settings: daemon_settings,
        server: args.server,
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
