//! Sending one request to Zadig: authentication, the global rate and concurrency limits,
//! timeouts, retries with backoff, the size limit on answers, the run's breaker and deadline
//! (`run.rs`), and one log line and one [`RequestObserver`] call per attempt. Does network I/O.
//!
//! Logs carry method, path, status, attempt and elapsed time; never the token (its header
//! value is marked sensitive) and never a request body (it can hold credential parameters).

use std::num::NonZeroU32;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use super::classify::{Reply, classify};
use super::config::{self, ClientConfig, ConfigError, Token};
use super::error::{Call, Kind, RemoteError, Subject};
use super::observe::{Observation, RequestObserver, Route};
use super::retry::{self, RetryPolicy};
use super::run::{RunGuard, StopReason};
use crate::reconcile::redact::{KnownSecrets, Secrets};

/// A request ready to send.
pub(super) struct Outgoing<'a> {
    pub method: Method,
    pub route: Route,
    pub url: Url,
    pub subject: Subject,
    /// JSON, already serialised.
    pub body: Option<&'a [u8]>,
}

impl Outgoing<'_> {
    /// The request as errors name it.
    pub fn call(&self) -> Call {
        Call {
            method: self.method.clone(),
            route: self.route,
            path: self.url[url::Position::BeforePath..].to_owned(),
            subject: self.subject.clone(),
        }
    }
}

/// Zadig's answer, whatever its status.
#[derive(Debug)]
pub(super) struct Answer {
    pub call: Call,
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// How many times the request was sent.
    pub attempts: u32,
    /// The answer's `Date` header, when valid: the server's clock.
    pub date: Option<std::time::SystemTime>,
    /// What an error text from this answer must not show.
    pub hidden: Arc<Secrets>,
}

impl Answer {
    /// The error a non-success answer means.
    pub fn into_error(self) -> RemoteError {
        let reply = Reply {
            status: self.status,
            body: &self.body,
            content_type: self.content_type.as_deref(),
            attempts: self.attempts,
        };
        classify(self.call, reply, &self.hidden)
    }
}

/// The values the server's error texts must not show: the token and whatever the caller hands
/// over ([`Transport::hide`]), however short, and the redaction built from them.
#[derive(Debug, Default)]
struct Hidden {
    known: KnownSecrets,
    secrets: Arc<Secrets>,
}

impl Hidden {
    fn add(&mut self, values: &[String]) {
        if self.known.add(values) {
            self.secrets = Arc::new(Secrets::of_every_length(&self.known.values()));
        }
    }
}

/// One attempt's answer, read whole (within the size limit).
struct Received {
    status: StatusCode,
    content_type: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
    date: Option<std::time::SystemTime>,
}

/// Why an attempt produced no answer.
enum Failure {
    Http(reqwest::Error),
    /// The answer is larger than `--max-body-size`: not read, not retried.
    TooLarge,
    /// The run's deadline passed while waiting.
    Deadline,
}

type Attempt = Result<Received, Failure>;

/// The shared connection state behind every clone of the client.
#[derive(Debug)]
pub(super) struct Transport {
    http: reqwest::Client,
    base: Url,
    /// Replaced when the daemon reads a rotated token.
    authorization: RwLock<HeaderValue>,
    /// What error texts hide; grows, never shrinks (a rotated token stays hidden).
    hidden: RwLock<Hidden>,
    rate: Option<DefaultDirectRateLimiter>,
    in_flight: Semaphore,
    /// `--concurrency`: how many requests may be in flight at once.
    concurrency: usize,
    retry: RetryPolicy,
    max_body: u64,
    deadline: Option<Duration>,
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
        let authorization = authorization_of(&config.token)?;
        let mut hidden = Hidden::default();
        hidden.add(&[config.token.expose().to_owned()]);
        let burst = NonZeroU32::new(config.burst).unwrap_or(NonZeroU32::MIN);
        let rate = NonZeroU32::new(config.rate_limit)
            .map(|n| RateLimiter::direct(Quota::per_second(n).allow_burst(burst)));
        Ok(Transport {
            http,
            base,
            authorization: RwLock::new(authorization),
            hidden: RwLock::new(hidden),
            rate,
            in_flight: Semaphore::new(config.concurrency as usize),
            concurrency: config.concurrency as usize,
            retry: config.retry,
            max_body: config.max_body_size,
            deadline: config.deadline,
            observer: config.observer.clone(),
        })
    }

    /// Sends `token` from now on.
    pub fn set_token(&self, token: &Token) -> Result<(), ConfigError> {
        let value = authorization_of(token)?;
        self.hide(&[token.expose().to_owned()]);
        *self
            .authorization
            .write()
            .unwrap_or_else(PoisonError::into_inner) = value;
        Ok(())
    }

    fn authorization(&self) -> HeaderValue {
        self.authorization
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Hides `values` from every error text read from now on.
    pub fn hide(&self, values: &[String]) {
        self.hidden
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .add(values);
    }

    fn hidden(&self) -> Arc<Secrets> {
        let hidden = self.hidden.read().unwrap_or_else(PoisonError::into_inner);
        hidden.secrets.clone()
    }

    /// How many requests may be in flight at once (`--concurrency`).
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// The run state a new run starts with: a closed breaker and a full deadline.
    pub fn new_run(&self) -> RunGuard {
        RunGuard::new(self.deadline)
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
    pub async fn send(&self, run: &RunGuard, request: Outgoing<'_>) -> Result<Answer, RemoteError> {
        let call = request.call();
        let max_attempts = self.retry.max_retries.saturating_add(1);
        let mut attempt = 1;
        loop {
            if let Some(stop) = run.stopped() {
                return Err(RemoteError::new(call, Kind::Halted(stop.reason)));
            }
            let outcome = self.attempt(run, &request, &call, attempt).await;
            let retry_after = match verdict(run, &outcome) {
                Verdict::Final => return self.finish(run, call, outcome, attempt),
                Verdict::Stop(reason) => {
                    return self.stop(run, reason, self.finish(run, call, outcome, attempt));
                }
                Verdict::Retry(retry_after) => retry_after,
            };
            if attempt >= max_attempts {
                return self.finish(run, call, outcome, attempt);
            }
            let delay = self.retry.delay(attempt, retry_after);
            if !run.fits(delay) {
                return self.finish(run, call, Err(Failure::Deadline), attempt);
            }
            tracing::debug!(method = %call.method, path = %call.path, attempt,
                delay_ms = delay.as_millis() as u64, "retrying Zadig request");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One attempt, inside the concurrency and rate limits and the run's deadline, with the
    /// whole body read (up to the size limit).
    async fn attempt(
        &self,
        run: &RunGuard,
        request: &Outgoing<'_>,
        call: &Call,
        attempt: u32,
    ) -> Attempt {
        let sending = async {
            let _permit = self.in_flight.acquire().await;
            if let Some(rate) = &self.rate {
                rate.until_ready().await;
            }
            let started = Instant::now();
            let outcome = self.exchange(request).await;
            (outcome, started.elapsed())
        };
        let (outcome, elapsed) = match run.deadline() {
            Some(deadline) => match tokio::time::timeout_at(deadline, sending).await {
                Ok(done) => done,
                Err(_) => (Err(Failure::Deadline), Duration::ZERO),
            },
            None => sending.await,
        };
        self.log_and_observe(call, &outcome, attempt, elapsed);
        outcome
    }

    async fn exchange(&self, request: &Outgoing<'_>) -> Attempt {
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone())
            .header(AUTHORIZATION, self.authorization());
        if let Some(body) = request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = builder.send().await.map_err(Failure::Http)?;
        read_limited(response, self.max_body).await
    }

    fn log_and_observe(&self, call: &Call, outcome: &Attempt, attempt: u32, elapsed: Duration) {
        let elapsed_ms = elapsed.as_millis() as u64;
        let status = match outcome {
            Ok(received) => {
                tracing::debug!(method = %call.method, path = %call.path,
                    status = received.status.as_u16(), attempt, elapsed_ms, "Zadig answered");
                Some(received.status)
            }
            Err(failure) => {
                tracing::debug!(method = %call.method, path = %call.path, attempt, elapsed_ms,
                    error = %failure_text(failure, self.max_body), "Zadig request failed");
                None
            }
        };
        if let Some(observer) = &self.observer {
            observer.observe(&Observation {
                route: call.route,
                method: call.method.clone(),
                status,
                attempt,
                elapsed,
            });
        }
    }

    /// The request's result. An answer of 401 or 403 stops the run: every later request
    /// would get the same.
    fn finish(
        &self,
        run: &RunGuard,
        call: Call,
        outcome: Attempt,
        attempts: u32,
    ) -> Result<Answer, RemoteError> {
        match outcome {
            Ok(received) => {
                let answer = Answer {
                    call,
                    status: received.status,
                    content_type: received.content_type,
                    body: received.body,
                    attempts,
                    date: received.date,
                    hidden: self.hidden(),
                };
                let reason = match answer.status {
                    StatusCode::UNAUTHORIZED => StopReason::Unauthorized,
                    StatusCode::FORBIDDEN => StopReason::Forbidden,
                    _ => return Ok(answer),
                };
                // Sent before the run stopped, answered after (or at the same time as the
                // refusal that stopped it): the same refusal, reported once.
                let call = answer.call.clone();
                let error = answer.into_error();
                match run.stop(reason, error.to_string()) {
                    Some(earlier) if earlier == reason => {
                        Err(RemoteError::new(call, Kind::Halted(reason)))
                    }
                    _ => Err(error),
                }
            }
            Err(Failure::TooLarge) => {
                let limit = self.max_body;
                Err(RemoteError::new(call, Kind::BodyTooLarge { limit }))
            }
            Err(Failure::Deadline) => {
                let deadline = self.deadline.unwrap_or_default();
                let error = RemoteError::new(call, Kind::DeadlineExceeded { deadline });
                self.stop(run, StopReason::Deadline, Err(error))
            }
            Err(Failure::Http(source)) => Err(RemoteError::answered(
                call,
                None,
                attempts,
                None,
                Kind::Transport(source),
            )),
        }
    }

    /// Stops the run with the error of `result`, which is then the one reported.
    fn stop(
        &self,
        run: &RunGuard,
        reason: StopReason,
        result: Result<Answer, RemoteError>,
    ) -> Result<Answer, RemoteError> {
        if let Err(error) = &result {
            // A later stop keeps the first one's error: this result is reported as it is.
            let _earlier = run.stop(reason, error.to_string());
        }
        result
    }
}

/// What to do after an attempt.
enum Verdict {
    Final,
    /// Final, and every later request of the run would fail the same way.
    Stop(StopReason),
    /// Try again, after the server's `Retry-After` if it gave one.
    Retry(Option<Duration>),
}

fn verdict(run: &RunGuard, outcome: &Attempt) -> Verdict {
    match outcome {
        Ok(received) => {
            run.answered();
            if retry::is_retryable(received.status, &received.body) {
                Verdict::Retry(received.retry_after)
            } else {
                Verdict::Final
            }
        }
        Err(Failure::TooLarge | Failure::Deadline) => Verdict::Final,
        Err(Failure::Http(error)) if error.is_builder() || is_certificate_error(error) => {
            Verdict::Final
        }
        // A name that does not resolve will not resolve a second later.
        Err(Failure::Http(error)) if is_dns_failure(error) => {
            Verdict::Stop(StopReason::Unreachable)
        }
        Err(Failure::Http(error)) if is_connection_failure(error) => {
            if run.connection_failed() {
                Verdict::Stop(StopReason::Unreachable)
            } else {
                Verdict::Retry(None)
            }
        }
        Err(Failure::Http(_)) => Verdict::Retry(None),
    }
}

/// Reads the answer, refusing one larger than `limit` bytes before and while reading it, so a
/// flood costs at most `limit` of memory per request.
async fn read_limited(mut response: reqwest::Response, limit: u64) -> Attempt {
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(Failure::TooLarge);
    }
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let retry_after = retry::retry_after(status, response.headers());
    let date = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| httpdate::parse_http_date(text).ok());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Failure::Http)? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(Failure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Received {
        status,
        content_type,
        retry_after,
        body,
        date,
    })
}

fn failure_text(failure: &Failure, limit: u64) -> String {
    match failure {
        Failure::Http(error) => error.to_string(),
        Failure::TooLarge => format!("answer larger than {limit} bytes"),
        Failure::Deadline => "the run's deadline passed".to_owned(),
    }
}

/// No answer came: refused, reset, unresolvable or timed out.
fn is_connection_failure(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout() || error.is_request()
}

/// The host name does not resolve (hyper's resolver says "dns error").
fn is_dns_failure(error: &reqwest::Error) -> bool {
    any_cause(error, |text| text.contains("dns error"))
}

/// A TLS certificate the client does not trust fails the same way every time: retrying only
/// delays the message. (rustls says "invalid peer certificate: …"; matched on the text because
/// reqwest does not expose the TLS error type.)
fn is_certificate_error(error: &reqwest::Error) -> bool {
    any_cause(error, |text| text.contains("certificate"))
}

fn any_cause(error: &reqwest::Error, test: impl Fn(&str) -> bool) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if test(&current.to_string()) {
            return true;
        }
        cause = current.source();
    }
    false
}

/// The `Authorization` header for `token`, marked sensitive so that no debug print shows it.
fn authorization_of(token: &Token) -> Result<HeaderValue, ConfigError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| ConfigError::TokenNotAHeader)?;
    value.set_sensitive(true);
    Ok(value)
}
