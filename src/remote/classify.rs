//! Turning a non-success answer into the [`RemoteError`] that explains it: the status first
//! (401, 403, 405 on PUT), then Zadig's business code (`zadig_text::codes`), then the shape
//! of the body (Zadig's own, or something in front of Zadig). Pure.

use reqwest::{Method, StatusCode};

use super::error::{Call, RemoteError, Subject};
use super::zadig_text::{ZadigText, codes};

/// Turns a non-success answer into the error that explains it. `attempts` is how many times
/// the request was sent.
pub fn classify(
    call: Call,
    status: StatusCode,
    body: &[u8],
    content_type: Option<&str>,
    attempts: u32,
) -> RemoteError {
    let call = Box::new(call);
    let zadig = ZadigText::from_body(body, content_type);
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
        (codes::DETAIL_FAILED, Some((project, name))) => RemoteError::NotFound {
            call,
            status,
            project,
            name,
            zadig,
        },
        (codes::UPDATE_FAILED, Some((project, name))) if description_is_missing(&description) => {
            RemoteError::NotFound {
                call,
                status,
                project,
                name,
                zadig,
            }
        }
        (codes::CREATE_FAILED, Some((_, name))) if description_is_duplicate(&description) => {
            let owner_project = duplicate_owner(&description);
            RemoteError::NameTaken {
                call,
                status,
                name,
                owner_project,
                zadig,
            }
        }
        (codes::LICENCE_REQUIRED, _) => RemoteError::LicenceRequired {
            call,
            status,
            zadig,
        },
        _ if is_foreign(status, &zadig) => RemoteError::Unexpected {
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

/// A client error in a shape Zadig never sends: Zadig's 400s are JSON or empty, and its only
/// plain-text answers are 404 and 405 for unknown routes and methods.
fn is_foreign(status: StatusCode, zadig: &ZadigText) -> bool {
    let other = matches!(zadig, ZadigText::Other { .. });
    status.is_client_error() && (!zadig.is_zadigs() || (other && status == StatusCode::BAD_REQUEST))
}
