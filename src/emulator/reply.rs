//! Every answer the emulator gives, as one value, and how it goes on the wire: the JSON
//! envelopes of `docs/zadig-api.md` §8, the empty-bodied 400/401/403, gin's plain-text
//! 404/405 and trailing-slash redirects (with Go's HTML body for GET), and the injected faults. No I/O.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::redirect::Redirect;
use super::response::{ErrorBody, InternalErrorBody};

/// One answer; handlers return it, the router counts its status and sends it.
#[derive(Debug)]
pub enum Reply {
    /// 200 with a JSON body (success envelope, list, detail), serialised from its typed
    /// struct so keys keep Zadig's field order.
    Json(Vec<u8>),
    /// A status with no body at all: binding errors, 401, 403, injected 5xx.
    Empty(StatusCode),
    /// An `*HTTPError`.
    Error(ErrorBody),
    /// A non-`HTTPError` failure: 500 with the internal-error body.
    Internal(String),
    /// gin's own plain-text answers (404, 405).
    Text(StatusCode, String),
    /// gin's trailing-slash redirect.
    Redirect(Redirect),
    /// An injected 429 with `Retry-After: 1`.
    Throttled,
}

/// The error codes these routes use, with Zadig's messages. (6524, a delete refused because
/// services reference the build, cannot happen: the emulator has no services.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BadRequest,
    CreateBuild,
    UpdateBuild,
    GetBuild,
    Licence,
}

impl Code {
    fn number(self) -> u16 {
        match self {
            Code::BadRequest => 400,
            Code::CreateBuild => 6520,
            Code::UpdateBuild => 6521,
            Code::GetBuild => 6523,
            Code::Licence => 7050,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Code::BadRequest => "Bad Request",
            Code::CreateBuild => "新建编译模块失败",
            Code::UpdateBuild => "更新编译模块失败",
            Code::GetBuild => "查询编译模块失败",
            Code::Licence => "用户许可证不可用，请检查许可证后重试",
        }
    }
}

impl Reply {
    pub fn error(code: Code, description: impl Into<String>) -> Self {
        Reply::Error(ErrorBody {
            kind: "error",
            message: code.message(),
            code: code.number(),
            description: description.into(),
            extra: serde_json::Map::new(),
        })
    }

    pub fn json(body: impl serde::Serialize) -> Self {
        serde_json::to_vec(&body)
            .map_or_else(|error| Reply::Internal(error.to_string()), Reply::Json)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Reply::Json(_) => StatusCode::OK,
            Reply::Empty(status) | Reply::Text(status, _) => *status,
            Reply::Redirect(redirect) => redirect.status,
            Reply::Error(body) => http_status(body.code),
            Reply::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Reply::Throttled => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

/// Codes 6000–7999 go out as HTTP 400; others are their own status.
fn http_status(code: u16) -> StatusCode {
    if (6000..8000).contains(&code) {
        return StatusCode::BAD_REQUEST;
    }
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
const TEXT_CONTENT_TYPE: &str = "text/plain";
const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";

fn with_json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, JSON_CONTENT_TYPE)], bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn redirected(redirect: Redirect) -> Response {
    let Ok(location) = HeaderValue::from_str(&redirect.location) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let status = redirect.status;
    match redirect.html {
        Some(html) => (
            status,
            [
                (header::LOCATION, location),
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(HTML_CONTENT_TYPE),
                ),
            ],
            html,
        )
            .into_response(),
        None => (status, [(header::LOCATION, location)]).into_response(),
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            Reply::Json(bytes) => {
                (status, [(header::CONTENT_TYPE, JSON_CONTENT_TYPE)], bytes).into_response()
            }
            Reply::Error(body) => with_json(status, &body),
            Reply::Internal(description) => with_json(
                status,
                &InternalErrorBody {
                    message: "Internal Error: ",
                    code: 500,
                    description,
                },
            ),
            Reply::Empty(_) => status.into_response(),
            Reply::Text(_, text) => {
                (status, [(header::CONTENT_TYPE, TEXT_CONTENT_TYPE)], text).into_response()
            }
            Reply::Redirect(redirect) => redirected(redirect),
            Reply::Throttled => (status, [(header::RETRY_AFTER, "1")]).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_codes_go_out_as_400_and_others_as_themselves() {
        assert_eq!(
            Reply::error(Code::Licence, "").status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            Reply::error(Code::BadRequest, "").status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            Reply::Internal(String::new()).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
