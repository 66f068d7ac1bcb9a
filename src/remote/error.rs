//! What went wrong talking to Zadig, in words a user can act on. Zadig answers 400/401/403
//! often with an empty body, and business errors as `{type, message, code, description,
//! extra}` with Chinese messages (`docs/zadig-api.md` §8); this module turns each known answer
//! into its own variant with an explanation, and keeps method, path, status and Zadig's own
//! text in every one. Pure: classifies answers already received.

use std::fmt;

use reqwest::{Method, StatusCode};
use serde::Deserialize;

/// One request as an error names it: method, path with query (never the token), and what the
/// request was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub method: Method,
    /// The URL path and query, e.g. `/openapi/build/api-test/detail?projectKey=yaml`.
    pub path: String,
    pub subject: Subject,
}

/// What a request was about, for the error message and for the variants that need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Build { project: String, name: String },
    Project { project: String },
}

impl Subject {
    pub fn project(&self) -> &str {
        match self {
            Subject::Build { project, .. } | Subject::Project { project } => project,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Build { project, name } => write!(f, "build {name:?} in project {project:?}"),
            Subject::Project { project } => write!(f, "project {project:?}"),
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.subject)
    }
}

/// Zadig's error body. `message` is a short (often Chinese) summary, `description` the detail.
/// The 500 "Internal Error" shape has no `type`/`extra`, which serde ignores anyway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ZadigMessage {
    pub code: i64,
    pub message: String,
    pub description: String,
}

impl ZadigMessage {
    /// `None` unless the body is a JSON object carrying a code or a message.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let parsed: ZadigMessage = serde_json::from_slice(body).ok()?;
        let meaningful = parsed.code != 0 || !parsed.message.is_empty();
        meaningful.then_some(parsed)
    }
}

impl fmt::Display for ZadigMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}, {:?}", self.code, self.message)?;
        if !self.description.is_empty() {
            write!(f, ": {:?}", self.description)?;
        }
        Ok(())
    }
}

/// What Zadig answered, as far as it said anything: its JSON error, its plain text, or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZadigText {
    Json(Box<ZadigMessage>),
    Plain(String),
    Empty,
}

impl ZadigText {
    const MAX_PLAIN: usize = 500;

    pub fn from_body(body: &[u8]) -> Self {
        if let Some(message) = ZadigMessage::parse(body) {
            return ZadigText::Json(Box::new(message));
        }
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.is_empty() {
            return ZadigText::Empty;
        }
        let mut cut = text.chars().take(Self::MAX_PLAIN).collect::<String>();
        if cut.len() < text.len() {
            cut.push('…');
        }
        ZadigText::Plain(cut)
    }

    pub fn message(&self) -> Option<&ZadigMessage> {
        match self {
            ZadigText::Json(message) => Some(message),
            _ => None,
        }
    }
}

/// Appended to every message: what Zadig itself said, or that it said nothing.
impl fmt::Display for ZadigText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZadigText::Json(message) => write!(f, " [Zadig: {message}]"),
            ZadigText::Plain(text) => write!(f, " [Zadig: {text:?}]"),
            ZadigText::Empty => f.write_str(" [Zadig sent an empty body]"),
        }
    }
}

/// A request to Zadig that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(
        "{call}: {status}: the API token is invalid or expired, or was regenerated in Zadig; \
         copy a new one from Account Settings → API Token{zadig}"
    )]
    Unauthorized {
        call: Box<Call>,
        status: StatusCode,
        zadig: ZadigText,
    },
    #[error(
        "{call}: {status}: the token's user lacks the permission in project {:?} ({}){zadig}",
        call.subject.project(),
        permission_needed(&call.method)
    )]
    Forbidden {
        call: Box<Call>,
        status: StatusCode,
        zadig: ZadigText,
    },
    #[error("{call}: {status}: build {name:?} does not exist in project {project:?}{zadig}")]
    NotFound {
        call: Box<Call>,
        status: StatusCode,
        project: String,
        name: String,
        zadig: ZadigText,
    },
    #[error(
        "{call}: {status}: the name {name:?} is already taken by a build in {}; build names are \
         global across all projects of a Zadig server{zadig}",
        owner_project.as_deref().map_or("another project".to_owned(), |p| format!("project {p:?}"))
    )]
    NameTaken {
        call: Box<Call>,
        status: StatusCode,
        name: String,
        /// The project that holds the name, as Zadig's description tells it (may be this one).
        owner_project: Option<String>,
        zadig: ZadigText,
    },
    #[error(
        "{call}: {status}: template builds need a ZadigX professional or enterprise licence, \
         which this server does not have; use a custom build instead{zadig}"
    )]
    LicenceRequired {
        call: Box<Call>,
        status: StatusCode,
        zadig: ZadigText,
    },
    #[error(
        "{call}: {status}: this Zadig is older than v4.2 and cannot update builds through its \
         OpenAPI; upgrade Zadig{zadig}"
    )]
    UpdateUnsupported {
        call: Box<Call>,
        status: StatusCode,
        zadig: ZadigText,
    },
    #[error(
        "{call}: {status}: Zadig rejected the request: {}{zadig}",
        rejection_hint(zadig)
    )]
    Rejected {
        call: Box<Call>,
        status: StatusCode,
        zadig: ZadigText,
    },
    #[error("{call}: {status}{}{zadig}", status_hint(*status, *attempts))]
    Status {
        call: Box<Call>,
        status: StatusCode,
        /// How many times the request was sent (retries of 5xx and 429 included).
        attempts: u32,
        zadig: ZadigText,
    },
    #[error(
        "{call}: {} (after {attempts} attempts): {}",
        transport_hint(source),
        root_cause(source)
    )]
    Transport {
        call: Box<Call>,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },
    #[error("{call}: {status}: the answer is not the JSON expected: {source}")]
    Decode {
        call: Box<Call>,
        status: StatusCode,
        #[source]
        source: serde_json::Error,
    },
    #[error("{subject}: cannot encode the request body: {source}")]
    Encode {
        subject: Subject,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "listing builds of project {project:?}: Zadig reported {expected} builds but the pages \
         held {got} distinct ones (builds written meanwhile, or a page went missing); the list \
         cannot be trusted, so nothing is deleted"
    )]
    IncompleteList {
        project: String,
        expected: i64,
        got: usize,
    },
}

impl RemoteError {
    /// True when the build is gone (as opposed to unreadable for another reason).
    pub fn is_not_found(&self) -> bool {
        matches!(self, RemoteError::NotFound { .. })
    }
}

fn permission_needed(method: &Method) -> &'static str {
    match *method {
        Method::POST => "creating a build needs Build.Create",
        Method::PUT => "updating a build needs Build.Create, not only Build.Edit",
        Method::DELETE => "deleting a build needs Build.Delete",
        _ => "reading builds needs Build.View; a project that does not exist answers the same",
    }
}

fn rejection_hint(zadig: &ZadigText) -> &'static str {
    match zadig {
        ZadigText::Empty => {
            "no reason given (an empty 400 means a field has the wrong JSON type or a required \
             field is missing; run `zadig-sync validate`)"
        }
        _ => "a referenced image, code host, cluster or template may not exist",
    }
}

fn status_hint(status: StatusCode, attempts: u32) -> String {
    if status.is_redirection() {
        " (Zadig redirected; use the final address as --url)".to_owned()
    } else if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED {
        " (not a Zadig v4.2+ build API at this address; check --url)".to_owned()
    } else if attempts > 1 {
        format!(" (still failing after {attempts} attempts)")
    } else {
        String::new()
    }
}

/// reqwest's own text only says "error sending request"; what a user can act on (refused,
/// reset, DNS, TLS) is the innermost cause.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn transport_hint(source: &reqwest::Error) -> &'static str {
    if speaks_plain_http(source) {
        "the server answers in plain HTTP: use http:// on loopback, or check the port"
    } else if source.is_timeout() {
        "no answer in time"
    } else if source.is_connect() {
        "cannot connect to Zadig"
    } else {
        "the connection failed"
    }
}

/// An https:// URL whose server answered in plain HTTP: rustls reads the HTTP reply as a TLS
/// record of an unknown content type (its only words for it).
fn speaks_plain_http(source: &reqwest::Error) -> bool {
    root_cause(source).contains("InvalidContentType")
}

/// Turns a non-success answer into the error that explains it. `attempts` is how many times
/// the request was sent.
pub fn classify(call: Call, status: StatusCode, body: &[u8], attempts: u32) -> RemoteError {
    let call = Box::new(call);
    let zadig = ZadigText::from_body(body);
    match status {
        StatusCode::UNAUTHORIZED => {
            return RemoteError::Unauthorized {
                call,
                status,
                zadig,
            };
        }
        StatusCode::FORBIDDEN => {
            return RemoteError::Forbidden {
                call,
                status,
                zadig,
            };
        }
        StatusCode::METHOD_NOT_ALLOWED if call.method == Method::PUT => {
            return RemoteError::UpdateUnsupported {
                call,
                status,
                zadig,
            };
        }
        _ => {}
    }
    let (code, description) = match zadig.message() {
        Some(message) => (message.code, message.description.clone()),
        None => (0, String::new()),
    };
    let build = match &call.subject {
        Subject::Build { project, name } => Some((project.clone(), name.clone())),
        Subject::Project { .. } => None,
    };
    match (code, build) {
        (6523, Some((project, name))) => RemoteError::NotFound {
            call,
            status,
            project,
            name,
            zadig,
        },
        (6521, Some((project, name))) if description_is_missing(&description) => {
            RemoteError::NotFound {
                call,
                status,
                project,
                name,
                zadig,
            }
        }
        (6520, Some((_, name))) if description_is_duplicate(&description) => {
            let owner_project = duplicate_owner(&description);
            RemoteError::NameTaken {
                call,
                status,
                name,
                owner_project,
                zadig,
            }
        }
        (7050, _) => RemoteError::LicenceRequired {
            call,
            status,
            zadig,
        },
        _ if status == StatusCode::BAD_REQUEST => RemoteError::Rejected {
            call,
            status,
            zadig,
        },
        _ => RemoteError::Status {
            call,
            status,
            attempts,
            zadig,
        },
    }
}

fn description_is_missing(description: &str) -> bool {
    description.contains("failed to find build module") || description.contains("no documents")
}

/// Zadig's duplicate check answers `<project>项目中有相同的构建名称存在,请检查!`; a race on the
/// unique index answers with Mongo's `E11000 duplicate key` instead.
fn description_is_duplicate(description: &str) -> bool {
    description.contains(DUPLICATE_MARKER) || description.contains("E11000")
}

const DUPLICATE_MARKER: &str = "项目中有相同的构建名称";

fn duplicate_owner(description: &str) -> Option<String> {
    let (project, _) = description.split_once(DUPLICATE_MARKER)?;
    let project = project.trim();
    (!project.is_empty()).then(|| project.to_owned())
}
