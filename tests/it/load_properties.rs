//! Property tests of the loader (issue 12, "proved continuously"): whatever a build file holds
//! (any YAML, JSON-shaped documents with known fields of the wrong types, nulls, deep nesting,
//! huge strings, control characters, several documents), loading never panics, and every
//! error names its file and a line.
//!
//! Cases per property: `PROPTEST_CASES` (64 by default, what CI runs); a longer run is
//! `PROPTEST_CASES=5000 cargo test --release --test it load_properties`.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Map, Value};
use zadig_sync::load::files::FileError;
use zadig_sync::load::{LoadOutcome, ReferenceMode, Source, load_sources};

const FIELDS: [&str; 16] = [
    "name",
    "project_key",
    "infrastructure",
    "build_os",
    "script_type",
    "build_script",
    "build_script_file",
    "services",
    "installs",
    "repo_info",
    "parameters",
    "advanced_settings",
    "docker_build_step",
    "template_name",
    "target_services",
    "is_credential",
];

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ._-]{0,12}",
        Just("${env:MISSING}".to_owned()),
        Just("${file:../../etc/passwd}".to_owned()),
        Just("x".repeat(100_000)),
        "\\PC{0,20}",
        "[\u{0}-\u{1f}\u{1b}\u{7f}]{1,8}",
    ]
}

/// JSON values whose objects use the build file's field names: wrong types, nulls, nesting.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(40, 200, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(&FIELDS[..]), inner), 0..8).prop_map(
                |entries| {
                    let map: Map<String, Value> = entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect();
                    Value::Object(map)
                }
            ),
        ]
    })
}

fn file_text() -> impl Strategy<Value = String> {
    prop_oneof![
        // Anything at all.
        "\\PC{0,200}",
        // Documents that are JSON (valid YAML) of arbitrary shape.
        prop::collection::vec(value(), 1..4).prop_map(|docs| {
            docs.iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join("\n---\n")
        }),
        // Deep nesting, both styles.
        (1usize..3_000).prop_map(|depth| "[".repeat(depth)),
        (1usize..3_000).prop_map(|depth| "- ".repeat(depth) + "x\n"),
        // A nearly valid build with one field replaced by an arbitrary value.
        (prop::sample::select(&FIELDS[..]), value()).prop_map(|(field, v)| {
            let mut build = serde_json::json!({"name": "b", "project_key": "p",
                "infrastructure": "vm", "build_os": "ubuntu 22.04", "script_type": "shell",
                "build_script": "make"});
            build[field] = v;
            build.to_string()
        }),
    ]
}

fn load(text: String, mode: ReferenceMode) -> LoadOutcome {
    let sources = [Source {
        path: PathBuf::from("builds.d/p/b.yaml"),
        text,
    }];
    let env = |_: &str| None;
    let read = |path: &Path| -> Result<String, FileError> {
        Err(FileError::NotRegularFile {
            path: path.to_owned(),
        })
    };
    load_sources(&sources, mode, &env, &read)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn loading_any_file_never_panics_and_places_every_error(text in file_text()) {
        for mode in [ReferenceMode::Offline, ReferenceMode::Online] {
            let outcome = load(text.clone(), mode);
            for diagnostic in outcome.diagnostics.iter().filter(|d| d.is_error()) {
                let origin = diagnostic.origin.as_ref();
                prop_assert!(origin.is_some_and(|o| o.line >= 1), "{diagnostic:?}");
                prop_assert!(!diagnostic.message.is_empty());
            }
            if !outcome.has_errors() {
                for build in &outcome.desired.builds {
                    prop_assert!(!build.spec.name().is_empty());
                }
            }
        }
    }
}
