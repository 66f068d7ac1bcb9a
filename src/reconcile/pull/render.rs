//! Values as YAML text in a file's own style: the JSON of the spec `reconcile::export` makes
//! of what Zadig has, turned into [`Frag`]s (fields in the order of Zadig's docs, values that
//! equal what an absent field means left out, text escaped so that no `${` reads as a
//! reference), then written as block entries and items at the file's indentation, as flow
//! collections inside `{…}`/`[…]`, or as one scalar in the spelling of the one it replaces
//! (plain, `'single'`, `"double"`, a `|` block). Pure, no I/O.

use serde_json::Value as Json;

use crate::reconcile::export::scalar::{Scalar, double_quoted, escape_references, scalar};

/// A value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Frag {
    /// Text, references already escaped (or a reference meant as one).
    Text(String),
    /// A number, a boolean or `null`, written as is.
    Token(String),
    Map(Vec<(String, Frag)>),
    Seq(Vec<Frag>),
}

/// Fields a spec needs even when empty or false: left in when a whole value is written.
const REQUIRED: [&str; 11] = [
    "name",
    "version",
    "codehost_name",
    "repo_namespace",
    "repo_name",
    "branch",
    "key",
    "service_name",
    "service_module",
    "cluster_name",
    "dockerfile_source",
];

/// The order of fields in Zadig's create bodies (`reconcile::spec`), for new keys.
const ORDER: [&str; 56] = [
    "name",
    "project_key",
    "infrastructure",
    "build_os",
    "installs",
    "script_type",
    "build_script",
    "repo_info",
    "parameters",
    "services",
    "target_services",
    "docker_build_step",
    "advanced_settings",
    "service_name",
    "service_module",
    "codehost_name",
    "repo_namespace",
    "repo_name",
    "branch",
    "remote_name",
    "checkout_path",
    "submodules",
    "enable_commit",
    "commit_id",
    "pr",
    "prs",
    "inputs",
    "key",
    "type",
    "default_value",
    "value",
    "description",
    "is_credential",
    "choice_option",
    "choice_value",
    "version",
    "dockerfile_source",
    "build_context_dir",
    "dockerfile_directory",
    "build_args",
    "enable_buildkit",
    "platforms",
    "template_name",
    "cluster_name",
    "strategy_name",
    "timeout",
    "resource_spec",
    "cpu_limit",
    "memory_limit",
    "cpu_req",
    "memory_req",
    "gpu_limit",
    "cache_setting",
    "enabled",
    "cache_dir",
    "use_host_docker_daemon",
];

/// Where a field goes among its siblings (unknown fields last).
pub fn rank(key: &str) -> usize {
    ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len())
}

/// A JSON value of an exported spec as a fragment to write. A credential's value (an
/// object with `is_credential: true`) is a reference export made up, written as one.
pub fn frag(value: &Json) -> Frag {
    frag_of(value, false)
}

fn frag_of(value: &Json, reference: bool) -> Frag {
    match value {
        Json::Null => Frag::Token("null".into()),
        Json::Bool(_) | Json::Number(_) => Frag::Token(value.to_string()),
        Json::String(text) if reference => Frag::Text(text.clone()),
        Json::String(text) => Frag::Text(escape_references(text)),
        Json::Array(items) => Frag::Seq(items.iter().map(frag).collect()),
        Json::Object(object) => {
            let credential = object.get("is_credential") == Some(&Json::Bool(true));
            let mut entries: Vec<(String, Frag)> = (object.iter())
                .filter(|(key, value)| REQUIRED.contains(&key.as_str()) || !is_unset(value))
                .map(|(key, value)| {
                    let reference = credential && matches!(key.as_str(), "default_value" | "value");
                    (key.clone(), frag_of(value, reference))
                })
                .collect();
            entries.sort_by_key(|(key, _)| rank(key));
            Frag::Map(entries)
        }
    }
}

/// What an absent field reads as: nothing, false, zero, empty.
fn is_unset(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::Number(n) => n.as_f64() == Some(0.0),
        Json::String(s) => s.is_empty(),
        Json::Array(items) => items.is_empty(),
        Json::Object(object) => object.is_empty(),
    }
}

/// A file's indentation: how much deeper a mapping's keys are than its key (`indent`), a
/// list's dashes than its key (`dash`), and an item's keys than its dash (`item`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub indent: usize,
    pub dash: usize,
    pub item: usize,
    pub eol: &'static str,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            indent: 2,
            dash: 2,
            item: 2,
            eol: "\n",
        }
    }
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

impl Layout {
    /// `key: value` at `column`, with everything under it, each line ending in a line break.
    pub fn entry(&self, key: &str, value: &Frag, column: usize) -> String {
        self.with_eol(self.entry_lines(key, value, column))
    }

    /// A list item whose dash is at `dash`.
    pub fn item(&self, value: &Frag, dash: usize) -> String {
        self.with_eol(self.item_lines(value, dash))
    }

    fn entry_lines(&self, key: &str, value: &Frag, column: usize) -> String {
        let lead = format!("{}{key}:", spaces(column));
        match value {
            Frag::Map(entries) if !entries.is_empty() => {
                let inner = column + self.indent;
                let body: String = (entries.iter())
                    .map(|(k, v)| self.entry_lines(k, v, inner))
                    .collect();
                format!("{lead}\n{body}")
            }
            Frag::Seq(items) if !items.is_empty() => {
                let body: String = (items.iter())
                    .map(|item| self.item_lines(item, column + self.dash))
                    .collect();
                format!("{lead}\n{body}")
            }
            Frag::Text(text) if text.contains('\n') => {
                match block_at(text, column + self.indent, column) {
                    Some(block) => format!("{lead} {block}"),
                    None => format!("{lead} {}\n", double_quoted(text)),
                }
            }
            other => format!("{lead} {}\n", inline(other, false)),
        }
    }

    fn item_lines(&self, value: &Frag, dash: usize) -> String {
        let inner = dash + self.item.max(2);
        let prefix = format!("{}-{}", spaces(dash), spaces(inner - dash - 1));
        match value {
            Frag::Map(entries) if !entries.is_empty() => {
                let body: String = (entries.iter())
                    .map(|(k, v)| self.entry_lines(k, v, inner))
                    .collect();
                format!("{prefix}{}", &body[inner..])
            }
            other => format!("{prefix}{}\n", inline(other, false)),
        }
    }

    /// `text` with this file's line endings.
    pub fn with_eol(&self, text: String) -> String {
        if self.eol == "\n" {
            text
        } else {
            text.replace('\n', self.eol)
        }
    }
}

/// A literal block whose lines start at `content` under a key at `parent`: `|…` and its
/// line break, then the lines. `None` when the text cannot be a literal block read back
/// exactly (then it is double-quoted).
pub fn block_at(text: &str, content: usize, parent: usize) -> Option<String> {
    let Scalar::Block { header, lines } = scalar(text) else {
        return None;
    };
    let chomp: String = header.chars().filter(|c| matches!(c, '-' | '+')).collect();
    let explicit = header.chars().any(|c| c.is_ascii_digit());
    let digit = content
        .checked_sub(parent)
        .filter(|d| (1..=9).contains(d))?;
    let header = if explicit {
        format!("|{digit}{chomp}")
    } else {
        format!("|{chomp}")
    };
    let mut out = format!("{header}\n");
    for line in lines {
        if !line.is_empty() {
            out.push_str(&spaces(content));
            out.push_str(&line);
        }
        out.push('\n');
    }
    Some(out)
}

/// A value on one line: a scalar (plain when nothing else could be read, else
/// double-quoted) or a flow collection. `flow`: inside `{…}`/`[…]`, where `,[]{}` end a plain
/// scalar.
pub fn inline(value: &Frag, flow: bool) -> String {
    match value {
        Frag::Token(token) => token.clone(),
        Frag::Text(text) => match scalar(text) {
            Scalar::Inline(plain) if flow && !plain.starts_with('"') && flow_unsafe(&plain) => {
                double_quoted(text)
            }
            Scalar::Inline(written) => written,
            Scalar::Block { .. } => double_quoted(text),
        },
        Frag::Map(entries) => {
            let inner: Vec<String> = (entries.iter())
                .map(|(k, v)| format!("{k}: {}", inline(v, true)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        Frag::Seq(items) => {
            let inner: Vec<String> = items.iter().map(|item| inline(item, true)).collect();
            format!("[{}]", inner.join(", "))
        }
    }
}

fn flow_unsafe(plain: &str) -> bool {
    plain.contains([',', '[', ']', '{', '}'])
}

/// `value` written where the scalar `old` (its source text) was, in the same spelling when
/// it can be: a single-quoted scalar stays single-quoted, a double-quoted one double-quoted,
/// a plain one plain unless the new text needs quotes. `None` for text with a line break
/// that is not double-quoted (it becomes a block).
pub fn respelled(old: &str, value: &Frag, flow: bool) -> Option<String> {
    let Frag::Text(text) = value else {
        return Some(inline(value, flow));
    };
    if old.starts_with('"') {
        return Some(double_quoted(text));
    }
    if text.contains('\n') {
        return None;
    }
    let quotable = text.chars().all(|c| !c.is_control());
    if old.starts_with('\'') && quotable {
        return Some(format!("'{}'", text.replace('\'', "''")));
    }
    Some(inline(value, flow))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exported_values_become_fragments_in_docs_order_without_unset_fields() {
        let value = json!({
            "repo_name": "app", "branch": "", "codehost_name": "gl", "repo_namespace": "g",
            "submodules": false, "remote_name": "", "checkout_path": "src/${x}",
        });
        let Frag::Map(entries) = frag(&value) else {
            panic!("a map")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "codehost_name",
                "repo_namespace",
                "repo_name",
                "branch",
                "checkout_path"
            ]
        );
        assert_eq!(entries[4].1, Frag::Text("src/$${x}".into()));
        let credential = json!({"key": "T", "default_value": "${env:T}", "is_credential": true});
        let Frag::Map(entries) = frag(&credential) else {
            panic!("a map")
        };
        assert_eq!(
            entries[1].1,
            Frag::Text("${env:T}".into()),
            "a reference stays one"
        );
    }

    #[test]
    fn entries_and_items_follow_the_layout() {
        let layout = Layout {
            indent: 4,
            dash: 0,
            item: 2,
            eol: "\n",
        };
        let value = frag(
            &json!({"cluster_name": "c", "resource_spec": {"cpu_limit": 2}, "outputs": ["A"]}),
        );
        assert_eq!(
            layout.entry("advanced_settings", &value, 2),
            "  advanced_settings:\n      cluster_name: c\n      resource_spec:\n          cpu_limit: 2\n      outputs:\n      - A\n"
        );
        let item = frag(&json!({"key": "A", "default_value": "1.20"}));
        assert_eq!(
            layout.item(&item, 2),
            "  - key: A\n    default_value: \"1.20\"\n"
        );
        let script = Frag::Text("make\nmake test\n".into());
        assert_eq!(
            layout.entry("build_script", &script, 0),
            "build_script: |\n    make\n    make test\n"
        );
        let crlf = Layout {
            eol: "\r\n",
            ..Layout::default()
        };
        let nested = frag(&json!({"b": {"c": 1}}));
        assert_eq!(crlf.entry("a", &nested, 0), "a:\r\n  b:\r\n    c: 1\r\n");
    }

    #[test]
    fn a_replaced_scalar_keeps_its_spelling() {
        let text = |t: &str| Frag::Text(t.into());
        assert_eq!(
            respelled("'main'", &text("it's"), false).as_deref(),
            Some("'it''s'")
        );
        assert_eq!(
            respelled("\"a\"", &text("b\nc"), false).as_deref(),
            Some("\"b\\nc\"")
        );
        assert_eq!(
            respelled("main", &text("dev"), false).as_deref(),
            Some("dev")
        );
        assert_eq!(
            respelled("main", &text("1.20"), false).as_deref(),
            Some("\"1.20\"")
        );
        assert_eq!(
            respelled("x", &text("a,b"), true).as_deref(),
            Some("\"a,b\"")
        );
        assert_eq!(respelled("x", &text("a\nb"), false), None);
        assert_eq!(
            respelled("60", &Frag::Token("90".into()), false).as_deref(),
            Some("90")
        );
        assert_eq!(
            block_at("  x\ny\n", 4, 2).as_deref(),
            Some("|2\n      x\n    y\n")
        );
    }
}
