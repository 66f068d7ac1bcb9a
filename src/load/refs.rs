//! `${env:NAME}` and `${file:PATH}` references in string values: found, checked and
//! substituted. Pure: the environment and file reads come in as closures.
//!
//! Only these two prefixes are references, so shell syntax in scripts (`${SERVICE}`,
//! `${VAR:-x}`) passes through untouched; `$${` writes a literal `${`. Substituted text is not
//! scanned again. Messages name the variable or path, never a value.
//!
//! Every value an `${env:…}` reference resolves to is handed back as a possible secret, for
//! the planner to redact; `${file:…}` contents are not (they are often whole scripts, which
//! plan diffs must show).

use std::path::{Path, PathBuf};

use crate::files::FileError;
use crate::load::ReferenceMode;
use crate::load::finding::Finding;
use crate::load::yaml::{Node, Pos, Scalar, Value};

/// What substitution needs from outside.
pub struct Resolver<'a> {
    pub mode: ReferenceMode,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub read: &'a dyn Fn(&Path) -> Result<String, FileError>,
    /// The folder of the YAML file; relative `${file:…}` paths start here.
    pub base_dir: &'a Path,
}

/// Whether `text` holds at least one `${env:…}` or `${file:…}` reference.
pub fn has_reference(text: &str) -> bool {
    pieces(text)
        .iter()
        .any(|p| matches!(p, Piece::Env(_) | Piece::File(_)))
}

/// Substitutes the references in every string value of `node` (not in keys). Each non-empty
/// value an `${env:…}` reference resolved to is added to `secrets`.
pub fn resolve_tree(
    node: &mut Node,
    resolver: &Resolver<'_>,
    findings: &mut Vec<Finding>,
    secrets: &mut Vec<String>,
) {
    match &mut node.value {
        Value::Scalar(Scalar::Str(text)) if text.contains("${") => {
            if let Some(resolved) = resolver.substitute(text, node.pos, findings, secrets) {
                *text = resolved;
            }
        }
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|item| resolve_tree(item, resolver, findings, secrets)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, value)| resolve_tree(value, resolver, findings, secrets)),
        _ => {}
    }
}

impl Resolver<'_> {
    /// The text with its references replaced, or `None` when one could not be resolved
    /// (then the text stays as written: a warning in offline mode, an error online).
    fn substitute(
        &self,
        text: &str,
        pos: Pos,
        findings: &mut Vec<Finding>,
        secrets: &mut Vec<String>,
    ) -> Option<String> {
        let mut out = String::with_capacity(text.len());
        let mut complete = true;
        for piece in pieces(text) {
            let value = match piece {
                Piece::Text(t) => Ok(t.to_string()),
                Piece::Env(name) => self.env_value(name).inspect(|value| {
                    if !value.is_empty() {
                        secrets.push(value.clone());
                    }
                }),
                Piece::File(path) => self.file_value(path),
                Piece::Broken(message) => {
                    findings.push(Finding::error("invalid-reference", pos, message));
                    complete = false;
                    continue;
                }
            };
            match value {
                Ok(value) => out.push_str(&value),
                Err(problem) => {
                    complete = false;
                    findings.push(self.unresolved(pos, problem));
                }
            }
        }
        complete.then_some(out)
    }

    fn env_value(&self, name: &str) -> Result<String, String> {
        (self.env)(name)
            .ok_or_else(|| format!("environment variable `{name}` is not set (`${{env:{name}}}`)"))
    }

    /// A secret file usually ends with a newline that is not part of the secret: one is dropped.
    fn file_value(&self, path: &str) -> Result<String, String> {
        let full: PathBuf = self.base_dir.join(path);
        let text = (self.read)(&full).map_err(|e| format!("`${{file:{path}}}`: {e}"))?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        Ok(text.strip_suffix('\r').unwrap_or(text).to_string())
    }

    fn unresolved(&self, pos: Pos, problem: String) -> Finding {
        match self.mode {
            ReferenceMode::Offline => Finding::warning(
                "unresolved-reference",
                pos,
                format!("{problem}; `validate` goes on, but plan and apply will need it"),
            ),
            ReferenceMode::Online => Finding::error(
                "unresolved-reference",
                pos,
                format!("{problem}; provide it before talking to Zadig"),
            ),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Piece<'t> {
    Text(&'t str),
    Env(&'t str),
    File(&'t str),
    Broken(String),
}

/// Splits `text` into literal text and references.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        let (before, after) = rest.split_at(start);
        out.push(Piece::Text(before));
        if let Some(escaped) = after.strip_prefix("$${") {
            out.push(Piece::Text("${"));
            rest = escaped;
            continue;
        }
        let Some((prefix, body)) = ["${env:", "${file:"]
            .into_iter()
            .find_map(|prefix| Some((prefix, after.strip_prefix(prefix)?)))
        else {
            out.push(Piece::Text("$"));
            rest = &after[1..];
            continue;
        };
        let Some(end) = body.find('}') else {
            out.push(Piece::Broken(format!("`{prefix}` is not closed with `}}`")));
            return out;
        };
        out.push(reference(prefix == "${env:", &body[..end]));
        rest = &body[end + 1..];
    }
    out.push(Piece::Text(rest));
    out
}

fn reference(is_env: bool, body: &str) -> Piece<'_> {
    if is_env && is_env_name(body) {
        Piece::Env(body)
    } else if is_env {
        Piece::Broken(format!(
            "`${{env:{body}}}` does not name an environment variable (letters, digits and `_`)"
        ))
    } else if body.is_empty() {
        Piece::Broken("`${file:}` needs a path".to_string())
    } else {
        Piece::File(body)
    }
}

fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references_from_text() {
        assert_eq!(
            pieces("a ${env:X} b ${file:s/t} c"),
            vec![
                Piece::Text("a "),
                Piece::Env("X"),
                Piece::Text(" b "),
                Piece::File("s/t"),
                Piece::Text(" c"),
            ]
        );
    }

    #[test]
    fn shell_syntax_and_escapes_are_text() {
        let joined = |t| {
            pieces(t)
                .into_iter()
                .map(|p| match p {
                    Piece::Text(t) => t.to_string(),
                    other => format!("{other:?}"),
                })
                .collect::<String>()
        };
        assert_eq!(
            joined("echo ${SERVICE} ${VAR:-x} $HOME"),
            "echo ${SERVICE} ${VAR:-x} $HOME"
        );
        assert_eq!(joined("$${env:X}"), "${env:X}");
        assert!(!has_reference("$${env:X}"));
        assert!(has_reference("pre-${env:X}"));
    }

    #[test]
    fn broken_references() {
        assert!(matches!(pieces("${env:X").last(), Some(Piece::Broken(_))));
        assert!(matches!(pieces("${env:1X}")[1], Piece::Broken(_)));
        assert!(matches!(pieces("${env:A B}")[1], Piece::Broken(_)));
        assert!(matches!(pieces("${file:}")[1], Piece::Broken(_)));
    }
}
