//! Sending one request to Zadig: authentication, the global rate and concurrency limits,
//! timeouts, retries with backoff, and one log line per attempt. Does network I/O.
//!
//! Logs carry method, path, status, attempt and elapsed time; never the token (its header
//! value is marked sensitive) and never a request body (it can hold credential parameters).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::sync::Semaphore;
use url::Url;

use super::config::{self, ClientConfig, ConfigError};
use super::error::{Call, RemoteError, Subject};
use super::observe::{Observation, RequestObserver, Route};
use super::retry::{self, RetryPolicy};

/// A request ready to send.
pub(super) struct Outgoing<'a> {
    pub method: Method,
    pub url: Url,
    pub subject: Subject,
    /// JSON, already serialised.
    pub body: Option<&'a [u8]>,
}

/// Zadig's answer, whatever its status.
#[derive(Debug)]
pub(super) struct Answer {
    pub call: Call,
    pub status: StatusCode,
    pub body: Vec<u8>,
    /// How many times the request was sent.
    pub attempts: u32,
    /// The answer's `Date` header, when it had a valid one (the server's clock).
    pub date: Option<std::time::SystemTime>,
}

/// What one attempt produced: an answer, or a failure before an answer was read.
type Attempt = Result<(StatusCode, HeaderMap, Vec<u8>), reqwest::Error>;

/// The shared connection state behind every clone of the client.
#[derive(Debug)]
pub(super) struct Transport {
    http: reqwest::Client,
    base: Url,
    authorization: HeaderValue,
    rate: Option<DefaultDirectRateLimiter>,
    in_flight: Semaphore,
    retry: RetryPolicy,
    observer: Option<Arc<dyn RequestObserver>>,
}

impl Transport {
    pub fn new(config: &ClientConfig) -> Result<Self, ConfigError> {
        let base = config::checked_base_url(config)?;
        if config.concurrency == 0 {
            return Err(ConfigError::ZeroConcurrency);
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // A redirect would carry the token to wherever it points; Zadig never redirects
            // its API, so a redirect means a wrong --url and is reported as such.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &config.ca_file {
            builder = builder.tls_certs_merge(config::read_ca_file(path)?);
        }
        // A proxy from `http_proxy` would receive a loopback request (and its token) in plain
        // text, and could not reach this machine's loopback anyway.
        if config::is_loopback(&base) {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|source| ConfigError::HttpClient { source })?;
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", config.token.expose()))
            .map_err(|_| ConfigError::TokenNotAHeader)?;
        authorization.set_sensitive(true);
        let rate =
            NonZeroU32::new(config.rate_limit).map(|n| RateLimiter::direct(Quota::per_second(n)));
        Ok(Transport {
            http,
            base,
            authorization,
            rate,
            in_flight: Semaphore::new(config.concurrency as usize),
            retry: config.retry,
            observer: config.observer.clone(),
        })
    }

    /// `base` + `/openapi/build` + the given path segments (each percent-encoded) + query.
    pub fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend(["openapi", "build"])
                .extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends the request, retrying connection failures, 5xx and 429. Every route may be
    /// repeated: GET, PUT and DELETE are idempotent on Zadig, and the one POST (create) is
    /// followed by a duplicate check in the client. An answer of any other status is returned
    /// as is, for the caller to interpret.
    pub async fn send(&self, request: Outgoing<'_>) -> Result<Answer, RemoteError> {
        let call = Call {
            method: request.method.clone(),
            path: request.url[url::Position::BeforePath..].to_owned(),
            subject: request.subject.clone(),
        };
        let max_attempts = self.retry.max_retries.saturating_add(1);
        let mut attempt = 1;
        loop {
            let outcome = self.attempt(&request, &call, attempt).await;
            let retry_after = match &outcome {
                Ok((status, headers, body)) if retry::is_retryable(*status, body) => {
                    retry::retry_after(*status, headers)
                }
                Ok(_) => break finish(call, outcome, attempt),
                Err(error) if error.is_builder() || is_certificate_error(error) => {
                    break finish(call, outcome, attempt);
                }
                Err(_) => None,
            };
            if attempt >= max_attempts {
                break finish(call, outcome, attempt);
            }
            let delay = self.retry.delay(attempt, retry_after);
            tracing::debug!(method = %call.method, path = %call.path, attempt,
                delay_ms = delay.as_millis() as u64, "retrying Zadig request");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One attempt, inside the concurrency and rate limits, with the whole body read.
    async fn attempt(&self, request: &Outgoing<'_>, call: &Call, attempt: u32) -> Attempt {
        let _permit = self.in_flight.acquire().await;
        if let Some(rate) = &self.rate {
            rate.until_ready().await;
        }
        let started = Instant::now();
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone())
            .header(AUTHORIZATION, self.authorization.clone());
        if let Some(body) = request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let outcome = read_answer(builder).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &outcome {
            Ok((status, _, _)) => tracing::debug!(method = %call.method, path = %call.path,
                status = status.as_u16(), attempt, elapsed_ms, "Zadig answered"),
            Err(error) => tracing::debug!(method = %call.method, path = %call.path, attempt,
                elapsed_ms, error = %error, "Zadig request failed"),
        }
        self.observe(request, &outcome, attempt, started.elapsed());
        outcome
    }

    /// Tells the observer (metrics) about one attempt: route, method, status, time.
    fn observe(&self, request: &Outgoing<'_>, outcome: &Attempt, attempt: u32, elapsed: Duration) {
        let Some(observer) = &self.observer else {
            return;
        };
        let base = self
            .base
            .path_segments()
            .map_or(0, |s| s.filter(|p| !p.is_empty()).count());
        // Path segments past the base path and `openapi/build` (a build name is one segment).
        let after = request
            .url
            .path_segments()
            .map_or(0, |s| s.count())
            .saturating_sub(base + 2);
        observer.observe(&Observation {
            route: route_of(&request.method, after),
            method: request.method.clone(),
            status: outcome.as_ref().ok().map(|(status, _, _)| *status),
            attempt,
            elapsed,
        });
    }
}

/// Which route a request is for, from its method and the segments after `/openapi/build`.
fn route_of(method: &Method, segments_after_base: usize) -> Route {
    match (method.as_str(), segments_after_base) {
        ("GET", 0) => Route::List,
        ("GET", _) => Route::Detail,
        ("POST", _) => Route::Create,
        ("PUT", 0) => Route::Update,
        ("PUT", _) => Route::UpdateTemplate,
        _ => Route::Delete,
    }
}

async fn read_answer(builder: reqwest::RequestBuilder) -> Attempt {
    let response = builder.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    Ok((status, headers, body.to_vec()))
}

fn finish(call: Call, outcome: Attempt, attempts: u32) -> Result<Answer, RemoteError> {
    match outcome {
        Ok((status, headers, body)) => Ok(Answer {
            call,
            status,
            body,
            attempts,
            date: headers
                .get(reqwest::header::DATE)
                .and_then(|value| value.to_str().ok())
                .and_then(|text| httpdate::parse_http_date(text).ok()),
        }),
        Err(source) => Err(RemoteError::Transport {
            call: Box::new(call),
            attempts,
            source,
        }),
    }
}

/// A TLS certificate the client does not trust fails the same way every time: retrying only
/// delays the message. (rustls says "invalid peer certificate: …"; matched on the text because
/// reqwest does not expose the TLS error type.)
fn is_certificate_error(error: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.to_string().contains("certificate") {
            return true;
        }
        cause = current.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_comes_from_the_method_and_the_segments_after_the_base() {
        assert_eq!(route_of(&Method::GET, 0), Route::List);
        assert_eq!(route_of(&Method::GET, 2), Route::Detail);
        assert_eq!(route_of(&Method::POST, 0), Route::Create);
        assert_eq!(route_of(&Method::PUT, 0), Route::Update);
        assert_eq!(route_of(&Method::PUT, 2), Route::UpdateTemplate);
        assert_eq!(route_of(&Method::DELETE, 0), Route::Delete);
    }
}
