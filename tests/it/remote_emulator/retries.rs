//! Retries against the emulator's injected faults: they stop at the policy's limit, and a
//! 429's `Retry-After` decides the wait.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use zadig_sync::emulator::EmulatorConfig;
use zadig_sync::remote::{Kind, RemoteError, RetryPolicy};

use crate::util::emulator::TOKEN;
use crate::util::emulator_client::{answered, answered_total, client_with, custom, fast_retry};

/// The status and attempt count of an error that should be a plain status error.
fn status_and_attempts(error: &RemoteError) -> (StatusCode, u32) {
    match (error.kind(), error.status()) {
        (Kind::Status, Some(status)) => (status, error.attempts()),
        (other, _) => panic!("expected a status error, got {other:?}"),
    }
}

fn failing_config() -> EmulatorConfig {
    EmulatorConfig {
        fail_rate: 1.0,
        ..EmulatorConfig::new(TOKEN)
    }
}

#[tokio::test]
async fn server_errors_are_retried_up_to_the_limit_then_reported() {
    let emulator = crate::util::emulator::start(failing_config()).await;
    let client = client_with(&emulator, TOKEN, fast_retry(3));

    let error = client.list_builds("yaml").await.unwrap_err();

    let (status, attempts) = status_and_attempts(&error);
    assert!(status.is_server_error(), "{status}");
    assert_eq!(attempts, 4);
    assert!(
        error.to_string().contains("still failing after 4 attempts"),
        "{error}"
    );
    assert_eq!(answered(&emulator, "GET", "/openapi/build", None).await, 4);
    assert_eq!(answered_total(&emulator).await, 4);
}

#[tokio::test]
async fn writes_stop_at_the_limit_too_and_no_retries_means_one_attempt() {
    let emulator = crate::util::emulator::start(failing_config()).await;
    let client = client_with(&emulator, TOKEN, fast_retry(1));
    let error = client.update_build(&custom("x", "yaml")).await.unwrap_err();
    assert_eq!(status_and_attempts(&error).1, 2);
    assert_eq!(answered(&emulator, "PUT", "/openapi/build", None).await, 2);

    let once = client_with(&emulator, TOKEN, fast_retry(0));
    let error = once.delete_build("yaml", "x").await.unwrap_err();
    assert_eq!(status_and_attempts(&error).1, 1);
    assert_eq!(
        answered(&emulator, "DELETE", "/openapi/build", None).await,
        1
    );
}

#[tokio::test]
async fn a_throttled_request_waits_as_long_as_retry_after_says() {
    let config = EmulatorConfig {
        throttle_rate: 1.0,
        ..EmulatorConfig::new(TOKEN)
    };
    let emulator = crate::util::emulator::start(config).await;
    // The backoff alone would wait about a millisecond; only `Retry-After: 1` makes it a second.
    let retry = RetryPolicy {
        max_retries: 1,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_secs(5),
    };
    let client = client_with(&emulator, TOKEN, retry);

    let started = Instant::now();
    let error = client.get_build("yaml", "any").await.unwrap_err();
    let elapsed = started.elapsed();

    assert_eq!(
        status_and_attempts(&error),
        (StatusCode::TOO_MANY_REQUESTS, 2)
    );
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    let detail = "/openapi/build/:name/detail";
    assert_eq!(answered(&emulator, "GET", detail, Some(429)).await, 2);
}
