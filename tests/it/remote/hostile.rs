//! A server that lies or floods (issue 12), and failures that must stop a run once instead of
//! once per build (issue 9 item 11): body size limit, page ceiling, an under-reported `total`,
//! a detail about another build, a proxy's HTML 400, the breaker, the deadline, the observer,
//! and a create answered "name taken" in its own project.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zadig_sync::remote::{
    ClientConfig, Kind, LIST_PAGE_SIZE, Observation, RemoteError, RequestObserver, Route,
    StopReason, ZadigClient,
};

use crate::util::client::{client, client_with, custom_spec, fixture, token};

fn detail_of(name: &str, project: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"name": name, "project_key": project}))
}

fn names(prefix: &str, count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| json!({"name": format!("{prefix}{i}"), "project_key": "yaml"}))
        .collect()
}

async fn list_page(server: &MockServer, page: u32, total: u64, builds: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path("/openapi/build"))
        .and(query_param("pageNum", page.to_string()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"total": total, "builds": builds})),
        )
        .mount(server)
        .await;
}

/// Counts every attempt the client makes.
#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<Observation>>);

impl RequestObserver for Recorder {
    fn observe(&self, observation: &Observation) {
        self.0.lock().unwrap().push(observation.clone());
    }
}

impl Recorder {
    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

#[tokio::test]
async fn an_answer_over_the_size_limit_fails_that_call_and_is_not_retried() {
    let server = MockServer::start().await;
    let mut big = fixture("zadig/full.json")["detail_response"]["body"].clone();
    big["build_script"] = json!("x".repeat(64 * 1024));
    big["name"] = json!("x");
    big["project_key"] = json!("yaml");
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(big))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(503).set_body_string("e".repeat(64 * 1024)))
        .expect(1)
        .mount(&server)
        .await;
    let small = client_with(&server, |config| config.max_body_size = 16 * 1024);

    let error = small.get_build("yaml", "x").await.unwrap_err();
    assert!(
        matches!(error.kind(), Kind::BodyTooLarge { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("/openapi/build/x/detail") && text.contains("--max-body-size"));
    let error = small.delete_build("yaml", "x").await.unwrap_err();
    assert!(
        matches!(error.kind(), Kind::BodyTooLarge { .. }),
        "{error:?}"
    );

    // The default limit reads it.
    client(&server).get_build("yaml", "x").await.unwrap();
}

#[tokio::test]
async fn a_huge_error_description_is_clipped_in_the_message() {
    let server = MockServer::start().await;
    let body = json!({"type": "error", "message": "更新编译模块失败", "code": 6521,
                      "description": "d".repeat(1_000_000), "extra": {}});
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(400).set_body_json(body))
        .mount(&server)
        .await;
    let error = client(&server)
        .update_build(&custom_spec())
        .await
        .unwrap_err();
    assert!(
        error.to_string().len() < 2_000,
        "{} bytes",
        error.to_string().len()
    );
}

#[tokio::test]
async fn an_under_reported_total_at_a_page_boundary_is_an_incomplete_list() {
    let server = MockServer::start().await;
    let page_size = LIST_PAGE_SIZE as usize;
    // One page and one build; `total` says one page, so page 1 alone would have looked complete.
    list_page(&server, 1, page_size as u64, names("b", page_size)).await;
    list_page(
        &server,
        2,
        page_size as u64,
        vec![json!({"name": "last", "project_key": "yaml"})],
    )
    .await;
    let error = client(&server).list_builds("yaml").await.unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Kind::IncompleteList { expected, got }
                if *expected == page_size as i64 && *got == page_size + 1
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_list_whose_pages_never_end_is_refused_on_its_first_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/openapi/build"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"total": 1_000_000_000u64, "builds": names("n", LIST_PAGE_SIZE as usize)}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server).list_builds("yaml").await.unwrap_err();
    assert!(
        matches!(error.kind(), Kind::ListTooLong { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("nothing is deleted"), "{error}");
}

#[tokio::test]
async fn a_detail_about_another_build_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(detail_of("other-build", "other-project"))
        .mount(&server)
        .await;
    let error = client(&server).get_build("yaml", "x").await.unwrap_err();
    match error.kind() {
        Kind::WrongDetail {
            got_name,
            got_project,
        } => assert_eq!(
            (got_name.as_str(), got_project.as_str()),
            ("other-build", "other-project")
        ),
        other => panic!("expected WrongDetail, got {other:?}"),
    }
}

#[tokio::test]
async fn a_proxys_html_400_says_what_came_back_not_zadigs_hint() {
    let server = MockServer::start().await;
    let page = "<html><head><title>400 Bad Request</title></head>\n<body>nginx</body></html>";
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;
    let error = client(&server)
        .create_build(&custom_spec())
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), Kind::Unexpected), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("400") && text.contains("text/html"), "{text}");
    assert!(
        text.contains("<html><head><title>400 Bad Request</title></head>"),
        "{text}"
    );
    assert!(
        !text.contains("nginx") && !text.contains("code host"),
        "{text}"
    );
}

#[tokio::test]
async fn a_401_stops_the_run_at_the_first_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let first = client.get_build("yaml", "a").await.unwrap_err();
    assert!(matches!(first.kind(), Kind::Unauthorized));
    for name in ["b", "c", "d"] {
        let later = client.get_build("yaml", name).await.unwrap_err();
        assert!(
            matches!(later.kind(), Kind::Halted(StopReason::Unauthorized)),
            "{later:?}"
        );
        assert!(!later.to_string().contains("Account Settings"), "{later}");
    }
    let stop = client.stopped().unwrap();
    assert_eq!(stop.first_error, first.to_string());
    // A new run (a daemon's next pass) starts with the breaker closed.
    let next = client.new_run();
    assert!(next.stopped().is_none());
}

#[tokio::test]
async fn an_unreachable_server_opens_the_breaker_instead_of_retrying_every_build() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let recorder = Arc::new(Recorder::default());
    let config = ClientConfig {
        retry: crate::util::client::fast_retry(),
        rate_limit: 0,
        observer: Some(recorder.clone()),
        ..ClientConfig::new(format!("http://{address}"), token())
    };
    let client = ZadigClient::new(config).unwrap();
    let builds = 20;
    let tasks: Vec<_> = (0..builds)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.get_build("yaml", &format!("b{i}")).await })
        })
        .collect();
    let mut halted = 0;
    for task in tasks {
        match task.await.unwrap().unwrap_err().kind() {
            Kind::Halted(reason) => {
                assert_eq!(*reason, StopReason::Unreachable);
                halted += 1;
            }
            Kind::Transport(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(halted > 0);
    // Without the breaker: 3 attempts per build. With it: at most one more per build once open.
    let breaker = zadig_sync::remote::run::CONNECTION_FAILURES_TO_OPEN as usize;
    assert!(
        recorder.count() <= breaker + builds,
        "{} attempts",
        recorder.count()
    );
    assert_eq!(client.stopped().unwrap().reason, StopReason::Unreachable);
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_tried_once() {
    let recorder = Arc::new(Recorder::default());
    let config = ClientConfig {
        retry: crate::util::client::fast_retry(),
        insecure_http: true,
        observer: Some(recorder.clone()),
        ..ClientConfig::new("http://zadig-sync-test.invalid", token())
    };
    let client = ZadigClient::new(config).unwrap();
    let error = client.list_builds("yaml").await.unwrap_err();
    assert!(matches!(error.kind(), Kind::Transport(_)), "{error:?}");
    assert_eq!(recorder.count(), 1, "{error}");
    assert_eq!(client.stopped().unwrap().reason, StopReason::Unreachable);
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_run() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(detail_of("x", "yaml").set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = client_with(&server, |config| {
        config.deadline = Some(Duration::from_millis(200));
    });
    let error = client.get_build("yaml", "x").await.unwrap_err();
    assert!(
        matches!(error.kind(), Kind::DeadlineExceeded { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("--deadline"), "{error}");
    let later = client.get_build("yaml", "x").await.unwrap_err();
    assert!(matches!(later.kind(), Kind::Halted(_)));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_observer_sees_every_attempt_with_its_route() {
    let server = MockServer::start().await;
    crate::util::client::answer_once_then(
        &server,
        "GET",
        ResponseTemplate::new(503),
        detail_of("x", "yaml"),
    )
    .await;
    let recorder = Arc::new(Recorder::default());
    let client = client_with(&server, |config| config.observer = Some(recorder.clone()));
    client.get_build("yaml", "x").await.unwrap();
    let seen = recorder.0.lock().unwrap().clone();
    let summary: Vec<(Route, Option<u16>, u32)> = seen
        .iter()
        .map(|o| (o.route, o.status.map(|s| s.as_u16()), o.attempt))
        .collect();
    assert_eq!(
        summary,
        [(Route::Detail, Some(503), 1), (Route::Detail, Some(200), 2)]
    );
    assert_eq!(Route::Detail.as_str(), "detail");
}

/// A first-time create answered "name taken" by its own project: the build there is read
/// back, and counted as created when it is the one sent (two identical applies at once).
async fn create_taken_in_own_project(
    read_back: Value,
) -> (MockServer, ZadigClient, Result<(), RemoteError>) {
    let server = MockServer::start().await;
    let taken = fixture("zadig/errors.json")["duplicate_name_other_project"]["body"].clone();
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(taken))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/openapi/build/api-test/detail"))
        .respond_with(ResponseTemplate::new(200).set_body_json(read_back))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(crate::util::client::success())
        .expect(0)
        .mount(&server)
        .await;
    let client = client(&server);
    let result = client.create_build(&custom_spec()).await;
    (server, client, result)
}

#[tokio::test]
async fn a_create_taken_by_the_same_build_in_its_project_counts_as_done() {
    let ours = fixture("zadig/full.json")["detail_response"]["body"].clone();
    let (_server, client, result) = create_taken_in_own_project(ours).await;
    result.unwrap();
    // The list that planned this create missed the build: no deletion in the project.
    let refused = client.delete_build("yaml", "stale").await.unwrap_err();
    assert!(matches!(refused.kind(), Kind::ListDisproved), "{refused:?}");
}

#[tokio::test]
async fn a_create_taken_by_another_build_in_its_project_fails_and_blocks_deletes() {
    let mut theirs = fixture("zadig/full.json")["detail_response"]["body"].clone();
    theirs["build_script"] = json!("echo made by hand");
    let (_server, client, result) = create_taken_in_own_project(theirs).await;
    assert!(matches!(result.unwrap_err().kind(), Kind::NameTaken { .. }));
    let refused = client.delete_build("yaml", "stale").await.unwrap_err();
    assert!(
        refused.to_string().contains("list was incomplete"),
        "{refused}"
    );
}
