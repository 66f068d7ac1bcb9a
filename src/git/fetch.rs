//! One shallow fetch (depth 1) of the watched ref into a private bare repository, with
//! gitoxide: HTTP(S) through its reqwest+rustls transport, SSH through the system's `ssh`
//! (with `--git-ssh-key` and a `--git-known-hosts` that trusts no other host), `file://`
//! through `git-upload-pack`. The repository is opened isolated: no system or user git
//! configuration, no credential helper, no environment; the token comes only from
//! `--git-token-file`, handed over when the server asks. Blocking; does I/O.

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use gix::bstr::ByteSlice;
use gix::protocol::fetch::refmap::SpecIndex;
use gix::remote::Direction;
use gix::remote::fetch::{Shallow, Tags};

use crate::git::url::Transport;
use crate::git::{GitAuth, GitError, GitRef, GitSource};

/// The commit the watched ref points at on the remote, now in the local repository.
pub(super) struct FetchedCommit {
    pub id: gix::ObjectId,
    /// The remote ref it came from (`refs/heads/main`; for the remote's HEAD, the branch
    /// HEAD names), or the commit itself when `--git-ref` is one.
    pub reference: String,
    /// The raw commit object (what a signature covers).
    pub raw: Vec<u8>,
}

/// Fetches the watched ref into the bare repository at `repo_dir` (made when missing).
pub(super) fn fetch(
    source: &GitSource,
    repo_dir: &Path,
    interrupt: &AtomicBool,
) -> Result<FetchedCommit, GitError> {
    let failed = |e: gix::Error| GitError::Fetch {
        url: source.url.to_string(),
        reason: format!("{e:#}"),
    };
    let repo = open(source, repo_dir).map_err(failed)?;
    let token = match &source.auth {
        GitAuth::Token(file) => Some(super::read_token(file)?),
        _ => None,
    };
    let outcome = receive(source, &repo, token, interrupt).map_err(failed)?;
    let not_found = || GitError::RefNotFound {
        url: source.url.to_string(),
        reference: source.reference.to_string(),
    };
    // The first refspec that matched: for a bare name, the branch before the tag.
    let mapping = (outcome.ref_map.mappings.iter())
        .filter(|m| m.local.is_some())
        .min_by_key(|m| match m.spec_index {
            SpecIndex::ExplicitInRemote(index) => index,
            SpecIndex::Implicit(_) => usize::MAX,
        })
        .ok_or_else(not_found)?;
    let id = mapping.remote.peeled_id().ok_or_else(not_found)?.to_owned();
    let reference = (mapping.remote.as_target().or(mapping.remote.as_name()))
        .map_or_else(|| id.to_string(), |name| name.to_str_lossy().into_owned());
    let commit = (repo.find_object(id))
        .and_then(|object| object.peel_to_commit())
        .map_err(|e| GitError::Read {
            what: format!("commit {id}"),
            reason: format!("{e:#}"),
        })?;
    Ok(FetchedCommit {
        id: commit.id,
        reference,
        raw: commit.data.clone(),
    })
}

/// Connects (handing `token` over when the server asks) and receives the watched ref, one
/// commit deep.
fn receive(
    source: &GitSource,
    repo: &gix::Repository,
    token: Option<super::Token>,
    interrupt: &AtomicBool,
) -> Result<gix::remote::fetch::Outcome, gix::Error> {
    let refspecs = refspecs(&source.reference);
    let remote = (repo.remote_at(source.url.as_str()))?
        .with_refspecs(refspecs.iter().map(String::as_str), Direction::Fetch)?
        .with_fetch_tags(Tags::None);
    let connection = (remote.connect(Direction::Fetch))?
        .with_credentials(move |action| answer(action, token.as_ref()));
    connection
        .prepare_fetch(gix::progress::Discard, Default::default())?
        .with_shallow(Shallow::DepthAtRemote(NonZeroU32::MIN))
        .receive(gix::progress::Discard, interrupt)
}

/// The refspecs that bring the watched ref into `refs/zadig-sync/`: a bare name may be a
/// branch or a tag (the branch wins when both exist, as for git).
fn refspecs(reference: &GitRef) -> Vec<String> {
    match reference {
        GitRef::RemoteHead => vec!["+HEAD:refs/zadig-sync/head".into()],
        GitRef::Name(name) => vec![
            format!("+refs/heads/{name}:refs/zadig-sync/heads/{name}"),
            format!("+refs/tags/{name}:refs/zadig-sync/tags/{name}"),
        ],
        GitRef::Full(full) => vec![format!("+{full}:refs/zadig-sync/ref")],
        GitRef::Commit(id) => vec![format!("+{id}:refs/zadig-sync/commit")],
    }
}

/// The repository, opened with nothing from the machine's git configuration and with the
/// settings of this source (the SSH command, the connect timeout).
fn open(source: &GitSource, repo_dir: &Path) -> Result<gix::Repository, gix::Error> {
    if !repo_dir.join("HEAD").is_file() {
        gix::init_bare(repo_dir)?;
    }
    let mut overrides = vec![format!(
        "gitoxide.http.connectTimeout={}",
        source.timeout.as_millis()
    )];
    if let GitAuth::Ssh { key, known_hosts } = &source.auth
        && source.url.transport == Transport::Ssh
    {
        overrides.push(format!("core.sshCommand={}", ssh_command(key, known_hosts)));
    }
    let options = gix::open::Options::isolated().config_overrides(overrides);
    gix::open_opts(repo_dir, options)
}

/// `ssh` with this key only and this known-hosts file only: an unknown or changed host key
/// fails the fetch instead of being trusted, and nothing prompts.
pub(super) fn ssh_command(key: &Path, known_hosts: &Path) -> String {
    format!(
        "ssh -i {} -o IdentitiesOnly=yes -o UserKnownHostsFile={} -o GlobalKnownHostsFile=/dev/null \
         -o StrictHostKeyChecking=yes -o BatchMode=yes",
        shell_quote(&key.display().to_string()),
        shell_quote(&known_hosts.display().to_string())
    )
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The credentials the server asked for: the token (with its user name when the file gives
/// one), or none, which ends the fetch as refused.
fn answer(
    action: gix::credentials::helper::Action,
    token: Option<&super::Token>,
) -> gix::Result<Option<gix::credentials::protocol::Outcome>> {
    let gix::credentials::helper::Action::Get(context) = action else {
        return Ok(None);
    };
    let Some(token) = token else {
        return Ok(None);
    };
    Ok(Some(gix::credentials::protocol::Outcome {
        credentials: gix::sec::identity::Credentials::UsernamePassword {
            username: token.user.clone(),
            password: token.secret.clone(),
            oauth_refresh_token: None,
        },
        next: context.into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_name_is_a_branch_or_a_tag_and_a_commit_is_fetched_by_id() {
        assert_eq!(
            refspecs(&GitRef::Name("v1".into())),
            [
                "+refs/heads/v1:refs/zadig-sync/heads/v1",
                "+refs/tags/v1:refs/zadig-sync/tags/v1"
            ]
        );
        assert_eq!(
            refspecs(&GitRef::RemoteHead),
            ["+HEAD:refs/zadig-sync/head"]
        );
    }

    #[test]
    fn the_ssh_command_trusts_only_the_known_hosts_file_and_quotes_paths() {
        let command = ssh_command(Path::new("/keys/id it's"), Path::new("/k/known_hosts"));
        assert!(command.contains(r"-i '/keys/id it'\''s'"), "{command}");
        assert!(command.contains("StrictHostKeyChecking=yes"));
        assert!(command.contains("UserKnownHostsFile='/k/known_hosts'"));
        assert!(command.contains("GlobalKnownHostsFile=/dev/null"));
    }
}
