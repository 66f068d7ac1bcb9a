//! Telling people what the daemon does: every event (`daemon::events`, once per episode) goes
//! to the sinks that want it — a generic webhook, Slack, DingTalk, Feishu/Lark, WeCom —
//! configured under `notify:` in the scope file or in `daemon --notify-config FILE`
//! (docs/daemon.md, "Notifications").
//!
//! Sending never delays a pass: [`Notifier::offer`] only puts the event in each sink's bounded
//! queue (a full queue drops it, counted as `dropped`), and one task per sink sends, with
//! retries (`send.rs`). `config.rs` resolves the sinks, `message.rs` says what a message
//! says, `format.rs` makes each platform's body and signature. Does I/O (HTTP).

pub mod config;
pub mod format;
pub mod message;
mod send;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tokio::sync::mpsc::{self, error::TrySendError};
use tracing::warn;

use crate::backoff::Backoff;
use crate::daemon::metrics::NotificationLabels;
use crate::daemon::status::doc::EventView;
pub use config::{Sink, SinkKind, resolve_sinks};

/// How hard a sink is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Attempts per event, the first included.
    pub attempts: u32,
    pub backoff: Backoff,
    /// One request's time, answer included.
    pub timeout: Duration,
    /// The longest `Retry-After` honoured.
    pub longest_wait: Duration,
}

impl Delivery {
    /// Five attempts over about a minute: 1 s, 2 s, 4 s, 8 s apart (with jitter).
    pub const DEFAULT: Delivery = Delivery {
        attempts: 5,
        backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(30)),
        timeout: Duration::from_secs(10),
        longest_wait: Duration::from_secs(60),
    };
}

/// What a notifier is started with besides its sinks.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where people reach the status page (`--external-url`), for the messages' link.
    pub external_url: Option<url::Url>,
    /// `zadig_sync_notifications_total`.
    pub counters: Family<NotificationLabels, Counter>,
    /// Events a sink may have waiting; more are dropped.
    pub capacity: usize,
    pub delivery: Delivery,
}

/// The events a sink may have waiting by default.
pub const QUEUE_CAPACITY: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("cannot make the HTTP client of notification sink `{sink}`: {source}")]
    Client {
        sink: String,
        #[source]
        source: reqwest::Error,
    },
}

/// The sinks' queues; cloning shares them.
#[derive(Clone)]
pub struct Notifier {
    queues: Arc<[Queue]>,
}

struct Queue {
    sink: Arc<Sink>,
    sender: mpsc::Sender<Arc<EventView>>,
    pending: Arc<AtomicUsize>,
    counters: Family<NotificationLabels, Counter>,
}

/// Names the sinks only.
impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.queues.iter().map(|q| q.sink.name.as_str()).collect();
        f.debug_struct("Notifier").field("sinks", &names).finish()
    }
}

impl Notifier {
    /// Starts one sender task per sink on the current runtime; each sink's counters start at
    /// zero.
    pub fn start(sinks: Vec<Sink>, options: Options) -> Result<Notifier, NotifyError> {
        let mut queues = Vec::with_capacity(sinks.len());
        for sink in sinks {
            let sink = Arc::new(sink);
            let (sender, receiver) = mpsc::channel(options.capacity.max(1));
            let pending = Arc::new(AtomicUsize::new(0));
            let task = send::Sender {
                sink: sink.clone(),
                http: client_for(&sink, &options.delivery)?,
                delivery: options.delivery,
                external_url: options.external_url.clone(),
                counters: options.counters.clone(),
                pending: pending.clone(),
            };
            for result in ["sent", "failed", "dropped"] {
                let labels = NotificationLabels {
                    sink: sink.name.clone(),
                    result,
                };
                let _ = options.counters.get_or_create(&labels);
            }
            tokio::spawn(task.run(receiver));
            queues.push(Queue {
                sink,
                sender,
                pending,
                counters: options.counters.clone(),
            });
        }
        Ok(Notifier {
            queues: queues.into(),
        })
    }

    /// Queues `event` for every sink that wants it, without waiting: a sink whose queue is
    /// full drops it (counted, and logged).
    pub fn offer(&self, event: EventView) {
        let event = Arc::new(event);
        for queue in self.queues.iter().filter(|q| q.sink.wants(&event)) {
            queue.pending.fetch_add(1, Ordering::SeqCst);
            if let Err(error) = queue.sender.try_send(event.clone()) {
                queue.pending.fetch_sub(1, Ordering::SeqCst);
                if matches!(error, TrySendError::Full(_)) {
                    queue.dropped(&event);
                }
            }
        }
    }

    /// Waits until every queued event was sent or given up, at most `grace`; whether all were.
    pub async fn flush(&self, grace: Duration) -> bool {
        let all_done = || {
            self.queues
                .iter()
                .all(|q| q.pending.load(Ordering::SeqCst) == 0)
        };
        let waiting = async {
            while !all_done() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(grace, waiting).await.is_ok()
    }
}

impl Queue {
    fn dropped(&self, event: &EventView) {
        let labels = NotificationLabels {
            sink: self.sink.name.clone(),
            result: "dropped",
        };
        self.counters.get_or_create(&labels).inc();
        warn!(sink = %self.sink.name, event = event.id, kind = %event.kind,
            "notification dropped: the sink's queue is full (it is slow or down)");
    }
}

/// A client that follows no redirect (it would carry the signature elsewhere), and uses no
/// proxy for a loopback sink.
fn client_for(sink: &Sink, delivery: &Delivery) -> Result<reqwest::Client, NotifyError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(delivery.timeout.min(Duration::from_secs(5)))
        .timeout(delivery.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("zadig-sync/", env!("CARGO_PKG_VERSION")));
    if sink.url.scheme() == "http" {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|source| NotifyError::Client {
        sink: sink.name.clone(),
        source: source.without_url(),
    })
}

#[cfg(test)]
mod tests;
