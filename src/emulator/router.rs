//! The HTTP front: faults, then the gateway's token check (before any routing, as Envoy
//! answers first), then gin-like routing of `/openapi/build…` (decoded-path matching,
//! plain-text 404/405, trailing-slash redirects), then the handler; plus the uncounted
//! control routes `GET /_emulator/stats`, `POST /_emulator/reset`, `POST /_emulator/faults`
//! and `POST /_emulator/clock`. Every answered request is counted in [`Stats`].

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::access::{self, Caller};
use super::clock::Advance;
use super::faults::{Faults, Injected, TargetedFaults};
use super::handlers::Api;
use super::redirect::Redirect;
use super::reply::Reply;
use super::stats::Stats;

/// Everything the front needs, shared by all connections.
#[derive(Debug)]
pub struct Shared {
    pub api: Api,
    pub admin_token: String,
    pub faults: Faults,
    /// Set and cleared at run time through `POST /_emulator/faults`.
    pub targeted: std::sync::Mutex<TargetedFaults>,
    pub stats: Stats,
}

impl Shared {
    fn targeted(&self) -> TargetedFaults {
        self.targeted
            .lock()
            .map(|faults| faults.clone())
            .unwrap_or_default()
    }
}

/// Bodies above this are refused; Zadig build bodies are a few kilobytes.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The query string as gin reads it: `c.Query(name)` is the first value, `+` is a space.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        Self { pairs }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A known route, with its path parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Builds,
    Detail(String),
    TemplateUpdate(String),
}

impl Route {
    /// gin matches on the decoded path, so a `/` inside a name makes it unreachable.
    fn recognise(decoded_path: &str) -> Option<Self> {
        let rest = decoded_path.strip_prefix("/openapi/build")?;
        if rest.is_empty() {
            return Some(Route::Builds);
        }
        let segments: Vec<&str> = rest.strip_prefix('/')?.split('/').collect();
        match segments.as_slice() {
            [name, "detail"] if !name.is_empty() => Some(Route::Detail((*name).to_owned())),
            [name, "template"] if !name.is_empty() => {
                Some(Route::TemplateUpdate((*name).to_owned()))
            }
            _ => None,
        }
    }

    fn pattern(&self) -> &'static str {
        match self {
            Route::Builds => "/openapi/build",
            Route::Detail(_) => "/openapi/build/:name/detail",
            Route::TemplateUpdate(_) => "/openapi/build/:name/template",
        }
    }

    fn allows(&self, method: &Method) -> bool {
        match self {
            Route::Builds => {
                [Method::GET, Method::POST, Method::PUT, Method::DELETE].contains(method)
            }
            Route::Detail(_) => method == Method::GET,
            Route::TemplateUpdate(_) => method == Method::PUT,
        }
    }
}

/// What the router made of a request before authentication.
enum Matched {
    Route(Route),
    Refused(Reply),
}

fn match_route(
    method: &Method,
    decoded_path: &str,
    raw_query: Option<&str>,
) -> (&'static str, Matched) {
    if let Some(route) = Route::recognise(decoded_path) {
        let pattern = route.pattern();
        if route.allows(method) {
            return (pattern, Matched::Route(route));
        }
        let text = format!("Method not allowed: {method} {decoded_path}");
        return (
            pattern,
            Matched::Refused(Reply::Text(StatusCode::METHOD_NOT_ALLOWED, text)),
        );
    }
    if let Some(trimmed) = decoded_path.strip_suffix('/')
        && Route::recognise(trimmed).is_some_and(|route| route.allows(method))
    {
        let redirect = Redirect::to_route(method, trimmed, raw_query);
        return ("unmatched", Matched::Refused(Reply::Redirect(redirect)));
    }
    let text = format!("Invalid path: {decoded_path}");
    (
        "unmatched",
        Matched::Refused(Reply::Text(StatusCode::NOT_FOUND, text)),
    )
}

/// The single axum handler: every request comes through here.
pub async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let raw_query = request.uri().query().map(str::to_owned);
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = to_bytes(request.into_body(), MAX_BODY_BYTES).await;
    let bytes = body.as_ref().map(|b| b.as_ref()).unwrap_or_default();
    if let Some(control) = control_route(&shared, &method, &path, bytes).await {
        return control;
    }
    let targeted = shared.targeted();
    // Finding the build a request names parses its body: only when a fault is aimed at one.
    let touched =
        (!targeted.is_empty()).then(|| touched_build(&method, &path, raw_query.as_deref(), bytes));
    let aimed = touched
        .clone()
        .filter(|touched| targeted.fails(touched.as_deref(), method != Method::GET))
        .map(|_| Injected::ServerError(StatusCode::SERVICE_UNAVAILABLE));
    let injected = match aimed {
        Some(injected) => Some(injected),
        None => shared.faults.before_request().await,
    };
    let (pattern, reply) = match injected {
        Some(injected) => (route_label(&method, &path), injected_reply(injected)),
        None => {
            let incoming = Incoming {
                method: &method,
                path: &path,
                raw_query,
                authorization,
                body,
            };
            let (pattern, reply) = answer(&shared, incoming).await;
            let lost = method != Method::GET
                && reply.status().is_success()
                && drop_answer(&shared, touched.flatten().as_deref());
            let reply = if lost {
                Reply::Empty(StatusCode::GATEWAY_TIMEOUT)
            } else {
                reply
            };
            (pattern, reply)
        }
    };
    shared
        .stats
        .record(method.as_str(), pattern, reply.status().as_u16());
    let mut response = reply.into_response();
    // Zadig's `Date` and its `update_time` come from one clock: so do the emulator's, moved
    // forward together by `POST /_emulator/clock` (the client's settled rule compares them).
    let seconds = u64::try_from(shared.api.clock.now_seconds()).unwrap_or(0);
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    if let Ok(date) = header::HeaderValue::from_str(&httpdate::fmt_http_date(now)) {
        response.headers_mut().insert(header::DATE, date);
    }
    response
}

/// The parts of a request the build routes read.
struct Incoming<'a> {
    method: &'a Method,
    path: &'a str,
    raw_query: Option<String>,
    authorization: Option<String>,
    body: Result<axum::body::Bytes, axum::Error>,
}

fn route_label(method: &Method, path: &str) -> &'static str {
    match_route(method, &percent_decode(path), None).0
}

/// Whether the answer to this successful write is to be lost (`drop_answers_to`).
fn drop_answer(shared: &Shared, build: Option<&str>) -> bool {
    shared
        .targeted
        .lock()
        .map(|mut faults| faults.take_dropped_answer(build))
        .unwrap_or(false)
}

fn injected_reply(injected: Injected) -> Reply {
    match injected {
        Injected::ServerError(status) => Reply::Empty(status),
        Injected::Throttled => Reply::Throttled,
    }
}

async fn answer(shared: &Shared, incoming: Incoming<'_>) -> (&'static str, Reply) {
    let decoded = percent_decode(incoming.path);
    let (pattern, matched) = match_route(incoming.method, &decoded, incoming.raw_query.as_deref());
    let query = Query::parse(incoming.raw_query.as_deref());
    // The gateway checks the token before Zadig routes anything: without a valid one, an
    // unknown path, a wrong method or a trailing slash is a 401 too.
    let Some(caller) = access::authenticate(
        &shared.admin_token,
        &shared.api.seeds,
        query.get("token"),
        incoming.authorization.as_deref(),
    ) else {
        return (pattern, Reply::Empty(StatusCode::UNAUTHORIZED));
    };
    let route = match matched {
        Matched::Route(route) => route,
        Matched::Refused(reply) => return (pattern, reply),
    };
    let Ok(body) = incoming.body else {
        return (pattern, Reply::Empty(StatusCode::BAD_REQUEST));
    };
    (
        pattern,
        dispatch(shared, caller, incoming.method, route, &query, &body).await,
    )
}

async fn dispatch(
    shared: &Shared,
    caller: Caller<'_>,
    method: &Method,
    route: Route,
    query: &Query,
    body: &[u8],
) -> Reply {
    let api = &shared.api;
    match (route, method.as_str()) {
        (Route::Builds, "POST") => api.create(caller, query, body).await,
        (Route::Builds, "PUT") => api.update(caller, query, body).await,
        (Route::Builds, "DELETE") => api.delete(caller, query).await,
        (Route::Builds, _) => {
            let project = query.get("projectKey").unwrap_or_default();
            let extra_total = shared.targeted().extra_total(project);
            api.list(caller, query, extra_total).await
        }
        (Route::Detail(name), _) => api.detail(caller, &name, query).await,
        (Route::TemplateUpdate(_), _) => api.update_from_template(caller, body).await,
    }
}

/// `/_emulator/…`: no token, no faults, not counted.
async fn control_route(
    shared: &Shared,
    method: &Method,
    path: &str,
    body: &[u8],
) -> Option<Response> {
    match (method.as_str(), path) {
        ("POST", "/_emulator/faults") => Some(set_targeted_faults(shared, body).into_response()),
        ("POST", "/_emulator/clock") => Some(advance_clock(shared, body).into_response()),
        ("GET", "/_emulator/stats") => Some(Reply::json(shared.stats.report()).into_response()),
        ("POST", "/_emulator/reset") => {
            shared.stats.clear();
            Some(shared.api.reset().await.into_response())
        }
        _ if path.starts_with("/_emulator/") => Some(
            (
                StatusCode::NOT_FOUND,
                Body::from(format!("Invalid path: {path}")),
            )
                .into_response(),
        ),
        _ => None,
    }
}

fn set_targeted_faults(shared: &Shared, body: &[u8]) -> Reply {
    match serde_json::from_slice::<TargetedFaults>(body) {
        Ok(faults) => {
            if let Ok(mut current) = shared.targeted.lock() {
                *current = faults.clone();
            }
            Reply::json(faults)
        }
        Err(error) => Reply::Text(StatusCode::BAD_REQUEST, format!("bad faults: {error}")),
    }
}

fn advance_clock(shared: &Shared, body: &[u8]) -> Reply {
    match serde_json::from_slice::<Advance>(body) {
        Ok(by) => Reply::json(serde_json::json!({"now": shared.api.clock.advance(by)})),
        Err(error) => Reply::Text(StatusCode::BAD_REQUEST, format!("bad clock move: {error}")),
    }
}

/// The build a request names: the path (detail, template update), `?name=` (delete) or the
/// body's `name` (create, update). A list names none.
fn touched_build(
    method: &Method,
    path: &str,
    raw_query: Option<&str>,
    body: &[u8],
) -> Option<String> {
    match Route::recognise(&percent_decode(path)) {
        Some(Route::Detail(name) | Route::TemplateUpdate(name)) => return Some(name),
        Some(Route::Builds) if method == Method::GET => return None,
        _ => {}
    }
    if let Some(name) = Query::parse(raw_query).get("name") {
        return Some(name.to_owned());
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("name")?.as_str().map(str::to_owned)
}

/// Go's `URL.Path`: `%XX` decoded; bad escapes are kept as written.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = bytes
            .get(index + 1..index + 3)
            .filter(|_| bytes[index] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_matched_on_the_decoded_path() {
        assert_eq!(Route::recognise("/openapi/build"), Some(Route::Builds));
        assert_eq!(
            Route::recognise(&percent_decode("/openapi/build/a%20b/detail")),
            Some(Route::Detail("a b".into()))
        );
        assert_eq!(
            Route::recognise(&percent_decode("/openapi/build/a%2Fb/detail")),
            None
        );
        assert_eq!(Route::recognise("/openapi/builds"), None);
    }

    #[test]
    fn wrong_methods_get_405_and_trailing_slashes_redirect() {
        let status = |method: Method, path: &str| match match_route(&method, path, None).1 {
            Matched::Route(_) => StatusCode::OK,
            Matched::Refused(reply) => reply.status(),
        };
        assert_eq!(
            status(Method::POST, "/openapi/build/x/detail"),
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            status(Method::GET, "/openapi/build/"),
            StatusCode::MOVED_PERMANENTLY
        );
        assert_eq!(
            status(Method::PUT, "/openapi/build/"),
            StatusCode::TEMPORARY_REDIRECT
        );
        assert_eq!(status(Method::GET, "/nope"), StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_first_query_value_wins_and_plus_is_a_space() {
        let query = Query::parse(Some("a=1&a=2&b=x+y"));
        assert_eq!(query.get("a"), Some("1"));
        assert_eq!(query.get("b"), Some("x y"));
        assert_eq!(query.get("c"), None);
    }
}
