//! The repository's address as given to `--git`, checked before anything is sent: the schemes
//! zadig-sync reads (`https://`, `http://`, `ssh://`, scp-like `git@host:path`, `file://`), no
//! credentials inside it (they would show in `ps`, logs and status: a token comes from
//! `--git-token-file`), and plain `http://` only to loopback unless `--insecure-http` says
//! so, as for Zadig's own address. Pure.

use std::fmt;

use url::Url;

/// How the repository is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Https,
    /// Plain HTTP: allowed to loopback, elsewhere only with `--insecure-http`.
    Http,
    /// `ssh://` or scp-like `user@host:path`, through the system's `ssh` client.
    Ssh,
    File,
}

/// A checked `--git` address. Displays as given (it holds no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoUrl {
    text: String,
    pub transport: Transport,
    /// Whether the host is loopback (plain HTTP may carry a token there).
    pub loopback: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error(
        "--git {shown}: credentials in the address are refused (they would show in `ps` and in \
         logs); give the token in --git-token-file, or an SSH key in --git-ssh-key"
    )]
    Credentials { shown: String },
    #[error(
        "--git {shown}: the scheme must be https://, http://, ssh://, file://, or user@host:path"
    )]
    Scheme { shown: String },
    #[error(
        "--git {shown}: plain http:// to a host that is not loopback sends everything in the \
         clear; use https://, or pass --insecure-http"
    )]
    InsecureHttp { shown: String },
    #[error("--git {shown}: not a valid address: {reason}")]
    Invalid { shown: String, reason: String },
}

impl RepoUrl {
    /// Parses and checks `text`; `insecure_http` allows `http://` to any host.
    pub fn parse(text: &str, insecure_http: bool) -> Result<RepoUrl, UrlError> {
        let text = text.trim();
        if let Some((user, host)) = scp_like(text) {
            if user.contains(':') {
                return Err(UrlError::Credentials {
                    shown: "<address with a password>".into(),
                });
            }
            return Ok(RepoUrl {
                text: text.to_string(),
                transport: Transport::Ssh,
                loopback: is_loopback(host),
            });
        }
        let url = Url::parse(text).map_err(|error| UrlError::Invalid {
            shown: without_userinfo(text),
            reason: error.to_string(),
        })?;
        let shown = || without_userinfo(text);
        let transport = match url.scheme() {
            "https" => Transport::Https,
            "http" => Transport::Http,
            "ssh" | "git+ssh" | "ssh+git" => Transport::Ssh,
            "file" => Transport::File,
            _ => return Err(UrlError::Scheme { shown: shown() }),
        };
        let has_password = url.password().is_some();
        let web_user = transport != Transport::Ssh && !url.username().is_empty();
        if has_password || web_user {
            return Err(UrlError::Credentials { shown: shown() });
        }
        let loopback = url.host_str().is_some_and(is_loopback);
        if transport == Transport::Http && !loopback && !insecure_http {
            return Err(UrlError::InsecureHttp { shown: shown() });
        }
        Ok(RepoUrl {
            text: text.to_string(),
            transport,
            loopback,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for RepoUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `user@host:path` (git's scp-like syntax): the user and the host, when `text` is one.
fn scp_like(text: &str) -> Option<(&str, &str)> {
    if text.contains("://") {
        return None;
    }
    let (user, rest) = text.rsplit_once('@')?;
    let (host, _path) = rest.split_once(':')?;
    let plain = |s: &str| !s.is_empty() && !s.contains('/');
    (plain(user) && plain(host)).then_some((user, host))
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `text` with anything between `://` and `@` left out, so that an error never repeats a
/// password it refuses.
fn without_userinfo(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return match text.rsplit_once('@') {
            Some((_, host_and_path)) => host_and_path.to_string(),
            None => text.to_string(),
        };
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemes_zadig_sync_reads() {
        let cases = [
            ("https://git.example.com/a/b.git", Transport::Https),
            ("http://127.0.0.1:8080/a.git", Transport::Http),
            ("http://localhost/a.git", Transport::Http),
            ("ssh://git@git.example.com:2222/a/b.git", Transport::Ssh),
            ("git@github.com:org/repo.git", Transport::Ssh),
            ("file:///srv/git/builds.git", Transport::File),
        ];
        for (text, transport) in cases {
            let url = RepoUrl::parse(text, false).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(url.transport, transport, "{text}");
            assert_eq!(url.to_string(), text);
        }
    }

    #[test]
    fn credentials_in_the_address_are_refused_without_repeating_them() {
        for text in [
            "https://user:s3cret@git.example.com/a.git",
            "https://ghp_t0ken@git.example.com/a.git",
            "ssh://git:s3cret@git.example.com/a.git",
            "git:s3cret@git.example.com:a.git",
        ] {
            let error = RepoUrl::parse(text, false).unwrap_err();
            assert!(matches!(error, UrlError::Credentials { .. }), "{text}");
            let shown = error.to_string();
            assert!(
                !shown.contains("s3cret") && !shown.contains("t0ken"),
                "{shown}"
            );
        }
    }

    #[test]
    fn plain_http_goes_only_to_loopback_unless_allowed() {
        let remote = "http://git.example.com/a.git";
        assert!(matches!(
            RepoUrl::parse(remote, false),
            Err(UrlError::InsecureHttp { .. })
        ));
        assert!(RepoUrl::parse(remote, true).is_ok());
        assert!(RepoUrl::parse("http://[::1]:9/a.git", false).is_ok());
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        for text in ["ftp://x/a.git", "git://x/a.git", "not a url", ""] {
            assert!(RepoUrl::parse(text, false).is_err(), "{text}");
        }
    }
}
