//! Each platform's request and how to read its answer, as its documentation describes them:
//!
//! - webhook: `POST` the event as JSON; with a secret, `X-Zadig-Sync-Signature: sha256=<hex
//!   HMAC-SHA256 of the body>` (as GitHub signs its webhooks).
//! - Slack incoming webhook: `{"text": …}`, with `&`, `<` and `>` escaped as Slack asks (so
//!   no text can make a link or a mention); answered `ok`.
//! - DingTalk custom robot: `{"msgtype":"text","text":{"content":…}}`; with a secret, the
//!   URL gains `timestamp` (ms) and `sign` = URL-encoded base64 of HMAC-SHA256 keyed with the
//!   secret over `timestamp + "\n" + secret`; answered `{"errcode":0}`.
//! - Feishu/Lark custom bot: a `post` message (title and lines as plain text elements, the
//!   link as an `a` element: nothing in them is parsed as a mention); with a secret, the body
//!   gains `timestamp` (s) and `sign` = base64 of HMAC-SHA256 keyed with `timestamp + "\n" +
//!   secret` over nothing; answered `{"code":0}`.
//! - WeCom group robot: `{"msgtype":"text","text":{"content":…}}` within 2048 bytes, with
//!   `<@` broken so no text mentions anyone; answered `{"errcode":0}`.
//!
//! Pure: the time is passed in.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::daemon::notify::config::{Sink, SinkKind};
use crate::daemon::notify::message::{Message, cut};
use crate::daemon::status::doc::{EventView, STATUS_FORMAT};

/// The header carrying a webhook's signature.
pub const SIGNATURE_HEADER: &str = "X-Zadig-Sync-Signature";

/// One request to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub url: url::Url,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// Longest text a WeCom robot takes, in bytes.
const WECOM_LIMIT: usize = 2048;
/// Longest text sent to the other chats (DingTalk and Feishu cap the body at 20 KB).
const CHAT_LIMIT: usize = 4000;

/// The request telling `event` (as `message`) to `sink`, at `now_ms` (Unix milliseconds).
pub fn request(sink: &Sink, event: &EventView, message: &Message, now_ms: u64) -> Outgoing {
    let mut outgoing = Outgoing {
        url: sink.url.clone(),
        headers: vec![("Content-Type", "application/json".to_string())],
        body: Vec::new(),
    };
    let body = match sink.kind {
        SinkKind::Webhook => return webhook(sink, event, message, outgoing),
        SinkKind::Slack => json!({ "text": slack_escape(&message.plain_text(CHAT_LIMIT)) }),
        SinkKind::Dingtalk => {
            if let Some(secret) = &sink.secret {
                let timestamp = now_ms.to_string();
                let sign = dingtalk_sign(secret, &timestamp);
                (outgoing.url.query_pairs_mut())
                    .append_pair("timestamp", &timestamp)
                    .append_pair("sign", &sign);
            }
            json!({ "msgtype": "text", "text": { "content": message.plain_text(CHAT_LIMIT) } })
        }
        SinkKind::Feishu => feishu(sink.secret.as_deref(), message, now_ms / 1000),
        SinkKind::Wecom => {
            let content = cut(
                &message
                    .plain_text(WECOM_LIMIT * 2)
                    .replace("<@", "<\u{200b}@"),
                WECOM_LIMIT,
            );
            json!({ "msgtype": "text", "text": { "content": content } })
        }
    };
    outgoing.body = body.to_string().into_bytes();
    outgoing
}

fn webhook(sink: &Sink, event: &EventView, message: &Message, mut outgoing: Outgoing) -> Outgoing {
    let body = json!({
        "format": STATUS_FORMAT,
        "source": "zadig-sync",
        "title": message.title,
        "text": message.plain_text(CHAT_LIMIT),
        "link": message.link,
        "event": event,
    });
    outgoing.body = body.to_string().into_bytes();
    outgoing
        .headers
        .push(("X-Zadig-Sync-Event", event.kind.clone()));
    outgoing
        .headers
        .push(("X-Zadig-Sync-Delivery", event.id.to_string()));
    if let Some(secret) = &sink.secret {
        let signature = hex::encode(hmac_sha256(secret.as_bytes(), &outgoing.body));
        outgoing
            .headers
            .push((SIGNATURE_HEADER, format!("sha256={signature}")));
    }
    outgoing
}

fn feishu(secret: Option<&str>, message: &Message, now_s: u64) -> Value {
    let text = |line: &str| json!([{ "tag": "text", "text": cut(line, CHAT_LIMIT) }]);
    let mut content: Vec<Value> = message.lines.iter().map(|l| text(l)).collect();
    if let Some(link) = &message.link {
        content.push(json!([{ "tag": "a", "text": "status page", "href": link }]));
    }
    let title = format!("[zadig-sync] {}", message.title);
    let post = json!({ "zh_cn": { "title": title, "content": content } });
    let mut body = json!({ "msg_type": "post", "content": { "post": post } });
    if let Some(secret) = secret {
        let timestamp = now_s.to_string();
        body["timestamp"] = json!(timestamp);
        body["sign"] = json!(feishu_sign(secret, &timestamp));
    }
    body
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of every length (a longer one is hashed first): never taken.
        Err(_) => Vec::new(),
    }
}

/// DingTalk's `sign` (before URL encoding, which the query adds).
pub fn dingtalk_sign(secret: &str, timestamp_ms: &str) -> String {
    let string_to_sign = format!("{timestamp_ms}\n{secret}");
    BASE64.encode(hmac_sha256(secret.as_bytes(), string_to_sign.as_bytes()))
}

/// Feishu's `sign`: the key is `timestamp + "\n" + secret`, the message empty.
pub fn feishu_sign(secret: &str, timestamp_s: &str) -> String {
    let key = format!("{timestamp_s}\n{secret}");
    BASE64.encode(hmac_sha256(key.as_bytes(), b""))
}

/// Slack's escaping of message text.
pub fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What an answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Delivered,
    /// Worth trying again (a 5xx, a 429, a platform's rate limit); `after`: the seconds the
    /// platform asked to wait.
    Retry {
        why: String,
        after: Option<u64>,
    },
    /// Refused for good (a wrong signature, a bad request, an unknown robot).
    Refused(String),
}

/// Reads `status` and `body` as `kind`'s platform means them; `retry_after` is the header's
/// value in seconds.
pub fn classify(kind: SinkKind, status: u16, body: &str, retry_after: Option<u64>) -> Answer {
    match status {
        200..=299 => platform_code(kind, body),
        408 | 429 | 500..=599 => Answer::Retry {
            why: format!("answered {status}"),
            after: retry_after,
        },
        _ => Answer::Refused(format!("answered {status}: {}", cut(body.trim(), 200))),
    }
}

/// A 2xx from a chat platform still carries its own code: 0 is success.
fn platform_code(kind: SinkKind, body: &str) -> Answer {
    let (code_key, message_key, rate_limited): (&str, &str, &[i64]) = match kind {
        SinkKind::Dingtalk => ("errcode", "errmsg", &[130101]),
        SinkKind::Wecom => ("errcode", "errmsg", &[45009]),
        SinkKind::Feishu => ("code", "msg", &[11232]),
        SinkKind::Webhook | SinkKind::Slack => return Answer::Delivered,
    };
    let Ok(answer) = serde_json::from_str::<Value>(body) else {
        return Answer::Delivered;
    };
    let code = answer.get(code_key).or_else(|| answer.get("StatusCode"));
    match code.and_then(Value::as_i64) {
        None | Some(0) => Answer::Delivered,
        Some(code) => {
            let text = answer
                .get(message_key)
                .and_then(Value::as_str)
                .unwrap_or_default();
            let why = format!("{} code {code}: {}", kind.as_str(), cut(text, 200));
            if rate_limited.contains(&code) {
                Answer::Retry { why, after: None }
            } else {
                Answer::Refused(why)
            }
        }
    }
}

#[cfg(test)]
mod tests;
