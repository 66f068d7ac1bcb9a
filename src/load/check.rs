//! Checks one document's tree against the file schema and turns it into JSON for serde:
//! unknown fields (with "did you mean"), missing required fields, wrong types, bad enum values,
//! every one reported at its node. Pure, no I/O.
//!
//! Only the subset of JSON Schema that schemars emits for the spec types is interpreted:
//! `$ref`, `anyOf` with a `null` alternative (an `Option`), `enum`, `type` (a text field's
//! list of types included), `items`, `properties`/`required`, and `true` (any value).

use serde_json::{Map, Number, Value as Json};

use crate::load::finding::Finding;
use crate::load::schema::TEXT_TYPES;
use crate::load::yaml::{Node, Scalar, Value};

/// The schema that accepts anything.
static ANY: Json = Json::Bool(true);

pub struct Checker<'a> {
    /// The file schema of [`crate::load::schema::file_schema`]; `$ref`s point into it.
    schema: &'a Json,
    pub findings: Vec<Finding>,
}

impl<'a> Checker<'a> {
    pub fn new(schema: &'a Json) -> Self {
        Self {
            schema,
            findings: Vec::new(),
        }
    }

    /// Checks a document against the named definition (`CustomBuild` or `TemplateBuild`).
    /// Returns the JSON of what could be read; absent or broken fields are left out.
    pub fn document(&mut self, doc: &Node, definition: &str) -> Json {
        match self.schema["definitions"].get(definition) {
            Some(schema) => self.conform(doc, schema, "").unwrap_or(Json::Null),
            None => to_json(doc),
        }
    }

    fn conform(&mut self, node: &Node, schema: &'a Json, field: &str) -> Option<Json> {
        let schema = self.resolve(schema, &node.value);
        if is_any(schema) {
            return Some(to_json(node));
        }
        if node.value == Value::Null {
            return None;
        }
        if let Some(Json::Array(allowed)) = schema.get("enum") {
            return self.one_of(node, allowed, field);
        }
        match type_of(schema) {
            Some("string") => self.scalar(node, field, "text", node.text().map(Json::from)),
            Some("integer") => self.scalar(node, field, WHOLE_NUMBER, as_integer(node)),
            Some("boolean") => {
                self.scalar(node, field, "true or false", node.as_bool().map(Json::Bool))
            }
            Some("array") => self.array(node, schema, field),
            Some("object") => self.object(node, schema, field),
            _ => Some(to_json(node)),
        }
    }

    /// Follows `$ref`, and picks the non-null alternative of an `Option`'s `anyOf`.
    fn resolve(&self, mut schema: &'a Json, value: &Value) -> &'a Json {
        // Bounded, so that a schema whose references go round in a circle cannot hang us.
        for _ in 0..16 {
            if let Some(target) = schema.get("$ref").and_then(Json::as_str) {
                let name = target.trim_start_matches("#/definitions/");
                match self.schema["definitions"].get(name) {
                    Some(found) => schema = found,
                    None => return &ANY,
                }
            } else if let Some(Json::Array(alternatives)) = schema.get("anyOf") {
                let is_null = |s: &Json| s.get("type") == Some(&Json::from("null"));
                match alternatives
                    .iter()
                    .find(|s| is_null(s) == (*value == Value::Null))
                {
                    Some(alternative) => schema = alternative,
                    None => return schema,
                }
            } else {
                break;
            }
        }
        schema
    }

    fn scalar(
        &mut self,
        node: &Node,
        field: &str,
        expected: &str,
        value: Option<Json>,
    ) -> Option<Json> {
        if value.is_none() {
            self.type_error(node, field, expected);
        }
        value
    }

    fn one_of(&mut self, node: &Node, allowed: &[Json], field: &str) -> Option<Json> {
        let names: Vec<&str> = allowed.iter().filter_map(Json::as_str).collect();
        let found = node.text().unwrap_or_default();
        if names.contains(&found) {
            return Some(Json::from(found));
        }
        let hint = suggest(found, &names)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        let message = format!(
            "`{}` must be one of {}; found {}{hint}",
            field,
            names.join(", "),
            shown(node)
        );
        self.findings
            .push(Finding::error("invalid-value", node.pos, message));
        None
    }

    fn array(&mut self, node: &Node, schema: &'a Json, field: &str) -> Option<Json> {
        let Value::Seq(items) = &node.value else {
            self.type_error(node, field, "a list");
            return None;
        };
        let item_schema = schema.get("items").unwrap_or(&ANY);
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_field = format!("{field}[{index}]");
            match self.conform(item, item_schema, &item_field) {
                Some(value) => out.push(value),
                None if item.value == Value::Null => {
                    let message = format!("`{item_field}` is an empty list item; remove it");
                    self.findings
                        .push(Finding::error("invalid-type", item.pos, message));
                }
                None => {}
            }
        }
        Some(Json::Array(out))
    }

    fn object(&mut self, node: &Node, schema: &'a Json, field: &str) -> Option<Json> {
        let Value::Map(entries) = &node.value else {
            self.type_error(node, field, "a mapping of fields");
            return None;
        };
        let properties = schema.get("properties").and_then(Json::as_object);
        let known: Vec<&str> = properties
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .collect();
        let mut out = Map::new();
        for (key, value) in entries {
            let name = key.text().unwrap_or_default();
            match properties.and_then(|p| p.get(name)) {
                Some(property) => {
                    let child = join(field, name);
                    if let Some(json) = self.conform(value, property, &child) {
                        out.insert(name.to_string(), json);
                    }
                }
                None => self.unknown_field(key, &known, field),
            }
        }
        self.missing_fields(node, schema, field, &out);
        Some(Json::Object(out))
    }

    fn missing_fields(
        &mut self,
        node: &Node,
        schema: &Json,
        field: &str,
        read: &Map<String, Json>,
    ) {
        let required = schema.get("required").and_then(Json::as_array);
        for name in required.into_iter().flatten().filter_map(Json::as_str) {
            if read.contains_key(name) {
                continue;
            }
            let message = match node.get(name) {
                Some(present) if present.value == Value::Null => {
                    format!("`{}` has no value; it is required", join(field, name))
                }
                Some(_) => continue, // present but broken: already reported
                None => format!("missing required field `{}`{}", name, within(field)),
            };
            let pos = node.get(name).map_or(node.pos, |n| n.pos);
            self.findings
                .push(Finding::error("missing-field", pos, message));
        }
    }

    fn unknown_field(&mut self, key: &Node, known: &[&str], field: &str) {
        let name = key.text().unwrap_or_default();
        let hint = match suggest(name, known) {
            Some(near) => format!("; did you mean `{near}`?"),
            None => format!("; expected one of: {}", known.join(", ")),
        };
        let message = format!("unknown field `{name}`{}{hint}", within(field));
        self.findings
            .push(Finding::error("unknown-field", key.pos, message));
    }

    fn type_error(&mut self, node: &Node, field: &str, expected: &str) {
        let mut message = match &node.value {
            // A number that is not whole: say so, rather than "a number, found a number".
            Value::Scalar(Scalar::Float(_)) if expected == WHOLE_NUMBER => {
                format!("`{field}`: {} is not a whole number", shown(node))
            }
            _ => format!("`{field}` must be {expected}, found {}", node.describe()),
        };
        if let Some(hint) = shape_hint(field, node) {
            message.push_str(hint);
        }
        self.findings
            .push(Finding::error("invalid-type", node.pos, message));
    }
}

/// Where Zadig's docs mislead, say so: the code takes other shapes (`docs/zadig-api.md` §2.3).
fn shape_hint(field: &str, node: &Node) -> Option<&'static str> {
    match (field, &node.value) {
        ("docker_build_step" | "advanced_settings", Value::Seq(_)) => {
            Some(" (Zadig's docs show a list, but Zadig takes a single mapping: drop the `-`)")
        }
        ("installs", Value::Scalar(_)) => Some(
            " (Zadig's docs say text, but Zadig takes a list like `[{name: go, version: \"1.22\"}]`)",
        ),
        (_, Value::Scalar(Scalar::Str(text))) if is_yaml11_bool(text) => {
            Some(" (`yes`/`no`/`on`/`off` are text here: write true or false)")
        }
        _ => None,
    }
}

fn is_yaml11_bool(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "yes" | "no" | "on" | "off" | "y" | "n"
    )
}

/// The schema's `type`, where a text field's [`TEXT_TYPES`] list reads as `string`: any scalar,
/// taken as its spelling.
fn type_of(schema: &Json) -> Option<&str> {
    match schema.get("type")? {
        Json::String(name) => Some(name),
        Json::Array(names) if names.iter().any(|name| name == TEXT_TYPES[0]) => Some(TEXT_TYPES[0]),
        _ => None,
    }
}

fn is_any(schema: &Json) -> bool {
    schema == &Json::Bool(true) || schema.as_object().is_some_and(Map::is_empty)
}

const WHOLE_NUMBER: &str = "a whole number";

fn as_integer(node: &Node) -> Option<Json> {
    match node.value {
        Value::Scalar(Scalar::Int(i, _)) => Some(Json::from(i)),
        _ => None,
    }
}

/// Any YAML value as JSON, for fields Zadig takes as any JSON (annotation and label values).
fn to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Scalar(Scalar::Str(s)) => Json::from(s.as_str()),
        Value::Scalar(Scalar::Bool(b, _)) => Json::Bool(*b),
        Value::Scalar(Scalar::Int(i, _)) => Json::from(*i),
        Value::Scalar(Scalar::Float(text)) => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Json::from(text.as_str()), Json::Number),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.text().unwrap_or_default().to_string(), to_json(v)))
                .collect(),
        ),
    }
}

fn join(field: &str, name: &str) -> String {
    if field.is_empty() {
        name.to_string()
    } else {
        format!("{field}.{name}")
    }
}

fn within(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!(" in `{field}`")
    }
}

/// A value as a message shows it: short scalars quoted, anything else by its kind.
fn shown(node: &Node) -> String {
    if node.from_reference {
        return "the value of a reference (not shown: it may be a secret)".to_string();
    }
    match node.text() {
        Some(text) if text.chars().count() <= 40 => format!("`{text}`"),
        _ => node.describe().to_string(),
    }
}

/// The closest candidate within a small edit distance (or equal but for case), if any.
pub fn suggest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), *c))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// Edit distance over characters where swapping two neighbours counts as one edit
/// (optimal string alignment), so `nmae` is one edit from `name`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let fields = ["name", "project_key", "build_os", "script_type"];
        assert_eq!(suggest("nmae", &fields), Some("name"));
        assert_eq!(suggest("Name", &fields), Some("name"));
        assert_eq!(suggest("projectkey", &fields), Some("project_key"));
        assert_eq!(suggest("colour", &fields), None);
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("nmae", "name"), 1);
    }
}
