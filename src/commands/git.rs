//! The `--git` flags turned into a [`GitSource`] once, and the one fetch `validate` and
//! `plan` make before loading: the files are then read at exactly the fetched commit. A
//! commit `--git-verify` refuses stops the command (exit 1) with nothing read.

use std::sync::Arc;

use anyhow::{Context, bail};

use tracing::warn;

use super::output::errln;
use crate::cli::{DaemonArgs, GitArgs};
use crate::daemon::git::GitDaemon;
use crate::daemon::hooks::{HookSecret, HooksConfig};
use crate::git::{self, Fetched, GitAuth, GitRef, GitSource, RepoUrl, Revision, Trust};

/// The source the flags describe, `None` without `--git`. `insecure_http` allows plain
/// `http://` beyond loopback.
pub fn git_source(args: &GitArgs, insecure_http: bool) -> anyhow::Result<Option<GitSource>> {
    let Some(url) = &args.git else {
        return Ok(None);
    };
    let url = RepoUrl::parse(url, insecure_http)?;
    let reference = GitRef::parse(args.git_ref.as_deref())
        .map_err(|why| anyhow::anyhow!("--git-ref: {why}"))?;
    let trust = (args.git_verify.as_deref())
        .map(Trust::parse)
        .transpose()
        .map_err(|why| anyhow::anyhow!("--git-verify: {why}"))?;
    let auth = match (
        &args.git_token_file,
        &args.git_ssh_key,
        &args.git_known_hosts,
    ) {
        (Some(file), _, _) => GitAuth::Token(file.clone()),
        (None, Some(key), Some(known_hosts)) => GitAuth::Ssh {
            key: key.clone(),
            known_hosts: known_hosts.clone(),
        },
        _ => GitAuth::None,
    };
    if matches!(auth, GitAuth::Token(_)) && url.transport == git::Transport::Ssh {
        bail!("--git-token-file is for https:// addresses; for {url} give --git-ssh-key");
    }
    Ok(Some(GitSource {
        url,
        reference,
        path: args.git_path.clone(),
        timeout: args.git_timeout,
        auth,
        trust,
        state_dir: args
            .state_dir
            .clone()
            .unwrap_or_else(git::default_state_dir),
    }))
}

/// Fetches the source once and says on stderr which commit is read.
pub async fn fetch_once(source: GitSource) -> anyhow::Result<Revision> {
    let shown = format!("{} ({})", source.url, source.reference);
    let fetched = git::sync_in_background(Arc::new(source))
        .await
        .with_context(|| format!("reading the build files from {shown}"))?;
    match fetched {
        Fetched::Ready(revision) => {
            let signed = (revision.signer.as_deref())
                .map(|signer| format!(", signed by {signer}"))
                .unwrap_or_default();
            errln(format_args!(
                "Reading the build files of {} at {} ({}{signed}).",
                shown,
                git::short(&revision.commit),
                revision.reference
            ));
            Ok(revision)
        }
        Fetched::Refused {
            commit,
            reference,
            reason,
        } => bail!("commit {commit} ({reference}) of {shown} is refused by --git-verify: {reason}"),
    }
}

/// The daemon's git source, with `--git`: the flags, the webhook secret, and a first fetch
/// (so that the scope file can name the server). A first fetch that fails is not fatal: the
/// daemon starts from the commit an earlier run left in the state dir (never with
/// `--git-verify`, which that commit may not have passed), or from none, and keeps fetching.
pub async fn daemon_git(args: &DaemonArgs) -> anyhow::Result<Option<GitDaemon>> {
    let Some(source) = git_source(&args.git, args.server.insecure_http)? else {
        return Ok(None);
    };
    let hooks = hooks_config(args)?;
    let source = Arc::new(source);
    let initial = match git::sync_in_background(source.clone()).await {
        Ok(Fetched::Ready(revision)) => Some(revision),
        Ok(Fetched::Refused { commit, reason, .. }) => {
            warn!(%commit, %reason, "the watched commit is refused by --git-verify; nothing is applied until a signed one comes");
            None
        }
        Err(error) => {
            let earlier = source
                .trust
                .is_none()
                .then(|| git::last_synced(&source))
                .flatten();
            warn!(%error, earlier = %earlier.as_ref().map_or("none", |r| r.commit.as_str()),
                "the first fetch failed; starting from the commit an earlier run fetched, if any, and retrying");
            earlier
        }
    };
    Ok(Some(GitDaemon {
        source,
        interval: args.git_daemon.git_interval,
        initial,
        hooks,
    }))
}

/// `--hooks-listen` with the secret read from `--hook-secret-file`, when given.
fn hooks_config(args: &DaemonArgs) -> anyhow::Result<Option<HooksConfig>> {
    let (Some(listen), Some(file)) = (
        &args.git_daemon.hooks_listen,
        &args.git_daemon.hook_secret_file,
    ) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the webhook secret {}", file.display()))?;
    let secret = HookSecret::new(&text)
        .with_context(|| format!("the webhook secret file {} is empty", file.display()))?;
    Ok(Some(HooksConfig {
        listen: *listen,
        secret,
    }))
}
