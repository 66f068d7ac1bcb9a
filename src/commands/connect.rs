//! Turns `ServerArgs` (flags and environment) into a ready client: either to the Zadig server
//! named by `--url`/`ZADIG_URL`, or, with `--emulator`, to the bundled emulator started
//! in-process with its state kept under the working directory.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use crate::cli::{Edition, ServerArgs};
use crate::desired::DesiredSet;
use crate::emulator::{self, EmulatorConfig, RunningEmulator, Seeds};
use crate::remote::{ClientConfig, Token, ZadigClient, resolve_token};

/// Where `--emulator` keeps its builds, so that a second run sees what the first one applied.
pub const EMULATOR_STATE: &str = ".zadig-sync/emulator-state.json";

/// A client, and the in-process emulator behind it when `--emulator` was given.
pub struct Connection {
    pub client: ZadigClient,
    /// Which server this is, for saved plans: the URL, or `emulator` for `--emulator`
    /// (whose port changes every run).
    pub server: String,
    /// Kept to be redacted from everything printed (a build file could quote it).
    token: Token,
    emulator: Option<RunningEmulator>,
}

impl Connection {
    /// Adds the API token to the values the plan and the report redact.
    pub fn redact_token_in(&self, desired: &mut DesiredSet) {
        desired.secrets.push(self.token.expose().to_string());
    }

    /// Stops the in-process emulator (flushing its state), if there is one.
    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(emulator) = self.emulator {
            emulator
                .shutdown()
                .await
                .context("stopping the bundled emulator and saving its state")?;
        }
        Ok(())
    }
}

pub async fn connect(args: &ServerArgs) -> anyhow::Result<Connection> {
    if args.emulator {
        return connect_to_emulator(args).await;
    }
    let url = args
        .url
        .clone()
        .context("no Zadig server given: set ZADIG_URL or pass --url (or try --emulator)")?;
    let token = resolve_token(
        args.token_file.as_deref(),
        std::env::var("ZADIG_TOKEN").ok(),
        std::env::var_os("ZADIG_TOKEN_FILE").map(PathBuf::from),
    )?;
    let client = ZadigClient::new(ClientConfig::from_server_args(
        args,
        url.clone(),
        token.clone(),
    ))?;
    Ok(Connection {
        client,
        token,
        server: url.trim_end_matches('/').to_string(),
        emulator: None,
    })
}

async fn connect_to_emulator(args: &ServerArgs) -> anyhow::Result<Connection> {
    if let Some(url) = &args.url {
        eprintln!("Ignoring the server {url} (--url or ZADIG_URL): --emulator was given.");
    }
    let state_path = PathBuf::from(EMULATOR_STATE);
    if let Some(folder) = state_path.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating {} for the emulator's state", folder.display()))?;
        // The state holds credential values in plain text (as Zadig does): keep it out of git.
        let ignore = folder.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(
                &ignore,
                "# zadig-sync --emulator state: never commit it\n*\n",
            )
            .with_context(|| format!("writing {}", ignore.display()))?;
        }
    }
    let secret = format!("emulator-{:016x}", rand::random::<u64>());
    let config = EmulatorConfig {
        token: secret.clone(),
        state_path: Some(state_path),
        seeds: Seeds::default(),
        latency: Duration::ZERO,
        fail_rate: 0.0,
        throttle_rate: 0.0,
        edition: Edition::Enterprise,
    };
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let emulator = emulator::start(loopback, config)
        .await
        .context("starting the bundled emulator")?;
    eprintln!(
        "Using the bundled Zadig emulator at {} (state in {EMULATOR_STATE}).",
        emulator.url()
    );
    let token = Token::generated(secret);
    let client = ZadigClient::new(ClientConfig::from_server_args(
        args,
        emulator.url(),
        token.clone(),
    ))?;
    Ok(Connection {
        client,
        server: "emulator".to_string(),
        token,
        emulator: Some(emulator),
    })
}
