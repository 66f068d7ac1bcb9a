//! Exit codes are a contract with users' scripts: 0 success, 1 any error (usage errors
//! included), and 2 only for `plan --detailed-exitcode` with changes.

use crate::util::cli::command;

fn exit_code(args: &[&str]) -> Option<i32> {
    let dir = tempfile::tempdir().expect("tempdir");
    command(dir.path())
        .args(args)
        .output()
        .expect("run")
        .status
        .code()
}

#[test]
fn help_and_version_exit_0() {
    assert_eq!(exit_code(&["--help"]), Some(0));
    assert_eq!(exit_code(&["plan", "--help"]), Some(0));
    assert_eq!(exit_code(&["--version"]), Some(0));
}

#[test]
fn usage_errors_exit_1_never_2() {
    for args in [
        &["plan", "--detailed-exitcode", "--output", "jsn"][..],
        &["plan", "--detailed-exitcode", "--concurrency", "0"],
        &["plan", "--detailed-exitcode"],
        &["no-such-command"],
        &["apply", "--plan", "p.json", "--prune"],
    ] {
        assert_eq!(exit_code(args), Some(1), "{args:?}");
    }
}
