//! Property tests of how Zadig's answers are read (issue 12): list, detail and error bodies of
//! any shape (wrong types, nulls, deep nesting, huge strings, control characters, bytes that
//! are not JSON) never panic, and the error made of one is bounded in size and escaped.
//!
//! Cases: `PROPTEST_CASES` (64 by default, what CI runs); a longer run is
//! `PROPTEST_CASES=5000 cargo test --release --lib remote::properties`.

use proptest::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value};

use super::classify::Reply;
use super::classify::classify;
use super::error::{Call, Subject};
use super::observe::Route;
use super::paging::PageCollector;
use super::zadig_text::{MAX_TEXT_CHARS, ZadigText};
use crate::reconcile::redact::Secrets;
use crate::reconcile::wire::{DetailResponse, ListResponse};

const KEYS: [&str; 14] = [
    "total",
    "builds",
    "name",
    "project_key",
    "update_time",
    "target_services",
    "template_name",
    "build_script",
    "parameters",
    "repos",
    "code",
    "message",
    "description",
    "type",
];

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 -]{0,10}",
        "\\PC{0,16}",
        "[\u{0}-\u{1f}\u{1b}\u{7f}\u{9b}]{1,8}",
        (1usize..200_000).prop_map(|n| "项".repeat(n)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (6520i64..6525).prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(8, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(&KEYS[..]), inner), 0..8).prop_map(
                |entries| {
                    let map: Map<String, Value> = entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect();
                    Value::Object(map)
                }
            ),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..300),
        (1usize..5_000).prop_map(|depth| "[".repeat(depth).into_bytes()),
        text().prop_map(String::into_bytes),
    ]
}

fn status() -> impl Strategy<Value = StatusCode> {
    prop::sample::select(vec![
        301u16, 400, 401, 403, 404, 405, 409, 429, 500, 502, 503,
    ])
    .prop_map(|code| StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST))
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(vec![
        "application/json; charset=utf-8".to_owned(),
        "text/plain".to_owned(),
        "text/html".to_owned(),
        "\u{1b}[2Jweird".to_owned(),
    ]))
}

fn call(name: String) -> Call {
    Call {
        method: Method::POST,
        route: Route::Create,
        path: "/openapi/build".to_owned(),
        subject: Subject::Build {
            project: "yaml".to_owned(),
            name,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn any_error_answer_becomes_a_bounded_escaped_message(
        status in status(),
        body in body(),
        content_type in content_type(),
        name in text(),
    ) {
        let name = name.chars().take(64).collect::<String>();
        let reply = Reply { status, body: &body, content_type: content_type.as_deref(), attempts: 1 };
        let error = classify(call(name), reply, &Secrets::default());
        let shown = error.to_string();
        prop_assert!(shown.chars().count() < 2_500, "{} chars", shown.chars().count());
        prop_assert!(!shown.chars().any(char::is_control), "{shown:?}");
        if let Some(message) = error.context().zadig.as_ref().and_then(ZadigText::message) {
            prop_assert!(message.description.chars().count() <= MAX_TEXT_CHARS + 1);
            prop_assert!(message.message.chars().count() <= MAX_TEXT_CHARS + 1);
        }
    }

    #[test]
    fn any_list_or_detail_body_parses_or_fails_cleanly(body in body()) {
        if let Ok(page) = serde_json::from_slice::<ListResponse>(&body) {
            let mut collector = PageCollector::new(100);
            let _ = collector.add(page);
        }
        let _ = serde_json::from_slice::<DetailResponse>(&body);
    }
}
