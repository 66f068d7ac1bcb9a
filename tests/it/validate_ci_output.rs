//! `validate --output github` and `--output gitlab` through the real binary: what the CI
//! recipes in examples/ci/ rely on (annotations at the right place, a Code Quality report that
//! is one JSON array, the exit code), and text staying the default.

use crate::util::cli::{command, describe, failed, succeeded, workspace};

const BAD: &str = "name: api\nproject_key: shop\ninfrastructure: kubernetes\nbuild_os: focal\n\
                   script_type: shell\nbuild_script: make\nnmae: typo\n";
const GOOD: &str = "name: api\nproject_key: shop\ninfrastructure: kubernetes\nbuild_os: focal\n\
                    script_type: shell\nbuild_script: make\n";

fn validate(files: &[(&str, &str)], output: &[&str]) -> std::process::Output {
    let work = workspace(files);
    let mut args = vec!["validate", "--dir", "builds.d"];
    args.extend_from_slice(output);
    command(work.path())
        .args(args)
        .output()
        .expect("run zadig-sync")
}

#[test]
fn github_output_annotates_the_line_of_each_problem() {
    let output = validate(&[("shop/api.yaml", BAD)], &["--output", "github"]);
    let text = failed(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some(
            "::error file=builds.d/shop/api.yaml,line=7,col=1,title=zadig-sync unknown-field::\
             unknown field `nmae`; did you mean `name`?"
        ),
        "{text}"
    );
    // A summary for the log, which GitHub does not read as a command.
    assert_eq!(lines.next(), Some("1 error, 0 warnings"), "{text}");
    assert_eq!(lines.next(), None, "{text}");
}

#[test]
fn github_output_of_valid_files_is_only_the_summary() {
    let output = validate(&[("shop/api.yaml", GOOD)], &["--output", "github"]);
    assert_eq!(succeeded(&output), "1 build in 1 project, 1 file\n");
}

#[test]
fn gitlab_output_is_one_code_quality_report() {
    let output = validate(&[("shop/api.yaml", BAD)], &["--output", "gitlab"]);
    let text = failed(&output);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {text}"));
    let issues = report.as_array().unwrap_or_else(|| panic!("{text}"));
    assert_eq!(issues.len(), 1, "{text}");
    assert_eq!(issues[0]["check_name"], "unknown-field");
    assert_eq!(issues[0]["severity"], "major");
    assert_eq!(issues[0]["location"]["path"], "builds.d/shop/api.yaml");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 7);
}

#[test]
fn gitlab_output_places_a_problem_without_a_file_at_the_folder() {
    let work = tempfile::tempdir().expect("tempdir");
    let output = command(work.path())
        .args(["validate", "--dir", "missing", "--output", "gitlab"])
        .output()
        .expect("run zadig-sync");
    let text = failed(&output);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(report[0]["location"]["path"], "missing", "{text}");
}

#[test]
fn text_stays_the_default() {
    let default = validate(&[("shop/api.yaml", BAD)], &[]);
    let text = validate(&[("shop/api.yaml", BAD)], &["--output", "text"]);
    assert_eq!(default.stdout, text.stdout, "{}", describe(&default));
    assert!(
        String::from_utf8_lossy(&default.stdout)
            .starts_with("builds.d/shop/api.yaml:7:1: error[unknown-field]"),
        "{}",
        describe(&default)
    );
}

#[test]
fn the_ci_formats_are_for_validate_only() {
    let work = tempfile::tempdir().expect("tempdir");
    let plan = command(work.path())
        .args(["plan", "--emulator", "--output", "github"])
        .output()
        .expect("run zadig-sync");
    let text = failed(&plan);
    assert!(text.contains("invalid value 'github'"), "{text}");
}
