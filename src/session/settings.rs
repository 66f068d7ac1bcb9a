//! The settings of a run that talks to Zadig, resolved once: flag > environment > the scope
//! file (`zadig-sync.yaml`) > built-in default. The inputs are plain values (`commands/`
//! turns the command line into them); nothing here knows clap. No I/O.

use std::path::PathBuf;
use std::time::Duration;

use crate::load::scope::Scope;
use crate::remote::ClientConfig;

/// `--max-deletes` when neither the flag nor zadig-sync.yaml sets it.
pub const DEFAULT_MAX_DELETES: usize = 5;

/// How to reach Zadig, as the user gave it (flags and environment, before the scope file).
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// `--url` or `ZADIG_URL`.
    pub url: Option<String>,
    /// `--token-file`.
    pub token_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub insecure_http: bool,
    pub rate_limit: Option<u32>,
    /// `--burst`: requests that may go at once before `rate_limit` paces them.
    pub burst: Option<u32>,
    pub concurrency: Option<u32>,
    pub request_timeout: Duration,
    pub max_body_size: u64,
    /// Zero: no deadline.
    pub deadline: Duration,
    /// `--emulator`: the bundled emulator, in-process, instead of a server.
    pub emulator: bool,
}

/// Which projects a run manages and what it may delete, as the user gave it.
#[derive(Debug, Clone, Default)]
pub struct ScopeOptions {
    /// `--project`: restrict the run to these (none: every managed project).
    pub projects: Vec<String>,
    /// `--prune` (the scope file's `prune: true` also turns it on).
    pub prune: bool,
    pub max_deletes: Option<usize>,
}

/// The settings of one run, each resolved once.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server options, `url` resolved (`--url`, `ZADIG_URL`, else the scope file's).
    pub server: ServerOptions,
    pub rate_limit: u32,
    pub burst: u32,
    pub concurrency: u32,
    pub prune: bool,
    pub max_deletes: usize,
    /// `--project`: this run is restricted to these projects (none: every managed project).
    pub only: Vec<String>,
}

impl Settings {
    pub fn resolve(server: &ServerOptions, scope: &ScopeOptions, file: Option<&Scope>) -> Self {
        let file = file.cloned().unwrap_or_default();
        let mut server = server.clone();
        server.url = server.url.or(file.url);
        let rate_limit = server
            .rate_limit
            .or(file.rate_limit)
            .unwrap_or(ClientConfig::DEFAULT_RATE_LIMIT);
        Settings {
            rate_limit,
            burst: server.burst.unwrap_or(ClientConfig::DEFAULT_BURST),
            concurrency: server
                .concurrency
                .or(file.concurrency)
                .unwrap_or(ClientConfig::DEFAULT_CONCURRENCY),
            server,
            prune: scope.prune || file.prune.unwrap_or(false),
            max_deletes: scope
                .max_deletes
                .or(file.max_deletes)
                .unwrap_or(DEFAULT_MAX_DELETES),
            only: scope.projects.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_scope_file_which_wins_over_defaults() {
        let file = Scope {
            url: Some("https://from-file".into()),
            rate_limit: Some(7),
            max_deletes: Some(9),
            prune: Some(true),
            ..Scope::default()
        };
        let server = ServerOptions {
            rate_limit: Some(3),
            ..ServerOptions::default()
        };
        let settings = Settings::resolve(&server, &ScopeOptions::default(), Some(&file));
        assert_eq!(settings.server.url.as_deref(), Some("https://from-file"));
        assert_eq!(settings.rate_limit, 3);
        assert_eq!(settings.max_deletes, 9);
        assert!(settings.prune);
        let bare = Settings::resolve(&server, &ScopeOptions::default(), None);
        assert_eq!(bare.max_deletes, DEFAULT_MAX_DELETES);
        assert!(!bare.prune);
        assert_eq!(bare.concurrency, ClientConfig::DEFAULT_CONCURRENCY);
    }
}
