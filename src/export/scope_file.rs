//! Adding projects to the scope file, `zadig-sync.yaml` at the root of the build directory: a
//! YAML mapping whose `projects:` lists the managed project keys, beside optional server
//! settings (`url`, `rate_limit`, `concurrency`, `prune`, `max_deletes`).
//!
//! An existing file is edited as text, never rewritten: its comments, order and other keys
//! stay as they are. New keys are inserted after the last item of a block list (with that
//! item's indentation), inside a one-line flow list (`[a, b]`), or as a new `projects:` block
//! at the end. The edit is then parsed back and must hold the old projects plus the new ones
//! and every other key unchanged; when it does not (a multi-line flow list, anchors, a list
//! written in a way this does not recognise), the file is left alone and the error says what
//! to add by hand. [`add_projects`] is pure; [`update`] reads and writes the file.

use std::io;
use std::path::{Path, PathBuf};

use crate::load::yaml::{Node, Value, parse_documents};
use crate::reconcile::export::scalar::{Scalar, double_quoted, scalar};

use crate::fsio::{self, ReadError, Readers};
use crate::load::files::MAX_FILE_BYTES;
pub use crate::load::files::SCOPE_FILE;

#[derive(Debug, thiserror::Error)]
pub enum ScopeFileError {
    #[error("cannot read the scope file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: ReadError,
    },
    #[error("cannot write the scope file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "the scope file {path} was left as it is: {reason}; edit it by hand so that its \
         `projects:` list holds: {missing}"
    )]
    CannotEdit {
        path: PathBuf,
        reason: String,
        missing: String,
    },
}

/// What happened to the scope file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeChange {
    Created(Vec<String>),
    Added(Vec<String>),
    /// It listed every project already.
    Unchanged,
}

/// Adds `projects` to the scope file in `dir`, creating it when it is missing.
pub fn update(dir: &Path, projects: &[String]) -> Result<ScopeChange, ScopeFileError> {
    let path = dir.join(SCOPE_FILE);
    let text = match fsio::read_text(&path, MAX_FILE_BYTES) {
        Ok(text) => Some(text),
        Err(error) if error.is_not_found() => None,
        Err(source) => return Err(ScopeFileError::Read { path, source }),
    };
    let (new_text, change) = match &text {
        None => (new_file(projects), ScopeChange::Created(projects.to_vec())),
        Some(text) => match add_projects(text, projects) {
            Ok(Some((edited, added))) => (edited, ScopeChange::Added(added)),
            Ok(None) => return Ok(ScopeChange::Unchanged),
            Err(reason) => {
                return Err(ScopeFileError::CannotEdit {
                    path,
                    reason,
                    missing: projects.join(", "),
                });
            }
        },
    };
    // Replaced, not written in place: a symlink at its place is never written through.
    fsio::write_atomically(&path, new_text.as_bytes(), Readers::Umask)
        .map_err(|source| ScopeFileError::Write { path, source })?;
    Ok(change)
}

/// A new scope file listing `projects`.
pub fn new_file(projects: &[String]) -> String {
    let mut text = String::from(
        "# The projects zadig-sync manages (see docs/file-format.md, \"The scope file\").\n\
         projects:\n",
    );
    for project in projects {
        text.push_str(&format!("  - {}\n", item(project)));
    }
    text
}

/// A project key as a list item, quoted unless plain text reads back as itself.
fn item(project: &str) -> String {
    match scalar(project) {
        Scalar::Inline(text) => text,
        Scalar::Block { .. } => double_quoted(project),
    }
}

/// `text` with the projects it lacks added, and those projects; `None` when it lists them
/// all. The error says why the text could not be edited safely.
pub fn add_projects(
    text: &str,
    projects: &[String],
) -> Result<Option<(String, Vec<String>)>, String> {
    let before = read(text)?;
    let listed = project_keys(&before)?;
    let mut missing: Vec<String> = Vec::new();
    for project in projects {
        if !listed.contains(project) && !missing.contains(project) {
            missing.push(project.clone());
        }
    }
    if missing.is_empty() {
        return Ok(None);
    }
    let edited = match before.get("projects") {
        None => append_block(text, &missing),
        Some(node) => insert(text, node, &missing)?,
    };
    let after =
        read(&edited).map_err(|reason| format!("the edited text would not be valid ({reason})"))?;
    let mut expected = listed;
    expected.extend(missing.iter().cloned());
    if project_keys(&after)? != expected || !same_other_keys(&before, &after) {
        return Err("its `projects:` list is written in a way this edit does not handle".into());
    }
    Ok(Some((edited, missing)))
}

/// The one document of the file, which must be a mapping.
fn read(text: &str) -> Result<Node, String> {
    let documents = parse_documents(text).map_err(|error| match error.pos {
        Some(pos) => format!("not YAML at line {}: {}", pos.line, error.message),
        None => format!("not YAML: {}", error.message),
    })?;
    match documents.as_slice() {
        [] => Ok(Node {
            value: Value::Map(Vec::new()),
            pos: crate::load::yaml::Pos::START,
            span: crate::load::yaml::Span::default(),
            from_reference: false,
            reference_places: Vec::new(),
        }),
        [document] if matches!(document.value, Value::Map(_)) => Ok(document.clone()),
        [_] => Err("it is not a mapping of settings".into()),
        _ => Err("it holds more than one YAML document".into()),
    }
}

fn project_keys(document: &Node) -> Result<Vec<String>, String> {
    let Some(node) = document.get("projects") else {
        return Ok(Vec::new());
    };
    match &node.value {
        Value::Null => Ok(Vec::new()),
        Value::Seq(items) => items
            .iter()
            .map(|item| {
                item.text()
                    .map(str::to_string)
                    .ok_or_else(|| "an item of `projects:` is not a project key".to_string())
            })
            .collect(),
        _ => Err("`projects:` is not a list".into()),
    }
}

/// Every key but `projects` holds the same value (places aside) in both documents.
fn same_other_keys(before: &Node, after: &Node) -> bool {
    let others = |document: &Node| -> Vec<(Option<String>, String)> {
        document
            .entries()
            .iter()
            .filter(|(key, _)| key.text() != Some("projects"))
            .map(|(key, value)| (key.text().map(str::to_string), shape(value)))
            .collect()
    };
    others(before) == others(after)
}

/// A node's value without its place, for comparison.
fn shape(node: &Node) -> String {
    match &node.value {
        Value::Null => "null".into(),
        Value::Scalar(scalar) => format!("{scalar:?}"),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(shape).collect::<Vec<_>>().join(",")
        ),
        Value::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:{}", shape(k), shape(v)))
                .collect();
            format!("{{{}}}", entries.join(","))
        }
    }
}

/// A `projects:` block at the end of the file.
fn append_block(text: &str, missing: &[String]) -> String {
    let mut edited = text.to_string();
    if !edited.is_empty() && !edited.ends_with('\n') {
        edited.push('\n');
    }
    edited.push_str("projects:\n");
    for project in missing {
        edited.push_str(&format!("  - {}\n", item(project)));
    }
    edited
}

/// The projects inserted into the existing `projects:` value.
fn insert(text: &str, node: &Node, missing: &[String]) -> Result<String, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let key_line = key_line(&lines)?;
    let after_key = lines[key_line]
        .trim_end()
        .strip_prefix("projects:")
        .map(str::trim_start)
        .unwrap_or_default();
    // A comment after the key is kept; it is not the value.
    let after_key = if after_key.starts_with('#') {
        ""
    } else {
        after_key
    };
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match (&node.value, after_key) {
        (Value::Seq(items), "") if !items.is_empty() => {
            let (at, prefix) = last_item(&lines, items)?;
            append_line(&mut edited[at], &new_items(prefix, missing));
        }
        (Value::Null, "") => append_line(&mut edited[key_line], &new_items("  - ", missing)),
        (Value::Null, "~" | "null") => {
            edited[key_line] = format!("projects:\n{}", new_items("  - ", missing));
        }
        (Value::Seq(_), flow) if flow.starts_with('[') && flow.ends_with(']') => {
            let inner = flow[1..flow.len() - 1].trim().trim_end_matches(',');
            let mut all: Vec<String> = Vec::new();
            if !inner.is_empty() {
                all.push(inner.to_string());
            }
            all.extend(missing.iter().map(|p| item(p)));
            edited[key_line] = format!("projects: [{}]\n", all.join(", "));
        }
        _ => return Err("its `projects:` list is not a block list or a one-line flow list".into()),
    }
    Ok(edited.concat())
}

/// The index of the line of a block list's last item, and the indentation and `- ` of its
/// first, which new items copy.
fn last_item<'t>(lines: &[&'t str], items: &[Node]) -> Result<(usize, &'t str), String> {
    let out_of_place = || "a list item is not where the parser says".to_string();
    let (first, last) = match items {
        [first, .., last] => (first.pos, last.pos),
        [only] => (only.pos, only.pos),
        [] => return Err(out_of_place()),
    };
    let first_line = first
        .line()
        .checked_sub(1)
        .and_then(|index| lines.get(index))
        .ok_or_else(out_of_place)?;
    let prefix = first
        .column()
        .checked_sub(1)
        .and_then(|end| first_line.get(..end))
        .filter(|prefix| prefix.trim() == "-")
        .ok_or("its list items do not each start a line with `- `")?;
    let at = last.line().checked_sub(1).filter(|at| *at < lines.len());
    Ok((at.ok_or_else(out_of_place)?, prefix))
}

fn new_items(prefix: &str, missing: &[String]) -> String {
    missing
        .iter()
        .map(|p| format!("{prefix}{}\n", item(p)))
        .collect()
}

/// `added` after `line`, which gets the line break a last line may lack.
fn append_line(line: &mut String, added: &str) {
    if !line.ends_with('\n') {
        line.push('\n');
    }
    line.push_str(added);
}

/// The line of the top-level `projects:` key.
fn key_line(lines: &[&str]) -> Result<usize, String> {
    let found: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.starts_with("projects:"))
        .map(|(index, _)| index)
        .collect();
    match found.as_slice() {
        [index] => Ok(*index),
        _ => Err("its `projects:` key is not written once at the start of a line".into()),
    }
}

#[cfg(test)]
mod tests;
