//! The completion scripts, loaded into the real shells: bash completes subcommands, their
//! flags and the flags' values (`plan --o<Tab>`, `daemon --drift <Tab>`) through the function
//! `complete` registered; fish does the same through `complete -C`; zsh loads the script and
//! registers its function with compinit.
//!
//! A shell that is not installed is skipped with a message, unless
//! `ZADIG_SYNC_REQUIRE_SHELLS=1` (set by `.ci/run`, which installs them) makes it a failure.

use std::path::PathBuf;
use std::process::Command;

use crate::util::cli::{command, succeeded};

/// The script `zadig-sync completions SHELL` prints, written to a file in a fresh folder
/// (kept alive by the returned guard); `None` when `shell` cannot run here.
fn script_for(shell: &str) -> Option<(tempfile::TempDir, PathBuf)> {
    if !available(shell) {
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let script = succeeded(
        &command(dir.path())
            .args(["completions", shell])
            .output()
            .expect("run zadig-sync"),
    );
    let path = dir.path().join(format!("zadig-sync.{shell}"));
    std::fs::write(&path, script).expect("write the script");
    Some((dir, path))
}

/// Whether `shell` can run here; a missing shell fails the test under `.ci/run`.
fn available(shell: &str) -> bool {
    let found = Command::new(shell)
        .arg("-c")
        .arg("exit 0")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        assert!(
            std::env::var_os("ZADIG_SYNC_REQUIRE_SHELLS").is_none(),
            "{shell} is not installed, and ZADIG_SYNC_REQUIRE_SHELLS is set"
        );
        eprintln!("skipped: {shell} is not installed here");
    }
    found
}

/// Sources the bash script and asks the function that `complete` registered for `zadig-sync`
/// to complete each line, the last word being the one under the cursor. One line of sorted,
/// space-separated candidates per question.
const BASH_ASK: &str = r#"
source "$1" || exit 3
spec=$(complete -p zadig-sync) || exit 4
function=${spec#*-F }
function=${function%% *}
ask() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(( $# - 1 ))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$function" zadig-sync "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
    echo
}
ask zadig-sync pl
ask zadig-sync plan --o
ask zadig-sync daemon --drift ''
ask zadig-sync validate --output ''
ask zadig-sync apply --detail
"#;

#[test]
fn bash_completes_subcommands_flags_and_flag_values() {
    let Some((_dir, script)) = script_for("bash") else {
        return;
    };
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", BASH_ASK, "ask"])
        .arg(&script)
        .output()
        .expect("run bash");
    let answers = succeeded(&output);
    let answers: Vec<&str> = answers.lines().map(str::trim_end).collect();
    assert_eq!(
        answers,
        [
            "plan",
            "--out --output",
            "correct report",
            "github gitlab json markdown text",
            // `apply` has no --detailed-exitcode: nothing to offer.
            "",
        ]
    );
}

#[test]
fn fish_completes_flags_and_flag_values() {
    let Some((_dir, script)) = script_for("fish") else {
        return;
    };
    let ask = |line: &str| {
        let output = Command::new("fish")
            .arg("--no-config")
            .arg("-c")
            .arg(format!("source {}; complete -C '{line}'", script.display()))
            .output()
            .expect("run fish");
        let mut candidates: Vec<String> = succeeded(&output)
            .lines()
            .map(|line| line.split('\t').next().unwrap_or_default().to_string())
            .collect();
        candidates.sort();
        candidates
    };
    assert_eq!(ask("zadig-sync plan --o"), ["--out", "--output"]);
    assert_eq!(ask("zadig-sync daemon --drift "), ["correct", "report"]);
    assert!(ask("zadig-sync pl").contains(&"plan".to_string()));
}

#[test]
fn zsh_loads_the_script_and_registers_its_function() {
    let Some((_dir, script)) = script_for("zsh") else {
        return;
    };
    let output = Command::new("zsh")
        .arg("-f")
        .arg("-c")
        .arg(format!(
            "autoload -Uz compinit && compinit -u -D && source {script} \
             && print -r -- ${{_comps[zadig-sync]}} && whence -w _zadig-sync",
            script = script.display()
        ))
        .output()
        .expect("run zsh");
    assert_eq!(
        succeeded(&output),
        "_zadig-sync\n_zadig-sync: function\n",
        "{output:?}"
    );
}
