//! Helpers for the client-against-emulator tests: an emulator and a client aimed at it, build
//! specs from the golden fixtures, and the emulator's request counts.

use std::time::Duration;

use serde_json::Value;
use zadig_sync::emulator::{EmulatorConfig, RunningEmulator};
use zadig_sync::reconcile::spec::{BuildSpec, ServiceRef};
use zadig_sync::remote::{ClientConfig, RetryPolicy, Token, ZadigClient};

use crate::util::emulator::{self as emulator_support, Client, TOKEN, custom_body, fixture};

/// Retries in milliseconds, so that a test that exhausts them stays fast.
pub fn fast_retry(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    }
}

/// A client of `emulator` sending `token`, with `retry`, and no rate limit to wait on.
pub fn client_with(emulator: &RunningEmulator, token: &str, retry: RetryPolicy) -> ZadigClient {
    let config = ClientConfig {
        retry,
        rate_limit: 0,
        ..ClientConfig::new(emulator.url(), Token::generated(token.to_owned()))
    };
    ZadigClient::new(config).unwrap()
}

/// The admin's client with fast retries.
pub fn admin_client(emulator: &RunningEmulator) -> ZadigClient {
    client_with(emulator, TOKEN, fast_retry(2))
}

/// An emulator with default seeds and no faults, and the admin's client of it.
pub async fn started() -> (RunningEmulator, ZadigClient) {
    started_with(EmulatorConfig::new(TOKEN)).await
}

pub async fn started_with(config: EmulatorConfig) -> (RunningEmulator, ZadigClient) {
    let emulator = emulator_support::start(config).await;
    let client = admin_client(&emulator);
    (emulator, client)
}

/// A minimal valid custom build (`ubuntu 22.04`, script `make`).
pub fn custom(name: &str, project: &str) -> BuildSpec {
    spec(custom_body(name, project))
}

pub fn spec(body: Value) -> BuildSpec {
    serde_json::from_value(body).unwrap()
}

/// The custom build of `full.json`: `api-test` in project `yaml`, every section filled.
pub fn full_spec() -> BuildSpec {
    spec(fixture("full.json")["create_request"]["body"].clone())
}

/// The template build of `template.json`: `java-svc` in project `yaml`, one target `billing`
/// whose inputs set `JAVA_VERSION` and the undefined `NOT_IN_TEMPLATE`.
pub fn template_body() -> Value {
    fixture("template.json")["create_request"]["body"].clone()
}

pub fn billing() -> ServiceRef {
    ServiceRef {
        service_name: "billing".to_owned(),
        service_module: "billing".to_owned(),
    }
}

/// How many requests the emulator answered for `method` on `route` (its pattern, e.g.
/// `/openapi/build/:name/detail`), with any status when `status` is `None`.
pub async fn answered(
    emulator: &RunningEmulator,
    method: &str,
    route: &str,
    status: Option<u16>,
) -> u64 {
    let stats = Client::new(emulator).stats().await;
    stats["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["method"] == method && entry["route"] == route)
        .filter(|entry| status.is_none_or(|status| entry["status"] == status))
        .map(|entry| entry["count"].as_u64().unwrap())
        .sum()
}

/// Every request the emulator answered.
pub async fn answered_total(emulator: &RunningEmulator) -> u64 {
    Client::new(emulator).stats().await["total"]
        .as_u64()
        .unwrap()
}
