//! When to try a request again and how long to wait first: exponential backoff with jitter,
//! `Retry-After` honoured on 429/503, everything capped. Pure: the caller sleeps and sends.
//!
//! Which requests may be repeated at all is decided by the client per route (GET, PUT and
//! DELETE are idempotent on Zadig; a create is repeated only because a duplicate is detectable).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::error::ZadigMessage;
use crate::backoff::Backoff;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 = try once.
    pub max_retries: u32,
    /// The wait before the first retry; it doubles on each later one.
    pub initial_backoff: Duration,
    /// No wait is longer, whatever the backoff or the server's `Retry-After` say.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry). A `Retry-After` from the
    /// server replaces the backoff; either way the wait is capped at `max_backoff`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_backoff);
        }
        Backoff::new(self.initial_backoff, self.max_backoff).wait(retry)
    }
}

/// Statuses worth another attempt: the server or a proxy in front of it was briefly unable to
/// answer. Every 4xx except 429 is an answer about the request and would come back the same.
pub fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// Whether an answer is worth another attempt. A 500 that carries Zadig's own error body
/// (`{"message":"Internal Error: ","code":500,"description":…}`) is Zadig's verdict on the
/// request (a build template or code host that does not exist) and would come back the same;
/// a 500 with any other body, like 502/503/504 and 429, may be transient.
pub fn is_retryable(status: StatusCode, body: &[u8]) -> bool {
    is_retryable_status(status)
        && !(status == StatusCode::INTERNAL_SERVER_ERROR && is_zadig_error(body))
}

/// Zadig's non-HTTPError body (`docs/zadig-api.md` §8), read with the same parser as errors.
fn is_zadig_error(body: &[u8]) -> bool {
    ZadigMessage::parse(body).is_some_and(|message| message.message.starts_with("Internal Error"))
}

/// `Retry-After` in seconds, on the statuses where it means "come back later". The HTTP-date
/// form is not used by the proxies seen in front of Zadig and falls back to the backoff.
pub fn retry_after(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    let throttled =
        status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE;
    if !throttled {
        return None;
    }
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stays_under_the_cap() {
        let policy = policy();
        let ceilings = [100, 200, 400, 800, 1000, 1000];
        for (index, ceiling) in ceilings.into_iter().enumerate() {
            let retry = index as u32 + 1;
            for _ in 0..50 {
                let delay = policy.delay(retry, None).as_millis();
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "retry {retry}: {delay}"
                );
            }
        }
        assert!(policy.delay(u32::MAX, None) <= policy.max_backoff);
    }

    #[test]
    fn retry_after_replaces_the_backoff_but_not_the_cap() {
        let policy = policy();
        let short = Some(Duration::from_millis(300));
        assert_eq!(policy.delay(1, short), Duration::from_millis(300));
        let long = Some(Duration::from_secs(120));
        assert_eq!(policy.delay(1, long), policy.max_backoff);
    }

    #[test]
    fn retry_after_is_read_in_seconds_on_429_and_503_only() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static(" 3 "));
        let three = Some(Duration::from_secs(3));
        assert_eq!(retry_after(StatusCode::TOO_MANY_REQUESTS, &headers), three);
        assert_eq!(
            retry_after(StatusCode::SERVICE_UNAVAILABLE, &headers),
            three
        );
        assert_eq!(retry_after(StatusCode::BAD_GATEWAY, &headers), None);
        let date = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        headers.insert(RETRY_AFTER, date);
        assert_eq!(retry_after(StatusCode::TOO_MANY_REQUESTS, &headers), None);
    }

    #[test]
    fn only_throttling_and_server_errors_are_retried() {
        for code in [429, 500, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(code).unwrap()));
        }
        for code in [200, 400, 401, 403, 404, 405] {
            assert!(!is_retryable_status(StatusCode::from_u16(code).unwrap()));
        }
    }

    #[test]
    fn zadigs_own_500_is_final_but_a_bare_500_is_retried() {
        let zadig = br#"{"message":"Internal Error: ","code":500,"description":"no template"}"#;
        assert!(!is_retryable(StatusCode::INTERNAL_SERVER_ERROR, zadig));
        assert!(is_retryable(StatusCode::INTERNAL_SERVER_ERROR, b""));
        assert!(is_retryable(
            StatusCode::INTERNAL_SERVER_ERROR,
            b"<html>proxy</html>"
        ));
        assert!(is_retryable(StatusCode::BAD_GATEWAY, zadig));
    }
}
