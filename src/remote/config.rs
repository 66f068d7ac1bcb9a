//! How the client reaches Zadig: the server address, the API token and where it came from,
//! TLS trust, limits and timeouts, and the checks made before any request is sent (a token
//! never goes over plain http to a host that is not loopback).
//!
//! I/O: reads the token file and the CA file named by the caller; never reads the environment
//! itself (the caller passes env values in, which keeps this testable).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use super::observe::RequestObserver;
use super::retry::RetryPolicy;
use crate::fsio::{self, KIB, MIB, ReadError};

/// The Zadig API token. Never printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token this program made itself (the in-process emulator's); user-supplied tokens
    /// go through [`resolve_token`], which checks them.
    pub fn generated(secret: String) -> Self {
        Token(secret)
    }

    /// The secret itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Checks what Zadig's gateway would reject anyway: it splits the header value on single
    /// spaces and wants exactly two parts, so inner whitespace can never work.
    fn parse(raw: &str, origin: TokenOrigin) -> Result<Self, ConfigError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ConfigError::TokenEmpty { origin });
        }
        let header_safe = trimmed.chars().all(|c| c.is_ascii_graphic());
        if !header_safe {
            return Err(ConfigError::TokenMalformed { origin });
        }
        Ok(Token(trimmed.to_owned()))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a token was read from, so that an error about it says which source to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOrigin {
    FlagFile(PathBuf),
    EnvToken,
    EnvTokenFile(PathBuf),
}

impl fmt::Display for TokenOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenOrigin::FlagFile(path) => write!(f, "--token-file {}", path.display()),
            TokenOrigin::EnvToken => f.write_str("ZADIG_TOKEN"),
            TokenOrigin::EnvTokenFile(path) => write!(f, "ZADIG_TOKEN_FILE {}", path.display()),
        }
    }
}

/// What is wrong with the client's configuration; nothing has been sent yet.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no Zadig API token: set ZADIG_TOKEN or ZADIG_TOKEN_FILE, or pass --token-file")]
    TokenMissing,
    #[error("cannot read the API token from {origin}: {source}")]
    TokenFileRead {
        origin: TokenOrigin,
        #[source]
        source: ReadError,
    },
    #[error("the API token from {origin} is empty")]
    TokenEmpty { origin: TokenOrigin },
    #[error(
        "the API token from {origin} contains spaces or non-ASCII characters; \
         copy it again from Zadig (Account Settings → API Token)"
    )]
    TokenMalformed { origin: TokenOrigin },
    #[error("the API token cannot be sent in an HTTP header")]
    TokenNotAHeader,
    #[error("invalid Zadig URL {url:?}: {source}")]
    InvalidUrl {
        url: String,
        #[source]
        source: url::ParseError,
    },
    #[error(
        "the Zadig URL {url:?} holds a user name or password: remove it, and put the token \
         in ZADIG_TOKEN or --token-file"
    )]
    CredentialsInUrl { url: String },
    #[error(
        "the Zadig URL {url:?} has a query or a fragment (it is not printed: a `?token=` would \
         be a secret): give the server's address alone, and put the token in ZADIG_TOKEN or \
         --token-file"
    )]
    QueryInUrl { url: String },
    #[error("invalid Zadig URL {url:?}: the scheme must be https or http")]
    UnsupportedScheme { url: String },
    #[error(
        "refusing to send the API token over plain http to {url}, which is not a loopback \
         address: use https://, or pass --insecure-http if this network is trusted"
    )]
    InsecureHttp { url: String },
    #[error("cannot read the CA file --ca-file {}: {source}", path.display())]
    CaFileRead {
        path: PathBuf,
        #[source]
        source: ReadError,
    },
    #[error("the CA file {} is not a PEM bundle of certificates: {source}", path.display())]
    CaFileInvalid {
        path: PathBuf,
        #[source]
        source: reqwest::Error,
    },
    #[error("the CA file {} holds no PEM certificate", path.display())]
    CaFileEmpty { path: PathBuf },
    #[error("--concurrency must be at least 1")]
    ZeroConcurrency,
    #[error("cannot set up the HTTP client: {source}")]
    HttpClient {
        #[source]
        source: reqwest::Error,
    },
}

/// Finds the API token. Precedence: the `--token-file` flag, then `ZADIG_TOKEN`, then
/// `ZADIG_TOKEN_FILE`. The caller passes the environment values in; the value is trimmed of
/// surrounding whitespace (files usually end with a newline).
pub fn resolve_token(
    flag_file: Option<&Path>,
    env_token: Option<String>,
    env_token_file: Option<PathBuf>,
) -> Result<Token, ConfigError> {
    if let Some(path) = flag_file {
        return read_token_file(TokenOrigin::FlagFile(path.to_owned()), path);
    }
    if let Some(value) = env_token {
        return Token::parse(&value, TokenOrigin::EnvToken);
    }
    if let Some(path) = env_token_file {
        return read_token_file(TokenOrigin::EnvTokenFile(path.clone()), &path);
    }
    Err(ConfigError::TokenMissing)
}

/// The largest token file read: a token is a few hundred bytes (a JWT a few KiB), and every
/// byte read is sent in every request's header.
pub const MAX_TOKEN_FILE_BYTES: u64 = 64 * KIB;

/// The largest `--ca-file` read: a bundle of every public root CA is about 200 KiB.
pub const MAX_CA_FILE_BYTES: u64 = 4 * MIB;

/// Reads a token file: only a regular file (a FIFO with no writer would block for ever), at
/// most [`MAX_TOKEN_FILE_BYTES`], with a warning when users other than its owner may read it.
fn read_token_file(origin: TokenOrigin, path: &Path) -> Result<Token, ConfigError> {
    match fsio::read_text(path, MAX_TOKEN_FILE_BYTES) {
        Ok(text) => {
            if let Ok(metadata) = std::fs::metadata(path) {
                warn_if_shared(&origin, &metadata);
            }
            Token::parse(&text, origin)
        }
        Err(source) => Err(ConfigError::TokenFileRead { origin, source }),
    }
}

#[cfg(unix)]
fn warn_if_shared(origin: &TokenOrigin, metadata: &std::fs::Metadata) {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            "the API token file ({origin}) can be read by its group or by others (mode {mode:o}); \
             make it readable by its owner only: chmod 600"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_: &TokenOrigin, _: &std::fs::Metadata) {}

/// Everything the client needs; `Debug` is safe to log (the token prints as `***`).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Zadig's address, e.g. `https://zadig.example.com` (a path prefix is kept).
    pub base_url: String,
    pub token: Token,
    /// Extra PEM certificates trusted besides the system roots (a private CA).
    pub ca_file: Option<PathBuf>,
    /// Allow the token over plain http to a host that is not loopback.
    pub insecure_http: bool,
    /// Requests per second at most, over all tasks, once `burst` is spent; 0 = no limit.
    pub rate_limit: u32,
    /// Requests that may go at once before `rate_limit` paces them (a token bucket of this
    /// size, refilled at `rate_limit` a second).
    pub burst: u32,
    /// Requests in flight at most, over all tasks.
    pub concurrency: u32,
    /// Time allowed for one attempt, from connecting to the last byte of the answer.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    /// Largest answer read, in bytes; a larger one fails its request (`--max-body-size`).
    pub max_body_size: u64,
    /// How long the whole run may take (`--deadline`); `None` for no limit.
    pub deadline: Option<Duration>,
    /// Told about every attempt (the daemon's request counters).
    pub observer: Option<Arc<dyn RequestObserver>>,
    /// Builds asked for per list page ([`super::LIST_PAGE_SIZE`]; smaller in tests).
    pub list_page_size: u32,
}

impl ClientConfig {
    pub const DEFAULT_RATE_LIMIT: u32 = 50;
    /// Enough for a one-shot run over 500 builds (a detail each, and a create and its
    /// read-back each) to go at full `--concurrency`, which still bounds what Zadig sees at
    /// once; the bucket refills at the rate limit, so longer runs average it.
    pub const DEFAULT_BURST: u32 = 1500;
    pub const DEFAULT_CONCURRENCY: u32 = 16;
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// A detail of a large build is tens of KiB; a page of 100 builds less.
    pub const DEFAULT_MAX_BODY_SIZE: u64 = 8 * 1024 * 1024;
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10 * 60);

    /// The defaults of the command line, for `base_url` and `token`.
    pub fn new(base_url: impl Into<String>, token: Token) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            token,
            ca_file: None,
            insecure_http: false,
            rate_limit: Self::DEFAULT_RATE_LIMIT,
            burst: Self::DEFAULT_BURST,
            concurrency: Self::DEFAULT_CONCURRENCY,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            max_body_size: Self::DEFAULT_MAX_BODY_SIZE,
            deadline: Some(Self::DEFAULT_DEADLINE),
            observer: None,
            list_page_size: super::LIST_PAGE_SIZE,
        }
    }
}

/// Parses `base_url` and applies the plain-http rule. The returned URL has no trailing slash
/// in its path, so route paths can be appended.
pub(super) fn checked_base_url(config: &ClientConfig) -> Result<Url, ConfigError> {
    let raw = config.base_url.trim();
    let shown = printable_url(raw);
    let mut url = Url::parse(raw).map_err(|source| ConfigError::InvalidUrl {
        url: shown.clone(),
        source,
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::QueryInUrl { url: shown });
    }
    if !url.username().is_empty() || url.password().is_some() || shown != raw {
        return Err(ConfigError::CredentialsInUrl { url: shown });
    }
    match url.scheme() {
        "https" => {}
        "http" if config.insecure_http || is_loopback(&url) => {}
        "http" => return Err(ConfigError::InsecureHttp { url: shown }),
        _ => return Err(ConfigError::UnsupportedScheme { url: shown }),
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// A size in bytes, with an optional binary unit: `1048576`, `512KiB`, `8MiB`, `1GiB`
/// (`K`, `M`, `G`, `KB`, `MB`, `GB` mean the same).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 8MiB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB or GiB)")),
    };
    match number.checked_mul(factor) {
        Some(0) | None => Err(format!("{text:?} is not a size between 1 byte and 16 EiB")),
        Some(bytes) => Ok(bytes),
    }
}

/// `raw` without anything that may be a user name or password (`user:pw@`) or a token
/// (`?token=…`, which Zadig accepts), even when it is not a valid URL: the only form of a
/// `--url` that may be printed or saved.
pub fn printable_url(raw: &str) -> String {
    let (scheme, rest) = match raw.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, raw),
    };
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let rest = match rest[..authority_end].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest.to_owned(),
    }
}

pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Reads the `--ca-file` PEM bundle into certificates for reqwest.
pub(super) fn read_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, ConfigError> {
    let pem =
        fsio::read_bytes(path, MAX_CA_FILE_BYTES).map_err(|source| ConfigError::CaFileRead {
            path: path.to_owned(),
            source,
        })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| {
        ConfigError::CaFileInvalid {
            path: path.to_owned(),
            source,
        }
    })?;
    if certs.is_empty() {
        return Err(ConfigError::CaFileEmpty {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str, insecure_http: bool) -> ClientConfig {
        let token = Token::parse("t0ken", TokenOrigin::EnvToken).unwrap();
        ClientConfig {
            insecure_http,
            ..ClientConfig::new(url, token)
        }
    }

    #[test]
    fn plain_http_is_allowed_only_to_loopback_unless_insecure() {
        let allowed = [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:80/",
            "http://LocalHost:1",
            "https://zadig.example.com",
        ];
        for url in allowed {
            assert!(checked_base_url(&config(url, false)).is_ok(), "{url}");
        }
        let refused = [
            "http://zadig.example.com",
            "http://10.0.0.1",
            "http://localhost.evil.com",
        ];
        for url in refused {
            let err = checked_base_url(&config(url, false)).unwrap_err();
            assert!(matches!(err, ConfigError::InsecureHttp { .. }), "{url}");
            assert!(err.to_string().contains("--insecure-http"));
            assert!(err.to_string().contains(url));
            assert!(checked_base_url(&config(url, true)).is_ok(), "{url}");
        }
    }

    #[test]
    fn base_url_keeps_its_prefix_without_trailing_slash() {
        let url = checked_base_url(&config("https://h.example/zadig/", false)).unwrap();
        assert_eq!(url.as_str(), "https://h.example/zadig");
    }

    // Zadig takes `?token=` as a credential: such a URL was printed in the apply hint, saved in
    // plan files and shown by `show`, though never sent.
    #[test]
    fn a_query_in_the_url_is_refused_and_never_shown() {
        for url in [
            "https://h.example/?token=hunter22",
            "https://h.example/z#hunter22",
        ] {
            let err = checked_base_url(&config(url, false)).unwrap_err();
            assert!(matches!(err, ConfigError::QueryInUrl { .. }), "{url}");
            assert!(!err.to_string().contains("hunter22"), "{err}");
        }
        assert_eq!(
            printable_url("https://u:p@h.example/z?token=hunter22"),
            "https://h.example/z"
        );
    }

    #[test]
    fn credentials_in_the_url_are_refused_and_never_shown() {
        for url in [
            "https://admin:hunter22@zadig.example.com/x",
            "https://admin@zadig.example.com",
            "http://u:hunter22@127.0.0.1:1",
            "https://u:hunter22@bad host",
            "u:hunter22@zadig.example.com",
        ] {
            let err = checked_base_url(&config(url, false)).unwrap_err();
            let text = err.to_string();
            assert!(
                !text.contains("hunter22") && !text.contains("admin"),
                "{text}"
            );
            if !matches!(err, ConfigError::InvalidUrl { .. }) {
                assert!(matches!(err, ConfigError::CredentialsInUrl { .. }), "{url}");
                assert!(text.contains("put the token in ZADIG_TOKEN or --token-file"));
            }
        }
        assert_eq!(
            printable_url("https://h.example/a@b"),
            "https://h.example/a@b"
        );
    }

    #[test]
    fn sizes_read_binary_units() {
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("512 kb"), Ok(512 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("100"), Ok(100));
        for bad in ["", "0", "MiB", "8 parsecs", "-1", "99999999999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        let err = checked_base_url(&config("ftp://h.example", false)).unwrap_err();
        assert!(matches!(err, ConfigError::UnsupportedScheme { .. }));
        let err = checked_base_url(&config("not a url", false)).unwrap_err();
        assert!(matches!(err, ConfigError::InvalidUrl { .. }));
    }

    #[test]
    fn token_rejects_inner_whitespace_and_trims_the_rest() {
        let token = Token::parse("  abc.def\n", TokenOrigin::EnvToken).unwrap();
        assert_eq!(token.expose(), "abc.def");
        let err = Token::parse("abc def", TokenOrigin::EnvToken).unwrap_err();
        assert!(matches!(err, ConfigError::TokenMalformed { .. }));
        let err = Token::parse(" \n", TokenOrigin::EnvToken).unwrap_err();
        assert!(err.to_string().contains("ZADIG_TOKEN"));
    }
}
