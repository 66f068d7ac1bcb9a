//! The sender against a sink on loopback that answers as told: retries on 5xx and 429, gives
//! up after its attempts, stops at a refusal, and drops what a full queue cannot hold.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Mutex;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::sync::Semaphore;

use super::*;

/// A sink that records what it gets and answers from a script (then 200).
#[derive(Default)]
struct Script {
    answers: Mutex<VecDeque<u16>>,
    received: Mutex<Vec<String>>,
    /// When set, each answer waits for a permit.
    gate: Option<Semaphore>,
}

async fn answer(State(script): State<Arc<Script>>, body: String) -> StatusCode {
    script.received.lock().unwrap().push(body);
    if let Some(gate) = &script.gate {
        gate.acquire().await.unwrap().forget();
    }
    let code = script.answers.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(code).unwrap()
}

async fn serve(script: Arc<Script>) -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/hook", post(answer))
        .with_state(script);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url::Url::parse(&format!("http://{addr}/hook")).unwrap()
}

fn options(capacity: usize) -> (Options, Family<NotificationLabels, Counter>) {
    let counters = Family::default();
    let fast = Delivery {
        attempts: 3,
        backoff: Backoff::new(Duration::from_millis(10), Duration::from_millis(20)),
        timeout: Duration::from_secs(10),
        longest_wait: Duration::from_millis(50),
    };
    let options = Options {
        external_url: None,
        counters: counters.clone(),
        capacity,
        delivery: fast,
    };
    (options, counters)
}

fn sink(url: url::Url) -> Sink {
    Sink {
        name: "hook".into(),
        kind: SinkKind::Webhook,
        url,
        secret: None,
        events: ["failed"].into_iter().collect::<BTreeSet<_>>(),
        projects: Vec::new(),
    }
}

fn event(id: u64) -> EventView {
    EventView::example(id)
}

fn count(counters: &Family<NotificationLabels, Counter>, result: &'static str) -> u64 {
    let labels = NotificationLabels {
        sink: "hook".into(),
        result,
    };
    counters.get_or_create(&labels).get()
}

async fn started(
    script: &Arc<Script>,
    capacity: usize,
) -> (Notifier, Family<NotificationLabels, Counter>) {
    let url = serve(script.clone()).await;
    let (options, counters) = options(capacity);
    (Notifier::start(vec![sink(url)], options).unwrap(), counters)
}

#[tokio::test]
async fn server_errors_and_throttling_are_retried_until_delivered() {
    let script = Arc::new(Script::default());
    script.answers.lock().unwrap().extend([500, 429]);
    let (notifier, counters) = started(&script, 10).await;
    notifier.offer(event(1));
    assert!(notifier.flush(Duration::from_secs(20)).await);
    assert_eq!(
        script.received.lock().unwrap().len(),
        3,
        "500, 429, then 200"
    );
    assert_eq!(
        (count(&counters, "sent"), count(&counters, "failed")),
        (1, 0)
    );
}

#[tokio::test]
async fn a_sink_that_keeps_failing_is_given_up_after_its_attempts_and_a_refusal_at_once() {
    let script = Arc::new(Script::default());
    script.answers.lock().unwrap().extend([503, 503, 503, 404]);
    let (notifier, counters) = started(&script, 10).await;
    notifier.offer(event(1));
    notifier.offer(event(2));
    assert!(notifier.flush(Duration::from_secs(20)).await);
    assert_eq!(
        script.received.lock().unwrap().len(),
        4,
        "three attempts, then one refused"
    );
    assert_eq!(
        (count(&counters, "sent"), count(&counters, "failed")),
        (0, 2)
    );
}

#[tokio::test]
async fn a_full_queue_drops_and_counts_without_waiting() {
    let script = Arc::new(Script {
        gate: Some(Semaphore::new(0)),
        ..Script::default()
    });
    let (notifier, counters) = started(&script, 1).await;
    notifier.offer(event(1));
    while script.received.lock().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The first is being sent (the sink holds its answer); one more fits in the queue.
    for id in 2..=5 {
        notifier.offer(event(id));
    }
    assert_eq!(count(&counters, "dropped"), 3);
    assert!(
        !notifier.flush(Duration::from_millis(100)).await,
        "still waiting"
    );
    script.gate.as_ref().unwrap().add_permits(10);
    assert!(notifier.flush(Duration::from_secs(20)).await);
    assert_eq!(count(&counters, "sent"), 2);
    let received = script.received.lock().unwrap();
    assert!(received[1].contains(r#""id":2"#), "{received:?}");
}

#[tokio::test]
async fn only_the_events_a_sink_picked_are_sent_and_a_failing_build_once_per_episode() {
    let script = Arc::new(Script::default());
    let (notifier, counters) = started(&script, 10).await;
    let mut again = event(2);
    again.attempts = Some(2);
    let mut other = event(3);
    other.kind = "applied".into();
    for event in [event(1), again, other] {
        notifier.offer(event);
    }
    assert!(notifier.flush(Duration::from_secs(20)).await);
    assert_eq!(count(&counters, "sent"), 1);
    assert_eq!(script.received.lock().unwrap().len(), 1);
}
