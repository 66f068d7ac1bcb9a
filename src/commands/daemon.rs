//! `zadig-sync daemon`: turn the flags into the daemon's configuration, connect once (with
//! the metrics' request hook), then hand over to `daemon::run` until SIGTERM or Ctrl-C; exit
//! 0 after a clean stop. A second signal exits at once (130 after Ctrl-C, 143 after SIGTERM).

use std::sync::Arc;

use tracing::error;

use super::Exit;
use super::notify;
use super::output::errln;
use super::pipeline::{connect, scope_options, server_options};
use crate::cli::{DaemonArgs, VERSION};
use crate::daemon::metrics::Metrics;
use crate::daemon::{self, DaemonConfig};
use crate::load::scope::read_scope;
use crate::session::Settings;

/// How long notifications still queued at shutdown may take to go out.
const NOTIFY_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

pub async fn run(args: DaemonArgs) -> anyhow::Result<Exit> {
    let metrics = Arc::new(Metrics::new());
    let git = super::git::daemon_git(&args).await?;
    // With --git, the scope file is the one of the commit fetched at start, if any.
    let scope_dir = (git.as_ref())
        .and_then(|git| git.initial.as_ref())
        .map_or_else(|| args.dir.dir.clone(), |revision| revision.dir.clone());
    let mut config = DaemonConfig {
        dir: args.dir.dir.clone(),
        interval: args.daemon.interval,
        debounce: args.daemon.debounce,
        full_resync: args.daemon.full_resync,
        listen: args.daemon.listen,
        drift: args.daemon.drift.into(),
        server: server_options(&args.server),
        scope: scope_options(&args.scope),
        version: VERSION,
        git,
        notifier: None,
    };
    // The scope file as the daemon starts may name the server and its limits; later changes
    // to those need a restart (prune, max deletes and projects are read again every pass).
    // Only the scope file is read here; the builds are the first pass's business. A scope
    // file with errors is logged and left out: every pass then refuses to write until it is
    // fixed, and the daemon stays up to see the fix.
    let scope_file = read_scope(&scope_dir).unwrap_or_else(|diagnostics| {
        for diagnostic in &diagnostics {
            error!(%diagnostic, "invalid scope file");
        }
        None
    });
    config.notifier = notify::start(scope_file.as_ref(), &args.daemon, &metrics)?;
    let notifier = config.notifier.clone();
    let settings = Settings::resolve(&config.server, &config.scope, scope_file.as_ref());
    let connection = connect(&settings, Some(metrics.request_observer())).await?;
    if let Some((url, token)) = connection.emulator_access() {
        // Loopback development data, printed so that one can play Zadig's UI by hand; not a
        // log line, which hides the token like any other.
        errln(format_args!(
            "Zadig's build API is served by the bundled emulator at {url}, token {token}; \
             try `curl -H 'Authorization: Bearer {token}' '{url}/openapi/build?projectKey=demo'`."
        ));
    }
    let shutdown = signals::shutdown()?;
    let connection = daemon::run(config, metrics, connection, shutdown).await?;
    if let Some(notifier) = notifier {
        // What the last pass told may still be on its way; not for long.
        notifier.flush(NOTIFY_GRACE).await;
    }
    connection.close().await?;
    Ok(Exit::Success)
}

/// SIGTERM and SIGINT: the first asks for a clean stop, a second ends the process at once.
#[cfg(unix)]
mod signals {
    use anyhow::Context;
    use tokio::signal::unix::{Signal, SignalKind, signal};

    /// Resolves on the first SIGTERM or SIGINT (Ctrl-C); from then on, the next one exits
    /// the process with 128 + its number.
    pub fn shutdown() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
        let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM received"),
                _ = interrupt.recv() => tracing::info!("SIGINT received"),
            }
            tokio::spawn(exit_on_second(terminate, interrupt));
        })
    }

    async fn exit_on_second(mut terminate: Signal, mut interrupt: Signal) {
        let code = tokio::select! {
            _ = terminate.recv() => 143,
            _ = interrupt.recv() => 130,
        };
        tracing::warn!(code, "a second signal: stopping at once");
        std::process::exit(code);
    }
}

/// Ctrl-C only, where there are no Unix signals.
#[cfg(not(unix))]
mod signals {
    pub fn shutdown() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C received");
            tokio::spawn(async {
                let _ = tokio::signal::ctrl_c().await;
                std::process::exit(130);
            });
        })
    }
}
