//! Bodies Go's JSON decoder takes and the emulator must take too, sent as raw bytes: `-0` as
//! an integer, deep nesting under an unknown key, invalid UTF-8 and lone surrogates (read as
//! U+FFFD), keys that name a field only by Unicode case folding, and bytes after the body.

use crate::util::emulator::{Answer, Client, start_default};
use serde_json::{Value, json};

/// A valid custom body with `extra` (raw JSON members) before its last key.
fn body_with(name: &str, extra: &str) -> Vec<u8> {
    format!(
        "{{\"name\":\"{name}\",\"project_key\":\"yaml\",\"infrastructure\":\"vm\",\
         \"build_os\":\"ubuntu 22.04\",{extra},\"script_type\":\"shell\"}}"
    )
    .into_bytes()
}

async fn create(client: &Client, body: Vec<u8>) -> Answer {
    client
        .send_bytes("POST", "/openapi/build", Some(body))
        .await
}

/// Creates build `b` in `yaml` from raw bytes, which must be accepted; returns its detail.
async fn accepted(client: &Client, body: Vec<u8>) -> Value {
    let answer = create(client, body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    client.detail("b", "yaml").await.body
}

/// A valid custom body named `b`, then `tail` written after its closing brace.
fn body_then(tail: &[u8]) -> Vec<u8> {
    let mut body = body_with("b", r#""installs":[]"#);
    body.extend_from_slice(tail);
    body
}

#[tokio::test]
async fn an_integer_written_minus_zero_is_zero() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let extra = r#""advanced_settings":{"cluster_name":"local-20250523164625","timeout":-0}"#;
    let detail = accepted(&client, body_with("b", extra)).await;
    assert_eq!(detail["advanced_settings"]["timeout"], 0);
    let float = r#""advanced_settings":{"cluster_name":"local-20250523164625","timeout":-0.0}"#;
    let refused = create(&client, body_with("c", float)).await;
    assert_eq!((refused.status, refused.body), (400, json!("")));
}

#[tokio::test]
async fn an_unknown_key_may_nest_as_deep_as_go_allows() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let nested = |depth: usize| {
        let extra = format!(r#""unknown":{}{}"#, "[".repeat(depth), "]".repeat(depth));
        body_with(&format!("deep{depth}"), &extra)
    };
    for depth in [129, 9_999] {
        let answer = create(&client, nested(depth)).await;
        assert_eq!(answer.status, 200, "{depth} levels: {}", answer.body);
    }
    // The body is one level itself: 10,000 levels under it are one too many.
    let answer = create(&client, nested(10_000)).await;
    assert_eq!((answer.status, answer.body), (400, json!("")));
}

#[tokio::test]
async fn invalid_utf8_and_lone_surrogates_are_read_as_replacement_characters() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let mut body = body_then(b"");
    body.truncate(body.len() - 1);
    body.extend_from_slice(b",\"build_script\":\"make \xff\xfe \\ud800 \\udc00x \xe2\x82!\"}");
    let detail = accepted(&client, body).await;
    assert_eq!(
        detail["build_script"],
        "make \u{fffd}\u{fffd} \u{fffd} \u{fffd}x \u{fffd}\u{fffd}!"
    );
}

#[tokio::test]
async fn keys_that_fold_to_a_field_name_set_that_field() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    // `ſ` (long s) and `K` (U+212A, Kelvin sign) fold to `s` and `k` in Go's key matching.
    let body = "{\"name\":\"b\",\"project_\u{212a}ey\":\"yaml\",\"infrastructure\":\"vm\",\
                \"build_os\":\"ubuntu 22.04\",\"ſcript_type\":\"shell\"}";
    let detail = accepted(&client, body.as_bytes().to_vec()).await;
    assert_eq!(detail["project_key"], "yaml");
    // A dotless or dotted i folds to no ASCII letter: `scrıpt_type` names nothing.
    let unmatched = "{\"name\":\"c\",\"project_key\":\"yaml\",\"infrastructure\":\"vm\",\
                     \"build_os\":\"ubuntu 22.04\",\"scrıpt_type\":\"shell\"}";
    let refused = create(&client, unmatched.as_bytes().to_vec()).await;
    assert_eq!((refused.status, refused.body), (400, json!("")));
}

#[tokio::test]
async fn what_follows_the_first_json_value_is_never_read() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let detail = accepted(&client, body_then(b" {not json at all \xff")).await;
    assert_eq!(detail["name"], "b");
}
