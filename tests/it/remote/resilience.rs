//! Network failures a live server cannot be made to produce on demand: resets, refused
//! connections, timeouts, 5xx and 429 with `Retry-After`; the retry limit; the check after a
//! retried create; the rate and concurrency limits.

use std::io;
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use zadig_sync::remote::{ClientConfig, Kind, RemoteError, RetryPolicy, ZadigClient};

use crate::util::client::{
    answer_always, answer_once_then, client, client_with, custom_spec, success, token, zadig_error,
};

fn reset(_: &Request) -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "connection reset by peer")
}

fn empty_detail() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"name": "x", "project_key": "yaml"}))
}

async fn requests_received(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn retries_stop_at_their_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;

    let error = client(&server).get_build("yaml", "x").await.unwrap_err();

    assert!(matches!(error.kind(), Kind::Status), "{error:?}");
    assert_eq!(
        (error.status().map(|s| s.as_u16()), error.attempts()),
        (Some(503), 3)
    );
    assert!(error.to_string().contains("after 3 attempts"), "{error}");
}

#[tokio::test]
async fn a_rejected_request_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(zadig_error("update_missing"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .update_build(&custom_spec())
        .await
        .unwrap_err();
    assert!(error.is_not_found());
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_max_backoff() {
    let server = MockServer::start().await;
    let throttled = ResponseTemplate::new(429).insert_header("retry-after", "5");
    answer_once_then(&server, "GET", throttled, empty_detail()).await;
    let client = client_with(&server, |config| {
        config.retry = RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(300),
        }
    });

    let started = Instant::now();
    client.get_build("yaml", "x").await.unwrap();
    let waited = started.elapsed();

    // The backoff alone would wait about 1 ms; Retry-After (5 s) capped at 300 ms decides:
    // at least the cap, and far less than what the server asked.
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(
        waited < Duration::from_secs(5),
        "the cap was not applied: {waited:?}"
    );
    assert_eq!(requests_received(&server).await, 2);
}

#[tokio::test]
async fn a_reset_connection_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with_err(reset)
        .up_to_n_times(2)
        .mount(&server)
        .await;
    answer_always(&server, "DELETE", success()).await;

    client(&server).delete_build("yaml", "x").await.unwrap();

    assert_eq!(requests_received(&server).await, 3);
}

#[tokio::test]
async fn resets_beyond_the_limit_are_a_transport_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with_err(reset)
        .mount(&server)
        .await;
    let error = client(&server).get_build("yaml", "x").await.unwrap_err();
    assert!(
        matches!(error.kind(), Kind::Transport(_)) && error.attempts() == 3,
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("GET /openapi/build/x/detail?projectKey=yaml")
    );
}

#[tokio::test]
async fn a_refused_connection_says_it_cannot_connect() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let mut config = ClientConfig::new(format!("http://{address}"), token());
    config.retry = crate::util::client::fast_retry();
    let client = ZadigClient::new(config).unwrap();

    let error = client.list_builds("yaml").await.unwrap_err();

    assert!(
        matches!(error.kind(), Kind::Transport(_)) && error.attempts() == 3,
        "{error:?}"
    );
    assert!(
        error.to_string().contains("cannot connect to Zadig"),
        "{error}"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retried() {
    let slow = || empty_detail().set_delay(Duration::from_millis(500));
    let short_timeout =
        |config: &mut ClientConfig| config.request_timeout = Duration::from_millis(100);
    let server = MockServer::start().await;
    answer_once_then(&server, "GET", slow(), empty_detail()).await;

    let client = client_with(&server, short_timeout);
    client.get_build("yaml", "x").await.unwrap();
    // Had the client waited for the slow answer, that first request would have been the only one.
    let sent = requests_received(&server).await;
    assert!(
        sent >= 2,
        "the slow attempt was given up and sent again: {sent}"
    );

    let server = MockServer::start().await;
    answer_always(&server, "GET", slow()).await;
    let client = client_with(&server, |config| {
        short_timeout(config);
        config.retry.max_retries = 0;
    });
    let error = client.get_build("yaml", "x").await.unwrap_err();
    assert!(error.to_string().contains("no answer in time"), "{error}");
}

/// A create whose first attempt got lost (503 here) and whose retry finds the name taken.
async fn create_retried_into_same_name(
    read_back: serde_json::Value,
) -> (MockServer, Result<(), RemoteError>) {
    let server = MockServer::start().await;
    let taken = zadig_error("duplicate_name_other_project");
    answer_once_then(&server, "POST", ResponseTemplate::new(503), taken).await;
    Mock::given(method("GET"))
        .and(path("/openapi/build/api-test/detail"))
        .respond_with(ResponseTemplate::new(200).set_body_json(read_back))
        .expect(1)
        .mount(&server)
        .await;
    let result = client(&server).create_build(&custom_spec()).await;
    (server, result)
}

#[tokio::test]
async fn a_retried_create_answered_same_name_checks_the_build_and_succeeds() {
    let ours = crate::util::client::fixture("zadig/full.json")["detail_response"]["body"].clone();
    let (_server, result) = create_retried_into_same_name(ours).await;
    result.unwrap();
}

#[tokio::test]
async fn a_retried_create_that_finds_someone_elses_build_fails() {
    let mut theirs =
        crate::util::client::fixture("zadig/full.json")["detail_response"]["body"].clone();
    theirs["build_script"] = json!("echo written by hand in the UI");
    let (_server, result) = create_retried_into_same_name(theirs).await;
    assert!(
        result
            .as_ref()
            .is_err_and(|e| matches!(e.kind(), Kind::NameTaken { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_first_time_create_answered_same_name_by_another_project_is_not_read_back() {
    let server = MockServer::start().await;
    let mut taken =
        crate::util::client::fixture("zadig/errors.json")["duplicate_name_other_project"]["body"]
            .clone();
    taken["description"] = json!("shop项目中有相同的构建名称存在,请检查!");
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(taken))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(empty_detail())
        .expect(0)
        .mount(&server)
        .await;
    let error = client(&server)
        .create_build(&custom_spec())
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), Kind::NameTaken { .. }));
}

#[tokio::test]
async fn the_rate_limit_spaces_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(empty_detail())
        .mount(&server)
        .await;
    let client = client_with(&server, |config| {
        config.rate_limit = 50;
        config.burst = 50;
    });

    // 50 pass at once (the burst), the next 10 come 20 ms apart.
    let started = Instant::now();
    for _ in 0..60 {
        client.get_build("yaml", "x").await.unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(180),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_concurrency_limit_bounds_requests_in_flight() {
    let server = MockServer::start().await;
    let slow = empty_detail().set_delay(Duration::from_millis(100));
    Mock::given(method("GET"))
        .respond_with(slow)
        .mount(&server)
        .await;
    let client = client_with(&server, |config| config.concurrency = 2);

    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let client = client.clone();
        tasks.spawn(async move { client.get_build("yaml", "x").await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    // 6 requests of 100 ms, 2 at a time: three rounds.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

/// Vouches for nothing, but says whether the token has read these projects before.
struct Proven(bool);

impl zadig_sync::remote::fetch::KnownDetails for Proven {
    fn known(
        &self,
        _: &str,
        _: &zadig_sync::reconcile::wire::ListedBuild,
    ) -> Option<zadig_sync::reconcile::live::LiveDetail> {
        None
    }

    fn token_proven(&self) -> bool {
        self.0
    }
}

/// A token Zadig refuses: the first list goes alone and stops the run, unless a cache sealed
/// with this token says it read these projects before; then every list goes at once (one
/// round trip saved on every warm run).
#[tokio::test]
async fn the_first_list_goes_alone_unless_the_token_has_read_before() {
    use zadig_sync::remote::fetch::fetch_live_reusing;
    use zadig_sync::remote::progress::no_progress;
    let projects = ["shop".to_string(), "web".to_string(), "docs".to_string()];
    for (proven, expected) in [(false, 1), (true, 3)] {
        let server = MockServer::start().await;
        // Answered late, so that lists sent at once are all in flight before the first 401.
        let refused = ResponseTemplate::new(401).set_delay(Duration::from_millis(300));
        Mock::given(method("GET"))
            .respond_with(refused)
            .mount(&server)
            .await;
        let client = client(&server);
        let known = std::sync::Arc::new(Proven(proven));
        fetch_live_reusing(&client, &projects, &no_progress(), known).await;
        assert!(client.stopped().is_some(), "a 401 stops the run");
        assert_eq!(
            requests_received(&server).await,
            expected,
            "proven: {proven}"
        );
    }
}
