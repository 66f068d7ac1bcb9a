//! The emulator's HTTP front and its own features: gin's 404/405/redirects (with Go's HTML
//! body for GET), the query token, fault knobs, the stats and reset routes, and state that
//! survives a restart.

use std::time::Duration;

use tokio::time::Instant;

use crate::util::emulator::{Client, TOKEN, custom_body, fixture, loopback, start, start_default};
use serde_json::json;
use zadig_sync::emulator::{self, EmulatorConfig};

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_in_plain_text() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let unknown = client.send("GET", "/openapi/builds", None).await;
    assert_eq!(
        (unknown.status, unknown.body),
        (404, json!("Invalid path: /openapi/builds"))
    );
    assert_eq!(unknown.headers["content-type"], "text/plain");
    let wrong = client.send("POST", "/openapi/build/x/detail", None).await;
    assert_eq!(
        (wrong.status, wrong.body),
        (
            405,
            json!("Method not allowed: POST /openapi/build/x/detail")
        )
    );
    let slash = client
        .send("GET", "/openapi/build/?projectKey=yaml", None)
        .await;
    assert_eq!(slash.status, 301);
    assert_eq!(slash.headers["location"], "/openapi/build?projectKey=yaml");
}

#[tokio::test]
async fn a_trailing_slash_redirect_carries_go_s_html_body_for_get_only() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let get = client
        .send("GET", "/openapi/build/?projectKey=yaml&pageNum=1", None)
        .await;
    assert_eq!(get.status, 301);
    assert_eq!(get.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        get.body,
        json!(
            "<a href=\"/openapi/build?projectKey=yaml&amp;pageNum=1\">Moved Permanently</a>.\n\n"
        )
    );
    let put = client.send("PUT", "/openapi/build/", None).await;
    assert_eq!((put.status, put.body), (307, json!("")));
    assert_eq!(put.headers["location"], "/openapi/build");
    assert!(!put.headers.contains_key("content-type"));
    // The location is the path as Go escapes it, whatever escaping the request used.
    let named = client
        .send(
            "GET",
            "/openapi/build/caf%C3%A9%20%7e/detail/?projectKey=yaml",
            None,
        )
        .await;
    assert_eq!(
        named.headers["location"],
        "/openapi/build/caf%C3%A9%20~/detail?projectKey=yaml"
    );
}

#[tokio::test]
async fn a_slash_in_a_name_makes_its_detail_unreachable() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let create = client
        .send("POST", "/openapi/build", Some(&custom_body("a/b", "yaml")))
        .await;
    assert_eq!(create.status, 200);
    assert_eq!(
        client
            .send("GET", "/openapi/build/a%2Fb/detail?projectKey=yaml", None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn the_query_token_authenticates_without_a_header() {
    let emulator = start_default().await;
    let client = Client::with_authorization(&emulator, None);
    let answer = client
        .send(
            "GET",
            &format!("/openapi/build?projectKey=yaml&token={TOKEN}"),
            None,
        )
        .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn fail_rate_one_answers_every_request_with_a_server_error_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let config = EmulatorConfig {
        fail_rate: 1.0,
        state_path: Some(state.clone()),
        ..EmulatorConfig::new(TOKEN)
    };
    let emulator = start(config).await;
    let client = Client::new(&emulator);
    for _ in 0..10 {
        let create = client
            .send("POST", "/openapi/build", Some(&custom_body("b", "yaml")))
            .await;
        assert!(
            [500, 502, 503].contains(&create.status),
            "{}",
            create.status
        );
    }
    assert!(
        !state.exists(),
        "a failed request must not have stored anything"
    );
}

#[tokio::test]
async fn throttle_rate_one_answers_429_with_retry_after() {
    let config = EmulatorConfig {
        throttle_rate: 1.0,
        ..EmulatorConfig::new(TOKEN)
    };
    let emulator = start(config).await;
    let answer = Client::new(&emulator)
        .send("GET", "/openapi/build?projectKey=yaml", None)
        .await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.headers["retry-after"], "1");
}

// Paused time: the emulator's sleeps run on this test's clock, which jumps instead of waiting.
#[tokio::test(start_paused = true)]
async fn latency_delays_every_answer() {
    let latency = Duration::from_secs(60);
    let config = EmulatorConfig {
        latency,
        ..EmulatorConfig::new(TOKEN)
    };
    let emulator = start(config).await;
    let client = Client::new(&emulator);
    let started = Instant::now();
    for _ in 0..3 {
        let answer = client
            .send("GET", "/openapi/build?projectKey=yaml", None)
            .await;
        assert_eq!(answer.status, 200);
    }
    // Each of the three answers waited the latency, one after the other.
    assert!(started.elapsed() >= latency * 3, "{:?}", started.elapsed());
}

#[tokio::test]
async fn the_clock_route_moves_update_time_forward_and_never_back() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let before = client.advance_clock(0).await;
    let moved = client.advance_clock(7200).await;
    assert!(moved >= before + 7200, "{before} → {moved}");
    let create = client
        .send("POST", "/openapi/build", Some(&custom_body("b", "yaml")))
        .await;
    assert_eq!(create.status, 200);
    let stamped = client.detail("b", "yaml").await.body["update_time"]
        .as_i64()
        .unwrap();
    assert!(
        stamped >= moved,
        "update_time {stamped} is on the moved clock {moved}"
    );

    let back = json!({"advance_seconds": -60});
    let refused = client.send("POST", "/_emulator/clock", Some(&back)).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(client.advance_clock(0).await >= moved);
}

#[tokio::test]
async fn stats_count_requests_by_route_and_status_and_reset_clears_them() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    for _ in 0..3 {
        client
            .send(
                "PUT",
                "/openapi/build",
                Some(&custom_body("missing", "yaml")),
            )
            .await;
    }
    client
        .send("POST", "/openapi/build", Some(&custom_body("b", "yaml")))
        .await;
    client.detail("b", "yaml").await;
    client.send("GET", "/nowhere", None).await;
    let stats = client.stats().await;
    assert_eq!(stats["total"], 6, "{stats}");
    let requests = stats["requests"].as_array().unwrap();
    assert!(
        requests.contains(
            &json!({"method": "PUT", "route": "/openapi/build", "status": 400, "count": 3})
        )
    );
    assert!(requests.contains(
        &json!({"method": "GET", "route": "/openapi/build/:name/detail", "status": 200, "count": 1})
    ));
    assert!(
        requests
            .contains(&json!({"method": "GET", "route": "unmatched", "status": 404, "count": 1}))
    );
    assert_eq!(
        client.stats().await["total"],
        6,
        "the stats route is not counted"
    );
    assert_eq!(
        client.send("POST", "/_emulator/reset", None).await.status,
        200
    );
    assert_eq!(client.stats().await["total"], 0);
    assert_eq!(
        client.detail("b", "yaml").await.body["code"],
        6523,
        "reset empties the store"
    );
}

#[tokio::test]
async fn builds_survive_a_restart_through_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let config = EmulatorConfig {
        state_path: Some(path.clone()),
        ..EmulatorConfig::new(TOKEN)
    };
    let first = start(config.clone()).await;
    let client = Client::new(&first);
    let create = client.replay(&fixture("full.json")["create_request"]).await;
    assert_eq!(create.status, 200);
    let before = client.detail("api-test", "yaml").await.body;
    assert!(
        path.exists(),
        "the state is written after each change, not only at shutdown"
    );
    first.shutdown().await.unwrap();

    let second = start(config).await;
    let after = Client::new(&second).detail("api-test", "yaml").await.body;
    assert_eq!(after, before);
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_state_file_is_private_and_a_write_it_cannot_keep_is_undone() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("state");
    std::fs::create_dir(&folder).unwrap();
    let config = EmulatorConfig {
        state_path: Some(folder.join("state.json")),
        ..EmulatorConfig::new(TOKEN)
    };
    let emulator = start(config).await;
    let client = Client::new(&emulator);
    let create = client
        .replay(&fixture("minimal.json")["create_request"])
        .await;
    assert_eq!(create.status, 200);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(folder.join("state.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "credentials sit in it in plain text");
    }

    // The folder disappears: the next create cannot be saved, so it must not be kept either,
    // or its retry would meet "same name" from its own failed attempt.
    std::fs::remove_dir_all(&folder).unwrap();
    let create = client.replay(&fixture("full.json")["create_request"]).await;
    assert_eq!(create.status, 500);
    assert_eq!(
        client.detail("api-test", "yaml").await.status,
        400,
        "not kept"
    );
    assert_eq!(
        client.detail("minimal", "yaml").await.status,
        200,
        "the rest is intact"
    );
    emulator.shutdown().await.ok();
}

#[tokio::test]
async fn a_corrupt_state_file_stops_the_start_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken-state.json");
    std::fs::write(&path, "not json").unwrap();
    let config = EmulatorConfig {
        state_path: Some(path),
        ..EmulatorConfig::new(TOKEN)
    };
    let error = emulator::start(loopback(), config).await.unwrap_err();
    assert!(error.to_string().contains("broken-state.json"), "{error}");
}

#[tokio::test]
async fn serve_returns_when_its_shutdown_resolves() {
    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(emulator::serve(
        listener,
        EmulatorConfig::new(TOKEN),
        async {
            stopped.await.ok();
        },
    ));
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
