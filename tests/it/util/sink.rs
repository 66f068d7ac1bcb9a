//! A notification sink on loopback that plays each platform the daemon can notify, from its
//! documentation and written apart from the daemon's code: it records every request, checks
//! its body and signature as the platform does, and answers as the platform would (success,
//! or the platform's error code for a wrong signature or body). It can also answer 503 a few
//! times, to see retries.
//!
//! Paths pick the platform: `/dingtalk/…`, `/feishu/…`, `/wecom/…`, `/slack/…`, `/webhook…`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// One request the sink received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// What the platform would say of it: `Ok` or why it refuses it.
    pub verdict: Result<(), String>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        (self.headers.iter())
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The platform the path names.
    pub fn platform(&self) -> &str {
        self.path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
    }
}

/// The signing secrets the sink checks with, by platform.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub dingtalk: String,
    pub feishu: String,
    pub webhook: String,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    /// Requests still to answer 503.
    failures: AtomicUsize,
}

/// The sink; it stops with the test process.
pub struct Sink {
    pub addr: String,
    shared: Arc<Shared>,
}

impl Sink {
    pub fn start(secrets: Secrets) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the sink");
        let addr = listener.local_addr().expect("address").to_string();
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (shared, secrets) = (serving.clone(), secrets.clone());
                std::thread::spawn(move || answer(stream, &shared, &secrets));
            }
        });
        Sink { addr, shared }
    }

    /// Answers the next `count` requests 503 (after recording them).
    pub fn fail_next(&self, count: usize) {
        self.shared.failures.store(count, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The requests to one platform.
    pub fn to(&self, platform: &str) -> Vec<Received> {
        let mut received = self.received();
        received.retain(|r| r.platform() == platform);
        received
    }
}

fn answer(stream: TcpStream, shared: &Shared, secrets: &Secrets) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let Some(mut received) = read_request(&mut reader) else {
        return;
    };
    received.verdict = check(&received, secrets);
    let failing = (shared.failures)
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let (status, reply) = if failing {
        (503, String::new())
    } else {
        (200, platform_answer(&received))
    };
    shared.received.lock().unwrap().push(received);
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{reply}",
        reply.len()
    );
}

/// One HTTP/1.1 request, not yet judged.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Received> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let target = line.split_whitespace().nth(1)?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length: usize = (headers.iter())
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Received {
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        verdict: Ok(()),
    })
}

/// What the platform answers when it accepts the message, or its error for a refused one.
fn platform_answer(received: &Received) -> String {
    let refused = received.verdict.is_err();
    match (received.platform(), refused) {
        ("dingtalk", false) | ("wecom", false) => r#"{"errcode":0,"errmsg":"ok"}"#.into(),
        ("dingtalk", true) => r#"{"errcode":310000,"errmsg":"sign not match"}"#.into(),
        ("wecom", true) => r#"{"errcode":40008,"errmsg":"invalid message type"}"#.into(),
        ("feishu", false) => r#"{"code":0,"msg":"success"}"#.into(),
        ("feishu", true) => r#"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}"#.into(),
        (_, false) => "ok".into(),
        (_, true) => "invalid_payload".into(),
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The platform's own checks of a request.
fn check(received: &Received, secrets: &Secrets) -> Result<(), String> {
    let body = received.json();
    match received.platform() {
        "dingtalk" => check_dingtalk(received, &body, &secrets.dingtalk),
        "feishu" => check_feishu(&body, &secrets.feishu),
        "wecom" => check_wecom(&body),
        "slack" => check_text(&body["text"], "slack `text`"),
        _ => check_webhook(received, &body, &secrets.webhook),
    }
}

fn check_text(value: &Value, what: &str) -> Result<(), String> {
    match value.as_str() {
        Some(text) if !text.is_empty() => Ok(()),
        _ => Err(format!("{what} is not a non-empty text")),
    }
}

/// `timestamp` (ms) and `sign` in the query: base64 of HMAC-SHA256(secret, timestamp "\n"
/// secret), URL-encoded; a text message.
fn check_dingtalk(received: &Received, body: &Value, secret: &str) -> Result<(), String> {
    let query: Vec<(String, String)> = url::form_urlencoded::parse(received.query.as_bytes())
        .into_owned()
        .collect();
    let get = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let timestamp = get("timestamp").ok_or("no timestamp")?;
    let age = now_ms().abs_diff(
        timestamp
            .parse::<u64>()
            .map_err(|_| "timestamp not in ms")?,
    );
    if age > 3_600_000 {
        return Err("timestamp not within an hour".into());
    }
    let expected = BASE64.encode(hmac_sha256(
        secret.as_bytes(),
        format!("{timestamp}\n{secret}").as_bytes(),
    ));
    if get("sign").as_deref() != Some(expected.as_str()) {
        return Err("sign not match".into());
    }
    if body["msgtype"] != "text" {
        return Err("msgtype is not text".into());
    }
    check_text(&body["text"]["content"], "text.content")
}

/// `timestamp` (s) and `sign` in the body: base64 of HMAC-SHA256 keyed with timestamp "\n"
/// secret, over nothing; a `post` message with a title and content.
fn check_feishu(body: &Value, secret: &str) -> Result<(), String> {
    let timestamp = body["timestamp"].as_str().ok_or("no timestamp")?;
    let seconds: u64 = timestamp.parse().map_err(|_| "timestamp not in seconds")?;
    if (now_ms() / 1000).abs_diff(seconds) > 3600 {
        return Err("timestamp not within an hour".into());
    }
    let expected = BASE64.encode(hmac_sha256(
        format!("{timestamp}\n{secret}").as_bytes(),
        b"",
    ));
    if body["sign"].as_str() != Some(expected.as_str()) {
        return Err("sign match fail".into());
    }
    if body["msg_type"] != "post" {
        return Err("msg_type is not post".into());
    }
    let post = &body["content"]["post"]["zh_cn"];
    check_text(&post["title"], "post title")?;
    let lines = post["content"]
        .as_array()
        .ok_or("post content is not a list")?;
    let valid = lines.iter().all(|line| {
        (line.as_array().into_iter().flatten())
            .all(|e| matches!(e["tag"].as_str(), Some("text" | "a")))
    });
    if lines.is_empty() || !valid {
        return Err("post content is not lines of text and a elements".into());
    }
    Ok(())
}

/// A text message within 2048 bytes.
fn check_wecom(body: &Value) -> Result<(), String> {
    if body["msgtype"] != "text" {
        return Err("msgtype is not text".into());
    }
    check_text(&body["text"]["content"], "text.content")?;
    match body["text"]["content"].as_str() {
        Some(text) if text.len() <= 2048 => Ok(()),
        _ => Err("content longer than 2048 bytes".into()),
    }
}

/// `X-Zadig-Sync-Signature: sha256=<hex HMAC-SHA256(secret, body)>`, and the event in JSON.
fn check_webhook(received: &Received, body: &Value, secret: &str) -> Result<(), String> {
    let expected = format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), received.body.as_bytes()))
    );
    if received.header("X-Zadig-Sync-Signature") != Some(expected.as_str()) {
        return Err("signature does not match the body".into());
    }
    if received.header("X-Zadig-Sync-Event") != body["event"]["kind"].as_str() {
        return Err("X-Zadig-Sync-Event is not the event's kind".into());
    }
    check_text(&body["event"]["message"], "event.message")
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    since.as_millis() as u64
}
