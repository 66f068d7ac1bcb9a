//! The rules of one build document that a schema cannot say: names Zadig mangles, empty
//! required text, `build_script` xor `build_script_file`, literal secrets, the `gpu_limit`
//! form, duplicate parameters, installs, repositories and services. [`check_document`] runs
//! on the tree before `${…}` references are substituted, so it sees what the user wrote;
//! [`check_masked_values`] runs after, so it also sees what a reference turned into.
//! Pure, no I/O.

use std::collections::HashMap;

use crate::load::finding::Finding;
use crate::load::refs::has_reference;
use crate::load::schema::BUILD_SCRIPT_FILE;
use crate::load::yaml::{Node, Pos, Value};
use crate::reconcile::export::names::sanitise;
use crate::reconcile::quantity;
use crate::reconcile::spec::BuildKind;

/// Every rule of this module over one document.
pub fn check_document(doc: &Node, kind: BuildKind, findings: &mut Vec<Finding>) {
    check_identity_is_literal(doc, findings);
    check_build_name(doc, findings);
    check_non_empty(doc, kind, findings);
    match kind {
        BuildKind::Custom => check_custom(doc, findings),
        BuildKind::Template => check_template(doc, findings),
    }
    for credential in credential_values(doc, kind) {
        check_credential_literal(&credential, findings);
    }
}

/// The value of an item marked `is_credential: true`: a parameter's `default_value` or a
/// template input's `value`, which Zadig keeps secret.
pub struct CredentialValue<'n> {
    /// The parameter's or input's `key`, `?` when it has none.
    pub key: &'n str,
    pub field: &'static str,
    pub value: &'n Node,
}

/// Every credential value of a document, in file order.
pub fn credential_values(doc: &Node, kind: BuildKind) -> Vec<CredentialValue<'_>> {
    let (items, field): (Vec<&Node>, _) = match kind {
        BuildKind::Custom => (
            items_of(doc, "parameters").iter().collect(),
            "default_value",
        ),
        BuildKind::Template => {
            let targets = items_of(doc, "target_services").iter();
            (
                targets.flat_map(|t| items_of(t, "inputs")).collect(),
                "value",
            )
        }
    };
    items
        .into_iter()
        .filter(|item| item.get("is_credential").and_then(Node::as_bool) == Some(true))
        .filter_map(|item| {
            Some(CredentialValue {
                key: item.get("key").and_then(Node::text).unwrap_or("?"),
                field,
                value: item.get(field)?,
            })
        })
        .collect()
}

/// A repository is one checkout; Zadig would keep a second entry for the same one.
const REPOSITORY_KEY: &[&str] = &["repo_namespace", "repo_name"];
const SERVICE_KEY: &[&str] = &["service_name", "service_module"];

fn check_custom(doc: &Node, findings: &mut Vec<Finding>) {
    if let (Some(_), Some(file)) = (doc.get("build_script"), doc.get(BUILD_SCRIPT_FILE)) {
        let message = "`build_script` and `build_script_file` are both given; keep one of them";
        findings.push(Finding::error("script-conflict", file.pos, message));
    }
    let parameters = items_of(doc, "parameters");
    check_unique(parameters, &["key"], "parameter", findings);
    // The comparison keys installs by name: a second one of a name would be invisible to it.
    check_unique(items_of(doc, "installs"), &["name"], "install", findings);
    check_unique(
        items_of(doc, "repo_info"),
        REPOSITORY_KEY,
        "repository",
        findings,
    );
    check_unique(items_of(doc, "services"), SERVICE_KEY, "service", findings);
    check_dockerfile_template(doc, findings);
    check_gpu_limit(doc, findings);
}

fn check_template(doc: &Node, findings: &mut Vec<Finding>) {
    let Some(targets) = doc.get("target_services") else {
        return; // missing: reported by the schema check
    };
    if matches!(&targets.value, Value::Seq(items) if items.is_empty()) {
        let message = "a template build needs at least one entry in `target_services` \
            (Zadig refuses an empty list)";
        findings.push(Finding::error("missing-field", targets.pos, message));
    }
    check_unique(targets.items(), SERVICE_KEY, "service", findings);
    for target in targets.items() {
        let repositories = items_of(target, "repo_info");
        check_unique(repositories, REPOSITORY_KEY, "repository", findings);
        let inputs = items_of(target, "inputs");
        check_unique(inputs, &["key"], "input", findings);
    }
}

/// The placeholder Zadig shows for a hidden value and reads back as "keep what is stored".
const MASK: &str = "********";

/// Values that are exactly Zadig's mask. Runs after references are substituted, so a
/// variable holding a mask copied from Zadig's UI is caught as well as a literal one.
pub fn check_masked_values(doc: &Node, kind: BuildKind, findings: &mut Vec<Finding>) {
    match kind {
        BuildKind::Custom => {
            // On update `EnsureSecretEnvs` swaps a masked `default_value` (of any parameter)
            // for the stored one (`docs/zadig-api.md` §4): the file's value never arrives.
            let why = "on update Zadig reads it as \"keep the stored value\" (for every \
                parameter, not only credentials), so the build would never match this file and \
                every apply would write it again";
            for parameter in items_of(doc, "parameters") {
                check_masked(parameter, "default_value", why, findings);
            }
        }
        BuildKind::Template => {
            // Template inputs have no such rule: Zadig stores the eight asterisks as the value.
            let why = "it is the mask Zadig shows for hidden values, and Zadig would store it \
                as the value itself";
            for target in items_of(doc, "target_services") {
                for input in items_of(target, "inputs") {
                    check_masked(input, "value", why, findings);
                }
            }
        }
    }
}

fn check_masked(item: &Node, value_field: &str, why: &str, findings: &mut Vec<Finding>) {
    let Some(value) = item.get(value_field) else {
        return;
    };
    if value.text() != Some(MASK) {
        return;
    }
    let key = item.get("key").and_then(Node::text).unwrap_or("?");
    let message = format!(
        "`{key}` has `{value_field}: {MASK}`: {why}; give the real value, e.g. \
         `${{env:{}}}`",
        sanitise(key)
    );
    findings.push(Finding::error("masked-value", value.pos, message));
}

/// Zadig trims spaces on create but not on lookup, and a `/` makes the detail route
/// unreachable (`docs/zadig-api.md` §10.16): either would leave a build the tool cannot manage.
/// `name` and `project_key` decide what is created, converted and deleted, and every rule on
/// them (unique names, no `/`) reads the file as written: they must not come from a reference.
fn check_identity_is_literal(doc: &Node, findings: &mut Vec<Finding>) {
    for field in ["name", "project_key"] {
        let Some(node) = doc.get(field) else { continue };
        if node.text().is_some_and(has_reference) {
            let message = format!(
                "`{field}` cannot use `${{env:…}}` or `${{file:…}}`: it identifies the build \
                 (what is created and deleted), so write it in the file"
            );
            findings.push(Finding::error("reference-in-identity", node.pos, message));
        }
    }
}

fn check_build_name(doc: &Node, findings: &mut Vec<Finding>) {
    let Some(node) = doc.get("name") else { return };
    let Some(name) = node.text() else { return };
    if name.contains('/') {
        let message = format!(
            "build name `{name}` contains `/`, which makes the build unreachable through \
             Zadig's API; use another character such as `-`"
        );
        findings.push(Finding::error("invalid-name", node.pos, message));
    }
    if name == "." || name == ".." {
        let message = format!(
            "build name `{name}` is a path step: in the detail route's path it names the \
             folder, not the build, so the build could be created but never read back; \
             choose another name"
        );
        findings.push(Finding::error("invalid-name", node.pos, message));
    }
    if !name.is_empty() && name.trim() != name {
        let message = format!(
            "build name `{name}` has spaces around it, which Zadig trims on create only; \
             remove them"
        );
        findings.push(Finding::error("invalid-name", node.pos, message));
    }
}

/// A text Zadig refuses when empty: its dotted path from the document, and why, when that is
/// more than plain `binding:"required"` (which on a string means non-empty).
type RequiredText = (&'static str, &'static str);

const CLUSTER_NAME: RequiredText = (
    "advanced_settings.cluster_name",
    " (Zadig looks the cluster up by name and answers 400 \"failed to find the cluster\")",
);

const DOCKERFILE_TEMPLATE: RequiredText = (
    "docker_build_step.template_name",
    " with `dockerfile_source: template` (Zadig looks the Dockerfile template up by name \
     and answers 400 when it finds none)",
);

fn check_non_empty(doc: &Node, kind: BuildKind, findings: &mut Vec<Finding>) {
    let required: &[RequiredText] = match kind {
        BuildKind::Custom => &[
            ("name", ""),
            ("project_key", ""),
            ("build_os", ""),
            CLUSTER_NAME,
        ],
        BuildKind::Template => &[("name", ""), ("project_key", ""), ("template_name", "")],
    };
    for &text in required {
        if let Some(node) = node_at(doc, text.0)
            && is_blank_text(node)
        {
            findings.push(empty_value(node, text));
        }
    }
}

fn is_blank_text(node: &Node) -> bool {
    node.text().is_some_and(|t| t.trim().is_empty())
}

fn empty_value(node: &Node, (path, why): RequiredText) -> Finding {
    let message = format!("`{path}` must not be empty{why}");
    Finding::error("empty-value", node.pos, message)
}

/// `dockerfile_source: template` needs a template's name; `template_name` is optional
/// otherwise (Zadig stores it only for templates), so it is not in [`check_non_empty`].
fn check_dockerfile_template(doc: &Node, findings: &mut Vec<Finding>) {
    let Some(step) = doc.get("docker_build_step") else {
        return;
    };
    if step.get("dockerfile_source").and_then(Node::text) != Some("template") {
        return;
    }
    match step.get("template_name") {
        // Optional in the schema, so a `template_name:` without a value is not reported there.
        Some(node) if node.value == Value::Null || is_blank_text(node) => {
            findings.push(empty_value(node, DOCKERFILE_TEMPLATE));
        }
        Some(_) => {}
        None => {
            let message = format!(
                "missing required field `template_name` in `docker_build_step`{}",
                DOCKERFILE_TEMPLATE.1
            );
            findings.push(Finding::error("missing-field", step.pos, message));
        }
    }
}

/// The node at a dotted path of mapping keys.
fn node_at<'n>(doc: &'n Node, path: &str) -> Option<&'n Node> {
    path.split('.').try_fold(doc, |node, key| node.get(key))
}

/// The items of a list field; none when it is absent or not a list (the schema reports that).
fn items_of<'n>(node: &'n Node, field: &str) -> &'n [Node] {
    node.get(field).map_or(&[], Node::items)
}

/// A credential written in a committed file is a leaked credential.
fn check_credential_literal(credential: &CredentialValue<'_>, findings: &mut Vec<Finding>) {
    let CredentialValue {
        key,
        field: value_field,
        value,
    } = credential;
    let Some(text) = value.text() else { return };
    // The mask gets its own, better message from `check_masked_values`.
    if text.is_empty() || text == MASK || has_reference(text) {
        return;
    }
    let message = format!(
        "`{key}` is a credential, but its `{value_field}` is written in the file; take it from \
         the environment instead: `{value_field}: ${{env:{}}}` (or `${{file:PATH}}`)",
        sanitise(key)
    );
    findings.push(Finding::error("credential-literal", value.pos, message));
}

fn check_gpu_limit(doc: &Node, findings: &mut Vec<Finding>) {
    let gpu = doc
        .get("advanced_settings")
        .and_then(|a| a.get("resource_spec"))
        .and_then(|r| r.get("gpu_limit"));
    let Some(node) = gpu else { return };
    let Some(text) = node.text() else { return };
    if let Err(why) = gpu_limit_problem(text) {
        let message = format!(
            "`gpu_limit` must have the form `resource: quantity`, e.g. `nvidia.com/gpu: 1`; \
             found `{text}`: {why} (quote it in YAML: gpu_limit: \"nvidia.com/gpu: 1\")"
        );
        findings.push(Finding::error("invalid-gpu-limit", node.pos, message));
    }
}

/// Why `text` is not a `<resource>: <quantity>` Zadig takes: the quantity as Zadig reads it
/// (`reconcile::quantity`), and, stricter than Zadig, a resource name that is there and has
/// no space (Zadig would remove the spaces and ask Kubernetes for another resource).
fn gpu_limit_problem(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Ok(());
    }
    quantity::check_gpu_limit(text).map_err(|error| error.to_string())?;
    let resource = text
        .split_once(':')
        .map_or("", |(resource, _)| resource.trim());
    if resource.is_empty() || resource.contains(char::is_whitespace) {
        return Err(format!(
            "the resource name `{resource}` is empty or has a space"
        ));
    }
    Ok(())
}

/// Reports every item whose `fields` repeat an earlier item's, naming the earlier line.
fn check_unique(items: &[Node], fields: &[&str], what: &str, findings: &mut Vec<Finding>) {
    let mut seen: HashMap<Vec<&str>, Pos> = HashMap::new();
    for item in items {
        let key: Option<Vec<&str>> = fields.iter().map(|f| item.get(f)?.text()).collect();
        let Some(key) = key else { continue };
        if let Some(first) = seen.get(&key) {
            let named = fields
                .iter()
                .zip(&key)
                .map(|(f, v)| format!("{f} `{v}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let message = format!(
                "duplicate {what} ({named}); the first is at line {}: keep one",
                first.line
            );
            let pos = item.get(fields[0]).map_or(item.pos, |n| n.pos);
            findings.push(Finding::error("duplicate", pos, message));
        } else {
            seen.insert(key, item.pos);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_limit_forms() {
        for good in [
            "",
            "nvidia.com/gpu: 1",
            "nvidia.com/gpu:2",
            "amd.com/gpu: 1.5",
            "nvidia.com/gpu: 500m",
        ] {
            assert_eq!(gpu_limit_problem(good), Ok(()), "{good}");
        }
        for bad in [
            "1",
            "nvidia.com/gpu",
            ": 1",
            "nvidia gpu: 1",
            "nvidia.com/gpu: one",
            // Zadig refuses these too: not a Kubernetes quantity, or two colons.
            "nvidia.com/gpu: 1abc",
            "nvidia.com/gpu: 1ki",
            "a: 1: 2",
        ] {
            assert!(gpu_limit_problem(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_names() {
        assert_eq!(sanitise("db-pass"), "DB_PASS");
        assert_eq!(sanitise("token"), "TOKEN");
    }
}
