//! The JSON Schema (draft-07) of a build FILE: Zadig's two create bodies, from the spec types,
//! plus the loader's conveniences (`build_script_file`); and of a defaults file
//! (`_defaults.yaml`), the same fields with none required. Pure, no I/O.
//!
//! One schema serves two readers: `zadig-sync schema` prints it for editors, and the loader
//! checks every document against it, so the two can never disagree.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::reconcile::spec::{CustomBuild, TemplateBuild};

/// Definition names of the two document kinds in the schema's `definitions`.
pub const CUSTOM_DEFINITION: &str = "CustomBuild";
pub const TEMPLATE_DEFINITION: &str = "TemplateBuild";

/// Definition names of the two kinds of defaults document in [`defaults_schema`].
pub const CUSTOM_DEFAULTS: &str = "CustomDefaults";
pub const TEMPLATE_DEFAULTS: &str = "TemplateDefaults";

/// The defaults-only field that says which builds a defaults document is for.
pub const KIND: &str = "kind";

/// The file-only field that stands for `build_script`.
pub const BUILD_SCRIPT_FILE: &str = "build_script_file";

/// The draft-07 schema of one build document.
pub fn file_schema() -> Value {
    let mut generator = SchemaSettings::draft07().into_generator();
    let custom = generator.subschema_for::<CustomBuild>();
    let template = generator.subschema_for::<TemplateBuild>();
    let mut definitions = generator.take_definitions(true);
    if let Some(Value::Object(custom)) = definitions.get_mut(CUSTOM_DEFINITION) {
        add_build_script_file(custom);
    }
    let mut definitions = Value::Object(definitions);
    accept_scalars_as_text(&mut definitions);
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://github.com/zadig-sync/zadig-sync/build-file.schema.json",
        "title": "zadig-sync build file",
        "description": "One document of a zadig-sync build file: the body of Zadig's Create Build \
            call (custom build) or Create Build from Template call (template build), plus \
            `build_script_file`. Strings may hold ${env:NAME} and ${file:PATH} references. Text \
            fields also take numbers and booleans, read as written: `version: 1.20` is \
            \"1.20\".",
        "anyOf": [custom.to_value(), template.to_value()],
        "definitions": definitions,
    })
}

fn add_build_script_file(custom: &mut serde_json::Map<String, Value>) {
    if let Some(Value::Object(properties)) = custom.get_mut("properties") {
        properties.insert(
            BUILD_SCRIPT_FILE.to_string(),
            json!({
                "description": "A file holding the build script, relative to this YAML file; \
                    read into `build_script` at load time. Not together with `build_script`.",
                "type": "string",
            }),
        );
    }
    custom.insert(
        "not".to_string(),
        json!({ "required": ["build_script", BUILD_SCRIPT_FILE] }),
    );
}

/// The draft-07 schema of one document of a defaults file: a custom or template build's
/// fields, all optional (a mapping's keys too, since mappings merge key by key; a list item
/// stays whole, since lists are inherited whole), each also `null` (which removes an
/// inherited value), without `name` (each build names itself), plus `kind`.
pub fn defaults_schema() -> Value {
    let mut definitions = match file_schema().get_mut("definitions").map(Value::take) {
        Some(Value::Object(definitions)) => definitions,
        _ => serde_json::Map::new(),
    };
    let kinds = [
        (CUSTOM_DEFINITION, CUSTOM_DEFAULTS, "custom"),
        (TEMPLATE_DEFINITION, TEMPLATE_DEFAULTS, "template"),
    ];
    for (build, defaults, kind) in kinds {
        optional_copy(&mut definitions, build, defaults);
        if let Some(Value::Object(document)) = definitions.get_mut(defaults) {
            as_defaults_document(document, kind);
        }
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://github.com/zadig-sync/zadig-sync/defaults-file.schema.json",
        "title": "zadig-sync defaults file",
        "description": "One document of a defaults file (`_defaults.yaml`): values every build \
            file in its folder and below inherits, unless it sets them itself. Mappings merge \
            key by key, lists and scalars replace whole, `null` removes an inherited value. \
            `kind: template` makes a document apply to template builds; without it, it \
            applies to custom builds.",
        "anyOf": [
            { "$ref": format!("#/definitions/{CUSTOM_DEFAULTS}") },
            { "$ref": format!("#/definitions/{TEMPLATE_DEFAULTS}") },
        ],
        "definitions": Value::Object(definitions),
    })
}

/// `kind`, no `name`; a template document must say `kind: template`.
fn as_defaults_document(document: &mut serde_json::Map<String, Value>, kind: &str) {
    if let Some(Value::Object(properties)) = document.get_mut("properties") {
        properties.remove("name");
        let description = "Which builds this document is for: `custom` (the default) or \
            `template`.";
        properties.insert(
            KIND.to_string(),
            json!({ "description": description, "type": "string", "enum": [kind] }),
        );
    }
    if kind != "custom" {
        document.insert("required".to_string(), json!([KIND]));
    }
}

/// Copies definition `name` as `copy`, every property optional and nullable, and the
/// mappings it holds (not its list items) copied the same way, as `<Name>Defaults`.
fn optional_copy(definitions: &mut serde_json::Map<String, Value>, name: &str, copy: &str) {
    if definitions.contains_key(copy) {
        return;
    }
    let Some(Value::Object(mut definition)) = definitions.get(name).cloned() else {
        return;
    };
    definition.remove("required");
    // Inserted before its properties are visited, so that a definition holding itself ends.
    definitions.insert(copy.to_string(), Value::Null);
    if let Some(Value::Object(properties)) = definition.get_mut("properties") {
        for property in properties.values_mut() {
            optional_mappings(definitions, property);
            nullable(property);
        }
    }
    definitions.insert(copy.to_string(), Value::Object(definition));
}

/// Points each `$ref` to a mapping (directly or through an `anyOf`, not through `items`) at
/// its optional copy.
fn optional_mappings(definitions: &mut serde_json::Map<String, Value>, schema: &mut Value) {
    if let Some(Value::Array(alternatives)) = schema.get_mut("anyOf") {
        for alternative in alternatives {
            optional_mappings(definitions, alternative);
        }
        return;
    }
    let Some(target) = schema.get("$ref").and_then(Value::as_str) else {
        return;
    };
    let name = target.trim_start_matches("#/definitions/").to_string();
    let is_mapping = definitions
        .get(&name)
        .is_some_and(|d| d.get("properties").is_some());
    if is_mapping {
        let copy = format!("{name}Defaults");
        optional_copy(definitions, &name, &copy);
        schema["$ref"] = Value::from(format!("#/definitions/{copy}"));
    }
}

/// The property, or `null`.
fn nullable(property: &mut Value) {
    let is_null = |s: &Value| s.get("type") == Some(&Value::from("null"));
    if let Some(Value::Array(alternatives)) = property.get("anyOf")
        && alternatives.iter().any(is_null)
    {
        return;
    }
    let original = property.take();
    *property = json!({ "anyOf": [original, { "type": "null" }] });
}

/// How a text field is typed: the loader reads any scalar there as its source spelling
/// (`version: 1.20` is `"1.20"`, not `1.2`), so editors must accept what the loader accepts.
pub const TEXT_TYPES: [&str; 3] = ["string", "number", "boolean"];

/// Widens every `"type": "string"` that is not an enum to [`TEXT_TYPES`]. Enums stay text only:
/// the loader compares their spelling, and `script_type: 1` matches none.
fn accept_scalars_as_text(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.get("type") == Some(&Value::from("string")) && !map.contains_key("enum") {
                map.insert("type".to_string(), json!(TEXT_TYPES));
            }
            map.values_mut().for_each(accept_scalars_as_text);
        }
        Value::Array(items) => items.iter_mut().for_each(accept_scalars_as_text),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_and_the_convenience_are_in_the_schema() {
        let schema = file_schema();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        let custom = &schema["definitions"][CUSTOM_DEFINITION];
        assert_eq!(
            custom["properties"][BUILD_SCRIPT_FILE]["type"],
            json!(TEXT_TYPES)
        );
        assert_eq!(custom["additionalProperties"], false);
        let template = &schema["definitions"][TEMPLATE_DEFINITION];
        assert_eq!(
            template["required"],
            json!(["name", "project_key", "template_name", "target_services"])
        );
        assert_eq!(
            schema["definitions"]["Infrastructure"]["enum"],
            json!(["kubernetes", "vm"])
        );
        assert_eq!(schema["definitions"]["Infrastructure"]["type"], "string");
    }

    #[test]
    fn a_defaults_document_requires_nothing_and_takes_null_but_keeps_list_items_whole() {
        let schema = defaults_schema();
        let definitions = &schema["definitions"];
        let custom = &definitions[CUSTOM_DEFAULTS];
        assert!(custom.get("required").is_none());
        assert!(custom["properties"].get("name").is_none());
        assert_eq!(custom["properties"][KIND]["enum"], json!(["custom"]));
        assert_eq!(custom["additionalProperties"], false);
        let build_os = &custom["properties"]["build_os"]["anyOf"];
        assert_eq!(build_os[1], json!({ "type": "null" }));
        let advanced = &custom["properties"]["advanced_settings"]["anyOf"][0]["$ref"];
        assert_eq!(advanced, "#/definitions/AdvancedSettingsDefaults");
        assert!(
            definitions["AdvancedSettingsDefaults"]
                .get("required")
                .is_none()
        );
        assert!(definitions["ResourceSpecDefaults"].is_object());
        // List items are inherited whole: a repository still needs all of its fields.
        assert_eq!(
            definitions["RepoInfo"]["required"],
            json!(["codehost_name", "repo_namespace", "repo_name", "branch"])
        );
        let template = &definitions[TEMPLATE_DEFAULTS];
        assert_eq!(template["required"], json!([KIND]));
        assert_eq!(template["properties"][KIND]["enum"], json!(["template"]));
        // The build file's own definitions are untouched.
        assert!(definitions[CUSTOM_DEFINITION]["required"].is_array());
    }

    #[test]
    fn text_fields_take_numbers_and_booleans_like_the_loader() {
        let schema = file_schema();
        let definitions = &schema["definitions"];
        assert_eq!(
            definitions["Install"]["properties"]["version"]["type"],
            json!(["string", "number", "boolean"])
        );
        assert_eq!(
            definitions["Parameter"]["properties"]["choice_option"]["items"]["type"],
            json!(TEXT_TYPES)
        );
        let text = schema.to_string();
        let plain_strings = text.matches(r#""type":"string""#).count();
        let enums = text.matches(r#""enum":"#).count();
        assert_eq!(plain_strings, enums, "only enums stay text-only");
    }
}
