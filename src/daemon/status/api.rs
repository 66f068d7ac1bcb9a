//! The status routes: `GET /api/v1/status` (`?project=P&state=S`, each repeatable, and
//! `?kept=true`), `GET /api/v1/events` (`?since=ID`), and the page (`page.rs`). Every route is
//! read-only: another method is answered 405 (axum's method router), and nothing here can
//! change anything. A query it does not understand is answered 400 saying what. Does I/O
//! (HTTP answers).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::daemon::shared::Status;
use crate::daemon::state::BuildState;
use crate::daemon::status::Selection;
use crate::daemon::status::page;

/// The status API and the page, for the endpoints' router.
pub fn routes() -> Router<Arc<Status>> {
    Router::new()
        .route("/api/v1/status", get(status))
        .route("/api/v1/events", get(events))
        .merge(page::routes())
}

async fn status(State(status): State<Arc<Status>>, RawQuery(query): RawQuery) -> Response {
    match selection(query.as_deref().unwrap_or_default()) {
        Ok(selection) => json(status.board.status(&selection, status.readiness())),
        Err(problem) => bad_request(problem),
    }
}

async fn events(State(status): State<Arc<Status>>, RawQuery(query): RawQuery) -> Response {
    match since(query.as_deref().unwrap_or_default()) {
        Ok(since) => json(status.board.events(since)),
        Err(problem) => bad_request(problem),
    }
}

/// `project=P&state=S&kept=true`, each known key at most as often as it makes sense.
pub fn selection(query: &str) -> Result<Selection, String> {
    let mut selection = Selection::default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "project" if !value.is_empty() => selection.projects.push(value.into_owned()),
            "state" if BuildState::NAMES.contains(&&*value) => {
                selection.states.push(value.into_owned())
            }
            "state" => {
                return Err(format!(
                    "`state={value}` is not a state; expected one of: {}",
                    BuildState::NAMES.join(", ")
                ));
            }
            "kept" => selection.kept = boolean("kept", &value)?,
            _ => return Err(unknown(&key, &value, "project, state, kept")),
        }
    }
    Ok(selection)
}

/// `since=ID`.
pub fn since(query: &str) -> Result<Option<u64>, String> {
    let mut since = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "since" => {
                let id = value.parse::<u64>().map_err(|_| {
                    format!(
                        "`since={value}` is not an event id (a whole number from /api/v1/events)"
                    )
                })?;
                since = Some(id);
            }
            _ => return Err(unknown(&key, &value, "since")),
        }
    }
    Ok(since)
}

fn boolean(key: &str, value: &str) -> Result<bool, String> {
    match value {
        "true" | "1" | "" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("`{key}={value}` must be true or false")),
    }
}

fn unknown(key: &str, value: &str, expected: &str) -> String {
    if value.is_empty() && (key == "project") {
        return "`project=` needs a project key".into();
    }
    format!("unknown query parameter `{key}`; expected: {expected}")
}

/// A JSON answer that no cache keeps and no browser sniffs as anything else.
fn json(body: impl Serialize) -> Response {
    let mut response = Json(body).into_response();
    no_store(&mut response);
    response
}

fn bad_request(problem: String) -> Response {
    #[derive(Serialize)]
    struct Problem {
        error: String,
    }
    let mut response = (StatusCode::BAD_REQUEST, Json(Problem { error: problem })).into_response();
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_selects_projects_states_and_kept_builds() {
        let chosen = selection("project=shop&project=web&state=failing&kept=true").unwrap();
        assert_eq!(chosen.projects, ["shop", "web"]);
        assert_eq!(chosen.states, ["failing"]);
        assert!(chosen.kept);
        assert_eq!(selection(""), Ok(Selection::default()));
        assert_eq!(
            selection("project=a%20b").unwrap().projects,
            ["a b"],
            "values are URL-decoded"
        );
    }

    #[test]
    fn what_is_not_understood_is_said() {
        let problem = selection("state=broken").unwrap_err();
        assert!(
            problem.contains("in_sync, pending, drifted, failing, refused, held"),
            "{problem}"
        );
        assert!(
            selection("kept=maybe")
                .unwrap_err()
                .contains("true or false")
        );
        assert!(
            selection("name=x")
                .unwrap_err()
                .contains("unknown query parameter `name`")
        );
        assert!(
            selection("project=")
                .unwrap_err()
                .contains("needs a project key")
        );
        assert_eq!(since("since=12"), Ok(Some(12)));
        assert_eq!(since(""), Ok(None));
        assert!(since("since=-1").unwrap_err().contains("not an event id"));
    }
}
