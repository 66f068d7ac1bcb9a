//! The `notify:` list: where the daemon tells what happens (docs/daemon.md, "Notifications"),
//! in the scope file or in a file of its own (`daemon --notify-config FILE`). Each sink is
//! checked here and every problem reported at file:line:column; its `url` and `secret` stay
//! unresolved YAML nodes (`${env:…}`/`${file:…}`), resolved by `notify::config` when the
//! daemon starts. Those values are secrets (a robot's URL carries its token), so no message
//! here quotes them. Pure: parsing only.

use std::collections::BTreeSet;
use std::path::Path;

use crate::load::diagnostic::Diagnostic;
use crate::load::finding::Finding;
use crate::load::refs::has_reference;
use crate::load::yaml::{self, Node, Pos, Scalar, Value};

/// Every event kind, as `Event::kind` names them.
pub const EVENT_KINDS: [&str; 17] = [
    "applied",
    "failed",
    "recovered",
    "drift_found",
    "deleted",
    "deletion_refused",
    "refused",
    "kept_not_deleted",
    "files_invalid",
    "files_valid_again",
    "zadig_unreachable",
    "token_refused",
    "zadig_back",
    "commit_fetched",
    "commit_refused",
    "git_unreachable",
    "git_back",
];

/// Where a sink sends, and so the shape and signature of its requests (`format.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SinkKind {
    /// Any HTTP endpoint: the event as JSON, signed with HMAC-SHA256 when a secret is set.
    Webhook,
    /// A Slack incoming webhook.
    Slack,
    /// A DingTalk (钉钉) custom robot, signed when it has a secret.
    Dingtalk,
    /// A Feishu (飞书) or Lark custom bot, signed when it has a secret.
    Feishu,
    /// A WeCom (企业微信) group robot.
    Wecom,
}

impl SinkKind {
    pub const ALL: [SinkKind; 5] = [
        SinkKind::Webhook,
        SinkKind::Slack,
        SinkKind::Dingtalk,
        SinkKind::Feishu,
        SinkKind::Wecom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SinkKind::Webhook => "webhook",
            SinkKind::Slack => "slack",
            SinkKind::Dingtalk => "dingtalk",
            SinkKind::Feishu => "feishu",
            SinkKind::Wecom => "wecom",
        }
    }

    pub fn parse(text: &str) -> Option<SinkKind> {
        SinkKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// Whether the platform signs with a secret (Slack's and WeCom's URLs are their only
    /// credential).
    pub fn signs(self) -> bool {
        matches!(
            self,
            SinkKind::Webhook | SinkKind::Dingtalk | SinkKind::Feishu
        )
    }
}

/// One sink as written, its secrets unresolved.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkSpec {
    pub kind: SinkKind,
    /// Unique among the sinks; the `sink` label of its metric.
    pub name: String,
    pub url: Node,
    pub secret: Option<Node>,
    /// The event kinds it wants.
    pub events: BTreeSet<&'static str>,
    /// Only events about builds of these projects (all when empty); events about the daemon
    /// as a whole (Zadig unreachable, files invalid) go to every sink that wants them.
    pub projects: Vec<String>,
    /// Where it is written, for messages.
    pub pos: Pos,
}

/// The events a sink gets when it does not say: everything that needs a look, and the end
/// of it; not every write that went well.
pub const DEFAULT_EVENTS: [&str; 10] = [
    "failed",
    "recovered",
    "drift_found",
    "deletion_refused",
    "refused",
    "files_invalid",
    "files_valid_again",
    "zadig_unreachable",
    "token_refused",
    "zadig_back",
];

const KEYS: [&str; 6] = ["kind", "name", "url", "secret", "events", "projects"];

/// The file of `--notify-config`: one mapping with `notify:` (values may be written in it
/// directly: it is not committed, it is the secret).
pub fn parse_notify_file(text: &str, path: &Path) -> Result<Vec<SinkSpec>, Vec<Diagnostic>> {
    let mut findings = Vec::new();
    let sinks = match yaml::parse_documents(text) {
        Ok(documents) => match documents.as_slice() {
            [doc] if doc.entries().len() == 1 && doc.get("notify").is_some() => {
                let list = doc.get("notify").unwrap_or(doc);
                sinks(list, false, &mut findings)
            }
            _ => {
                let message =
                    "a notification file holds one mapping with `notify:` (a list of sinks)";
                findings.push(Finding::error("notify-file", Pos::START, message));
                Vec::new()
            }
        },
        Err(error) => {
            let pos = error.pos.unwrap_or(Pos::START);
            findings.push(Finding::error("notify-file", pos, error.message));
            Vec::new()
        }
    };
    if findings.iter().any(Finding::is_error) {
        return Err(findings
            .into_iter()
            .map(|f| f.into_diagnostic(path))
            .collect());
    }
    Ok(sinks)
}

/// The sinks of a `notify:` list. In a committed file (`committed`), `url` and `secret` must
/// come from `${env:…}` or `${file:…}`.
pub fn sinks(list: &Node, committed: bool, findings: &mut Vec<Finding>) -> Vec<SinkSpec> {
    if !matches!(list.value, Value::Seq(_)) {
        let found = list.describe();
        findings.push(error(
            list.pos,
            format!("`notify` must be a list of sinks, found {found}"),
        ));
        return Vec::new();
    }
    let mut names = BTreeSet::new();
    let mut specs = Vec::new();
    for (index, item) in list.items().iter().enumerate() {
        let Some(spec) = sink(item, committed, findings) else {
            continue;
        };
        let name = spec.name.clone();
        if !names.insert(name.clone()) {
            let advice = "give each a different `name:`";
            let message = format!(
                "two sinks are named `{name}` (sink {}); {advice}",
                index + 1
            );
            findings.push(error(item.pos, message));
        }
        specs.push(spec);
    }
    specs
}

fn error(pos: Pos, message: impl Into<String>) -> Finding {
    Finding::error("notify", pos, message)
}

fn sink(item: &Node, committed: bool, findings: &mut Vec<Finding>) -> Option<SinkSpec> {
    if !matches!(item.value, Value::Map(_)) {
        let found = item.describe();
        findings.push(error(
            item.pos,
            format!("a sink is a mapping with `kind:` and `url:`, found {found}"),
        ));
        return None;
    }
    let before = findings.len();
    for (key, _) in item.entries() {
        let name = key.text().unwrap_or_default();
        if !KEYS.contains(&name) {
            let message = format!(
                "unknown key `{name}` in a sink; expected one of: {}",
                KEYS.join(", ")
            );
            findings.push(error(key.pos, message));
        }
    }
    let kind = kind(item, findings);
    let url = secret_value(item, "url", committed, findings);
    let secret = item
        .get("secret")
        .and_then(|_| secret_value(item, "secret", committed, findings));
    if let (Some(kind), Some(node)) = (kind, item.get("secret"))
        && !kind.signs()
    {
        let message = format!(
            "a {} sink takes no `secret` (its URL is its credential)",
            kind.as_str()
        );
        findings.push(error(node.pos, message));
    }
    let events = events(item.get("events"), findings);
    let projects = texts(item.get("projects"), "projects", findings);
    let name = sink_name(item, kind, findings);
    if findings.len() > before {
        return None;
    }
    Some(SinkSpec {
        kind: kind?,
        name: name?,
        url: url?,
        secret,
        events,
        projects,
        pos: item.pos,
    })
}

fn kind(item: &Node, findings: &mut Vec<Finding>) -> Option<SinkKind> {
    let expected = SinkKind::ALL.map(SinkKind::as_str).join(", ");
    let Some(node) = item.get("kind") else {
        findings.push(error(
            item.pos,
            format!("a sink needs `kind:` ({expected})"),
        ));
        return None;
    };
    let found = node.text().and_then(SinkKind::parse);
    if found.is_none() {
        findings.push(error(
            node.pos,
            format!("`kind` must be one of: {expected}"),
        ));
    }
    found
}

/// `url` or `secret`: text, from a reference in a committed file. Its value is never quoted.
fn secret_value(
    item: &Node,
    key: &str,
    committed: bool,
    findings: &mut Vec<Finding>,
) -> Option<Node> {
    let Some(node) = item.get(key) else {
        findings.push(error(item.pos, format!("a sink needs `{key}:`")));
        return None;
    };
    let Value::Scalar(Scalar::Str(text)) = &node.value else {
        findings.push(error(
            node.pos,
            format!("`{key}` must be text, found {}", node.describe()),
        ));
        return None;
    };
    if text.trim().is_empty() {
        findings.push(error(node.pos, format!("`{key}` must not be empty")));
        return None;
    }
    if committed && !has_reference(text) {
        let message = format!(
            "`{key}` must come from `${{env:NAME}}` or `${{file:PATH}}`: a robot's URL and \
             signing secret are credentials, and this file is committed"
        );
        findings.push(error(node.pos, message));
        return None;
    }
    Some(node.clone())
}

fn events(node: Option<&Node>, findings: &mut Vec<Finding>) -> BTreeSet<&'static str> {
    let Some(node) = node else {
        return DEFAULT_EVENTS.into_iter().collect();
    };
    let mut events = BTreeSet::new();
    for (text, pos) in text_items(node, "events", findings) {
        if text == "all" {
            events.extend(EVENT_KINDS);
        } else if let Some(kind) = EVENT_KINDS.iter().find(|k| **k == text) {
            events.insert(*kind);
        } else {
            let message = format!(
                "`{text}` is not an event; expected `all` or: {}",
                EVENT_KINDS.join(", ")
            );
            findings.push(error(pos, message));
        }
    }
    events
}

fn texts(node: Option<&Node>, key: &str, findings: &mut Vec<Finding>) -> Vec<String> {
    node.map(|node| text_items(node, key, findings))
        .unwrap_or_default()
        .into_iter()
        .map(|(text, _)| text)
        .collect()
}

/// The non-empty texts of a list.
fn text_items(node: &Node, key: &str, findings: &mut Vec<Finding>) -> Vec<(String, Pos)> {
    if !matches!(node.value, Value::Seq(_)) {
        findings.push(error(
            node.pos,
            format!("`{key}` must be a list, found {}", node.describe()),
        ));
        return Vec::new();
    }
    let mut texts = Vec::new();
    for item in node.items() {
        match &item.value {
            Value::Scalar(Scalar::Str(text)) if !text.trim().is_empty() => {
                texts.push((text.clone(), item.pos))
            }
            _ => findings.push(error(
                item.pos,
                format!("each of `{key}` must be non-empty text"),
            )),
        }
    }
    texts
}

/// `name:` (letters, digits, `-`, `_`; at most 40), else the kind.
fn sink_name(item: &Node, kind: Option<SinkKind>, findings: &mut Vec<Finding>) -> Option<String> {
    let Some(node) = item.get("name") else {
        return kind.map(|kind| kind.as_str().to_string());
    };
    let name = node.text().unwrap_or_default();
    let valid = (1..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        let message = "`name` must be 1 to 40 letters, digits, `-` or `_` (it labels a metric)";
        findings.push(error(node.pos, message));
        return None;
    }
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, committed: bool) -> (Vec<SinkSpec>, Vec<String>) {
        let doc = yaml::parse_documents(text).unwrap().remove(0);
        let mut findings = Vec::new();
        let specs = sinks(doc.get("notify").unwrap(), committed, &mut findings);
        let messages = findings
            .iter()
            .map(|f| format!("{}:{}: {}", f.pos.line(), f.pos.column(), f.message))
            .collect();
        (specs, messages)
    }

    #[test]
    fn a_sink_of_each_kind_with_its_choices() {
        let text = "notify:\n\
            - kind: dingtalk\n  url: ${env:DT_URL}\n  secret: ${file:dt.secret}\n\
            - kind: slack\n  name: ops\n  url: ${env:SLACK_URL}\n  events: [all]\n  projects: [shop]\n\
            - kind: webhook\n  url: ${env:HOOK}\n  events: [applied, failed]\n";
        let (specs, problems) = parse(text, true);
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(
            specs
                .iter()
                .map(|s| (s.kind, s.name.as_str()))
                .collect::<Vec<_>>(),
            [
                (SinkKind::Dingtalk, "dingtalk"),
                (SinkKind::Slack, "ops"),
                (SinkKind::Webhook, "webhook")
            ]
        );
        assert_eq!(specs[0].events, DEFAULT_EVENTS.into_iter().collect());
        assert!(specs[0].secret.is_some());
        assert_eq!(specs[1].events.len(), EVENT_KINDS.len());
        assert_eq!(specs[1].projects, ["shop"]);
        assert_eq!(specs[2].events, ["applied", "failed"].into_iter().collect());
    }

    #[test]
    fn every_problem_is_placed_and_no_value_is_quoted() {
        let text = "notify:\n\
            - kind: teams\n  url: https://hooks.example/SECRET-TOKEN\n\
            - kind: slack\n  url: ${env:A}\n  secret: ${env:B}\n  events: [boom]\n  colour: red\n\
            - kind: wecom\n  url: ${env:C}\n\
            - kind: wecom\n  url: ${env:D}\n\
            - url: ${env:E}\n";
        let (specs, problems) = parse(text, true);
        assert_eq!(
            problems,
            [
                "2:9: `kind` must be one of: webhook, slack, dingtalk, feishu, wecom",
                "3:8: `url` must come from `${env:NAME}` or `${file:PATH}`: a robot's URL and \
                 signing secret are credentials, and this file is committed",
                "8:3: unknown key `colour` in a sink; expected one of: kind, name, url, secret, events, projects",
                "6:11: a slack sink takes no `secret` (its URL is its credential)",
                "7:12: `boom` is not an event; expected `all` or: applied, failed, recovered, \
                 drift_found, deleted, deletion_refused, refused, kept_not_deleted, files_invalid, \
                 files_valid_again, zadig_unreachable, token_refused, zadig_back, commit_fetched, \
                 commit_refused, git_unreachable, git_back",
                "11:3: two sinks are named `wecom` (sink 4); give each a different `name:`",
                "13:3: a sink needs `kind:` (webhook, slack, dingtalk, feishu, wecom)",
            ]
        );
        assert!(problems.iter().all(|p| !p.contains("SECRET-TOKEN")));
        assert_eq!(specs.len(), 2, "the two valid WeCom sinks");
    }

    #[test]
    fn a_notification_file_may_hold_values_and_must_be_one_mapping() {
        let path = Path::new("notify.yaml");
        let specs = parse_notify_file(
            "notify:\n- kind: wecom\n  url: https://q.example/x?key=1\n",
            path,
        )
        .expect("literal values are fine outside the committed scope file");
        assert_eq!(specs[0].url.text(), Some("https://q.example/x?key=1"));
        let problems = parse_notify_file("projects: [a]\n", path).unwrap_err();
        assert!(
            problems[0].message.contains("one mapping with `notify:`"),
            "{problems:?}"
        );
    }
}
