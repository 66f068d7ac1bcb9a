//! Export is the inverse of normalisation: a live build, exported and loaded back by the
//! build-file loader, normalises to what the live build normalises to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::load::files::FileError;
use crate::load::{LoadOutcome, ReferenceMode, Source, load_sources};
use crate::reconcile::live::LiveDetail;
use crate::reconcile::wire::DetailResponse;

const SECRET: &str = "abc123-very-secret";

fn fixture(name: &str) -> serde_json::Value {
    let text = match name {
        "full" => include_str!("../../../tests/fixtures/zadig/full.json"),
        "minimal" => include_str!("../../../tests/fixtures/zadig/minimal.json"),
        "template" => include_str!("../../../tests/fixtures/zadig/template.json"),
        "advanced-without-spec" => {
            include_str!("../../../tests/fixtures/zadig/advanced-without-spec.json")
        }
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(text).expect("fixture JSON")
}

fn response(value: &serde_json::Value) -> DetailResponse {
    serde_json::from_value(value.clone()).expect("detail response")
}

/// The documented full custom build, its credential holding [`SECRET`].
fn full_detail() -> LiveDetail {
    let mut base = response(&fixture("full")["detail_response"]["body"]);
    for parameter in &mut base.parameters {
        if parameter.is_credential {
            parameter.value = SECRET.to_string();
        }
    }
    LiveDetail::custom(base)
}

fn template_detail() -> LiveDetail {
    let fixture = fixture("template");
    let base = response(&fixture["detail_response_without_service"]["body"]);
    let mut target = response(&fixture["detail_response_with_service"]["body"]);
    target.parameters[2].is_credential = true;
    target.parameters[2].value = SECRET.to_string();
    let service = base.target_services[0].clone();
    LiveDetail::template(base, vec![(service, target)])
}

fn export(detail: &LiveDetail) -> ExportedBuild {
    export_build(detail, &ExportOptions::default(), &mut EnvNames::default())
}

/// Loads `yaml` as the file `b/x.yaml` with the loader of `plan`, the credential variables
/// set to [`SECRET`] and `scripts` served as files.
fn load(yaml: &str, scripts: &[(&str, &str)]) -> LoadOutcome {
    let sources = [Source {
        path: PathBuf::from("b/x.yaml"),
        text: yaml.to_string(),
    }];
    let env = |_: &str| Some(SECRET.to_string());
    let files: BTreeMap<PathBuf, String> = scripts
        .iter()
        .map(|(path, text)| (Path::new("b").join(path), text.to_string()))
        .collect();
    let read = |path: &Path| {
        files
            .get(path)
            .cloned()
            .ok_or_else(|| FileError::BrokenSymlink {
                path: path.to_path_buf(),
            })
    };
    load_sources(&sources, ReferenceMode::Online, &env, &read)
}

fn round_trip(detail: &LiveDetail, placement: ScriptPlacement<'_>, scripts: &[(&str, &str)]) {
    let exported = export(detail);
    let yaml = to_yaml(&exported, placement);
    let outcome = load(&yaml, scripts);
    assert!(
        outcome.diagnostics.is_empty(),
        "{yaml}\n{:#?}",
        outcome.diagnostics
    );
    let [loaded] = outcome.desired.builds.as_slice() else {
        panic!("one build expected:\n{yaml}");
    };
    assert_eq!(loaded.spec, resolved(&exported), "{yaml}");
    let from_file = crate::reconcile::normalize::from_spec(&loaded.spec).build;
    assert_eq!(from_file, from_live(detail).build, "{yaml}");
    assert!(!yaml.contains(SECRET), "{yaml}");
}

/// The exported spec with the credentials' references resolved to [`SECRET`].
fn resolved(exported: &ExportedBuild) -> BuildSpec {
    let mut text = serde_json::to_string(&exported.spec).expect("spec JSON");
    for name in &exported.env_vars {
        text = text.replace(&format!("${{env:{name}}}"), SECRET);
    }
    serde_json::from_str(&text).expect("spec")
}

#[test]
fn a_custom_build_round_trips_through_the_loader() {
    round_trip(&full_detail(), ScriptPlacement::Inline, &[]);
}

#[test]
fn a_template_build_round_trips_through_the_loader() {
    round_trip(&template_detail(), ScriptPlacement::Inline, &[]);
}

#[test]
fn a_script_file_round_trips_through_the_loader() {
    let detail = full_detail();
    let BuildSpec::Custom(custom) = export(&detail).spec else {
        panic!("custom");
    };
    let script = custom.build_script.as_str();
    let placement = ScriptPlacement::File("scripts/api-test.sh");
    round_trip(&detail, placement, &[("scripts/api-test.sh", script)]);
}

#[test]
fn the_minimal_and_advanced_fixtures_round_trip() {
    for name in ["minimal", "advanced-without-spec"] {
        let base = response(&fixture(name)["detail_response"]["body"]);
        let detail = LiveDetail::custom(base);
        round_trip(&detail, ScriptPlacement::Inline, &[]);
    }
}

#[test]
fn text_that_looks_like_a_reference_is_exported_as_text() {
    let mut detail = full_detail();
    detail.base_mut().build_script = "echo ${env:HOME} $${x} ${SERVICE}\n".into();
    detail.base_mut().parameters[0].value = "${file:/etc/passwd}".into();
    round_trip(&detail, ScriptPlacement::Inline, &[]);
}

#[test]
fn the_marker_line_is_not_exported_and_rem_means_a_batch_file() {
    let mut detail = full_detail();
    let hash = "0".repeat(64);
    detail.base_mut().build_script = format!(
        "make\r\nREM managed by zadig-sync (build yaml/api-test); edits made in Zadig are \
         overwritten. spec=sha256:{hash}"
    );
    let exported = export(&detail);
    let BuildSpec::Custom(custom) = &exported.spec else {
        panic!("custom");
    };
    assert_eq!(custom.build_script, "make");
    assert_eq!(custom.script_type, ScriptType::BatchFile);
    let yaml = to_yaml(&exported, ScriptPlacement::Inline);
    assert!(!yaml.contains("managed by zadig-sync"), "{yaml}");
}

#[test]
fn credentials_become_generated_variables_and_are_listed() {
    let exported = export(&full_detail());
    assert_eq!(exported.env_vars, ["YAML_API_TEST_BB"]);
    let yaml = to_yaml(&exported, ScriptPlacement::Inline);
    assert!(
        yaml.contains("default_value: ${env:YAML_API_TEST_BB}"),
        "{yaml}"
    );
    let template = export(&template_detail());
    assert_eq!(template.env_vars, ["YAML_JAVA_SVC_DEPLOY_TOKEN"]);
}

#[test]
fn inferred_fields_are_listed_and_commented() {
    let mut options = ExportOptions::default();
    options
        .codehosts
        .insert("gitlab".to_string(), "my-gitlab".to_string());
    let exported = export_build(&full_detail(), &options, &mut EnvNames::default());
    let paths: Vec<&str> = exported.inferred.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "infrastructure",
            "script_type",
            "repo_info[kr-test-org1/multi-service-demo].codehost_name",
            "parameters[aa].choice_option",
        ]
    );
    let yaml = to_yaml(&exported, ScriptPlacement::Inline);
    assert!(
        yaml.contains("  - codehost_name: my-gitlab  # inferred: Zadig returns only"),
        "{yaml}"
    );
    assert_eq!(yaml.matches("# inferred:").count(), paths.len(), "{yaml}");
}

#[test]
fn an_exported_custom_build_reads_like_the_docs() {
    let exported = export(&full_detail());
    insta::assert_snapshot!(to_yaml(&exported, ScriptPlacement::Inline));
}

#[test]
fn an_exported_template_build_reads_like_the_docs() {
    let exported = export(&template_detail());
    insta::assert_snapshot!(to_yaml(&exported, ScriptPlacement::Inline));
}

#[test]
fn values_zadig_cannot_give_back_are_flagged_where_they_are_written() {
    let mut detail = full_detail();
    detail.base_mut().build_env.basic_image_label = String::new();
    detail.base_mut().parameters[0].value = "********".into();
    let exported = export(&detail);
    let yaml = to_yaml(&exported, ScriptPlacement::Inline);
    assert!(
        yaml.contains("build_os: \"\"  # inferred: Zadig returned no image label"),
        "{yaml}"
    );
    assert!(
        yaml.contains("default_value: \"********\"  # inferred: Zadig holds its mask"),
        "{yaml}"
    );
    let codes: Vec<&str> = load(&yaml, &[])
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(
        codes,
        ["empty-value", "masked-value"],
        "validate says what to fix"
    );
}

mod properties {
    use super::*;
    use crate::reconcile::spec::Install;
    use crate::reconcile::wire::{BuildEnv, DetailDockerBuild, DetailParameter, DetailRepo};
    use proptest::prelude::*;

    /// Any text, with what YAML and the reference syntax make special.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,12}",
            "[a-z \n\t#:\"'$\\{}\\-|>é中]{0,16}",
            Just("${env:HOME}".to_string()),
            Just("yes".to_string()),
            Just("1.20".to_string()),
        ]
    }

    fn parameter() -> impl Strategy<Value = DetailParameter> {
        (text(), text(), any::<bool>(), 0usize..3).prop_map(|(key, value, secret, kind)| {
            DetailParameter {
                key,
                value: if secret { SECRET.to_string() } else { value },
                kind: ["", "string", "choice"][kind].to_string(),
                is_credential: secret,
                ..DetailParameter::default()
            }
        })
    }

    fn repo() -> impl Strategy<Value = DetailRepo> {
        (text(), text(), text(), text(), any::<bool>()).prop_map(
            |(owner, name, branch, checkout, submodules)| DetailRepo {
                source: "gitlab".into(),
                repo_owner: owner,
                repo_name: name,
                branch,
                checkout_path: checkout,
                submodules,
                ..DetailRepo::default()
            },
        )
    }

    prop_compose! {
        fn custom_detail()(
            script in text(),
            os in "[a-z][a-z0-9 .]{0,10}",
            installs in prop::collection::vec((text(), text()), 0..3),
            parameters in prop::collection::vec(parameter(), 0..4),
            repos in prop::collection::vec(repo(), 0..3),
            docker in prop::option::of((text(), text(), text(), any::<bool>())),
            cluster in "[a-z][a-z0-9-]{0,10}",
            strategy in text(),
            timeout in 0i64..100,
        ) -> LiveDetail {
            let mut base = response(&fixture("minimal")["detail_response"]["body"]);
            base.build_script = script;
            base.build_env = BuildEnv {
                basic_image_label: os,
                installs: installs
                    .into_iter()
                    .map(|(name, version)| Install { name, version })
                    .collect(),
                ..BuildEnv::default()
            };
            base.parameters = parameters;
            base.repos = repos;
            base.post_build.docker_build = docker.map(|(dir, file, args, buildkit)| {
                DetailDockerBuild {
                    source: "local".into(),
                    work_dir: dir.trim().to_string(),
                    docker_file: file.trim().to_string(),
                    build_args: args,
                    enable_buildkit: buildkit,
                    ..DetailDockerBuild::default()
                }
            });
            base.advanced_settings.cluster_name = cluster;
            base.advanced_settings.strategy_name = strategy;
            base.advanced_settings.timeout = timeout;
            LiveDetail::custom(base)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn any_custom_build_normalises_the_same_after_export(detail in custom_detail()) {
            let exported = export(&detail);
            let yaml = to_yaml(&exported, ScriptPlacement::Inline);
            let outcome = load(&yaml, &[]);
            let errors: Vec<_> = outcome.diagnostics.iter().filter(|d| d.is_error()).collect();
            prop_assert!(errors.is_empty(), "{}\n{:#?}", yaml, errors);
            let [loaded] = outcome.desired.builds.as_slice() else {
                return Err(TestCaseError::fail(format!("one build expected:\n{yaml}")));
            };
            let from_file = crate::reconcile::normalize::from_spec(&loaded.spec).build;
            prop_assert_eq!(from_file, from_live(&detail).build, "{}", yaml);
            prop_assert!(!yaml.contains(SECRET));
        }
    }
}
