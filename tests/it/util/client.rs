//! Helpers shared by the client tests: a client aimed at a mock server, fast retries, and the
//! golden fixtures of `tests/fixtures/zadig/`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};
use zadig_sync::reconcile::spec::BuildSpec;
use zadig_sync::remote::{ClientConfig, RetryPolicy, Token, ZadigClient, resolve_token};

/// Looks like a Zadig API token (a JWT) so that a leak would be easy to spot.
pub const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.S1GnAtUr3-n0t-t0-b3-l0gg3d";

pub fn token() -> Token {
    resolve_token(None, Some(TOKEN.to_owned()), None).unwrap()
}

/// Retries in milliseconds, so that retry tests stay fast.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(20),
    }
}

pub fn config(server: &MockServer) -> ClientConfig {
    ClientConfig {
        retry: fast_retry(),
        rate_limit: 0,
        ..ClientConfig::new(server.uri(), token())
    }
}

pub fn client(server: &MockServer) -> ZadigClient {
    ZadigClient::new(config(server)).unwrap()
}

pub fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

/// A fixture file as JSON, e.g. `fixture("zadig/full.json")`.
pub fn fixture(relative: &str) -> Value {
    let text = std::fs::read_to_string(fixture_path(relative)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The custom build of `full.json` (`api-test` in project `yaml`).
pub fn custom_spec() -> BuildSpec {
    serde_json::from_value(fixture("zadig/full.json")["create_request"]["body"].clone()).unwrap()
}

/// The template build of `template.json` (`java-svc` in project `yaml`).
pub fn template_spec() -> BuildSpec {
    serde_json::from_value(fixture("zadig/template.json")["create_request"]["body"].clone())
        .unwrap()
}

/// Zadig's answer `name` of `errors.json`: its status and body (JSON, or an empty body).
pub fn zadig_error(name: &str) -> ResponseTemplate {
    let case = &fixture("zadig/errors.json")[name];
    let status = case["status"].as_u64().unwrap() as u16;
    match &case["body"] {
        Value::String(text) if text.is_empty() => ResponseTemplate::new(status),
        body => ResponseTemplate::new(status).set_body_json(body),
    }
}

pub fn success() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({"message": "success"}))
}

/// Mounts `verb` answered with `first` once, then with `then` for every later request.
pub async fn answer_once_then(
    server: &MockServer,
    verb: &str,
    first: ResponseTemplate,
    then: ResponseTemplate,
) {
    Mock::given(method(verb))
        .respond_with(first)
        .up_to_n_times(1)
        .mount(server)
        .await;
    answer_always(server, verb, then).await;
}

/// Mounts `verb` answered with `answer`, whatever the path.
pub async fn answer_always(server: &MockServer, verb: &str, answer: ResponseTemplate) {
    Mock::given(method(verb))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// A client of `server` with its configuration adjusted by `adjust`.
pub fn client_with(server: &MockServer, adjust: impl FnOnce(&mut ClientConfig)) -> ZadigClient {
    let mut config = config(server);
    adjust(&mut config);
    ZadigClient::new(config).unwrap()
}
