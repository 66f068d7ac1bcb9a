//! The JSON Schema (draft-07) of a build FILE: Zadig's two create bodies, from the spec types,
//! plus the loader's conveniences (`build_script_file`). Pure, no I/O.
//!
//! One schema serves two readers: `zadig-sync schema` prints it for editors, and the loader
//! checks every document against it, so the two can never disagree.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::spec::{CustomBuild, TemplateBuild};

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
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://github.com/zadig-sync/zadig-sync/build-file.schema.json",
        "title": "zadig-sync build file",
        "description": "One document of a zadig-sync build file: the body of Zadig's Create Build \
            call (custom build) or Create Build from Template call (template build), plus \
            `build_script_file`. Strings may hold ${env:NAME} and ${file:PATH} references.",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_and_the_convenience_are_in_the_schema() {
        let schema = file_schema();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        let custom = &schema["definitions"][CUSTOM_DEFINITION];
        assert_eq!(custom["properties"][BUILD_SCRIPT_FILE]["type"], "string");
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
    }
}
