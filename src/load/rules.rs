//! The rules of one build document that a schema cannot say: names Zadig mangles, empty
//! required text, `build_script` xor `build_script_file`, literal secrets, the `gpu_limit`
//! form, duplicate parameter keys and services. They run on the tree before `${…}` references
//! are substituted, so they see what the user wrote. Pure, no I/O.

use std::collections::HashMap;

use crate::load::finding::Finding;
use crate::load::refs::has_reference;
use crate::load::schema::BUILD_SCRIPT_FILE;
use crate::load::yaml::{Node, Pos, Value};
use crate::spec::BuildKind;

/// Every rule of this module over one document.
pub fn check_document(doc: &Node, kind: BuildKind, findings: &mut Vec<Finding>) {
    check_build_name(doc, findings);
    check_non_empty(doc, kind, findings);
    match kind {
        BuildKind::Custom => check_custom(doc, findings),
        BuildKind::Template => check_template(doc, findings),
    }
}

fn check_custom(doc: &Node, findings: &mut Vec<Finding>) {
    if let (Some(_), Some(file)) = (doc.get("build_script"), doc.get(BUILD_SCRIPT_FILE)) {
        let message = "`build_script` and `build_script_file` are both given; keep one of them";
        findings.push(Finding::error("script-conflict", file.pos, message));
    }
    let parameters = doc.get("parameters").map_or(&[][..], Node::items);
    check_unique(parameters, &["key"], "parameter", findings);
    for parameter in parameters {
        check_credential_literal(parameter, "default_value", findings);
    }
    let services = doc.get("services").map_or(&[][..], Node::items);
    check_unique(
        services,
        &["service_name", "service_module"],
        "service",
        findings,
    );
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
    check_unique(
        targets.items(),
        &["service_name", "service_module"],
        "service",
        findings,
    );
    for target in targets.items() {
        let inputs = target.get("inputs").map_or(&[][..], Node::items);
        check_unique(inputs, &["key"], "input", findings);
        for input in inputs {
            check_credential_literal(input, "value", findings);
        }
    }
}

/// Zadig trims spaces on create but not on lookup, and a `/` makes the detail route
/// unreachable (`zadig-openapi.md` §10.16): either would leave a build the tool cannot manage.
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
    if !name.is_empty() && name.trim() != name {
        let message = format!(
            "build name `{name}` has spaces around it, which Zadig trims on create only; \
             remove them"
        );
        findings.push(Finding::error("invalid-name", node.pos, message));
    }
}

/// Zadig rejects these when empty (`binding:"required"` on strings means non-empty).
fn check_non_empty(doc: &Node, kind: BuildKind, findings: &mut Vec<Finding>) {
    let fields: &[&str] = match kind {
        BuildKind::Custom => &["name", "project_key", "build_os"],
        BuildKind::Template => &["name", "project_key", "template_name"],
    };
    for field in fields {
        if let Some(node) = doc.get(field)
            && node.text().is_some_and(|t| t.trim().is_empty())
        {
            let message = format!("`{field}` must not be empty");
            findings.push(Finding::error("empty-value", node.pos, message));
        }
    }
}

/// A credential written in a committed file is a leaked credential.
fn check_credential_literal(item: &Node, value_field: &str, findings: &mut Vec<Finding>) {
    if item.get("is_credential").and_then(Node::as_bool) != Some(true) {
        return;
    }
    let Some(value) = item.get(value_field) else {
        return;
    };
    let Some(text) = value.text() else { return };
    if text.is_empty() || has_reference(text) {
        return;
    }
    let key = item.get("key").and_then(Node::text).unwrap_or("?");
    let message = format!(
        "`{key}` is a credential, but its `{value_field}` is written in the file; take it from \
         the environment instead: `{value_field}: ${{env:{}}}` (or `${{file:PATH}}`)",
        env_name_for(key)
    );
    findings.push(Finding::error("credential-literal", value.pos, message));
}

/// A conventional environment variable name for a parameter key: `db-pass` → `DB_PASS`.
fn env_name_for(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn check_gpu_limit(doc: &Node, findings: &mut Vec<Finding>) {
    let gpu = doc
        .get("advanced_settings")
        .and_then(|a| a.get("resource_spec"))
        .and_then(|r| r.get("gpu_limit"));
    let Some(node) = gpu else { return };
    let Some(text) = node.text() else { return };
    if !text.is_empty() && !is_gpu_limit(text) {
        let message = format!(
            "`gpu_limit` must have the form `resource: quantity`, e.g. `nvidia.com/gpu: 1`; \
             found `{text}` (quote it in YAML: gpu_limit: \"nvidia.com/gpu: 1\")"
        );
        findings.push(Finding::error("invalid-gpu-limit", node.pos, message));
    }
}

/// `<resource>: <quantity>`: a resource name without spaces, and a quantity starting with a digit.
fn is_gpu_limit(text: &str) -> bool {
    let Some((resource, quantity)) = text.split_once(':') else {
        return false;
    };
    let resource = resource.trim();
    let quantity = quantity.trim();
    !resource.is_empty()
        && !resource.contains(char::is_whitespace)
        && quantity.starts_with(|c: char| c.is_ascii_digit())
        && quantity
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.')
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
        for good in ["nvidia.com/gpu: 1", "nvidia.com/gpu:2", "amd.com/gpu: 1.5"] {
            assert!(is_gpu_limit(good), "{good}");
        }
        for bad in [
            "1",
            "nvidia.com/gpu",
            ": 1",
            "nvidia gpu: 1",
            "nvidia.com/gpu: one",
        ] {
            assert!(!is_gpu_limit(bad), "{bad}");
        }
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name_for("db-pass"), "DB_PASS");
        assert_eq!(env_name_for("token"), "TOKEN");
    }
}
