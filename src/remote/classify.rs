//! Turning a non-success answer into the [`RemoteError`] that explains it: the status first
//! (401, 403, 405 on PUT), then Zadig's business code (`zadig_text::codes`), then the shape
//! of the body (Zadig's own, or something in front of Zadig). Pure.

use reqwest::{Method, StatusCode};

use super::error::{Call, Kind, RemoteError, Subject};
use super::zadig_text::{ZadigText, codes};
use crate::reconcile::redact::Secrets;

/// A non-success answer, as it came.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    pub status: StatusCode,
    pub body: &'a [u8],
    pub content_type: Option<&'a str>,
    /// How many times the request was sent.
    pub attempts: u32,
}

/// Turns a non-success answer into the error that explains it. The kind is read from the
/// whole text; what the error keeps of it is redacted of `secrets`, then clipped.
pub fn classify(call: Call, reply: Reply<'_>, secrets: &Secrets) -> RemoteError {
    let zadig = ZadigText::from_body(reply.body, reply.content_type);
    let kind = kind_of(&call, reply.status, &zadig);
    let zadig = zadig.shown(secrets);
    RemoteError::answered(call, Some(reply.status), reply.attempts, Some(zadig), kind)
}

/// The status first, then Zadig's code and description, then the shape of the body.
fn kind_of(call: &Call, status: StatusCode, zadig: &ZadigText) -> Kind {
    match status {
        StatusCode::UNAUTHORIZED => return Kind::Unauthorized,
        StatusCode::FORBIDDEN => return Kind::Forbidden,
        StatusCode::METHOD_NOT_ALLOWED if call.method == Method::PUT => {
            return Kind::UpdateUnsupported;
        }
        _ => {}
    }
    let (code, description) = match zadig.message() {
        Some(message) => (message.code, message.description.as_str()),
        None => (0, ""),
    };
    let about_a_build = matches!(call.subject, Subject::Build { .. });
    match code {
        codes::DETAIL_FAILED if about_a_build => Kind::NotFound,
        codes::UPDATE_FAILED if about_a_build && description_is_missing(description) => {
            Kind::NotFound
        }
        codes::CREATE_FAILED if about_a_build && description_is_duplicate(description) => {
            Kind::NameTaken {
                owner_project: duplicate_owner(description),
            }
        }
        codes::LICENCE_REQUIRED => Kind::LicenceRequired,
        _ if is_foreign(status, zadig) => Kind::Unexpected,
        _ if status == StatusCode::BAD_REQUEST => Kind::Rejected,
        _ => Kind::Status,
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

/// A client error in a shape Zadig never sends: Zadig's 400s are JSON or empty, and its only
/// plain-text answers are 404 and 405 for unknown routes and methods.
fn is_foreign(status: StatusCode, zadig: &ZadigText) -> bool {
    let other = matches!(zadig, ZadigText::Other { .. });
    status.is_client_error() && (!zadig.is_zadigs() || (other && status == StatusCode::BAD_REQUEST))
}
