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

#[test]
fn dingtalk_signs_the_url_with_the_timestamp_and_the_secret() {
    assert_eq!(
        dingtalk_sign("SECdemo-secret", "1700000000000"),
        "hMcp9tIC+t4YETtvFK+lpdjLr1E/ovXPdM+YDW8K4XM="
    );
    let robot = sink(
        SinkKind::Dingtalk,
        "https://oapi.dingtalk.com/robot/send?access_token=t",
        Some("SECdemo-secret"),
    );
    let outgoing = request(&robot, &event(), &message(), NOW_MS);
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
    let unsigned = sink(
        SinkKind::Dingtalk,
        "https://oapi.dingtalk.com/robot/send?access_token=t",
        None,
    );
    assert_eq!(
        request(&unsigned, &event(), &message(), NOW_MS).url.query(),
        Some("access_token=t")
    );
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
    let hook = sink(
        SinkKind::Webhook,
        "https://ci.example.com/hook",
        Some("hook-secret"),
    );
    let outgoing = request(&hook, &event(), &message(), NOW_MS);
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
    let unsigned = sink(SinkKind::Webhook, "https://ci.example.com/hook", None);
    let outgoing = request(&unsigned, &event(), &message(), NOW_MS);
    assert!(
        outgoing
            .headers
            .iter()
            .all(|(name, _)| *name != SIGNATURE_HEADER)
    );
}

#[test]
fn answers_are_read_as_each_platform_means_them() {
    use SinkKind::*;
    assert_eq!(classify(Slack, 200, "ok", None), Answer::Delivered);
    assert_eq!(
        classify(Dingtalk, 200, r#"{"errcode":0,"errmsg":"ok"}"#, None),
        Answer::Delivered
    );
    assert_eq!(
        classify(
            Dingtalk,
            200,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#,
            None
        ),
        Answer::Refused("dingtalk code 310000: sign not match".into())
    );
    assert!(matches!(
        classify(
            Dingtalk,
            200,
            r#"{"errcode":130101,"errmsg":"send too fast"}"#,
            None
        ),
        Answer::Retry { .. }
    ));
    assert!(matches!(
        classify(
            Wecom,
            200,
            r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#,
            None
        ),
        Answer::Retry { .. }
    ));
    assert_eq!(
        classify(Feishu, 200, r#"{"code":0,"msg":"success"}"#, None),
        Answer::Delivered
    );
    assert!(matches!(
        classify(
            Feishu,
            200,
            r#"{"code":19021,"msg":"sign match fail"}"#,
            None
        ),
        Answer::Refused(_)
    ));
    assert_eq!(
        classify(Webhook, 429, "", Some(3)),
        Answer::Retry {
            why: "answered 429".into(),
            after: Some(3)
        }
    );
    assert!(matches!(
        classify(Slack, 503, "", None),
        Answer::Retry { .. }
    ));
    assert_eq!(
        classify(Slack, 404, "no_service", None),
        Answer::Refused("answered 404: no_service".into())
    );
}
