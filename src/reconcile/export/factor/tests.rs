//! Factoring never changes a build: each build file merged with the defaults file loads to
//! the build as exported, whatever the builds share.

use std::path::{Path, PathBuf};

use super::*;
use crate::load::files::FileError;
use crate::load::{ReferenceMode, Source, load_sources};
use crate::reconcile::export::{EnvNames, ExportOptions, ScriptPlacement, export_build, to_yaml};
use crate::reconcile::live::LiveDetail;
use crate::reconcile::spec::BuildSpec;
use crate::reconcile::wire::DetailResponse;

/// The documented full custom build, renamed, with its own script, `adjust`ed.
fn exported(name: &str, adjust: impl Fn(&mut DetailResponse)) -> String {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../../../../tests/fixtures/zadig/full.json"))
            .expect("fixture JSON");
    let mut detail: DetailResponse =
        serde_json::from_value(fixture["detail_response"]["body"].clone()).expect("detail");
    detail.name = name.to_string();
    detail.build_script = format!("make {name}\n");
    adjust(&mut detail);
    let exported = export_build(
        &LiveDetail::custom(detail),
        &ExportOptions::default(),
        &mut EnvNames::default(),
    );
    to_yaml(&exported, ScriptPlacement::Inline)
}

/// The builds of `files` (path, text) as the loader reads them, every variable set.
fn load(files: &[(String, String)]) -> Vec<BuildSpec> {
    let sources: Vec<Source> = files
        .iter()
        .map(|(path, text)| Source {
            path: PathBuf::from(path),
            text: text.clone(),
        })
        .collect();
    let read = |path: &Path| {
        Err(FileError::BrokenSymlink {
            path: path.to_path_buf(),
        })
    };
    let outcome = load_sources(
        &sources,
        ReferenceMode::Online,
        &|_| Some("x".into()),
        &read,
    );
    assert!(outcome.diagnostics.is_empty(), "{:#?}", outcome.diagnostics);
    outcome.desired.builds.into_iter().map(|b| b.spec).collect()
}

fn as_files(texts: &[String]) -> Vec<(String, String)> {
    let names = ["a", "b", "c"];
    (texts.iter().zip(names))
        .map(|(text, name)| (format!("p/{name}.yaml"), text.clone()))
        .collect()
}

#[test]
fn the_merged_builds_are_the_exported_builds() {
    let builds = vec![
        exported("a", |_| {}),
        exported("b", |d| d.advanced_settings.timeout = 90),
        exported("c", |d| {
            d.build_env.basic_image_label = "ubuntu 22.04".into()
        }),
    ];
    let factored = factor("yaml", &builds).expect("shared values");
    let mut files = as_files(&factored.builds);
    files.push(("p/_defaults.yaml".into(), factored.defaults.clone()));
    assert_eq!(load(&files), load(&as_files(&builds)), "{factored:#?}");

    let defaults = &factored.defaults;
    for shared in [
        "infrastructure: kubernetes  # inferred",
        "cluster_name:",
        "  resource_spec:",
    ] {
        assert!(defaults.contains(shared), "{shared:?} in\n{defaults}");
    }
    for own in ["name:", "build_script", "build_os", "  timeout"] {
        let written = defaults.lines().any(|line| line.starts_with(own));
        assert!(!written, "{own:?} is not shared:\n{defaults}");
    }
    let b = &factored.builds[1];
    assert!(b.starts_with("# Exported from Zadig"), "{b}");
    assert!(b.contains("advanced_settings:\n  timeout: 90\n"), "{b}");
    assert!(!b.contains("infrastructure"), "{b}");
}

#[test]
fn a_mapping_all_of_whose_keys_are_shared_is_left_out_of_the_builds() {
    let builds = vec![exported("a", |_| {}), exported("b", |_| {})];
    let factored = factor("yaml", &builds).expect("shared values");
    for build in &factored.builds {
        assert!(!build.contains("advanced_settings"), "{build}");
        assert!(build.contains("build_script:"), "{build}");
    }
    assert!(factored.defaults.contains("advanced_settings:\n"));
}

#[test]
fn one_build_or_nothing_shared_gives_no_defaults() {
    assert_eq!(factor("p", &[exported("a", |_| {})]), None);
    let unlike = [
        "name: a\nproject_key: p\n".to_string(),
        "name: b\nproject_key: p\n".to_string(),
    ];
    assert_eq!(factor("p", &unlike), None);
}
