//! Records the git commit and its date for `zadig-sync --version`: from the environment
//! variables `ZADIG_SYNC_COMMIT` and `ZADIG_SYNC_COMMIT_DATE` when set (the Dockerfile's build
//! arguments: an image's build context has no `.git`), else by asking git; outside a git
//! checkout (a crate tarball) or without git, "unknown". A set variable that is not a commit
//! or a date fails the build with the reason, rather than printing it in every `--version`.

use std::process::Command;

const COMMIT_VAR: &str = "ZADIG_SYNC_COMMIT";
const DATE_VAR: &str = "ZADIG_SYNC_COMMIT_DATE";

fn main() {
    println!("cargo:rerun-if-env-changed={COMMIT_VAR}");
    println!("cargo:rerun-if-env-changed={DATE_VAR}");
    let (commit, date) = match given(COMMIT_VAR, is_commit, "7 to 40 hex digits") {
        // A commit handed over comes with its date or none: git's date would be another tree's.
        Some(commit) => (
            Some(commit),
            given(DATE_VAR, is_date, "a date like 2026-12-31"),
        ),
        None => (
            git(&["rev-parse", "--short=12", "HEAD"]),
            git(&["log", "-1", "--format=%cd", "--date=short"]),
        ),
    };
    let described = match (commit, date) {
        (Some(commit), Some(date)) => format!("commit {commit}, {date}"),
        (Some(commit), None) => format!("commit {commit}"),
        _ => "commit unknown".to_string(),
    };
    println!("cargo:rustc-env=ZADIG_SYNC_BUILD_COMMIT={described}");
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it points to (a commit).
    for path in [
        Some("HEAD".to_string()),
        git(&["symbolic-ref", "-q", "HEAD"]),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(file) = git(&["rev-parse", "--git-path", &path]) {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The trimmed value of `name`, when set and not empty; a value `valid` refuses stops the build.
fn given(name: &str, valid: fn(&str) -> bool, expected: &str) -> Option<String> {
    let value = std::env::var(name).ok()?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if !valid(value) {
        panic!("{name}={value:?} is not {expected}; unset it to ask git instead");
    }
    Some(value.to_string())
}

fn is_commit(text: &str) -> bool {
    (7..=40).contains(&text.len()) && text.chars().all(|c| c.is_ascii_hexdigit())
}

fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// The trimmed output of a git command that succeeded with some output.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_string())
}
