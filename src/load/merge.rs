//! Merging YAML trees for defaults files: a nearer document over the one it inherits from.
//! Mappings merge key by key, anything else (a list, a scalar, `null`) is the nearer value
//! whole. Every node keeps its place, file included, so that a problem in the merged build
//! is reported where its value was written. Pure, no I/O.

use crate::load::schema::BUILD_SCRIPT_FILE;
use crate::load::yaml::{FileId, Node, Pos, Span, Value};

/// A field a build took from its defaults, and the file that wrote it.
pub type InheritedField = (String, FileId);

/// `nearer` over `farther`, for chaining defaults files (the nearer folder's over its
/// parents').
pub fn merge(nearer: Node, farther: &Node) -> Node {
    merge_at(nearer, farther, "", &mut None)
}

/// A build document over the defaults it inherits; also returns the fields it took from
/// them (see [`record`]).
pub fn inherit(own: Node, defaults: &Node) -> (Node, Vec<InheritedField>) {
    let mut fields = Vec::new();
    let merged = merge_at(own, defaults, "", &mut Some(&mut fields));
    (merged, fields)
}

/// `build_script` and `build_script_file` are one setting written two ways: a document that
/// gives either replaces the script it would inherit in either form.
fn is_script_key(name: &str) -> bool {
    name == "build_script" || name == BUILD_SCRIPT_FILE
}

/// The nearer document's keys come first, in its order, then the keys only `farther` has, so
/// that a build's first key is still its own (diagnostics place the build there).
fn merge_at(
    mut nearer: Node,
    farther: &Node,
    path: &str,
    fields: &mut Option<&mut Vec<InheritedField>>,
) -> Node {
    let (Value::Map(entries), Value::Map(theirs)) = (&mut nearer.value, &farther.value) else {
        return nearer;
    };
    for (key, value) in entries.iter_mut() {
        let Some(name) = key.text() else { continue };
        let Some(inherited) = value_of(theirs, name) else {
            continue;
        };
        if matches!(value.value, Value::Map(_)) && matches!(inherited.value, Value::Map(_)) {
            let own = std::mem::replace(value, placeholder());
            *value = merge_at(own, inherited, &join(path, name), fields);
        }
    }
    let script_given = path.is_empty()
        && entries
            .iter()
            .any(|(key, _)| key.text().is_some_and(is_script_key));
    for (key, value) in theirs {
        let Some(name) = key.text() else { continue };
        if (script_given && is_script_key(name)) || value_of(entries, name).is_some() {
            continue;
        }
        if let Some(fields) = fields {
            record(fields, field_name(path, name), value);
        }
        entries.push((key.clone(), value.clone()));
    }
    nearer
}

fn value_of<'n>(entries: &'n [(Node, Node)], name: &str) -> Option<&'n Node> {
    entries
        .iter()
        .find(|(key, _)| key.text() == Some(name))
        .map(|(_, value)| value)
}

fn placeholder() -> Node {
    Node {
        value: Value::Null,
        pos: Pos::START,
        span: Span::default(),
        from_reference: false,
        reference_places: Vec::new(),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// The field's name in the plan's terms: `build_script_file` is read into `build_script`.
fn field_name(path: &str, name: &str) -> String {
    if path.is_empty() && name == BUILD_SCRIPT_FILE {
        "build_script".to_string()
    } else {
        join(path, name)
    }
}

/// Records an inherited value: as one field when one file wrote all of it, else each of its
/// keys (a mapping that chained defaults files filled in together).
fn record(fields: &mut Vec<InheritedField>, path: String, value: &Node) {
    if let Some(file) = single_file(value) {
        fields.push((path, file));
        return;
    }
    for (key, child) in value.entries() {
        if let Some(name) = key.text() {
            record(fields, join(&path, name), child);
        }
    }
}

/// The one file every mapping of `node` was written in; list items and scalars belong to the
/// value holding them, since they are never merged.
fn single_file(node: &Node) -> Option<FileId> {
    let file = node.pos.file;
    node.entries()
        .iter()
        .all(|(_, child)| single_file(child) == Some(file))
        .then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse_documents;

    fn parsed(text: &str, file: u32) -> Node {
        let mut node = parse_documents(text).expect("YAML").remove(0);
        node.stamp(FileId(file));
        node
    }

    fn keys(node: &Node) -> Vec<&str> {
        node.entries()
            .iter()
            .filter_map(|(k, _)| k.text())
            .collect()
    }

    #[test]
    fn maps_merge_key_by_key_and_lists_and_scalars_replace_whole() {
        let defaults = parsed(
            "build_os: a\nparameters: [{key: X}, {key: Y}]\n\
             advanced_settings: {cluster_name: c, resource_spec: {cpu_limit: 1}}\n",
            1,
        );
        let own = parsed(
            "name: n\nparameters: [{key: Z}]\nadvanced_settings: {timeout: 5}\n",
            0,
        );
        let (merged, fields) = inherit(own, &defaults);
        assert_eq!(
            keys(&merged),
            ["name", "parameters", "advanced_settings", "build_os"]
        );
        assert_eq!(merged.get("parameters").map(|p| p.items().len()), Some(1));
        let advanced = merged.get("advanced_settings").expect("merged");
        assert_eq!(keys(advanced), ["timeout", "cluster_name", "resource_spec"]);
        assert_eq!(
            advanced.get("cluster_name").map(|n| n.pos.file),
            Some(FileId(1))
        );
        assert_eq!(
            advanced.get("timeout").map(|n| n.pos.file),
            Some(FileId::OWN)
        );
        let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "advanced_settings.cluster_name",
                "advanced_settings.resource_spec",
                "build_os"
            ]
        );
    }

    #[test]
    fn null_in_the_nearer_document_wins_and_stays_null() {
        let defaults = parsed("build_os: a\nadvanced_settings: {timeout: 5}\n", 1);
        let own = parsed("build_os: null\nadvanced_settings: {timeout: ~}\n", 0);
        let (merged, fields) = inherit(own, &defaults);
        assert_eq!(merged.get("build_os").map(|n| &n.value), Some(&Value::Null));
        let timeout = merged
            .get("advanced_settings")
            .and_then(|a| a.get("timeout"));
        assert_eq!(timeout.map(|n| &n.value), Some(&Value::Null));
        assert!(fields.is_empty(), "{fields:?}");
    }

    #[test]
    fn a_script_in_either_form_replaces_the_inherited_one() {
        let defaults = parsed("build_script_file: common.sh\nbuild_os: a\n", 1);
        let own = parsed("build_script: make\n", 0);
        let (merged, fields) = inherit(own, &defaults);
        assert_eq!(keys(&merged), ["build_script", "build_os"]);
        assert_eq!(fields, [("build_os".to_string(), FileId(1))]);
        let (merged, fields) = inherit(parsed("name: n\n", 0), &defaults);
        assert_eq!(keys(&merged), ["name", "build_script_file", "build_os"]);
        assert_eq!(fields[0], ("build_script".to_string(), FileId(1)));
    }

    #[test]
    fn chained_defaults_are_recorded_key_by_key_when_files_mix() {
        let outer = parsed("advanced_settings: {cluster_name: c, timeout: 1}\n", 1);
        let inner = parsed("advanced_settings: {timeout: 2}\n", 2);
        let chain = merge(inner, &outer);
        let (_, fields) = inherit(parsed("name: n\n", 0), &chain);
        assert_eq!(
            fields,
            [
                ("advanced_settings.timeout".to_string(), FileId(2)),
                ("advanced_settings.cluster_name".to_string(), FileId(1)),
            ]
        );
    }
}
