//! `zadig-sync emulator`: start the bundled emulator, print where it listens, serve until
//! Ctrl-C or SIGTERM, then write its state and exit 0.

use std::time::Duration;

use anyhow::Context;

use super::Exit;
use super::output::outln;
use crate::cli::EmulatorArgs;
use crate::emulator::{self, EmulatorConfig, Seeds};

pub async fn run(args: EmulatorArgs) -> anyhow::Result<Exit> {
    let config = config_from(&args)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    // Tests and scripts read this line to learn the port; `outln` flushes it.
    outln(format_args!("listening on http://{addr}"));
    emulator::serve(listener, config, shutdown_signal()).await?;
    Ok(Exit::Success)
}

fn config_from(args: &EmulatorArgs) -> anyhow::Result<EmulatorConfig> {
    for (flag, rate) in [
        ("--fail-rate", args.fail_rate),
        ("--throttle-rate", args.throttle_rate),
    ] {
        anyhow::ensure!(
            (0.0..=1.0).contains(&rate),
            "{flag} must be between 0.0 and 1.0, got {rate}"
        );
    }
    let seeds = match &args.seed {
        Some(path) => Seeds::from_file(path)?,
        None => Seeds::default(),
    };
    Ok(EmulatorConfig {
        token: args.token.clone(),
        state_path: args.state.clone(),
        seeds,
        latency: Duration::from_millis(args.latency),
        fail_rate: args.fail_rate,
        throttle_rate: args.throttle_rate,
        edition: args.edition,
    })
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM; if a handler cannot be installed, that signal is
/// simply not awaited (the other still works).
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
