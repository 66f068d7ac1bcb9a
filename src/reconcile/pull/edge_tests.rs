//! Pulling into files written the ways a pull must not trip on, against the documented
//! minimal build (`minimal.json`): scripts that become blocks or lines, a list item's first
//! key, flow lists, mappings the file lacks, `${file:}` references, Zadig's mask, secrets,
//! and `--override-defaults` with a list.

use serde_json::{Value, json};

use super::tests::{SECRET, changed_lines, left, lines, live_of, pull_with};
use super::{BuildPull, LiveDetail};

const MINIMAL: &str = "\
name: minimal
project_key: yaml
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make
";

fn minimal(edit: impl FnOnce(&mut Value)) -> LiveDetail {
    let text = include_str!("../../../tests/fixtures/zadig/minimal.json");
    let fixture: Value = serde_json::from_str(text).expect("fixture JSON");
    live_of(fixture["detail_response"]["body"].clone(), edit)
}

/// `file` pulled against the minimal build edited by `edit`.
fn pulled(file: &str, edit: impl FnOnce(&mut Value)) -> (BuildPull, String, LiveDetail) {
    let detail = minimal(edit);
    let (pulled, new) = pull_with(file, &detail, &[], false);
    (pulled, new, detail)
}

/// Pulls and checks the lines changed and that the file then says what Zadig has.
fn check(file: &str, edit: impl FnOnce(&mut Value), removed: &[&str], added: &[&str]) {
    let (result, new, detail) = pulled(file, edit);
    assert!(result.skipped.is_empty(), "{:?}\n{new}", result.skipped);
    assert_eq!(
        changed_lines(file, &new),
        (lines(removed), lines(added)),
        "{new}"
    );
    assert_eq!(left(&new, &detail, &[]), Vec::<String>::new(), "{new}");
}

#[test]
fn a_one_line_script_becomes_a_block_and_back() {
    let file = MINIMAL.replace(
        "build_script: make",
        "build_script: make  # the whole build",
    );
    check(
        &file,
        |d| d["build_script"] = "make\nmake test\n".into(),
        &["build_script: make  # the whole build"],
        &[
            "build_script: |  # the whole build",
            "  make",
            "  make test",
        ],
    );
    let block = MINIMAL.replace(
        "build_script: make",
        "build_script: |-\n    make\n    make test",
    );
    check(
        &block,
        |d| d["build_script"] = "make all".into(),
        &["build_script: |-", "    make", "    make test"],
        &["build_script: make all"],
    );
}

#[test]
fn a_list_items_first_key_and_flow_lists_are_edited_in_place() {
    let file = format!(
        "{MINIMAL}repo_info:\n  - remote_name: upstream\n    codehost_name: github\n    \
         repo_namespace: org\n    repo_name: app\n    branch: main\nparameters: [{{key: A, default_value: x}}]\n"
    );
    let repo =
        json!([{"source": "github", "repo_owner": "org", "repo_name": "app", "branch": "main"}]);
    let parameters = json!([
        {"key": "A", "value": "x", "is_credential": false},
        {"key": "B", "value": "y, z", "is_credential": false},
    ]);
    check(
        &file,
        |d| {
            d["repos"] = repo;
            d["parameters"] = parameters;
        },
        &[
            "  - remote_name: upstream",
            "    codehost_name: github",
            "parameters: [{key: A, default_value: x}]",
        ],
        &[
            "  - codehost_name: github",
            "parameters: [{key: A, default_value: x}, {key: B, default_value: \"y, z\"}]",
        ],
    );
}

#[test]
fn what_the_file_lacks_is_added_whole_with_what_it_needs() {
    check(
        MINIMAL,
        |d| {
            d["advanced_settings"]["timeout"] = 90.into();
            d["post_build"]["docker_build"] = json!({"source": "template",
                "template_name": "go-dockerfile", "work_dir": ".", "docker_file": "",
                "build_args": "", "enable_buildkit": false, "platform": ""});
        },
        &[],
        &[
            "docker_build_step:",
            "  dockerfile_source: template",
            "  build_context_dir: \".\"",
            "  template_name: go-dockerfile",
            "advanced_settings:",
            "  cluster_name: local-20250523164625",
            "  strategy_name: 随机调度",
            "  timeout: 90",
            "  resource_spec:",
            "    cpu_limit: 1000",
            "    memory_limit: 512",
        ],
    );
}

#[test]
fn a_file_reference_the_mask_and_a_secret_are_left_with_their_reason() {
    let file = format!(
        "{MINIMAL}parameters:\n  - key: A\n    default_value: x\n  - key: B\n    default_value: y\n"
    )
    .replace("build_script: make", "build_script: ${file:build.sh}");
    let detail = minimal(|d| {
        d["build_script"] = "make other".into();
        d["parameters"] = json!([
            {"key": "A", "value": "********", "is_credential": false},
            {"key": "B", "value": format!("token={SECRET}"), "is_credential": false},
        ]);
    });
    let (result, new) = pull_with(&file, &detail, &[("b/build.sh", "make\n")], false);
    let reasons: Vec<(&str, &str)> = (result.skipped.iter())
        .map(|s| (s.path.as_str(), s.why.word()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("build_script", "reference"),
            ("parameters[A].default_value", "mask"),
            ("parameters[B].default_value", "secret"),
        ]
    );
    assert_eq!(new, file);
}

#[test]
fn a_type_that_takes_choices_says_its_choices_are_not_returned() {
    let file =
        format!("{MINIMAL}parameters:\n  - key: A\n    type: string\n    default_value: x\n");
    let (result, new, detail) =
        pulled(
            &file,
            |d| {
                d["parameters"] =
                    json!([{"key": "A", "value": "x", "type": "choice", "is_credential": false}])
            },
        );
    assert_eq!(
        changed_lines(&file, &new),
        (lines(&["    type: string"]), lines(&["    type: choice"]))
    );
    let written: Vec<&str> = result.written.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(written, ["parameters[A].choice_option"]);
    assert_eq!(left(&new, &detail, &[]), Vec::<String>::new());
}

#[test]
fn an_inherited_list_is_overridden_whole_when_asked() {
    let defaults = "parameters:\n  - key: A\n    default_value: x\n";
    let others = [("b/_defaults.yaml", defaults)];
    let detail = minimal(|d| {
        d["parameters"] = json!([{"key": "A", "value": "changed", "is_credential": false}])
    });
    let (kept, same) = pull_with(MINIMAL, &detail, &others, false);
    assert_eq!(
        (kept.skipped[0].why.word(), same.as_str()),
        ("inherited", MINIMAL)
    );
    let (result, new) = pull_with(MINIMAL, &detail, &others, true);
    assert!(result.skipped.is_empty(), "{:?}", result.skipped);
    assert_eq!(
        changed_lines(MINIMAL, &new),
        (
            lines(&[]),
            lines(&["parameters:", "  - key: A", "    default_value: changed"])
        )
    );
    assert_eq!(left(&new, &detail, &others), Vec::<String>::new());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    const FILE: &str = "\
name: minimal
project_key: yaml
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: |
  make
repo_info:
  - {codehost_name: github, repo_namespace: org, repo_name: app, branch: 'main'}
parameters:
  - key: A
    default_value: \"x\"
  - key: B
    default_value: y
";

    fn repo(branch: &str) -> Value {
        json!([{"source": "github", "repo_owner": "org", "repo_name": "app", "branch": branch}])
    }

    fn parameters(a: &str, b: &str) -> Value {
        json!([
            {"key": "A", "value": a, "is_credential": false},
            {"key": "B", "value": b, "is_credential": false},
        ])
    }

    proptest! {
        /// Whatever text Zadig holds, the pulled file loads back to exactly it.
        #[test]
        fn any_text_zadig_holds_reads_back_from_the_file(
            branch in "[a-z0-9 #:,'\"{}\\[\\]\\\\$\n\t-]{1,16}",
            a in "[a-z0-9 #:'\"$\\{\\}\n\r\t*-]{0,16}",
            b in "(\\$\\{env:[A-Z]{1,3}\\}|[a-z \n]){0,4}",
            script in "[a-z #|>:\n\t$\\{\\}-]{0,24}",
        ) {
            prop_assume!(a != "********" && !a.contains(SECRET) && !branch.contains(SECRET));
            let detail = minimal(|d| {
                d["repos"] = repo(&branch);
                d["parameters"] = parameters(&a, &b);
                d["build_script"] = script.clone().into();
            });
            let (result, new) = pull_with(FILE, &detail, &[], false);
            prop_assert!(result.skipped.is_empty(), "{:?}\n{}", result.skipped, new);
            prop_assert_eq!(left(&new, &detail, &[]), Vec::<String>::new(), "{}", new);
        }
    }
}
