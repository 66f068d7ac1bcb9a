//! `pull`: a change made in Zadig's UI taken back into the build file, as a person would
//! write it. For one build: the fields where Zadig and its file differ (`diff`, the very
//! comparison `plan` makes), the value each one has in Zadig in the file's terms (the spec
//! `export` makes of the live build), and the smallest edit of the file's text that says it
//! (`decide`, then `edit`): comments, order, quoting, indentation, blank lines and other
//! documents stay byte for byte. What cannot be pulled is said per field and left alone: a
//! value set by `${env:…}`/`${file:…}`, a credential, a value inherited from a defaults file
//! (unless `override_defaults`), Zadig's mask `********`. Pure, no I/O: `src/pull/` reads and
//! writes the files and checks the result by loading it again.

mod address;
pub mod command;
mod decide;
pub mod edit;
pub mod outcome;
pub mod patch;
mod render;
pub mod select;
mod text;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::yaml::{Node, parse_documents};
use crate::reconcile::desired::DesiredBuild;
use crate::reconcile::diff::{Difference, compare};
use crate::reconcile::export::{EnvNames, ExportOptions, Inferred, export_build};
use crate::reconcile::live::LiveDetail;
use crate::reconcile::normalize::{from_live, from_spec};
use crate::reconcile::redact::Secrets;
use crate::reconcile::spec::{BuildSpec, RepoInfo};
use decide::{Decided, Sides, decide};
use edit::{Edit, edits};
use render::Layout;
use text::Text;

/// Why a new repository's `codehost_name` must be checked.
const CODEHOST: &str = "Zadig returns only the code host's type, not its alias: written as the \
                        alias this file uses for that type, else the type";

/// A field pull left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: String,
    pub why: Why,
}

/// Why a field is not pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum Why {
    /// The file takes the value from `${env:…}`/`${file:…}` (the text as written).
    Reference(String),
    /// A credential's value: never written into a file.
    Credential,
    /// `is_credential` changed: where the value comes from must change with it.
    CredentialFlag,
    /// Zadig shows `********` instead of the value.
    Mask,
    /// Inherited from this defaults file.
    Inherited(String),
    /// Zadig's value holds the value of an `${env:…}` reference: a secret is never written.
    Secret,
    /// Zadig's value cannot be written in a build file (export's reason).
    Unknown(String),
    /// The field is not where the file should have it.
    NotFound,
    /// The edit could not be made (why).
    Edit(String),
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::Reference(text) => write!(f, "set by {text}: change it where it is set"),
            Why::Credential => f.write_str(
                "a credential: its value is never written into a file; change it where its \
                 reference is set",
            ),
            Why::CredentialFlag => f.write_str(
                "is_credential changed in Zadig: change it by hand, with where the value \
                 comes from",
            ),
            Why::Mask => f.write_str(
                "Zadig shows its mask ******** instead of the value; write the value by hand",
            ),
            Why::Inherited(file) => write!(
                f,
                "inherited from {file}: edit it there, or override it in the build file with \
                 --override-defaults"
            ),
            Why::Secret => f.write_str(
                "Zadig's value holds a secret (the value of an ${env:…} reference), which is \
                 never written into a file; write it by hand, as a reference",
            ),
            Why::Unknown(reason) => write!(f, "cannot be written in the file: {reason}"),
            Why::NotFound => f.write_str("the file does not have it where pull looks for it"),
            Why::Edit(reason) => f.write_str(reason),
        }
    }
}

impl Why {
    /// A stable word for the reason (JSON output).
    pub fn word(&self) -> &'static str {
        match self {
            Why::Reference(_) => "reference",
            Why::Credential => "credential",
            Why::CredentialFlag => "credential_flag",
            Why::Mask => "mask",
            Why::Inherited(_) => "inherited",
            Why::Secret => "secret",
            Why::Unknown(_) => "unknown",
            Why::NotFound => "not_found",
            Why::Edit(_) => "edit",
        }
    }
}

/// One build to pull: its file's text, the build as the files describe it, and what Zadig
/// has.
pub struct PullInput<'a> {
    pub text: &'a str,
    pub desired: &'a DesiredBuild,
    pub detail: &'a LiveDetail,
    /// `--override-defaults`: an inherited field gets its own value in the build file.
    pub override_defaults: bool,
    /// What must never be written into a file.
    pub secrets: &'a Secrets,
}

/// What pulling one build makes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildPull {
    /// Edits of the build file's text (its document only).
    pub edits: Vec<Edit>,
    /// The new text of the script file the document names (`build_script_file`, as written,
    /// relative to the YAML file's folder).
    pub script: Option<(String, String)>,
    /// The fields pulled.
    pub pulled: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Fields written with a value Zadig does not return (a new repository's code host), to
    /// be checked.
    pub written: Vec<Inferred>,
}

/// The differences between what Zadig has and what the files say, live first: what pull
/// takes into the file.
pub fn differences(desired: &DesiredBuild, detail: &LiveDetail) -> Vec<Difference> {
    compare(&from_live(detail), &from_spec(&desired.spec)).differences
}

/// Pulls one build: every difference either becomes an edit or is skipped with its reason.
pub fn pull_build(input: &PullInput<'_>) -> BuildPull {
    let documents = parse_documents(input.text).unwrap_or_default();
    let origin = &input.desired.origin;
    let found = (documents.iter()).find(|doc| starts_at(doc, origin.line, origin.column));
    let Some(doc) = found else {
        let why = Why::Edit(format!("its document is no longer at {origin}"));
        return BuildPull {
            skipped: vec![Skipped {
                path: String::new(),
                why,
            }],
            ..BuildPull::default()
        };
    };
    let options = ExportOptions {
        codehosts: codehost_aliases(&input.desired.spec, input.detail),
    };
    let exported = export_build(input.detail, &options, &mut EnvNames::default());
    let json = serde_json::to_value(&exported.spec).unwrap_or_default();
    let sides = Sides {
        doc,
        exported: &json,
        inferred: &exported.inferred,
        inherited: &input.desired.inherited,
        override_defaults: input.override_defaults,
        secrets: input.secrets,
    };
    let decided = decide(&sides, &differences(input.desired, input.detail));
    let text = Text::new(input.text);
    made(&text, &layout_of(&text, doc), decided)
}

/// The edits of what was decided; an operation that cannot be made an edit is skipped with
/// why, and when the edits together cannot be made, every field is.
fn made(text: &Text<'_>, layout: &Layout, decided: Decided<'_>) -> BuildPull {
    let mut result = BuildPull {
        script: decided.script,
        skipped: decided.skipped,
        written: decided.written,
        ..BuildPull::default()
    };
    for written in &mut result.written {
        if written.path.ends_with(".codehost_name") {
            written.reason = CODEHOST.to_string();
        }
    }
    let mut ops = Vec::new();
    for (path, op) in decided.ops {
        match edits(text, layout, vec![op.clone()]) {
            Ok(_) => ops.push(op),
            Err(error) => result.skipped.push(Skipped {
                path,
                why: Why::Edit(error.to_string()),
            }),
        }
    }
    let failed: Vec<&str> = result.skipped.iter().map(|s| s.path.as_str()).collect();
    result.pulled = (decided.pulled.into_iter())
        .filter(|path| !failed.contains(&path.as_str()))
        .collect();
    match edits(text, layout, ops) {
        Ok(edits) => result.edits = edits,
        Err(error) => {
            let why = Why::Edit(error.to_string());
            let pulled = result.pulled.drain(..);
            (result.skipped).extend(pulled.map(|path| Skipped {
                path,
                why: why.clone(),
            }));
        }
    }
    result
}

/// Whether a document's first key is at `line:column` (where the loader says it starts).
fn starts_at(doc: &Node, line: usize, column: usize) -> bool {
    let start = doc.entries().first().map_or(doc.pos, |(key, _)| key.pos);
    start.line() == line && start.column() == column
}

/// A file's indentation, read off its first nested mapping and list.
fn layout_of(text: &Text<'_>, doc: &Node) -> Layout {
    let mut layout = Layout {
        eol: text.eol,
        ..Layout::default()
    };
    let column = |node: &Node| text.column(node.span.start());
    let mut seen_map = false;
    let mut seen_list = false;
    for (key, value) in doc.entries() {
        if text.flow_open(value).is_some() {
            continue;
        }
        if let Some((inner, _)) = value.entries().first().filter(|_| !seen_map) {
            layout.indent = column(inner).saturating_sub(column(key)).max(1);
            seen_map = true;
        }
        if let Some(first) = value.items().first().filter(|_| !seen_list) {
            let dash = text.text[..first.span.start()].rfind('-');
            if let Some(dash) = dash {
                layout.dash = text.column(dash).saturating_sub(column(key));
                if let Some((inner, _)) = first.entries().first() {
                    layout.item = column(inner).saturating_sub(text.column(dash)).max(2);
                }
                seen_list = true;
            }
        }
    }
    layout
}

/// The code host alias each code host type is written as in this build's file, read off the
/// repositories the file and Zadig both have: a repository added in Zadig gets the same.
fn codehost_aliases(spec: &BuildSpec, detail: &LiveDetail) -> BTreeMap<String, String> {
    let file_repos: Vec<&RepoInfo> = match spec {
        BuildSpec::Custom(custom) => custom.repo_info.iter().collect(),
        BuildSpec::Template(template) => (template.target_services.iter())
            .flat_map(|t| &t.repo_info)
            .collect(),
    };
    let live_repos = match detail {
        LiveDetail::Custom(base) => base.repos.iter().collect::<Vec<_>>(),
        LiveDetail::Template { targets, .. } => {
            targets.iter().flat_map(|(_, t)| &t.repos).collect()
        }
    };
    let mut aliases = BTreeMap::new();
    for repo in live_repos {
        let same = file_repos
            .iter()
            .find(|f| f.repo_namespace == repo.repo_owner && f.repo_name == repo.repo_name);
        if let Some(file) = same {
            aliases
                .entry(repo.source.clone())
                .or_insert_with(|| file.codehost_name.clone());
        }
    }
    aliases
}

#[cfg(test)]
mod edge_tests;
#[cfg(test)]
mod tests;
