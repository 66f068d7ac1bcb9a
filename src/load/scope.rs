//! The scope file, `zadig-sync.yaml` at the root of the build directory: which projects the
//! files manage (so that a project whose last file was removed is still pruned), and the
//! defaults of some command-line settings. Never read as a build file. Parsing is pure
//! ([`parse_scope`]); [`read_scope`] reads the file. Every problem is a [`Diagnostic`] at
//! file:line:column, like the build files'.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde_json::Value as Json;

use crate::load::diagnostic::Diagnostic;
use crate::load::files::{self, MAX_FILE_BYTES};
use crate::load::finding::{Finding, origin};
use crate::load::notify::{SinkSpec, sinks};
use crate::load::yaml::{self, Node, Pos, Scalar, Value};

/// The scope file's name, at the root of the build directory (the walk skips it there).
pub use crate::load::files::SCOPE_FILE;

/// What the scope file says. Settings it leaves out are `None`: the flag, the environment or
/// the built-in default decides them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// Where the file is, for messages.
    pub path: PathBuf,
    /// The managed projects, in file order, without repeats.
    pub projects: Vec<String>,
    pub url: Option<String>,
    pub rate_limit: Option<u32>,
    pub concurrency: Option<u32>,
    pub prune: Option<bool>,
    pub max_deletes: Option<usize>,
    /// Where the daemon tells what happens (`notify:`), secrets unresolved.
    pub notify: Vec<SinkSpec>,
}

impl Scope {
    pub fn manages(&self, project: &str) -> bool {
        self.projects.iter().any(|p| p == project)
    }
}

/// The scope file of the build directory `dir`: `Ok(None)` when there is none.
pub fn read_scope(dir: &Path) -> Result<Option<Scope>, Vec<Diagnostic>> {
    let path = dir.join(SCOPE_FILE);
    if !path.exists() {
        return Ok(None);
    }
    match files::read_text(&path, MAX_FILE_BYTES) {
        Ok(text) => parse_scope(&text, &path).map(Some),
        Err(error) => {
            let at = origin(&path, Pos::START);
            Err(vec![Diagnostic::error(
                "unreadable-file",
                Some(at),
                error.to_string(),
            )])
        }
    }
}

/// Parses the text of the scope file at `path` (the path is only for messages).
pub fn parse_scope(text: &str, path: &Path) -> Result<Scope, Vec<Diagnostic>> {
    let mut parser = Parser {
        findings: Vec::new(),
    };
    let scope = parser.document(text, path);
    if parser.findings.iter().any(Finding::is_error) {
        parser.findings.sort_by_key(|f| f.pos);
        return Err(parser
            .findings
            .into_iter()
            .map(|f| f.into_diagnostic(path))
            .collect());
    }
    Ok(scope)
}

struct Parser {
    findings: Vec<Finding>,
}

const TOP: Pos = Pos::START;

impl Parser {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.findings
            .push(Finding::error("scope-file", pos, message.into()));
    }

    fn document(&mut self, text: &str, path: &Path) -> Scope {
        let mut scope = Scope {
            path: path.to_path_buf(),
            ..Scope::default()
        };
        let documents = match yaml::parse_documents(text) {
            Ok(documents) => documents,
            Err(error) => {
                self.error(error.pos.unwrap_or(TOP), error.message);
                return scope;
            }
        };
        let [doc] = documents.as_slice() else {
            self.error(
                TOP,
                format!("{SCOPE_FILE} must hold one YAML document with `projects:` (the managed projects)"),
            );
            return scope;
        };
        if !matches!(doc.value, Value::Map(_)) {
            let found = doc.describe();
            self.error(
                doc.pos,
                format!("{SCOPE_FILE} must be a mapping with `projects:`, found {found}"),
            );
            return scope;
        }
        self.entries(doc, &mut scope);
        scope
    }

    fn entries(&mut self, doc: &Node, scope: &mut Scope) {
        let mut has_projects = false;
        for (key, value) in doc.entries() {
            let name = key.text().unwrap_or_default();
            if matches!(value.value, Value::Null) && name != "projects" && KEYS.contains(&name) {
                continue;
            }
            match name {
                "projects" => {
                    has_projects = true;
                    scope.projects = self.projects(value);
                }
                "url" => scope.url = self.text(name, value),
                "rate_limit" => scope.rate_limit = self.number(name, value, 0),
                "concurrency" => scope.concurrency = self.number(name, value, 1),
                "prune" => scope.prune = self.boolean(name, value),
                "max_deletes" => {
                    scope.max_deletes = self.number(name, value, 0).map(|n| n as usize);
                }
                "notify" => scope.notify = sinks(value, true, &mut self.findings),
                _ => self.error(
                    key.pos,
                    format!(
                        "unknown key `{name}` in {SCOPE_FILE}; expected one of: {}",
                        KEYS.join(", ")
                    ),
                ),
            }
        }
        if !has_projects {
            self.error(
                doc.pos,
                format!("{SCOPE_FILE} must list the managed projects under `projects:`"),
            );
        }
    }

    fn projects(&mut self, value: &Node) -> Vec<String> {
        if !matches!(value.value, Value::Seq(_)) {
            let found = value.describe();
            self.error(
                value.pos,
                format!("`projects` must be a list of project keys, found {found}"),
            );
            return Vec::new();
        }
        let mut seen = BTreeSet::new();
        let mut projects = Vec::new();
        for item in value.items() {
            let Value::Scalar(Scalar::Str(project)) = &item.value else {
                let found = item.describe();
                self.error(
                    item.pos,
                    format!("a project key must be text, found {found}"),
                );
                continue;
            };
            if project.trim().is_empty() || project.trim() != project {
                self.error(item.pos, format!("`{project}` is not a project key: it must be non-empty, without spaces around it"));
            } else if !seen.insert(project.clone()) {
                self.error(item.pos, format!("project `{project}` is listed twice"));
            } else {
                projects.push(project.clone());
            }
        }
        projects
    }

    fn text(&mut self, name: &str, value: &Node) -> Option<String> {
        match &value.value {
            Value::Scalar(Scalar::Str(text)) if !text.trim().is_empty() => Some(text.clone()),
            _ => {
                let found = value.describe();
                self.error(
                    value.pos,
                    format!("`{name}` must be non-empty text, found {found}"),
                );
                None
            }
        }
    }

    fn boolean(&mut self, name: &str, value: &Node) -> Option<bool> {
        let found = value.describe();
        let parsed = value.as_bool();
        if parsed.is_none() {
            self.error(
                value.pos,
                format!("`{name}` must be true or false, found {found}"),
            );
        }
        parsed
    }

    /// A whole number from `min` to `u32::MAX`.
    fn number(&mut self, name: &str, value: &Node, min: u32) -> Option<u32> {
        if let Value::Scalar(Scalar::Int(number, _)) = value.value
            && let Ok(number) = u32::try_from(number)
            && number >= min
        {
            return Some(number);
        }
        let shown = value
            .text()
            .map_or_else(|| value.describe().to_string(), |t| format!("`{t}`"));
        self.error(
            value.pos,
            format!(
                "`{name}` must be a whole number from {min} to {}, found {shown}",
                u32::MAX
            ),
        );
        None
    }
}

/// The keys a scope file may hold.
const KEYS: [&str; 7] = [
    "projects",
    "url",
    "rate_limit",
    "concurrency",
    "prune",
    "max_deletes",
    "notify",
];

// The scope file as a JSON Schema, generated from this type (never deserialised: the parser
// above reports every problem with its place). Its doc comments are the schema's descriptions.
/// `zadig-sync.yaml` at the root of the build directory: the projects the build files manage,
/// and defaults for command-line settings (flags and environment variables win).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct ScopeFile {
    /// The projects the build files manage. A project listed here whose last file was removed
    /// still has its builds planned for deletion (with `--prune`); a build file naming a
    /// project not listed here is an error.
    projects: Vec<String>,
    /// Zadig's address, when neither `--url` nor `ZADIG_URL` gives one.
    url: Option<String>,
    /// Requests per second to Zadig at most (0 = no limit), unless `--rate-limit` is given.
    rate_limit: Option<u32>,
    /// Requests in flight to Zadig at most, unless `--concurrency` is given.
    #[schemars(range(min = 1))]
    concurrency: Option<u32>,
    /// `true`: delete marked builds no file describes, as `--prune` does.
    prune: Option<bool>,
    /// Refuse all deletions when more than this many would be made, unless `--max-deletes`
    /// is given.
    max_deletes: Option<u32>,
    /// Where `zadig-sync daemon` tells what happens (read when it starts).
    notify: Option<Vec<SinkFile>>,
}

/// One notification sink.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct SinkFile {
    kind: SinkKindFile,
    /// Names the sink in the `zadig_sync_notifications_total` metric (default: its kind).
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{1,40}$"))]
    name: Option<String>,
    /// The webhook or robot URL, from `${env:NAME}` or `${file:PATH}` (it holds a token).
    url: String,
    /// The signing secret (webhook, dingtalk, feishu), from `${env:NAME}` or `${file:PATH}`.
    secret: Option<String>,
    /// The events to send (`all`, or event kinds); default: everything that needs a look.
    events: Option<Vec<String>>,
    /// Only events about builds of these projects (default: all).
    projects: Option<Vec<String>>,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "lowercase")]
#[allow(dead_code)]
enum SinkKindFile {
    Webhook,
    Slack,
    Dingtalk,
    Feishu,
    Wecom,
}

/// The draft-07 JSON Schema of `zadig-sync.yaml`, printed by `zadig-sync schema --scope`.
pub fn scope_schema() -> Json {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<ScopeFile>().to_value();
    if let Json::Object(map) = &mut schema {
        map.insert(
            "$id".into(),
            "https://github.com/zadig-sync/zadig-sync/scope-file.schema.json".into(),
        );
        map.insert(
            "title".into(),
            "zadig-sync scope file (zadig-sync.yaml)".into(),
        );
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        parse_scope(text, Path::new("d/zadig-sync.yaml"))
            .expect_err("invalid")
            .iter()
            .map(|d| format!("{}: {}", d.origin.as_ref().expect("placed"), d.message))
            .collect()
    }

    #[test]
    fn every_key_is_read() {
        let text = "projects: [shop, web]\nurl: https://z.example\nrate_limit: 0\n\
                    concurrency: 4\nprune: true\nmax_deletes: 10\n";
        let scope = parse_scope(text, Path::new("zadig-sync.yaml")).expect("valid");
        assert_eq!(scope.projects, ["shop", "web"]);
        assert_eq!(scope.url.as_deref(), Some("https://z.example"));
        assert_eq!(
            (
                scope.rate_limit,
                scope.concurrency,
                scope.prune,
                scope.max_deletes
            ),
            (Some(0), Some(4), Some(true), Some(10))
        );
        assert!(scope.manages("web") && !scope.manages("ops"));
        let empty = parse_scope("projects: []\n", Path::new("s")).expect("valid");
        assert!(empty.projects.is_empty() && empty.url.is_none());
    }

    #[test]
    fn each_problem_is_reported_at_its_place() {
        let text =
            "projects:\n  - shop\n  - shop\n  - 7\nconcurrency: 0\nprune: yes\nurl: 8\nextra: 1\n";
        assert_eq!(
            errors(text),
            [
                "d/zadig-sync.yaml:3:5: project `shop` is listed twice",
                "d/zadig-sync.yaml:4:5: a project key must be text, found a number",
                "d/zadig-sync.yaml:5:14: `concurrency` must be a whole number from 1 to 4294967295, found `0`",
                "d/zadig-sync.yaml:6:8: `prune` must be true or false, found text",
                "d/zadig-sync.yaml:7:6: `url` must be non-empty text, found a number",
                "d/zadig-sync.yaml:8:1: unknown key `extra` in zadig-sync.yaml; expected one of: \
                 projects, url, rate_limit, concurrency, prune, max_deletes, notify",
            ]
        );
    }

    #[test]
    fn projects_are_required_and_the_file_is_one_mapping() {
        assert_eq!(
            errors("url: https://z\n"),
            [
                "d/zadig-sync.yaml:1:1: zadig-sync.yaml must list the managed projects under `projects:`"
            ]
        );
        assert_eq!(errors("projects: shop\n").len(), 1);
        assert_eq!(errors("- shop\n").len(), 1);
        assert_eq!(errors("").len(), 1);
        assert_eq!(errors("projects: [a]\n---\nprojects: [b]\n").len(), 1);
        assert_eq!(errors("projects: [a\n").len(), 1);
    }

    #[test]
    fn the_schema_requires_projects_and_refuses_other_keys() {
        let schema = scope_schema();
        assert_eq!(schema["required"], serde_json::json!(["projects"]));
        assert_eq!(schema["additionalProperties"], false);
        let mut keys: Vec<&str> = schema["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut expected = KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(
            keys, expected,
            "the schema and the parser know the same keys"
        );
    }
}
