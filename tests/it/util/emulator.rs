//! Helpers shared by the emulator's integration tests: start an emulator on port 0, send
//! requests the way a Zadig client would, read fixtures, and drop volatile fields.

use std::net::SocketAddr;
use std::path::Path;

use reqwest::Method;
use serde_json::Value;
use zadig_sync::emulator::{self, EmulatorConfig, RunningEmulator};

pub const TOKEN: &str = "test-admin-token";

pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub async fn start(config: EmulatorConfig) -> RunningEmulator {
    emulator::start(loopback(), config).await.unwrap()
}

pub async fn start_default() -> RunningEmulator {
    start(EmulatorConfig::new(TOKEN)).await
}

/// One answer: status, headers and the body as JSON (`""` when the body is empty,
/// a JSON string when it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    authorization: Option<String>,
}

impl Client {
    pub fn new(emulator: &RunningEmulator) -> Self {
        Self::with_authorization(emulator, Some(format!("Bearer {TOKEN}")))
    }

    pub fn with_authorization(emulator: &RunningEmulator, authorization: Option<String>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            base: emulator.url(),
            authorization,
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let bytes = body.map(|body| serde_json::to_vec(body).unwrap());
        self.send_bytes(method, path, bytes).await
    }

    pub async fn send_bytes(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> Answer {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(value) = &self.authorization {
            request = request.header("Authorization", value);
        }
        if let Some(bytes) = body {
            request = request.body(bytes);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::String(String::new())
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Sends a fixture's `{"method","path","body"}` request.
    pub async fn replay(&self, request: &Value) -> Answer {
        let body = request.get("body").filter(|body| !body.is_null());
        self.send(
            request["method"].as_str().unwrap(),
            request["path"].as_str().unwrap(),
            body,
        )
        .await
    }

    pub async fn detail(&self, name: &str, project: &str) -> Answer {
        self.send(
            "GET",
            &format!("/openapi/build/{name}/detail?projectKey={project}"),
            None,
        )
        .await
    }

    pub async fn stats(&self) -> Value {
        self.send("GET", "/_emulator/stats", None).await.body
    }

    /// Moves the emulator's clock `seconds` forward; returns the new time (`now`).
    pub async fn advance_clock(&self, seconds: u32) -> i64 {
        let body = serde_json::json!({ "advance_seconds": seconds });
        let answer = self.send("POST", "/_emulator/clock", Some(&body)).await;
        assert_eq!(answer.status, 200, "moving the clock: {}", answer.body);
        answer.body["now"].as_i64().unwrap()
    }
}

pub fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/zadig")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Keys whose values are arbitrary in the fixtures: ids and times.
const VOLATILE_KEYS: [&str; 3] = ["update_time", "basic_image_id", "template_id"];

/// The value with every volatile key removed, at any depth.
pub fn without_volatile(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !VOLATILE_KEYS.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), without_volatile(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_volatile).collect()),
        other => other.clone(),
    }
}

/// Asserts status and body equal the fixture's, ids and times aside.
#[track_caller]
pub fn assert_answer(answer: &Answer, status: &Value, body: &Value, what: &str) {
    assert_eq!(
        u64::from(answer.status),
        status.as_u64().unwrap(),
        "{what}: status; body {}",
        answer.body
    );
    assert_eq!(
        without_volatile(&answer.body),
        without_volatile(body),
        "{what}: body"
    );
}

/// A valid minimal custom-build body.
pub fn custom_body(name: &str, project: &str) -> Value {
    serde_json::json!({
        "name": name,
        "project_key": project,
        "infrastructure": "vm",
        "build_os": "ubuntu 22.04",
        "script_type": "shell",
        "build_script": "make",
    })
}
