//! What every command that talks to Zadig does first: turn the flags and the environment into
//! a ready client (to the server named by `--url`/`ZADIG_URL`, or, with `--emulator`, to the
//! bundled emulator started in-process with its state under the working directory), load the
//! files (stopping on any error, so that nothing is written or deleted on a broken tree), read
//! the live state and make the plan.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use crate::cli::ServerArgs;
use crate::emulator::{self, Edition, EmulatorConfig, RunningEmulator, Seeds};
use crate::reconcile::desired::DesiredSet;
use crate::remote::{ClientConfig, Token, ZadigClient, resolve_token};
use std::io::IsTerminal;
use std::path::Path;

use crate::cli::ScopeArgs;
use crate::load::diagnostic::{Diagnostic, Severity};
use crate::load::{ReferenceMode, load_dir};
use crate::reconcile::plan::{Plan, PlanOptions, make_plan, managed_projects};
use crate::reconcile::redact::Secrets;
use crate::remote::fetch::fetch_live;
use crate::report::{self, Document, Format};

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
    /// What this run must never show: the values `${env:…}` references resolved to, and the
    /// API token (a build file could quote it). Log lines hide the same values from now on.
    pub fn secrets(&self, desired: &DesiredSet) -> Secrets {
        let mut values = desired.secrets.clone();
        values.push(self.token.expose().to_string());
        super::log::hide(&values);
        Secrets::new(&values)
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

/// The client configuration the server flags describe, for the server at `base_url`.
fn client_config(args: &ServerArgs, base_url: String, token: Token) -> ClientConfig {
    ClientConfig {
        ca_file: args.ca_file.clone(),
        insecure_http: args.insecure_http,
        rate_limit: args.rate_limit,
        concurrency: args.concurrency,
        request_timeout: args.request_timeout,
        max_body_size: args.max_body_size,
        deadline: (!args.deadline.is_zero()).then_some(args.deadline),
        ..ClientConfig::new(base_url, token)
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
    let client = ZadigClient::new(client_config(args, url.clone(), token.clone()))?;
    Ok(Connection {
        client,
        token,
        server: url.trim_end_matches('/').to_string(),
        emulator: None,
    })
}

async fn connect_to_emulator(args: &ServerArgs) -> anyhow::Result<Connection> {
    if let Some(url) = &args.url {
        let url = crate::remote::config::without_userinfo(url);
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
    let client = ZadigClient::new(client_config(args, emulator.url(), token.clone()))?;
    Ok(Connection {
        client,
        server: "emulator".to_string(),
        token,
        emulator: Some(emulator),
    })
}

/// Everything a command needs after the plan is made.
pub struct Planned {
    pub desired: DesiredSet,
    pub plan: Plan,
    /// What must never be shown, for everything printed after the plan.
    pub secrets: Secrets,
    pub connection: Connection,
}

/// Loads the files for a command that talks to Zadig: every `${env:…}` must resolve.
/// Diagnostics are printed (errors on stdout in the chosen format, warnings on stderr);
/// `None` means the files have errors and the command must stop.
pub fn load_for_server(dir: &Path, output: Format) -> Option<DesiredSet> {
    let env = |name: &str| std::env::var(name).ok();
    let outcome = load_dir(dir, ReferenceMode::Online, &env);
    if outcome.has_errors() {
        print_diagnostics(&outcome.diagnostics, output);
        return None;
    }
    let warnings: Vec<Diagnostic> = outcome
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    if !warnings.is_empty() {
        eprint!(
            "{}",
            report::render(Document::Diagnostics(&warnings), Format::Text, false)
        );
    }
    Some(outcome.desired)
}

/// Diagnostics on stdout, as JSON or as text (Markdown has no form of its own for them).
pub fn print_diagnostics(diagnostics: &[Diagnostic], output: Format) {
    print!(
        "{}",
        report::render(Document::Diagnostics(diagnostics), output, false)
    );
}

/// Connects, reads the live state of the managed projects, and plans.
pub async fn plan_against_server(
    desired: DesiredSet,
    server: &ServerArgs,
    scope: &ScopeArgs,
) -> anyhow::Result<Planned> {
    let connection = connect(server).await?;
    let secrets = connection.secrets(&desired);
    let projects = managed_projects(&desired, &scope.projects);
    let live = fetch_live(&connection.client, &projects).await;
    if let Some(stop) = connection.client.stopped() {
        // 401, 403, an unreachable server or the deadline: every later request failed the
        // same way, so the first error is reported once instead of once per build.
        let message = secrets.redact(&stop.first_error).into_owned();
        connection.close().await?;
        anyhow::bail!("{message}");
    }
    let options = PlanOptions {
        prune: scope.prune,
        max_deletes: scope.max_deletes,
    };
    let plan = make_plan(&desired, &live, &options, &secrets);
    Ok(Planned {
        desired,
        plan,
        secrets,
        connection,
    })
}

/// Colour only for a person at a terminal, and never when `NO_COLOR` is set.
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints a plan in the chosen format.
pub fn print_plan(plan: &Plan, output: Format) {
    print!(
        "{}",
        report::render(Document::Plan(plan), output, use_color())
    );
}
