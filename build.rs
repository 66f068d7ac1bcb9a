//! Records the git commit and its date for `zadig-sync --version`, asking git; outside a git
//! checkout (a crate tarball) or without git, both are "unknown".

use std::process::Command;

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    let date = git(&["log", "-1", "--format=%cd", "--date=short"]);
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

/// The trimmed output of a git command that succeeded with some output.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_string())
}
