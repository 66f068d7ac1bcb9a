//! The flags that make git the source of the build files (docs/git.md): shared by
//! `validate`, `plan` and `daemon`, plus the daemon's own (the fetch interval and webhooks).
//! Credentials are files, never flag values. No I/O.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// `--git` and what goes with it.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Git")]
pub struct GitArgs {
    /// Read the build files from this git repository instead of --dir: `https://…`,
    /// `http://…` (loopback, or with --insecure-http), `ssh://…`, `git@host:path` or
    /// `file://…`. No credentials in it: see --git-token-file and --git-ssh-key.
    #[arg(
        long,
        value_name = "URL",
        env = "ZADIG_SYNC_GIT",
        conflicts_with = "dir"
    )]
    pub git: Option<String>,
    /// The branch, tag (`v1.2`), full ref (`refs/…`) or commit to read [default: the branch
    /// the remote's HEAD names].
    #[arg(long, value_name = "REF", requires = "git")]
    pub git_ref: Option<String>,
    /// The folder of build files inside the repository (`.` for its root).
    #[arg(
        long,
        value_name = "PATH",
        default_value = "builds.d",
        requires = "git"
    )]
    pub git_path: PathBuf,
    /// Time allowed for one fetch, e.g. `60s`.
    #[arg(long, default_value = "60s", value_parser = parse_timeout, requires = "git")]
    pub git_timeout: Duration,
    /// File holding the token for HTTPS (`TOKEN`, or `USER:TOKEN`).
    #[arg(
        long,
        value_name = "FILE",
        requires = "git",
        conflicts_with = "git_ssh_key"
    )]
    pub git_token_file: Option<PathBuf>,
    /// Private key for `ssh://` and `git@host:path` addresses (needs --git-known-hosts).
    #[arg(long, value_name = "FILE", requires_all = ["git", "git_known_hosts"])]
    pub git_ssh_key: Option<PathBuf>,
    /// The server's host keys, as in `~/.ssh/known_hosts`: no other host key is trusted.
    #[arg(long, value_name = "FILE", requires = "git_ssh_key")]
    pub git_known_hosts: Option<PathBuf>,
    /// Apply only commits signed by a trusted key: `ssh:ALLOWED_SIGNERS` (git's
    /// allowed-signers file) or `gpg:KEYRING` (OpenPGP public keys).
    #[arg(long, value_name = "ssh:FILE|gpg:FILE", requires = "git")]
    pub git_verify: Option<String>,
    /// Where the fetched repository and the checked-out commits are kept [default:
    /// `$XDG_CACHE_HOME/zadig-sync`, else `~/.cache/zadig-sync`].
    #[arg(long, value_name = "DIR", env = "ZADIG_SYNC_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
}

/// What only the daemon takes with `--git`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Git")]
pub struct GitDaemonArgs {
    /// Fetch this often; from 1s to 1 day.
    #[arg(long, default_value = "1m", value_parser = parse_git_interval, requires = "git")]
    pub git_interval: Duration,
    /// Serve `POST /hooks/git` here for push webhooks (GitHub, GitLab, Gitee, or a generic
    /// HMAC-SHA256 header): a valid push to the watched ref fetches at once.
    #[arg(long, value_name = "ADDR", requires_all = ["git", "hook_secret_file"])]
    pub hooks_listen: Option<SocketAddr>,
    /// File holding the webhooks' secret.
    #[arg(long, value_name = "FILE", requires = "hooks_listen")]
    pub hook_secret_file: Option<PathBuf>,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    super::parse_bounded(text, Duration::from_secs(1), Duration::from_secs(3600))
}

fn parse_git_interval(text: &str) -> Result<Duration, String> {
    super::parse_bounded(text, Duration::from_secs(1), Duration::from_secs(24 * 3600))
}
