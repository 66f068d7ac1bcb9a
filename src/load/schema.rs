//! The JSON Schema (draft-07) of a build FILE: Zadig's two create bodies, from the spec types,
//! plus the loader's conveniences (`build_script_file`). Pure, no I/O.
//!
//! One schema serves two readers: `zadig-sync schema` prints it for editors, and the loader
//! checks every document against it, so the two can never disagree.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::reconcile::spec::{CustomBuild, TemplateBuild};

/// Definition names of the two document kinds in the schema's `definitions`.
pub const CUSTOM_DEFINITION: &str = "CustomBuild";
pub const TEMPLATE_DEFINITION: &str = "TemplateBuild";

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
