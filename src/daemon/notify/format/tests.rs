//! Each platform's body and signature, against values computed independently (Python's
//! `hmac` and `base64`, as the platforms' documentation does it).

use std::collections::BTreeSet;

use super::*;

fn sink(kind: SinkKind, url: &str, secret: Option<&str>) -> Sink {
    Sink {
        name: kind.as_str().into(),
        kind,
        url: url::Url::parse(url).unwrap(),
        secret: secret.map(str::to_string),
        events: BTreeSet::new(),
        projects: Vec::new(),
    }
}

fn event() -> EventView {
    EventView {
        build: Some("<@all> <!channel> & co".into()),
        ..EventView::example(9)
    }
}

fn message() -> Message {
    Message {
        title: "shop/<@all> <!channel> & co: failed".into(),
        lines: vec!["update failed".into()],
        link: Some("https://sync.example.com/?project=shop".into()),
    }
}

fn body(outgoing: &Outgoing) -> Value {
    serde_json::from_slice(&outgoing.body).unwrap()
}

const NOW_MS: u64 = 1_700_000_000_000;

/// The request telling [`event`] to a sink of `kind` at `url`, signed with `secret`.
fn sent(kind: SinkKind, url: &str, secret: Option<&str>) -> Outgoing {
    request(&sink(kind, url, secret), &event(), &message(), NOW_MS)
}

#[test]
fn dingtalk_signs_the_url_with_the_timestamp_and_the_secret() {
    assert_eq!(
        dingtalk_sign("SECdemo-secret", "1700000000000"),
        "hMcp9tIC+t4YETtvFK+lpdjLr1E/ovXPdM+YDW8K4XM="
    );
    let robot = "https://oapi.dingtalk.com/robot/send?access_token=t";
    let outgoing = sent(SinkKind::Dingtalk, robot, Some("SECdemo-secret"));
    assert_eq!(
        outgoing.url.as_str(),
        "https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000\
         &sign=hMcp9tIC%2Bt4YETtvFK%2BlpdjLr1E%2FovXPdM%2BYDW8K4XM%3D"
    );
    let body = body(&outgoing);
    assert_eq!(body["msgtype"], "text");
    assert!(
        body["text"]["content"]
            .as_str()
            .unwrap()
            .starts_with("[zadig-sync] shop/")
    );
    let unsigned = sent(SinkKind::Dingtalk, robot, None);
    assert_eq!(unsigned.url.query(), Some("access_token=t"));
}

#[test]
fn feishu_signs_the_body_with_the_timestamp_in_seconds() {
    assert_eq!(
        feishu_sign("SECdemo-secret", "1700000000"),
        "CeX1I77s2eAjWI201qPO2QljNbRExRfaaWuDMV9NqtE="
    );
    let bot = sink(
        SinkKind::Feishu,
        "https://open.feishu.cn/open-apis/bot/v2/hook/x",
        Some("SECdemo-secret"),
    );
    let body = body(&request(&bot, &event(), &message(), NOW_MS));
    assert_eq!(body["timestamp"], "1700000000");
    assert_eq!(body["sign"], "CeX1I77s2eAjWI201qPO2QljNbRExRfaaWuDMV9NqtE=");
    assert_eq!(body["msg_type"], "post");
    let post = &body["content"]["post"]["zh_cn"];
    assert_eq!(
        post["title"],
        "[zadig-sync] shop/<@all> <!channel> & co: failed"
    );
    assert_eq!(
        post["content"][0][0],
        serde_json::json!({"tag": "text", "text": "update failed"})
    );
    assert_eq!(post["content"][1][0]["tag"], "a");
    assert_eq!(
        post["content"][1][0]["href"],
        "https://sync.example.com/?project=shop"
    );
}

#[test]
fn slack_and_wecom_texts_cannot_mention_anyone() {
    let slack = sink(
        SinkKind::Slack,
        "https://hooks.slack.com/services/T/B/x",
        None,
    );
    let text = body(&request(&slack, &event(), &message(), NOW_MS))["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains("&lt;@all&gt; &lt;!channel&gt; &amp; co"),
        "{text}"
    );
    assert!(!text.contains('<') && !text.contains('>'), "{text}");

    let wecom = sink(
        SinkKind::Wecom,
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        None,
    );
    let body = body(&request(&wecom, &event(), &message(), NOW_MS));
    assert_eq!(body["msgtype"], "text");
    let content = body["text"]["content"].as_str().unwrap();
    assert!(!content.contains("<@"), "{content}");
    let long = Message {
        lines: vec!["x".repeat(5000)],
        ..message()
    };
    let long = request(&wecom, &event(), &long, NOW_MS);
    let content = serde_json::from_slice::<Value>(&long.body).unwrap()["text"]["content"]
        .as_str()
        .unwrap()
        .len();
    assert!(content <= 2048, "{content}");
}

#[test]
fn a_webhook_carries_the_event_and_an_hmac_of_its_body() {
    assert_eq!(
        hex::encode(hmac_sha256(b"hook-secret", br#"{"a":1}"#)),
        "eb8ded9d103e519ca7e2ab1be0df069c649c61531b59a9dcbf2fa2e799fb1fa6"
    );
    let outgoing = sent(
        SinkKind::Webhook,
        "https://ci.example.com/hook",
        Some("hook-secret"),
    );
    let signature = (outgoing.headers.iter())
        .find(|(name, _)| *name == SIGNATURE_HEADER)
        .map(|(_, value)| value.clone())
        .unwrap();
    let expected = hex::encode(hmac_sha256(b"hook-secret", &outgoing.body));
    assert_eq!(signature, format!("sha256={expected}"));
    let body = body(&outgoing);
    assert_eq!(body["event"]["kind"], "failed");
    assert_eq!(body["event"]["id"], 9);
    assert_eq!(body["link"], "https://sync.example.com/?project=shop");
    let outgoing = sent(SinkKind::Webhook, "https://ci.example.com/hook", None);
    assert!(
        outgoing
            .headers
            .iter()
            .all(|(name, _)| *name != SIGNATURE_HEADER)
    );
}

/// What an answer comes to, in a word.
fn verdict(answer: &Answer) -> &'static str {
    match answer {
        Answer::Delivered => "delivered",
        Answer::Retry { .. } => "retry",
        Answer::Refused(_) => "refused",
    }
}

/// A platform's JSON answer carrying `code`.
fn coded(kind: SinkKind, code: i64) -> String {
    let key = if kind == SinkKind::Feishu {
        "code"
    } else {
        "errcode"
    };
    format!(r#"{{"{key}":{code},"errmsg":"why","msg":"why"}}"#)
}

#[test]
fn answers_are_read_as_each_platform_means_them() {
    use SinkKind::*;
    let table = [
        (Slack, 200, "ok".to_string(), "delivered"),
        (Dingtalk, 200, coded(Dingtalk, 0), "delivered"),
        (Dingtalk, 200, coded(Dingtalk, 310000), "refused"),
        (Dingtalk, 200, coded(Dingtalk, 130101), "retry"),
        (Wecom, 200, coded(Wecom, 0), "delivered"),
        (Wecom, 200, coded(Wecom, 45009), "retry"),
        (Feishu, 200, coded(Feishu, 0), "delivered"),
        (Feishu, 200, coded(Feishu, 19021), "refused"),
        (Feishu, 200, coded(Feishu, 11232), "retry"),
        (Webhook, 503, String::new(), "retry"),
        (Slack, 408, String::new(), "retry"),
        (Slack, 404, "no_service".to_string(), "refused"),
    ];
    for (kind, status, body, expected) in table {
        let answer = classify(kind, status, &body, None);
        assert_eq!(
            verdict(&answer),
            expected,
            "{kind:?} {status} {body}: {answer:?}"
        );
    }
    assert_eq!(
        classify(
            Dingtalk,
            200,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#,
            None
        ),
        Answer::Refused("dingtalk code 310000: sign not match".into())
    );
    assert_eq!(
        classify(Webhook, 429, "", Some(3)),
        Answer::Retry {
            why: "answered 429".into(),
            after: Some(3)
        }
    );
    assert_eq!(
        classify(Slack, 404, "no_service", None),
        Answer::Refused("answered 404: no_service".into())
    );
}
