//! One build document, from its tree to a `BuildSpec`: rules, references, schema check,
//! `build_script_file`, then serde. Pure apart from the injected file reader.

use serde_json::Value as Json;

use crate::load::check::Checker;
use crate::load::finding::Finding;
use crate::load::refs::{Resolver, forbidden_path, resolve_tree};
use crate::load::rules::{check_document, check_masked_values};
use crate::load::schema::{BUILD_SCRIPT_FILE, CUSTOM_DEFINITION, TEMPLATE_DEFINITION};
use crate::load::yaml::{Node, Pos, Value};
use crate::reconcile::spec::{BuildKind, BuildSpec, CustomBuild, TemplateBuild};

/// What one document gave.
#[derive(Debug)]
pub struct LoadedDocument {
    /// `None` when the document has errors.
    pub build: Option<BuildSpec>,
    /// The build's name as written and its place, for the cross-file uniqueness check.
    pub name: Option<(String, Pos)>,
    pub project: String,
    /// Where `project_key`'s value is, when the document has one.
    pub project_pos: Option<Pos>,
    /// Where the document starts: its first key.
    pub start: Pos,
    pub findings: Vec<Finding>,
    /// What this document's `${env:…}` references resolved to (see [`resolve_tree`]).
    pub secrets: Vec<String>,
}

/// A document with `template_name` or `target_services` is a template build.
pub fn kind_of(doc: &Node) -> BuildKind {
    if doc.get("template_name").is_some() || doc.get("target_services").is_some() {
        BuildKind::Template
    } else {
        BuildKind::Custom
    }
}

pub fn load_document(mut doc: Node, schema: &Json, resolver: &Resolver<'_>) -> LoadedDocument {
    let start = doc.entries().first().map_or(doc.pos, |(key, _)| key.pos);
    let mut loaded = LoadedDocument {
        build: None,
        name: text_of(&doc, "name").map(|name| (name, doc.get("name").map_or(start, |n| n.pos))),
        project: text_of(&doc, "project_key").unwrap_or_default(),
        project_pos: doc.get("project_key").map(|n| n.pos),
        start,
        findings: Vec::new(),
        secrets: Vec::new(),
    };
    if !matches!(doc.value, Value::Map(_)) {
        let message = format!(
            "a build document must be a mapping of fields (name, project_key, …), found {}",
            doc.describe()
        );
        loaded
            .findings
            .push(Finding::error("not-a-mapping", doc.pos, message));
        return loaded;
    }
    let kind = kind_of(&doc);
    check_document(&doc, kind, &mut loaded.findings);
    resolver.check_empty_credentials(&doc, kind, &mut loaded.findings);
    resolve_tree(
        &mut doc,
        resolver,
        &mut loaded.findings,
        &mut loaded.secrets,
    );
    check_masked_values(&doc, kind, &mut loaded.findings);
    let mut checker = Checker::new(schema);
    let definition = match kind {
        BuildKind::Custom => CUSTOM_DEFINITION,
        BuildKind::Template => TEMPLATE_DEFINITION,
    };
    let mut json = checker.document(&doc, definition);
    loaded.findings.append(&mut checker.findings);
    read_build_script_file(&doc, &mut json, resolver, &mut loaded.findings);
    if !loaded.findings.iter().any(Finding::is_error) {
        loaded.build = into_spec(json, kind, start, &mut loaded.findings);
    }
    loaded
}

fn text_of(doc: &Node, field: &str) -> Option<String> {
    doc.get(field).and_then(Node::text).map(str::to_string)
}

/// Replaces `build_script_file` by `build_script` holding the file's text. A missing script
/// is an error in every mode: unlike a secret, it is part of the repository.
pub(crate) fn read_build_script_file(
    doc: &Node,
    json: &mut Json,
    resolver: &Resolver<'_>,
    findings: &mut Vec<Finding>,
) {
    let Some(object) = json.as_object_mut() else {
        return;
    };
    let Some(Json::String(relative)) = object.remove(BUILD_SCRIPT_FILE) else {
        return;
    };
    let pos = doc.get(BUILD_SCRIPT_FILE).map_or(doc.pos, |n| n.pos);
    match (resolver.read)(&resolver.dir_of(pos).join(&relative)) {
        Ok(script) => {
            object.insert("build_script".to_string(), Json::String(script));
        }
        Err(error) => {
            let reference = format!("`{BUILD_SCRIPT_FILE}: {relative}`");
            findings.push(forbidden_path(&reference, &error, pos).unwrap_or_else(|| {
                let message =
                    format!("`build_script_file` (a path relative to this YAML file): {error}");
                Finding::error("build-script-file", pos, message)
            }));
        }
    }
}

/// Everything was checked already; a serde error here means the checks missed a case, which
/// is still reported (at the document) rather than lost.
fn into_spec(
    json: Json,
    kind: BuildKind,
    start: Pos,
    findings: &mut Vec<Finding>,
) -> Option<BuildSpec> {
    let spec = match kind {
        BuildKind::Custom => serde_json::from_value::<CustomBuild>(json).map(BuildSpec::Custom),
        BuildKind::Template => {
            serde_json::from_value::<TemplateBuild>(json).map(BuildSpec::Template)
        }
    };
    spec.map_err(|error| {
        let message = format!("this build cannot be read: {error}");
        findings.push(Finding::error("invalid-build", start, message));
    })
    .ok()
}
