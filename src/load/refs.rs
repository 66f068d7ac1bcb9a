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
//!
//! What only plan and apply need is a warning offline and an error online: a variable that is
//! not set, a file that does not exist, a credential taken from a variable that is set but
//! empty. A file that exists but can never be read (a FIFO, too large, not UTF-8) and a path
//! under /proc, /dev or /sys (refused by the injected reader) are errors in every mode.

use std::path::{Path, PathBuf};

use crate::load::ReferenceMode;
use crate::load::files::FileError;
use crate::load::finding::Finding;
use crate::load::rules::{CredentialValue, credential_values};
use crate::load::yaml::{Node, Pos, Scalar, Value};
use crate::reconcile::spec::BuildKind;

/// What substitution needs from outside.
pub struct Resolver<'a> {
    pub mode: ReferenceMode,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub read: &'a dyn Fn(&Path) -> Result<String, FileError>,
    /// The folder of the YAML file; relative `${file:…}` paths start here.
    pub base_dir: &'a Path,
    /// The folder of each defaults file, by [`FileId`](crate::load::yaml::FileId) (the first
    /// is file 1): a value
    /// inherited from one resolves relative to the folder it was written in.
    pub defaults_dirs: &'a [PathBuf],
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
            let referenced = has_reference(text);
            let places = &node.reference_places;
            if let Some(resolved) = resolver.substitute(text, node.pos, places, findings, secrets) {
                *text = resolved;
                node.from_reference = referenced;
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
    /// The folder that relative paths written at `pos` start from.
    pub fn dir_of(&self, pos: Pos) -> &Path {
        (pos.file.defaults_index())
            .and_then(|index| self.defaults_dirs.get(index))
            .map_or(self.base_dir, PathBuf::as_path)
    }

    /// A credential value made of an `${env:…}` that is set but empty would wipe the secret
    /// Zadig stores, silently: GitHub Actions passes empty strings for the secrets a pull
    /// request from a fork may not read. Runs before substitution, which forgets the names.
    pub fn check_empty_credentials(
        &self,
        doc: &Node,
        kind: BuildKind,
        findings: &mut Vec<Finding>,
    ) {
        for credential in credential_values(doc, kind) {
            let Some(text) = credential.value.text() else {
                continue;
            };
            let references = pieces(text)
                .into_iter()
                .filter(|p| !matches!(p, Piece::Text(_)));
            for (index, piece) in references.enumerate() {
                if let Piece::Env(name) = piece
                    && (self.env)(name).is_some_and(|value| value.is_empty())
                {
                    let places = &credential.value.reference_places;
                    let pos = places.get(index).copied().unwrap_or(credential.value.pos);
                    findings.push(self.empty_credential(name, &credential, pos));
                }
            }
        }
    }

    fn empty_credential(&self, name: &str, credential: &CredentialValue<'_>, pos: Pos) -> Finding {
        let problem = format!(
            "environment variable `{name}` is set but empty, and `${{env:{name}}}` is the \
             `{}` of credential `{}`: writing it would wipe the secret stored in Zadig \
             (CI systems pass empty strings for secrets a pull request from a fork may not read)",
            credential.field, credential.key
        );
        let advice = [
            "plan and apply will refuse it",
            "give it a value, or run plan only where the secrets are",
        ];
        self.by_mode("empty-credential", pos, &problem, advice)
    }

    /// The text with its references replaced, or `None` when one could not be resolved
    /// (then the text stays as written: a warning in offline mode, an error online).
    fn substitute(
        &self,
        text: &str,
        pos: Pos,
        places: &[Pos],
        findings: &mut Vec<Finding>,
        secrets: &mut Vec<String>,
    ) -> Option<String> {
        let mut out = String::with_capacity(text.len());
        let mut complete = true;
        let mut references = 0;
        for piece in pieces(text) {
            // Each reference at its own place when the reader found it, else at the value's.
            let pos = if matches!(piece, Piece::Text(_)) {
                pos
            } else {
                references += 1;
                places.get(references - 1).copied().unwrap_or(pos)
            };
            let value = match piece {
                Piece::Text(t) => Ok(t.to_string()),
                Piece::Env(name) => self.env_value(name, pos).inspect(|value| {
                    if !value.is_empty() {
                        secrets.push(value.clone());
                    }
                }),
                Piece::File(path) => self.file_value(path, pos),
                Piece::Broken(message) => Err(Finding::error("invalid-reference", pos, message)),
            };
            match value {
                Ok(value) => out.push_str(&value),
                Err(finding) => {
                    complete = false;
                    findings.push(finding);
                }
            }
        }
        complete.then_some(out)
    }

    fn env_value(&self, name: &str, pos: Pos) -> Result<String, Finding> {
        (self.env)(name).ok_or_else(|| {
            let problem = format!("environment variable `{name}` is not set (`${{env:{name}}}`)");
            self.unresolved(pos, &problem)
        })
    }

    /// A secret file usually ends with a newline that is not part of the secret: one is dropped.
    fn file_value(&self, path: &str, pos: Pos) -> Result<String, Finding> {
        let full: PathBuf = self.dir_of(pos).join(path);
        let text = (self.read)(&full).map_err(|error| {
            let reference = format!("`${{file:{path}}}`");
            if let Some(finding) = forbidden_path(&reference, &error, pos) {
                finding
            } else if error.is_missing() {
                self.unresolved(pos, &format!("{reference}: {error}"))
            } else {
                // It exists but is no text file of ours: waiting for plan cannot fix that.
                let message = format!("{reference}: {error}; no environment can resolve it");
                Finding::error("unreadable-reference", pos, message)
            }
        })?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        Ok(text.strip_suffix('\r').unwrap_or(text).to_string())
    }

    fn unresolved(&self, pos: Pos, problem: &str) -> Finding {
        let advice = [
            "`validate` goes on, but plan and apply will need it",
            "provide it before talking to Zadig",
        ];
        self.by_mode("unresolved-reference", pos, problem, advice)
    }

    /// What `validate` can go on with but plan and apply cannot: a warning offline, an error
    /// online, each with its `[offline, online]` advice.
    fn by_mode(&self, code: &'static str, pos: Pos, problem: &str, advice: [&str; 2]) -> Finding {
        match self.mode {
            ReferenceMode::Offline => {
                Finding::warning(code, pos, format!("{problem}; {}", advice[0]))
            }
            ReferenceMode::Online => Finding::error(code, pos, format!("{problem}; {}", advice[1])),
        }
    }
}

/// The error for a file that a build file names (`reference`, as written) under /proc, /dev
/// or /sys; `None` for any other read error.
pub fn forbidden_path(reference: &str, error: &FileError, pos: Pos) -> Option<Finding> {
    matches!(error, FileError::SystemPath { .. })
        .then(|| Finding::error("forbidden-path", pos, format!("{reference}: {error}")))
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
    located_pieces(text).into_iter().map(|(_, p)| p).collect()
}

/// The byte offset in `text` of each reference (well-formed or broken), in order: the YAML
/// reader uses it to place each reference at its own line and column in the source.
pub fn reference_offsets(text: &str) -> Vec<usize> {
    located_pieces(text)
        .into_iter()
        .filter(|(_, p)| !matches!(p, Piece::Text(_)))
        .map(|(offset, _)| offset)
        .collect()
}

/// [`pieces`], each with the byte offset where it starts.
fn located_pieces(text: &str) -> Vec<(usize, Piece<'_>)> {
    let mut out = Vec::new();
    let mut rest = text;
    let at = |rest: &str| text.len() - rest.len();
    while let Some(start) = rest.find('$') {
        let (before, after) = rest.split_at(start);
        out.push((at(before), Piece::Text(before)));
        if let Some(escaped) = after.strip_prefix("$${") {
            out.push((at(after), Piece::Text("${")));
            rest = escaped;
            continue;
        }
        let Some((prefix, body)) = ["${env:", "${file:"]
            .into_iter()
            .find_map(|prefix| Some((prefix, after.strip_prefix(prefix)?)))
        else {
            out.push((at(after), Piece::Text("$")));
            rest = &after[1..];
            continue;
        };
        let Some(end) = body.find('}') else {
            let broken = Piece::Broken(format!("`{prefix}` is not closed with `}}`"));
            out.push((at(after), broken));
            return out;
        };
        out.push((at(after), reference(prefix == "${env:", &body[..end])));
        rest = &body[end + 1..];
    }
    out.push((at(rest), Piece::Text(rest)));
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
