//! End to end: the real daemon telling a sink on loopback that plays DingTalk, Feishu, WeCom,
//! Slack and a generic webhook (`util::sink`, which checks each body and signature as the
//! platform does): one message per episode, retries, and no secret in any message, log line,
//! metric or status document.

use std::path::Path;

use crate::util::cli::{Emulator, TOKEN, command, describe, workspace};
use crate::util::daemon::Daemon;
use crate::util::sink::{Received, Secrets, Sink};
use crate::util::status::{status_json, vm_build};

const DT_SECRET: &str = "SEC-dingtalk-signing-5678";
const FS_SECRET: &str = "feishu-signing-secret-3456";
const HOOK_SECRET: &str = "webhook-signing-secret-2468";
const API_KEY: &str = "api-key-value-1357-never-shown";

fn secrets() -> Secrets {
    Secrets {
        dingtalk: DT_SECRET.into(),
        feishu: FS_SECRET.into(),
        webhook: HOOK_SECRET.into(),
    }
}

/// The sinks' URLs on `sink`; each holds a credential-like part that must never be shown.
fn sink_env(sink: &Sink) -> Vec<(&'static str, String)> {
    let base = format!("http://{}", sink.addr);
    vec![
        (
            "DT_URL",
            format!("{base}/dingtalk/robot/send?access_token=DT-ACCESS-TOKEN-1234"),
        ),
        ("DT_SECRET", DT_SECRET.into()),
        (
            "FS_URL",
            format!("{base}/feishu/open-apis/bot/v2/hook/FEISHU-HOOK-ID-9012"),
        ),
        ("FS_SECRET", FS_SECRET.into()),
        (
            "WC_URL",
            format!("{base}/wecom/cgi-bin/webhook/send?key=WECOM-KEY-7890"),
        ),
        (
            "SLACK_URL",
            format!("{base}/slack/services/T000/B000/SLACK-PATH-SECRET"),
        ),
        ("HOOK_URL", format!("{base}/webhook")),
        ("HOOK_SECRET", HOOK_SECRET.into()),
        ("API_KEY", API_KEY.into()),
    ]
}

/// What must appear in no message body, log line, metric or status document.
const NEVER_SHOWN: [&str; 10] = [
    TOKEN,
    API_KEY,
    DT_SECRET,
    FS_SECRET,
    HOOK_SECRET,
    "DT-ACCESS-TOKEN-1234",
    "FEISHU-HOOK-ID-9012",
    "WECOM-KEY-7890",
    "SLACK-PATH-SECRET",
    "access_token=",
];

const SCOPE: &str = "\
projects: [shop]
notify:
  - kind: dingtalk
    url: ${env:DT_URL}
    secret: ${env:DT_SECRET}
  - kind: feishu
    url: ${env:FS_URL}
    secret: ${env:FS_SECRET}
  - kind: wecom
    url: ${env:WC_URL}
  - kind: slack
    url: ${env:SLACK_URL}
  - kind: webhook
    name: ci-hook
    url: ${env:HOOK_URL}
    secret: ${env:HOOK_SECRET}
    events: [all]
";

/// shop-api with a parameter whose value comes from `${env:API_KEY}` (so it is redacted).
fn api() -> String {
    format!(
        "{}parameters:\n  - key: API_KEY\n    type: string\n    default_value: ${{env:API_KEY}}\n",
        vm_build("shop", "shop-api", "make api")
    )
}

/// Plays a person editing shop-api in Zadig: its OS, and its parameter set to a value that
/// holds the secret.
fn edit_api_in_zadig(emulator: &Emulator, os: &str) {
    let detail = emulator.detail("shop", "shop-api");
    let body = serde_json::json!({
        "name": "shop-api", "project_key": "shop", "infrastructure": "vm", "build_os": os,
        "script_type": "shell", "build_script": detail["build_script"],
        "parameters": [{"key": "API_KEY", "type": "string", "default_value": format!("old-{API_KEY}")}],
    });
    let (status, text) = emulator.request("PUT", "/openapi/build?projectKey=shop", Some(&body));
    assert_eq!(status, 200, "{text}");
}

/// The requests to `platform` telling `kind` about `build` (or about the daemon, when none).
fn told(sink: &Sink, platform: &str, kind: &str, build: Option<&str>) -> Vec<Received> {
    let mut received = sink.to(platform);
    received.retain(|r| kind_of(r) == kind && build.is_none_or(|b| r.body.contains(b)));
    received
}

/// The event kind a request tells, read as each platform carries it.
fn kind_of(received: &Received) -> String {
    let body = received.json();
    if received.platform() == "webhook" {
        return body["event"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_string();
    }
    let text = match received.platform() {
        "feishu" => body["content"]["post"]["zh_cn"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        "slack" => body["text"].as_str().unwrap_or_default().to_string(),
        _ => body["text"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    let title = text.lines().next().unwrap_or_default();
    let words = title.rsplit(": ").next().unwrap_or_default();
    match words {
        "drift found" => "drift_found".into(),
        other => other.replace(' ', "_"),
    }
}

const CHATS: [&str; 4] = ["dingtalk", "feishu", "wecom", "slack"];

fn each_chat_told_once(sink: &Sink, kind: &str, build: &str) -> bool {
    CHATS
        .iter()
        .all(|p| told(sink, p, kind, Some(build)).len() == 1)
        && told(sink, "webhook", kind, Some(build)).len() == 1
}

fn assert_nothing_secret(texts: &[(&str, String)]) {
    for (what, text) in texts {
        for secret in NEVER_SHOWN {
            assert!(!text.contains(secret), "{secret} in {what}: {text}");
        }
    }
}

fn passes(daemon: &Daemon) -> f64 {
    ["success", "partial", "failed"]
        .iter()
        .map(|r| daemon.metric(&format!("zadig_sync_passes_total{{result=\"{r}\"}}")))
        .sum()
}

#[test]
fn each_platform_is_told_once_per_episode_in_its_format_and_never_a_secret() {
    let sink = Sink::start(secrets());
    let emulator = Emulator::start(&[]);
    emulator.set_faults(serde_json::json!({"fail_writes_to": ["shop-worker"]}));
    let dir = workspace(&[
        ("zadig-sync.yaml", SCOPE),
        ("api.yaml", &api()),
        (
            "worker.yaml",
            &vm_build("shop", "shop-worker", "make worker"),
        ),
    ]);
    let env = sink_env(&sink);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let args = [
        "--interval",
        "1s",
        "--drift",
        "report",
        "--external-url",
        "https://sync.example.com/zadig",
    ];
    let daemon = Daemon::start(dir.path(), &emulator, &args, &env);

    // A failing build: told once, however often it is retried.
    daemon.wait("every sink is told shop-worker failed", || {
        each_chat_told_once(&sink, "failed", "shop-worker")
    });
    daemon.wait("shop-worker was tried again", || {
        status_json(&daemon, "state=failing")["builds"][0]["attempts"].as_u64() >= Some(2)
    });
    assert!(
        each_chat_told_once(&sink, "failed", "shop-worker"),
        "{:#?}",
        sink.received()
    );
    // And again when it recovers.
    emulator.set_faults(serde_json::json!({}));
    daemon.wait("every sink is told shop-worker recovered", || {
        each_chat_told_once(&sink, "recovered", "shop-worker")
    });

    // Drift: told once until it changes.
    edit_api_in_zadig(&emulator, "ubuntu 20.04");
    daemon.wait("every sink is told of the drift", || {
        each_chat_told_once(&sink, "drift_found", "shop-api")
    });
    let seen = passes(&daemon);
    daemon.wait("three more passes", || passes(&daemon) >= seen + 3.0);
    assert!(
        each_chat_told_once(&sink, "drift_found", "shop-api"),
        "{:#?}",
        sink.received()
    );
    edit_api_in_zadig(&emulator, "ubuntu 18.04");
    daemon.wait("a changed drift is told again", || {
        CHATS
            .iter()
            .all(|p| told(&sink, p, "drift_found", Some("shop-api")).len() == 2)
    });

    // Every request passed the platform's own checks, and says what happened where.
    for received in sink.received() {
        assert_eq!(received.verdict, Ok(()), "{received:#?}");
    }
    let wecom = &told(&sink, "wecom", "failed", Some("shop-worker"))[0].json()["text"]["content"];
    let text = wecom.as_str().unwrap();
    assert!(
        text.starts_with("[zadig-sync] shop/shop-worker: failed\ncreate failed (attempt 1"),
        "{text}"
    );
    assert!(text.contains("\nrevision: sha256:"), "{text}");
    assert!(
        text.ends_with(
            "\nstatus: https://sync.example.com/zadig/?project=shop#build=shop%2Fshop-worker"
        ),
        "{text}"
    );
    let drift =
        &told(&sink, "dingtalk", "drift_found", Some("shop-api"))[0].json()["text"]["content"];
    let drift = drift.as_str().unwrap();
    assert!(
        drift.contains("build_os: \"ubuntu 20.04\" → \"ubuntu 22.04\""),
        "{drift}"
    );
    assert!(
        drift.contains("(sensitive)"),
        "the parameter holding the secret is redacted: {drift}"
    );
    assert!(
        drift.contains("\npull with: zadig-sync pull --build shop-api\n"),
        "{drift}"
    );
    assert!(
        told(&sink, "slack", "applied", None).is_empty(),
        "chats are not told every write by default"
    );
    assert!(
        !told(&sink, "webhook", "applied", Some("shop-api")).is_empty(),
        "the webhook asked for all"
    );
    assert!(
        daemon.metric(r#"zadig_sync_notifications_total{sink="ci-hook",result="sent"}"#) >= 6.0
    );
    assert_eq!(
        daemon.metric(r#"zadig_sync_notifications_total{sink="wecom",result="sent"}"#),
        4.0
    );
    assert_eq!(
        daemon.metric(r#"zadig_sync_notifications_total{sink="dingtalk",result="failed"}"#),
        0.0
    );

    let mut shown: Vec<(&str, String)> = sink
        .received()
        .into_iter()
        .map(|r| ("a message", r.body))
        .collect();
    shown.push(("the log", daemon.logs()));
    shown.push(("the metrics", daemon.metrics()));
    shown.push(("the status", daemon.get("/api/v1/status?kept=true").1));
    shown.push(("the events", daemon.get("/api/v1/events").1));
    assert_nothing_secret(&shown);
}

#[test]
fn zadig_unreachable_is_told_once_until_it_is_back_and_a_failing_sink_is_retried() {
    let sink = Sink::start(secrets());
    let emulator = Emulator::start(&[]);
    let addr = emulator.addr.clone();
    let scope = "projects: [shop]\nnotify:\n  - kind: webhook\n    url: ${env:HOOK_URL}\n    \
                 secret: ${env:HOOK_SECRET}\n    events: [zadig_unreachable, zadig_back]\n";
    let dir = workspace(&[
        ("zadig-sync.yaml", scope),
        ("api.yaml", &vm_build("shop", "shop-api", "make")),
    ]);
    let env = sink_env(&sink);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let daemon = Daemon::start(dir.path(), &emulator, &["--interval", "1s"], &env);
    daemon.wait_ready();

    sink.fail_next(2);
    drop(emulator);
    let failed = |daemon: &Daemon| daemon.metric(r#"zadig_sync_passes_total{result="failed"}"#);
    daemon.wait("three passes could not read Zadig", || {
        failed(&daemon) >= 3.0
    });
    daemon.wait("the sink got the message on the third attempt", || {
        sink.received().len() >= 3
    });
    let unreachable = sink.received();
    assert_eq!(
        unreachable.len(),
        3,
        "one event, three attempts: {unreachable:#?}"
    );
    let ids: Vec<Option<&str>> = unreachable
        .iter()
        .map(|r| r.header("X-Zadig-Sync-Delivery"))
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0] && id.is_some()),
        "{ids:?}"
    );
    assert_eq!(kind_of(&unreachable[2]), "zadig_unreachable");
    daemon.wait("the delivery is counted", || {
        daemon.metric(r#"zadig_sync_notifications_total{sink="webhook",result="sent"}"#) == 1.0
    });

    let _emulator = Emulator::start_at(&addr, &[]);
    daemon.wait("Zadig is back", || sink.received().len() >= 4);
    let seen = passes(&daemon);
    daemon.wait("two more passes", || passes(&daemon) >= seen + 2.0);
    let kinds: Vec<String> = sink.received().iter().map(kind_of).collect();
    assert_eq!(
        kinds,
        [
            "zadig_unreachable",
            "zadig_unreachable",
            "zadig_unreachable",
            "zadig_back"
        ]
    );
    assert!(sink.received().iter().all(|r| r.verdict.is_ok()));
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write");
}

#[test]
fn sinks_are_checked_before_the_daemon_starts_and_never_quoted() {
    // A literal URL in the committed scope file: `validate` refuses it, offline.
    let literal = "projects: [shop]\nnotify:\n  - kind: slack\n    url: https://hooks.slack.com/services/T/B/LITERAL-SECRET\n";
    let dir = workspace(&[
        ("zadig-sync.yaml", literal),
        ("api.yaml", &vm_build("shop", "shop-api", "make")),
    ]);
    let output = command(dir.path())
        .arg("validate")
        .output()
        .expect("validate");
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let text = describe(&output);
    assert!(
        text.contains("zadig-sync.yaml:4:10") && text.contains("must come from `${env:NAME}`"),
        "{text}"
    );
    assert!(!text.contains("LITERAL-SECRET"), "{text}");

    // A variable that is not set: the daemon does not start, and says which.
    write(
        &dir.path().join("builds.d/zadig-sync.yaml"),
        &SCOPE.replace("DT_URL", "UNSET_DT_URL"),
    );
    let emulator = Emulator::start(&[]);
    let output = command(dir.path())
        .args(["daemon", "--listen", "127.0.0.1:0"])
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .output()
        .expect("daemon");
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let text = describe(&output);
    assert!(
        text.contains("the notification sinks cannot be used"),
        "{text}"
    );
    assert!(text.contains("`UNSET_DT_URL` is not set"), "{text}");

    // --notify-config takes values as written (it is the secret, kept out of git).
    let sink = Sink::start(secrets());
    let notify = dir.path().join("notify.yaml");
    let config = format!(
        "notify:\n  - kind: wecom\n    url: http://{}/wecom/send?key=WECOM-KEY-7890\n    events: [files_invalid]\n",
        sink.addr
    );
    write(&notify, &config);
    write(
        &dir.path().join("builds.d/zadig-sync.yaml"),
        "projects: [shop]\n",
    );
    let notify = notify.display().to_string();
    let daemon = Daemon::start(
        dir.path(),
        &emulator,
        &["--interval", "1h", "--notify-config", &notify],
        &[],
    );
    daemon.wait_ready();
    write(
        &dir.path().join("builds.d/broken.yaml"),
        "name: broken\nproject_key: shop\nnope: 1\n",
    );
    daemon.wait("the files' errors are told", || sink.to("wecom").len() == 1);
    let content = sink.to("wecom")[0].json()["text"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        content.starts_with(
            "[zadig-sync] the files are invalid\nthe files have 4 error(s): nothing is written"
        ),
        "{content}"
    );
    assert_nothing_secret(&[("the log", daemon.logs())]);
}

#[test]
fn the_example_scope_file_has_a_sink_of_each_kind() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/notify/zadig-sync.yaml.example");
    let text = std::fs::read_to_string(&path).expect("the example");
    let scope = zadig_sync::load::scope::parse_scope(&text, &path).expect("a valid scope file");
    let kinds: Vec<&str> = scope.notify.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["dingtalk", "feishu", "wecom", "slack", "webhook"]);
    let env = |name: &str| Some(format!("https://chat.example.com/{name}"));
    let problems = zadig_sync::daemon::notify::resolve_sinks(&scope.notify, &path, &env)
        .expect_err("the DingTalk secret's file exists only where the daemon runs");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .to_string()
            .contains("/run/secrets/dingtalk-secret"),
        "{problems:?}"
    );
}
