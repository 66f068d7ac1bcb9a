//! The commands and flags people reach for: `show`, `completions`, `--version` with the
//! commit, help that describes every flag under its heading, and values refused up front.

use clap::CommandFactory;
use zadig_sync::cli::Cli;

use crate::util::cli::{Emulator, command, describe, succeeded, transcript, workspace, zadig_sync};

const BUILD: &str = "\
name: shown
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make
";

fn run(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    command(dir.path()).args(args).output().expect("run")
}

#[test]
fn show_prints_a_saved_plan_in_every_format_without_applying_it() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("shown.yaml", BUILD)]);
    let planned = zadig_sync(dir.path(), &emulator, &["plan", "--out", "plan.json"]);
    let text = succeeded(&planned);
    let writes = emulator.write_count();

    let shown = command(dir.path())
        .args(["show", "plan.json"])
        .output()
        .expect("show");
    assert_eq!(succeeded(&shown), text, "show prints what plan printed");
    insta::assert_snapshot!(transcript(&shown, Some(&emulator)));
    for format in ["json", "markdown"] {
        let printed = zadig_sync(dir.path(), &emulator, &["plan", "--output", format]);
        let shown = command(dir.path())
            .args(["show", "plan.json", "--output", format])
            .output()
            .expect("show");
        assert_eq!(succeeded(&shown), succeeded(&printed), "{format}");
    }
    assert_eq!(emulator.write_count(), writes, "show writes nothing");

    std::fs::write(dir.path().join("not-a-plan.json"), "{}").expect("write");
    let refused = command(dir.path())
        .args(["show", "not-a-plan.json"])
        .output()
        .expect("show");
    assert_eq!(refused.status.code(), Some(1), "{}", describe(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("not-a-plan.json is not a plan saved by `zadig-sync plan --out`"),
        "{}",
        describe(&refused)
    );
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = run(&["completions", shell]);
        let script = succeeded(&output);
        assert!(script.contains("zadig-sync"), "{shell}: {script}");
        assert!(script.contains("show-kept"), "{shell} completes flags");
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(1));
}

#[test]
fn version_names_the_commit_and_date_it_was_built_from() {
    let version = succeeded(&run(&["--version"]));
    let rest = version
        .strip_prefix(&format!(
            "zadig-sync {} (commit ",
            env!("CARGO_PKG_VERSION")
        ))
        .unwrap_or_else(|| panic!("{version}"));
    if rest != "unknown)\n" {
        let (commit, date) = rest
            .trim_end_matches(")\n")
            .split_once(", ")
            .unwrap_or_else(|| panic!("{version}"));
        assert_eq!(commit.len(), 12, "{version}");
        assert!(commit.chars().all(|c| c.is_ascii_hexdigit()), "{version}");
        assert_eq!(date.len(), 10, "YYYY-MM-DD: {version}");
    }
}

#[test]
fn every_flag_is_described_and_apply_help_has_the_exit_codes() {
    let cli = Cli::command();
    for sub in cli.get_subcommands() {
        for arg in sub.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            assert!(
                arg.get_help().is_some(),
                "`{} --{id}` has no description",
                sub.get_name()
            );
        }
    }
    let help = succeeded(&run(&["apply", "--help"]));
    assert!(
        help.contains("Exit 0 when every step was done, 1 when any step failed"),
        "{help}"
    );
    for heading in ["Connection:", "Logging:", "Output:"] {
        assert!(help.contains(heading), "{heading}\n{help}");
    }
    let connection = &help[help.find("Connection:").expect("heading")..];
    let connection = &connection[..connection.find("Output:").expect("next heading")];
    assert!(connection.contains("--url") && connection.contains("--ca-file"));
    assert!(!connection.contains("--yes"), "{connection}");
}

#[test]
fn empty_and_invalid_values_are_refused_up_front() {
    let refused = |args: &[&str]| {
        let output = run(args);
        assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let project = refused(&["plan", "--emulator", "--project", ""]);
    assert!(project.contains("--project <PROJECT>"), "{project}");
    let token = refused(&["emulator", "--listen", "127.0.0.1:0", "--token", ""]);
    assert!(token.contains("--token <TOKEN>"), "{token}");
    insta::assert_snapshot!(refused(&["validate", "--log", "zadig_sync=loud"]), @r#"error: invalid log filter "zadig_sync=loud" (--log or ZADIG_SYNC_LOG): error parsing level filter: expected one of "off", "error", "warn", "info", "debug", "trace", or a number 0-5; write e.g. `zadig_sync=debug` or `warn`"#);
}
