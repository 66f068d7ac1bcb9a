//! What went wrong talking to Zadig, in words a user can act on. Zadig answers 400/401/403
//! often with an empty body, and business errors as `{type, message, code, description,
//! extra}` with Chinese messages (`docs/zadig-api.md` §8). A [`RemoteError`] carries its
//! context once (the call: method, route, path, what it was about; the status; the attempts;
//! what Zadig said, with its code) and a [`Kind`] saying what went wrong, with only the data
//! that kind adds; `Kind::as_str` names it as a stable word. Pure.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};

use super::observe::Route;
use super::run::StopReason;
pub use super::zadig_text::{ZadigMessage, ZadigText};

/// One request as an error names it: method, path with query (never the token), and what the
/// request was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub method: Method,
    pub route: Route,
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

/// A request to Zadig that did not succeed: its context, once, and what kind of failure.
#[derive(Debug)]
pub struct RemoteError {
    context: Box<Context>,
    kind: Kind,
}

/// Where a failure happened and what came back.
#[derive(Debug)]
pub struct Context {
    pub call: Call,
    /// `None` when no answer came (or none was needed to decide).
    pub status: Option<StatusCode>,
    /// How many times the request was sent (retries of 5xx and 429 included).
    pub attempts: u32,
    /// What the server said, when it answered.
    pub zadig: Option<ZadigText>,
}

/// What went wrong, with what the kind adds to the context.
#[derive(Debug)]
pub enum Kind {
    Unauthorized,
    Forbidden,
    /// The build of the call's subject does not exist.
    NotFound,
    NameTaken {
        /// The project that holds the name, as Zadig's description tells it (may be this one).
        owner_project: Option<String>,
    },
    LicenceRequired,
    UpdateUnsupported,
    Rejected,
    /// A client error in a shape Zadig never sends (a proxy's HTML page).
    Unexpected,
    /// Any other status (5xx after the retries, 3xx, 404, …).
    Status,
    Transport(reqwest::Error),
    Decode(serde_json::Error),
    Encode(serde_json::Error),
    BodyTooLarge {
        limit: u64,
    },
    WrongDetail {
        got_name: String,
        got_project: String,
    },
    /// Not done: an earlier error stopped the run.
    Halted(StopReason),
    DeadlineExceeded {
        deadline: Duration,
    },
    IncompleteList {
        expected: i64,
        got: usize,
    },
    ListTooLong {
        pages: u32,
        total: i64,
    },
    /// A delete refused: a create proved this project's list incomplete.
    ListDisproved,
}

impl Kind {
    /// A stable word for the kind (logs, JSON, metrics).
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Unauthorized => "unauthorized",
            Kind::Forbidden => "forbidden",
            Kind::NotFound => "not_found",
            Kind::NameTaken { .. } => "name_taken",
            Kind::LicenceRequired => "licence_required",
            Kind::UpdateUnsupported => "update_unsupported",
            Kind::Rejected => "rejected",
            Kind::Unexpected => "unexpected_answer",
            Kind::Status => "status",
            Kind::Transport(_) => "transport",
            Kind::Decode(_) => "decode",
            Kind::Encode(_) => "encode",
            Kind::BodyTooLarge { .. } => "body_too_large",
            Kind::WrongDetail { .. } => "wrong_detail",
            Kind::Halted(_) => "halted",
            Kind::DeadlineExceeded { .. } => "deadline_exceeded",
            Kind::IncompleteList { .. } => "incomplete_list",
            Kind::ListTooLong { .. } => "list_too_long",
            Kind::ListDisproved => "list_disproved",
        }
    }
}

impl RemoteError {
    /// A failure of `call` with no answer to show.
    pub fn new(call: Call, kind: Kind) -> Self {
        Self::answered(call, None, 1, None, kind)
    }

    /// A failure of `call` that came with an answer (or after `attempts` attempts).
    pub fn answered(
        call: Call,
        status: Option<StatusCode>,
        attempts: u32,
        zadig: Option<ZadigText>,
        kind: Kind,
    ) -> Self {
        RemoteError {
            context: Box::new(Context {
                call,
                status,
                attempts,
                zadig,
            }),
            kind,
        }
    }

    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    pub fn context(&self) -> &Context {
        &self.context
    }

    pub fn call(&self) -> &Call {
        &self.context.call
    }

    pub fn status(&self) -> Option<StatusCode> {
        self.context.status
    }

    pub fn attempts(&self) -> u32 {
        self.context.attempts
    }

    /// Zadig's business code, when Zadig sent one.
    pub fn zadig_code(&self) -> Option<i64> {
        let message = self.context.zadig.as_ref()?.message()?;
        Some(message.code)
    }

    /// True when the build is gone (as opposed to unreadable for another reason).
    pub fn is_not_found(&self) -> bool {
        matches!(self.kind, Kind::NotFound)
    }
}

impl std::error::Error for RemoteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Transport(source) => Some(source),
            Kind::Decode(source) | Kind::Encode(source) => Some(source),
            _ => None,
        }
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Context {
            call,
            status,
            attempts,
            zadig,
        } = &*self.context;
        let project = call.subject.project();
        if let Kind::IncompleteList { .. } | Kind::ListTooLong { .. } = &self.kind {
            write!(f, "listing builds of project {project:?}: ")?;
            return explain(f, &self.kind, &self.context);
        }
        write!(f, "{call}")?;
        if let Some(status) = status {
            write!(f, ": {status}")?;
        }
        if let Kind::Status = &self.kind {
            let hint = status.map(|status| status_hint(status, *attempts));
            f.write_str(hint.as_deref().unwrap_or_default())?;
        } else {
            f.write_str(": ")?;
            explain(f, &self.kind, &self.context)?;
        }
        match zadig {
            Some(zadig) if !matches!(self.kind, Kind::Unexpected) => write!(f, "{zadig}"),
            _ => Ok(()),
        }
    }
}

/// The words for one kind, between the call and what Zadig said.
fn explain(f: &mut fmt::Formatter<'_>, kind: &Kind, context: &Context) -> fmt::Result {
    let call = &context.call;
    let project = call.subject.project();
    match kind {
        Kind::Unauthorized => f.write_str(
            "the API token is invalid or expired, or was regenerated in Zadig; copy a new one \
             from Account Settings → API Token",
        ),
        Kind::Forbidden => write!(
            f,
            "the token's user lacks the permission in project {project:?} ({})",
            permission_needed(&call.method)
        ),
        Kind::NotFound => write!(
            f,
            "build {:?} does not exist in project {project:?}",
            subject_name(call)
        ),
        Kind::NameTaken { owner_project } => write!(
            f,
            "the name {:?} is already taken by a build in {}; build names are global across \
             all projects of a Zadig server",
            subject_name(call),
            owner_project
                .as_deref()
                .map_or("another project".to_owned(), |p| format!("project {p:?}"))
        ),
        Kind::LicenceRequired => f.write_str(
            "template builds need a ZadigX professional or enterprise licence, which this \
             server does not have; use a custom build instead",
        ),
        Kind::UpdateUnsupported => f.write_str(
            "this Zadig is older than v4.2 and cannot update builds through its OpenAPI; \
             upgrade Zadig",
        ),
        Kind::Rejected => write!(
            f,
            "Zadig rejected the request: {}",
            rejection_hint(context.zadig.as_ref())
        ),
        Kind::Unexpected => write!(
            f,
            "the answer is not one of Zadig's{}; a proxy or another service may be answering \
             at this address (check --url)",
            context
                .zadig
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        ),
        Kind::Status => Ok(()),
        Kind::Transport(source) => write!(
            f,
            "{}{} (after {}): {}",
            transport_hint(source),
            server_of(source),
            attempts_text(context.attempts),
            root_cause(source)
        ),
        Kind::Decode(source) => write!(f, "the answer is not the JSON expected: {source}"),
        Kind::Encode(source) => write!(f, "cannot encode the request body: {source}"),
        Kind::BodyTooLarge { limit } => write!(
            f,
            "the answer is larger than {limit} bytes, the limit set by --max-body-size; it was \
             not read (raise the limit if this Zadig really sends so much)"
        ),
        Kind::WrongDetail {
            got_name,
            got_project,
        } => write!(
            f,
            "Zadig answered with build {got_name:?} of project {got_project:?} instead of the \
             one asked for; the answer is not used"
        ),
        Kind::Halted(reason) => write!(f, "stopped, as {}; see that error", reason.explain()),
        Kind::DeadlineExceeded { deadline } => write!(
            f,
            "the run's deadline ({}) passed; nothing more is sent (raise --deadline for a \
             larger run)",
            humantime::format_duration(*deadline)
        ),
        Kind::IncompleteList { expected, got } => write!(
            f,
            "Zadig reported {expected} builds but the pages held {got} distinct ones (builds \
             written meanwhile, or a page went missing); the list cannot be trusted, so nothing \
             is deleted"
        ),
        Kind::ListTooLong { pages, total } => write!(
            f,
            "more than {pages} pages (Zadig reported {total} builds); the list is not trusted, \
             so nothing is deleted in that project"
        ),
        Kind::ListDisproved => write!(
            f,
            "not deleted: a create in project {project:?} found its name taken by a build of \
             that same project that the list did not show, so the list was incomplete and no \
             build of {project:?} is deleted in this run"
        ),
    }
}

fn subject_name(call: &Call) -> &str {
    match &call.subject {
        Subject::Build { name, .. } => name,
        Subject::Project { .. } => "",
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

fn rejection_hint(zadig: Option<&ZadigText>) -> &'static str {
    match zadig {
        None | Some(ZadigText::Empty) => {
            "no reason given (an empty 400 means a field has the wrong JSON type or a required \
             field is missing; run `zadig-sync validate`)"
        }
        _ => "a referenced image, code host, cluster or template may not exist",
    }
}

/// `1 attempt`, `3 attempts`.
fn attempts_text(count: u32) -> String {
    match count {
        1 => "1 attempt".to_owned(),
        _ => format!("{count} attempts"),
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

/// ` at SCHEME://HOST:PORT`: the request's path is in the message already, the server was
/// not (it may come from the environment or the scope file). URLs with credentials are
/// refused before any request, so the origin holds none.
fn server_of(source: &reqwest::Error) -> String {
    source
        .url()
        .map(|url| format!(" at {}", url.origin().ascii_serialization()))
        .unwrap_or_default()
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
