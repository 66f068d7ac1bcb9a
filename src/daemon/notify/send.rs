//! One sink's sender: a task that takes its queue's events one at a time, formats each, and
//! sends it, again with a capped backoff after a timeout, a connection failure, a 5xx, a 429
//! or the platform's rate limit (a signature is made anew for every attempt: DingTalk and
//! Feishu refuse an old timestamp). Each event ends `sent` or `failed` in the metric. Errors
//! are logged by the sink's name: never its URL (reqwest's errors name it; it is cut off) or
//! secret. Does I/O (HTTP).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tokio::sync::mpsc::Receiver;
use tracing::{debug, warn};

use crate::daemon::metrics::NotificationLabels;
use crate::daemon::notify::Delivery;
use crate::daemon::notify::config::Sink;
use crate::daemon::notify::format::{Answer, Outgoing, classify, request};
use crate::daemon::notify::message::message_of;
use crate::daemon::status::doc::EventView;

/// The most of an answer read (platforms answer a few bytes of JSON).
const ANSWER_CAP: usize = 64 * 1024;

/// What a sender works with.
pub struct Sender {
    pub sink: Arc<Sink>,
    pub http: reqwest::Client,
    pub delivery: Delivery,
    pub external_url: Option<url::Url>,
    pub counters: Family<NotificationLabels, Counter>,
    /// Events queued or being sent, for the flush at shutdown.
    pub pending: Arc<AtomicUsize>,
}

impl Sender {
    /// Sends every event that arrives, until the queue is closed.
    pub async fn run(self, mut queue: Receiver<Arc<EventView>>) {
        while let Some(event) = queue.recv().await {
            let result = if self.deliver(&event).await {
                "sent"
            } else {
                "failed"
            };
            self.count(result);
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    pub fn count(&self, result: &'static str) {
        let labels = NotificationLabels {
            sink: self.sink.name.clone(),
            result,
        };
        self.counters.get_or_create(&labels).inc();
    }

    /// Whether `event` was delivered, within the attempts allowed.
    async fn deliver(&self, event: &EventView) -> bool {
        let message = message_of(event, self.external_url.as_ref());
        let sink = &self.sink.name;
        for attempt in 1..=self.delivery.attempts {
            let outgoing = request(&self.sink, event, &message, unix_ms());
            let (why, after) = match self.send(outgoing).await {
                Answer::Delivered => {
                    debug!(sink = %sink, event = event.id, attempt, "notification sent");
                    return true;
                }
                Answer::Refused(why) => {
                    warn!(sink = %sink, event = event.id, %why, "notification refused");
                    return false;
                }
                Answer::Retry { why, after } => (why, after),
            };
            if attempt == self.delivery.attempts {
                warn!(sink = %sink, event = event.id, attempts = attempt, %why,
                    "notification not delivered; giving up");
                break;
            }
            let wait = self.delivery.wait(attempt, after);
            debug!(sink = %sink, event = event.id, attempt, %why,
                retry_in_ms = wait.as_millis() as u64, "notification failed; trying again");
            tokio::time::sleep(wait).await;
        }
        false
    }

    async fn send(&self, outgoing: Outgoing) -> Answer {
        let mut request = self.http.post(outgoing.url).body(outgoing.body);
        for (name, value) in outgoing.headers {
            request = request.header(name, value);
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                return Answer::Retry {
                    why: error.without_url().to_string(),
                    after: None,
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = (response.headers().get(reqwest::header::RETRY_AFTER))
            .and_then(|value| value.to_str().ok()?.trim().parse().ok());
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() >= ANSWER_CAP {
                break;
            }
        }
        classify(
            self.sink.kind,
            status,
            &String::from_utf8_lossy(&body),
            retry_after,
        )
    }
}

impl Delivery {
    /// The wait before attempt `attempt + 1`: what the platform asked for (within
    /// `longest_wait`), else the backoff.
    pub fn wait(&self, attempt: u32, asked: Option<u64>) -> Duration {
        match asked {
            Some(seconds) => Duration::from_secs(seconds).min(self.longest_wait),
            None => self.backoff.wait(attempt),
        }
    }
}

fn unix_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}
