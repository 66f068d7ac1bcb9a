//! `zadig-sync emulator`: start the bundled emulator, print where it listens, serve until
//! Ctrl-C or SIGTERM, then write its state and exit 0.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

use super::Exit;
use super::output::{errln, outln};
use crate::cli::EmulatorArgs;
use crate::emulator::{self, EmulatorConfig, Seeds};
use crate::session::connection::lock_state;

pub async fn run(args: EmulatorArgs) -> anyhow::Result<Exit> {
    let config = config_from(&args)?;
    // Held until the state is written for the last time, after `serve` returns.
    let _lock = match &args.state {
        Some(state) => Some(lock_state(state, &mut |text| errln(text)).await?),
        None => None,
    };
    let listener = bind_loopback(&args.listen).await?;
    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    // Tests and scripts read this line to learn the port; `outln` flushes it.
    outln(format_args!("listening on http://{addr}"));
    emulator::serve(listener, config, shutdown_signal()).await?;
    Ok(Exit::Success)
}

/// Binds `listen` (`HOST:PORT`), refusing any address that is not loopback: the emulator
/// has no TLS, and its state holds credentials in plain text.
async fn bind_loopback(listen: &str) -> anyhow::Result<tokio::net::TcpListener> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(listen)
        .await
        .with_context(|| format!("--listen {listen}: expected HOST:PORT, e.g. 127.0.0.1:8080"))?
        .collect();
    if let Some(outside) = addrs.iter().find(|a| !a.ip().to_canonical().is_loopback()) {
        anyhow::bail!(
            "--listen {listen}: {} is not a loopback address; the emulator listens on loopback \
             only (127.0.0.1:PORT, [::1]:PORT or localhost:PORT), since its state holds \
             credentials in plain text",
            outside.ip()
        );
    }
    let mut last_error = None;
    for addr in &addrs {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    Err(match last_error {
        Some(error) => anyhow::Error::new(error).context(format!("cannot listen on {listen}")),
        None => anyhow::anyhow!("--listen {listen}: the name resolves to no address"),
    })
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
        edition: args.edition.into(),
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
