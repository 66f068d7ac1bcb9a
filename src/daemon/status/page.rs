//! The status page, `GET /`: one HTML file, its script and its style sheet, compiled into the
//! binary (no CDN, no file on disk: it works offline and behind any proxy). The page is
//! static; its script reads the status API and makes every value a text node, so nothing
//! from Zadig or the files is ever parsed as HTML. A strict Content-Security-Policy allows
//! only these three files and requests to the same origin: no inline script, no other host,
//! no frame. Does I/O (HTTP answers).

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::daemon::shared::Status;

const INDEX: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/status.js");
const STYLE: &str = include_str!("page/status.css");

/// Only the page's own files and its own origin; nothing inline, nothing framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

pub fn routes() -> Router<Arc<Status>> {
    Router::new()
        .route(
            "/",
            get(|| async { asset(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/status.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/status.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_files_and_never_writes_html_from_data() {
        assert!(INDEX.contains(r#"<script src="status.js" defer></script>"#));
        assert!(INDEX.contains(r#"<link rel="stylesheet" href="status.css">"#));
        assert!(
            !INDEX.contains("http://") && !INDEX.contains("https://"),
            "no other host"
        );
        assert!(
            !INDEX.contains("<style") && !INDEX.contains(" style="),
            "no inline style"
        );
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!SCRIPT.contains(sink), "the script never uses {sink}");
        }
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }
}
