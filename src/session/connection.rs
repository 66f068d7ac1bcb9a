//! A ready client: to the server the settings name, or, with `--emulator`, to the bundled
//! emulator started in-process with its state under the working directory. Reads the token
//! (and can read it again: the daemon follows a rotated token file). Does I/O.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::emulator::lock::{LockError, StateLock};
use crate::emulator::{self, Edition, EmulatorConfig, EmulatorError, RunningEmulator, Seeds};
use crate::reconcile::desired::DesiredSet;
use crate::reconcile::redact::Secrets;
use crate::remote::{
    ClientConfig, ConfigError, RequestObserver, Token, ZadigClient, resolve_token,
};
use crate::session::settings::Settings;

/// Where `--emulator` keeps its builds, so that a second run sees what the first one applied.
pub const EMULATOR_STATE: &str = ".zadig-sync/emulator-state.json";

/// How long a run waits for another process to release an emulator state file.
pub const STATE_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "no Zadig server given: set ZADIG_URL, pass --url or write `url:` in zadig-sync.yaml \
         (or try --emulator)"
    )]
    NoServer,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("creating {} for the emulator's state: {source}", path.display())]
    StateFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("starting the bundled emulator: {0}")]
    Emulator(#[from] EmulatorError),
    #[error("stopping the bundled emulator and saving its state: {0}")]
    EmulatorStop(#[source] EmulatorError),
}

/// Something a person starting the run should read (the caller prints it, or logs it).
pub type Notice = String;

/// Where a user's token comes from (`--token-file`, `ZADIG_TOKEN` or `ZADIG_TOKEN_FILE`, in
/// `resolve_token`'s order), kept to read it again when it is rotated.
#[derive(Debug, Clone)]
struct TokenSource {
    flag_file: Option<PathBuf>,
    env_file: Option<PathBuf>,
    env_value: Option<String>,
}

impl TokenSource {
    /// An empty variable counts as unset: `ZADIG_TOKEN=` in a CI job's environment must not
    /// hide the `ZADIG_TOKEN_FILE` beside it.
    fn of_environment(flag_file: Option<PathBuf>) -> Self {
        TokenSource {
            flag_file,
            env_file: std::env::var_os("ZADIG_TOKEN_FILE")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
            env_value: std::env::var("ZADIG_TOKEN").ok().filter(|v| !v.is_empty()),
        }
    }

    fn read(&self) -> Result<Token, ConfigError> {
        resolve_token(
            self.flag_file.as_deref(),
            self.env_value.clone(),
            self.env_file.clone(),
        )
    }

    /// The file the token is read from, when it is one.
    fn file(&self) -> Option<&Path> {
        match (&self.flag_file, &self.env_value) {
            (Some(path), _) => Some(path),
            (None, None) => self.env_file.as_deref(),
            (None, Some(_)) => None,
        }
    }
}

/// A client, and the in-process emulator behind it when `--emulator` was given.
pub struct Connection {
    pub client: ZadigClient,
    /// Which server this is, for saved plans and caches: the URL, or `emulator` for
    /// `--emulator` (whose port changes every run).
    pub server: String,
    /// Kept to be redacted from everything printed (a build file could quote it).
    token: Token,
    /// Where the token came from; none for the in-process emulator's own.
    source: Option<TokenSource>,
    emulator: Option<RunningEmulator>,
    /// With `--emulator`: the lock of its state file, released after `close` saved it.
    state_lock: Option<StateLock>,
}

impl Connection {
    /// What this run must never show: the values `${env:…}` references resolved to, and the
    /// API token (a build file could quote it). Log lines hide the same values from now on.
    pub fn secrets(&self, desired: &DesiredSet) -> Secrets {
        let values = self.secret_values(desired);
        crate::logs::hide(&values);
        self.client.hide_in_errors(&values);
        Secrets::new(&values)
    }

    /// The values themselves: the `${env:…}` values and the token.
    pub fn secret_values(&self, desired: &DesiredSet) -> Vec<String> {
        let mut values = desired.secrets.clone();
        values.push(self.token.expose().to_string());
        values
    }

    /// The API token, as the key material the detail cache derives its keys from (never
    /// stored, never shown).
    pub fn token_secret(&self) -> &str {
        self.token.expose()
    }

    /// The file the token is read from, when it is one (the daemon watches it).
    pub fn token_file(&self) -> Option<&Path> {
        self.source.as_ref()?.file()
    }

    /// Reads the token again from where it came from; `Ok(true)` when it changed (the client
    /// sends the new one from now on).
    pub fn reread_token(&mut self) -> Result<bool, ConfigError> {
        let Some(source) = &self.source else {
            return Ok(false);
        };
        let token = source.read()?;
        if token.expose() == self.token.expose() {
            return Ok(false);
        }
        self.client.set_token(&token)?;
        crate::logs::hide(&[token.expose().to_string()]);
        self.token = token;
        Ok(true)
    }

    /// The in-process emulator's address and token, with `--emulator` (loopback dev data).
    pub fn emulator_access(&self) -> Option<(String, &str)> {
        let emulator = self.emulator.as_ref()?;
        Some((emulator.url(), self.token.expose()))
    }

    /// Stops the in-process emulator (flushing its state), if there is one.
    pub async fn close(self) -> Result<(), ConnectError> {
        if let Some(emulator) = self.emulator {
            emulator
                .shutdown()
                .await
                .map_err(ConnectError::EmulatorStop)?;
        }
        drop(self.state_lock);
        Ok(())
    }
}

/// Which server the settings name, as saved plans and caches record it: the URL without a
/// trailing slash, or `emulator` for `--emulator` (whose port changes every run).
pub fn server_name(settings: &Settings) -> Option<String> {
    if settings.server.emulator {
        return Some("emulator".to_string());
    }
    let url = crate::remote::config::printable_url(settings.server.url.as_deref()?);
    Some(url.trim_end_matches('/').to_string())
}

/// The client configuration the settings describe, for the server at `base_url`.
fn client_config(
    settings: &Settings,
    base_url: String,
    token: Token,
    observer: Option<Arc<dyn RequestObserver>>,
) -> ClientConfig {
    let options = &settings.server;
    ClientConfig {
        observer,
        ca_file: options.ca_file.clone(),
        insecure_http: options.insecure_http,
        rate_limit: settings.rate_limit,
        burst: settings.burst,
        concurrency: settings.concurrency,
        request_timeout: options.request_timeout,
        max_body_size: options.max_body_size,
        deadline: (!options.deadline.is_zero()).then_some(options.deadline),
        ..ClientConfig::new(base_url, token)
    }
}

/// Connects as the settings say; `observer` is told about every request (the daemon's
/// metrics); `notice` receives what a person should read (which server, what was ignored).
pub async fn connect(
    settings: &Settings,
    observer: Option<Arc<dyn RequestObserver>>,
    notice: &mut dyn FnMut(Notice),
) -> Result<Connection, ConnectError> {
    if settings.server.emulator {
        return connect_to_emulator(settings, observer, notice).await;
    }
    let url = settings.server.url.clone().ok_or(ConnectError::NoServer)?;
    let source = TokenSource::of_environment(settings.server.token_file.clone());
    let token = source.read()?;
    let config = client_config(settings, url.clone(), token.clone(), observer);
    let client = ZadigClient::new(config)?;
    Ok(Connection {
        client,
        token,
        source: Some(source),
        server: server_name(settings).unwrap_or(url),
        emulator: None,
        state_lock: None,
    })
}

async fn connect_to_emulator(
    settings: &Settings,
    observer: Option<Arc<dyn RequestObserver>>,
    notice: &mut dyn FnMut(Notice),
) -> Result<Connection, ConnectError> {
    if let Some(url) = &settings.server.url {
        let url = crate::remote::config::printable_url(url);
        notice(format!(
            "Ignoring the server {url} (--url, ZADIG_URL or zadig-sync.yaml): --emulator was given."
        ));
    }
    let state_path = PathBuf::from(EMULATOR_STATE);
    prepare_state_folder(&state_path)?;
    // Another run in this folder would write its builds over ours: one at a time.
    let state_lock = lock_state(&state_path, notice).await?;
    let secret = emulator_token(&state_path)?;
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
    let emulator = emulator::start(loopback, config).await?;
    notice(format!(
        "Using the bundled Zadig emulator at {} (state in {EMULATOR_STATE}).",
        emulator.url()
    ));
    let token = Token::generated(secret);
    let config = client_config(settings, emulator.url(), token.clone(), observer);
    let client = ZadigClient::new(config)?;
    Ok(Connection {
        client,
        server: "emulator".to_string(),
        token,
        source: None,
        emulator: Some(emulator),
        state_lock: Some(state_lock),
    })
}

/// The in-process emulator's token: kept beside its state (mode 0600), so that a second run
/// is the same "server" with the same token, and its detail cache authenticates.
fn emulator_token(state_path: &Path) -> Result<String, ConnectError> {
    let path = state_path.with_file_name("emulator-token");
    if let Ok(text) = crate::fsio::read_text(&path, crate::fsio::KIB)
        && let Some(token) = text.trim().strip_prefix("emulator-")
        && token.len() >= 16
    {
        return Ok(format!("emulator-{token}"));
    }
    let token = format!("emulator-{}", hex::encode(rand::random::<[u8; 16]>()));
    crate::fsio::write_atomically(&path, token.as_bytes(), crate::fsio::Readers::Owner)
        .map_err(|source| ConnectError::StateFolder { path, source })?;
    Ok(token)
}

/// The state's folder, with a `.gitignore`: the state holds credential values in plain text
/// (as Zadig does), so it must never be committed.
fn prepare_state_folder(state_path: &Path) -> Result<(), ConnectError> {
    let Some(folder) = state_path.parent() else {
        return Ok(());
    };
    let failed = |source| ConnectError::StateFolder {
        path: folder.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(folder).map_err(failed)?;
    let ignore = folder.join(".gitignore");
    let text = "# zadig-sync --emulator state: never commit it\n*\n";
    // Only where nothing is: an existing file is the user's, a planted link is not followed.
    match crate::fsio::write_new(&ignore, text.as_bytes(), crate::fsio::Readers::Umask) {
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => Err(failed(error)),
        _ => Ok(()),
    }
}

/// Takes the exclusive lock of the emulator state file `state`, saying who holds it while
/// waiting for it (at most [`STATE_LOCK_TIMEOUT`]).
pub async fn lock_state(
    state: &Path,
    notice: &mut dyn FnMut(Notice),
) -> Result<StateLock, LockError> {
    let holder = crate::emulator::lock::describe_this_process();
    StateLock::acquire(state, &holder, STATE_LOCK_TIMEOUT, |other| {
        notice(format!(
            "Waiting for the emulator state {}: {other} is using it (at most {}s).",
            state.display(),
            STATE_LOCK_TIMEOUT.as_secs()
        ));
    })
    .await
}
