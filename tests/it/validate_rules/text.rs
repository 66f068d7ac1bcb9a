//! Scalars in text fields: the loader reads them as written, and the JSON Schema that editors
//! use accepts what the loader accepts.

use serde_json::Value as Json;

use super::{VALID, load_with};
use zadig_sync::load::ReferenceMode;
use zadig_sync::load::schema::file_schema;
use zadig_sync::reconcile::spec::BuildSpec;

fn with_install_version(version: &str) -> String {
    format!("{VALID}installs:\n  - name: go\n    version: {version}\n")
}

#[test]
fn numbers_and_booleans_in_text_fields_load_as_written() {
    let yaml = format!(
        "{}parameters:\n  - {{key: DEBUG, default_value: true}}\n  - {{key: RETRIES, default_value: 007}}\n",
        with_install_version("1.20")
    );
    let outcome = load_with(&[("b/a.yaml", &yaml)], ReferenceMode::Online, &[]);
    assert_eq!(outcome.diagnostics, vec![]);
    let BuildSpec::Custom(build) = &outcome.desired.builds[0].spec else {
        panic!("a custom build");
    };
    assert_eq!(build.installs[0].version, "1.20");
    let defaults: Vec<&str> = build
        .parameters
        .iter()
        .map(|p| p.default_value.as_str())
        .collect();
    assert_eq!(defaults, ["true", "007"]);
}

/// For `installs[].version`, each YAML value (and the JSON type an editor sees for it): the
/// loader accepts it exactly when the schema's `type` lists that JSON type.
#[test]
fn the_schema_accepts_what_the_loader_accepts_in_a_text_field() {
    let schema = file_schema();
    let types = &schema["definitions"]["Install"]["properties"]["version"]["type"];
    let listed = |kind: &str| {
        types
            .as_array()
            .is_some_and(|t| t.contains(&Json::from(kind)))
    };
    for (yaml, json_type) in [
        ("'1.22'", "string"),
        ("1.20", "number"),
        ("7", "number"),
        ("true", "boolean"),
        ("[1, 2]", "array"),
        ("{major: 1}", "object"),
    ] {
        let outcome = load_with(
            &[("b/a.yaml", &with_install_version(yaml))],
            ReferenceMode::Online,
            &[],
        );
        let loader_accepts = !outcome.has_errors();
        assert_eq!(
            loader_accepts,
            listed(json_type),
            "{yaml}: {:?}",
            outcome.diagnostics
        );
        if !loader_accepts {
            let message = &outcome.diagnostics[0].message;
            assert!(
                message.starts_with("`installs[0].version` must be text"),
                "{message}"
            );
        }
    }
}
