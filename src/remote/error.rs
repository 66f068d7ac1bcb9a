//! What went wrong talking to Zadig, in words a user can act on. Zadig answers 400/401/403
//! often with an empty body, and business errors as `{type, message, code, description,
//! extra}` with Chinese messages (`docs/zadig-api.md` §8); this module turns each known answer
//! into its own variant with an explanation, and keeps the call (method, route, path, what it
//! was about), the status and Zadig's own text in every one; [`RemoteError::kind`] names the
//! variant as a stable word. Pure: classifies answers already received.

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
        "{call}: {status}: the answer is not one of Zadig's{zadig}; a proxy or another service \
         may be answering at this address (check --url)"
    )]
    Unexpected {
        call: Box<Call>,
        status: StatusCode,
        zadig: ZadigText,
    },
    #[error(
        "{call}: the answer is larger than {limit} bytes, the limit set by --max-body-size; \
         it was not read (raise the limit if this Zadig really sends so much)"
    )]
    BodyTooLarge { call: Box<Call>, limit: u64 },
    #[error(
        "{call}: Zadig answered with build {got_name:?} of project {got_project:?} instead of \
         the one asked for; the answer is not used"
    )]
    WrongDetail {
        call: Box<Call>,
        got_name: String,
        got_project: String,
    },
    #[error("{call}: stopped, as {}; see that error", reason.explain())]
    Halted { call: Box<Call>, reason: StopReason },
    #[error(
        "{call}: the run's deadline ({}) passed; nothing more is sent (raise --deadline for \
         a larger run)",
        humantime::format_duration(*deadline)
    )]
    DeadlineExceeded { call: Box<Call>, deadline: Duration },
    #[error(
        "listing builds of project {project:?}: more than {pages} pages (Zadig reported \
         {total} builds); the list is not trusted, so nothing is deleted in that project"
    )]
    ListTooLong {
        project: String,
        pages: u32,
        total: i64,
    },
    #[error(
        "{call}: not deleted: a create in project {project:?} found its name taken by a build \
         of that same project that the list did not show, so the list was incomplete and no \
         build of {project:?} is deleted in this run"
    )]
    ListDisproved { call: Box<Call>, project: String },
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

/// Which kind of failure a [`RemoteError`] is, as a stable word (for logs and JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    Unauthorized,
    Forbidden,
    NotFound,
    NameTaken,
    LicenceRequired,
    UpdateUnsupported,
    Rejected,
    Unexpected,
    Status,
    Transport,
    Decode,
    Encode,
    BodyTooLarge,
    WrongDetail,
    Halted,
    DeadlineExceeded,
    IncompleteList,
    ListTooLong,
    ListDisproved,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::NameTaken => "name_taken",
            ErrorKind::LicenceRequired => "licence_required",
            ErrorKind::UpdateUnsupported => "update_unsupported",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Unexpected => "unexpected_answer",
            ErrorKind::Status => "status",
            ErrorKind::Transport => "transport",
            ErrorKind::Decode => "decode",
            ErrorKind::Encode => "encode",
            ErrorKind::BodyTooLarge => "body_too_large",
            ErrorKind::WrongDetail => "wrong_detail",
            ErrorKind::Halted => "halted",
            ErrorKind::DeadlineExceeded => "deadline_exceeded",
            ErrorKind::IncompleteList => "incomplete_list",
            ErrorKind::ListTooLong => "list_too_long",
            ErrorKind::ListDisproved => "list_disproved",
        }
    }
}

impl RemoteError {
    /// True when the build is gone (as opposed to unreadable for another reason).
    pub fn is_not_found(&self) -> bool {
        matches!(self, RemoteError::NotFound { .. })
    }

    pub fn kind(&self) -> ErrorKind {
        use RemoteError as E;
        match self {
            E::Unauthorized { .. } => ErrorKind::Unauthorized,
            E::Forbidden { .. } => ErrorKind::Forbidden,
            E::NotFound { .. } => ErrorKind::NotFound,
            E::NameTaken { .. } => ErrorKind::NameTaken,
            E::LicenceRequired { .. } => ErrorKind::LicenceRequired,
            E::UpdateUnsupported { .. } => ErrorKind::UpdateUnsupported,
            E::Rejected { .. } => ErrorKind::Rejected,
            E::Unexpected { .. } => ErrorKind::Unexpected,
            E::Status { .. } => ErrorKind::Status,
            E::Transport { .. } => ErrorKind::Transport,
            E::Decode { .. } => ErrorKind::Decode,
            E::Encode { .. } => ErrorKind::Encode,
            E::BodyTooLarge { .. } => ErrorKind::BodyTooLarge,
            E::WrongDetail { .. } => ErrorKind::WrongDetail,
            E::Halted { .. } => ErrorKind::Halted,
            E::DeadlineExceeded { .. } => ErrorKind::DeadlineExceeded,
            E::IncompleteList { .. } => ErrorKind::IncompleteList,
            E::ListTooLong { .. } => ErrorKind::ListTooLong,
            E::ListDisproved { .. } => ErrorKind::ListDisproved,
        }
    }

    /// The request that failed, when one was made.
    pub fn call(&self) -> Option<&Call> {
        use RemoteError as E;
        match self {
            E::Unauthorized { call, .. }
            | E::Forbidden { call, .. }
            | E::NotFound { call, .. }
            | E::NameTaken { call, .. }
            | E::LicenceRequired { call, .. }
            | E::UpdateUnsupported { call, .. }
            | E::Rejected { call, .. }
            | E::Unexpected { call, .. }
            | E::Status { call, .. }
            | E::Transport { call, .. }
            | E::Decode { call, .. }
            | E::BodyTooLarge { call, .. }
            | E::WrongDetail { call, .. }
            | E::Halted { call, .. }
            | E::DeadlineExceeded { call, .. }
            | E::ListDisproved { call, .. } => Some(call),
            E::Encode { .. } | E::IncompleteList { .. } | E::ListTooLong { .. } => None,
        }
    }

    /// The zadig business code, when Zadig sent one.
    pub fn zadig_code(&self) -> Option<i64> {
        use RemoteError as E;
        match self {
            E::Unauthorized { zadig, .. }
            | E::Forbidden { zadig, .. }
            | E::NotFound { zadig, .. }
            | E::NameTaken { zadig, .. }
            | E::LicenceRequired { zadig, .. }
            | E::UpdateUnsupported { zadig, .. }
            | E::Rejected { zadig, .. }
            | E::Status { zadig, .. } => zadig.message().map(|message| message.code),
            _ => None,
        }
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

pub(super) fn rejection_hint(zadig: &ZadigText) -> &'static str {
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
    if source.is_timeout() {
        "no answer in time"
    } else if source.is_connect() {
        "cannot connect to Zadig"
    } else {
        "the connection failed"
    }
}
