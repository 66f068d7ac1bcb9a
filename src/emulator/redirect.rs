//! gin's trailing-slash redirect (`redirectTrailingSlash`, which hands over to Go's
//! `http.Redirect`): 301 for GET and 307 for the other methods, to the path without its
//! slash, escaped as Go's `url.URL` escapes a path and cleaned as `path.Clean` cleans it, with
//! the query as sent. A GET also gets Go's short HTML body. No I/O.

use axum::http::{Method, StatusCode};

/// One trailing-slash redirect, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub status: StatusCode,
    pub location: String,
    /// `<a href="…">Moved Permanently</a>.` and two line ends, sent as `text/html`; GET only.
    pub html: Option<String>,
}

impl Redirect {
    /// `decoded_path` is the route's path without the slash, as gin matched it (decoded).
    pub fn to_route(method: &Method, decoded_path: &str, raw_query: Option<&str>) -> Self {
        let path = clean(&escape_path(decoded_path));
        let location = match raw_query {
            Some(query) => format!("{path}?{query}"),
            None => path,
        };
        if method == Method::GET {
            let status = StatusCode::MOVED_PERMANENTLY;
            let html = html_body(&location, status);
            return Self {
                status,
                location,
                html: Some(html),
            };
        }
        Self {
            status: StatusCode::TEMPORARY_REDIRECT,
            location,
            html: None,
        }
    }
}

/// `http.Redirect`'s body: the link, then `fmt.Fprintln`'s own line end.
fn html_body(location: &str, status: StatusCode) -> String {
    let text = status.canonical_reason().unwrap_or_default();
    format!("<a href=\"{}\">{text}</a>.\n\n", html_escape(location))
}

/// Go's `htmlEscape`: the five characters that matter in an attribute.
fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&#34;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `url.URL.EscapedPath` for a path it must encode itself: every byte but letters, digits,
/// `-_.~` and `$&+,/:;=@` becomes `%XX` (upper-case hex).
fn escape_path(path: &str) -> String {
    let mut escaped = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&byte) {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

/// `path.Clean` for a rooted path: no empty or `.` segments, `..` removes the one before.
fn clean(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_is_moved_permanently_with_go_s_html_body() {
        let redirect = Redirect::to_route(&Method::GET, "/openapi/build", Some("a=1&b='"));
        assert_eq!(redirect.status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(redirect.location, "/openapi/build?a=1&b='");
        assert_eq!(
            redirect.html.as_deref(),
            Some("<a href=\"/openapi/build?a=1&amp;b=&#39;\">Moved Permanently</a>.\n\n")
        );
    }

    #[test]
    fn other_methods_are_temporary_redirects_without_a_body() {
        let redirect = Redirect::to_route(&Method::PUT, "/openapi/build", None);
        assert_eq!(redirect.status, StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(redirect.location, "/openapi/build");
        assert_eq!(redirect.html, None);
    }

    #[test]
    fn the_path_is_escaped_as_go_escapes_a_path_and_cleaned() {
        let location = |path: &str| Redirect::to_route(&Method::PUT, path, None).location;
        assert_eq!(
            location("/openapi/build/café a?b/detail"),
            "/openapi/build/caf%C3%A9%20a%3Fb/detail"
        );
        assert_eq!(
            location("/openapi/build/a~b,c$@/detail"),
            "/openapi/build/a~b,c$@/detail"
        );
        assert_eq!(location("/openapi/build/../detail"), "/openapi/detail");
        assert_eq!(location("/openapi/build/./detail"), "/openapi/build/detail");
    }
}
