//! The sinks as the sender uses them: each [`SinkSpec`] with its `url` and `secret` resolved
//! from `${env:…}`/`${file:…}` and checked (an https URL, or http to loopback only: the URL
//! carries the robot's token). Their values are secrets: [`Sink`]'s `Debug` hides them, no
//! message quotes them, and they are handed to the log's redaction when the daemon starts.
//! Reads the files `${file:…}` names.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use crate::daemon::status::doc::EventView;
use crate::load::ReferenceMode;
use crate::load::diagnostic::Diagnostic;
use crate::load::files::{self, MAX_FILE_BYTES};
use crate::load::finding::Finding;
use crate::load::notify::SinkSpec;
use crate::load::refs::{Resolver, resolve_tree};
use crate::load::yaml::Node;

pub use crate::load::notify::{EVENT_KINDS, SinkKind};

/// A sink ready to send to.
#[derive(Clone)]
pub struct Sink {
    pub name: String,
    pub kind: SinkKind,
    pub url: url::Url,
    pub secret: Option<String>,
    pub events: BTreeSet<&'static str>,
    pub projects: Vec<String>,
}

/// Names the sink, never its URL or secret.
impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sink")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("events", &self.events)
            .field("projects", &self.projects)
            .finish_non_exhaustive()
    }
}

impl Sink {
    /// Whether this sink is told `event`: one it picked, about a project it picked (events
    /// about the daemon as a whole go to all), and news (a build failing again after its
    /// backoff is the same episode: told once, at its first failure).
    pub fn wants(&self, event: &EventView) -> bool {
        let project = match &event.project {
            Some(project) => self.projects.is_empty() || self.projects.contains(project),
            None => true,
        };
        let repeat = event.kind == "failed" && event.attempts.is_some_and(|a| a > 1);
        self.events.contains(event.kind.as_str()) && project && !repeat
    }

    /// The values to hide from every log line: the URL, its path and query, the long values
    /// of its query (DingTalk's `access_token`, WeCom's `key`) and its last path segment
    /// (Slack's and Feishu's token), and the secret. Not its other segments: hiding
    /// `services` or `open-apis` in every log line would garble them and hide nothing.
    pub fn secrets(&self) -> Vec<String> {
        let long = |text: &str| (text.len() >= 8).then(|| text.to_string());
        let mut secrets = vec![self.url.to_string(), self.url.path().to_string()];
        secrets.extend(self.url.query().map(str::to_string));
        secrets.extend(self.url.query_pairs().filter_map(|(_, value)| long(&value)));
        let last = self
            .url
            .path_segments()
            .and_then(|mut segments| segments.next_back());
        secrets.extend(last.and_then(long));
        secrets.extend(self.secret.clone());
        secrets
    }
}

/// The sinks of `specs`, written in `file`, with their references resolved (`env` gives the
/// environment); every problem at its place, never quoting a value.
pub fn resolve_sinks(
    specs: &[SinkSpec],
    file: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Sink>, Vec<Diagnostic>> {
    let read = |path: &Path| files::read_named_file(path, MAX_FILE_BYTES);
    let resolver = Resolver {
        mode: ReferenceMode::Online,
        env,
        read: &read,
        base_dir: file.parent().unwrap_or(Path::new(".")),
        defaults_dirs: &[],
    };
    let mut findings = Vec::new();
    let mut sinks = Vec::new();
    for spec in specs {
        let url = resolved(&spec.url, &resolver, &mut findings)
            .and_then(|text| checked_url(&text, spec, &mut findings));
        let secret =
            (spec.secret.as_ref()).and_then(|node| resolved(node, &resolver, &mut findings));
        if let Some(url) = url {
            sinks.push(Sink {
                name: spec.name.clone(),
                kind: spec.kind,
                url,
                secret,
                events: spec.events.clone(),
                projects: spec.projects.clone(),
            });
        }
    }
    if findings.iter().any(Finding::is_error) {
        return Err(findings
            .into_iter()
            .map(|f| f.into_diagnostic(file))
            .collect());
    }
    Ok(sinks)
}

/// The text of `node` with its references resolved, when they all could be.
fn resolved(node: &Node, resolver: &Resolver<'_>, findings: &mut Vec<Finding>) -> Option<String> {
    let mut node = node.clone();
    let before = findings.len();
    let mut ignored = Vec::new();
    resolve_tree(&mut node, resolver, findings, &mut ignored);
    let text = node.text()?.trim().to_string();
    (findings.len() == before && !text.is_empty()).then_some(text)
}

/// An absolute https URL, or http to a loopback address; the message never shows it.
fn checked_url(text: &str, spec: &SinkSpec, findings: &mut Vec<Finding>) -> Option<url::Url> {
    let name = &spec.name;
    let problem = match url::Url::parse(text) {
        Err(error) => format!("sink `{name}`: its `url` is not a URL ({error})"),
        Ok(url) if url.scheme() == "https" => return Some(url),
        Ok(url) if url.scheme() == "http" && is_loopback(&url) => return Some(url),
        Ok(_) => format!(
            "sink `{name}`: its `url` must be https:// (http:// only to a loopback address): \
             it carries the robot's token"
        ),
    };
    findings.push(Finding::error("notify", spec.url.pos, problem));
    None
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::events::Event;
    use crate::load::notify::sinks;
    use crate::load::yaml;

    fn specs(text: &str) -> Vec<SinkSpec> {
        let doc = yaml::parse_documents(text).unwrap().remove(0);
        let mut findings = Vec::new();
        let specs = sinks(doc.get("notify").unwrap(), true, &mut findings);
        assert!(findings.is_empty(), "{findings:?}");
        specs
    }

    #[test]
    fn references_are_resolved_and_urls_checked_without_quoting_them() {
        let specs = specs(
            "notify:\n- kind: dingtalk\n  url: ${env:DT}\n  secret: ${env:DT_SECRET}\n\
             - kind: slack\n  url: ${env:PLAIN}\n- kind: wecom\n  url: ${env:MISSING}\n",
        );
        let env = |name: &str| match name {
            "DT" => Some("https://oapi.dingtalk.com/robot/send?access_token=tok-123456".into()),
            "DT_SECRET" => Some("SECabc".into()),
            "PLAIN" => Some("http://hooks.example.com/services/T0/B0/xyz-secret-path".into()),
            _ => None,
        };
        let problems = resolve_sinks(&specs, Path::new("d/zadig-sync.yaml"), &env).unwrap_err();
        let text: Vec<String> = problems.iter().map(|d| d.to_string()).collect();
        assert_eq!(problems.len(), 2, "{text:?}");
        assert!(
            text[0].contains("sink `slack`: its `url` must be https://"),
            "{text:?}"
        );
        assert!(text[1].contains("`MISSING` is not set"), "{text:?}");
        assert!(
            text.iter().all(|t| !t.contains("xyz-secret-path")),
            "{text:?}"
        );

        let good = resolve_sinks(&specs[..1], Path::new("zadig-sync.yaml"), &env).unwrap();
        assert_eq!(good[0].secret.as_deref(), Some("SECabc"));
        let shown = format!("{:?}", good[0]);
        assert!(
            !shown.contains("tok-123456") && !shown.contains("SECabc"),
            "{shown}"
        );
        assert!(
            good[0]
                .secrets()
                .iter()
                .any(|s| s == "access_token=tok-123456")
        );
    }

    #[test]
    fn the_event_kinds_are_the_events_names_in_order() {
        use crate::apply::outcome::Failure;
        use crate::reconcile::BuildId;
        use crate::reconcile::plan::Action;
        let build = || BuildId::new("p", "b");
        let reason = || "why".to_string();
        let every = [
            Event::Applied {
                build: build(),
                action: Action::Create,
                cause: None,
                changes: Vec::new(),
                updated_by: None,
            },
            Event::Failed {
                build: build(),
                action: Action::Update,
                error: Failure::new("k", "r"),
                attempts: 1,
                changes: Vec::new(),
            },
            Event::Recovered { build: build() },
            Event::DriftFound {
                build: build(),
                missing: false,
                changes: Vec::new(),
                updated_by: None,
            },
            Event::Deleted { build: build() },
            Event::DeletionRefused {
                build: build(),
                reason: reason(),
            },
            Event::Refused {
                build: build(),
                reason: reason(),
            },
            Event::KeptNotDeleted { build: build() },
            Event::FilesInvalid { errors: 1 },
            Event::FilesValidAgain,
            Event::ZadigUnreachable { reason: reason() },
            Event::TokenRefused { reason: reason() },
            Event::ZadigBack,
            Event::CommitFetched {
                commit: "0123456789abcdef".into(),
                reference: "main".into(),
                signer: None,
            },
            Event::CommitRefused {
                commit: "0123456789abcdef".into(),
                reference: "main".into(),
                reason: reason(),
            },
            Event::GitUnreachable { reason: reason() },
            Event::GitBack,
        ];
        assert_eq!(every.map(|event| event.kind()), EVENT_KINDS);
    }
}
