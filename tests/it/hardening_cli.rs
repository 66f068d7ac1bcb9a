//! Issue 12 and issue 9 item 11, end to end: credentials in `--url`, the token file, a wrong
//! token or a dead server reported once, and the flags that bound a run.

use std::process::Command as Process;

use crate::util::cli::{Emulator, TOKEN, command, describe, failed, workspace};

pub(crate) fn build(name: &str, project: &str) -> String {
    format!(
        "name: {name}\nproject_key: {project}\ninfrastructure: vm\nbuild_os: ubuntu 22.04\n\
         script_type: shell\nbuild_script: make\n"
    )
}

/// Nine builds over three projects.
fn nine_builds() -> tempfile::TempDir {
    let files: Vec<(String, String)> = (0..9)
        .map(|i| {
            let project = ["a", "b", "c"][i % 3];
            (
                format!("{project}/b{i}.yaml"),
                build(&format!("b{i}"), project),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect();
    workspace(&files)
}

#[test]
fn a_password_in_the_url_is_refused_and_never_printed() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("b.yaml", &build("b", "shop"))]);
    let with_password = emulator
        .url()
        .replace("http://", "http://admin:hunter2-pw@");
    let out = dir.path().join("plan.json");
    let output = command(dir.path())
        .args(["plan", "--url", &with_password, "--out"])
        .arg(&out)
        .env("ZADIG_TOKEN", TOKEN)
        .output()
        .unwrap();
    let text = failed(&output);
    assert!(
        text.contains("put the token in ZADIG_TOKEN or --token-file"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2-pw") && !text.contains("admin:"),
        "{text}"
    );
    assert!(!out.exists(), "no plan is saved");
}

#[test]
fn a_wrong_token_is_reported_once_and_stops_the_run() {
    let emulator = Emulator::start(&[]);
    let dir = nine_builds();
    let output = command(dir.path())
        .arg("plan")
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", "wrong-token")
        .output()
        .unwrap();
    let text = failed(&output);
    assert_eq!(text.matches("API token is invalid").count(), 1, "{text}");
    let stats = emulator.stats();
    assert_eq!(stats["total"], 1, "one request, one 401: {stats}");
}

#[test]
fn a_refused_permission_in_apply_is_reported_once() {
    let emulator = Emulator::start(&[]);
    let files: Vec<(String, String)> = (0..6)
        .map(|i| (format!("b{i}.yaml"), build(&format!("lim{i}"), "yaml")))
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = workspace(&files);
    let output = command(dir.path())
        .args(["apply", "--yes"])
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", "dev-limited-token")
        .output()
        .unwrap();
    let text = failed(&output);
    assert_eq!(text.matches("lacks the permission").count(), 1, "{text}");
    assert_eq!(text.matches("see that error").count(), 5, "{text}");
}

#[test]
fn an_unreachable_server_is_reported_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let dir = nine_builds();
    let output = command(dir.path())
        .arg("plan")
        .env("ZADIG_URL", format!("http://{address}"))
        .env("ZADIG_TOKEN", TOKEN)
        .output()
        .unwrap();
    let text = failed(&output);
    assert_eq!(text.matches("cannot connect to Zadig").count(), 1, "{text}");
    // The server comes from the environment here: the message must name it.
    assert!(
        text.contains(&format!("cannot connect to Zadig at http://{address} ")),
        "{text}"
    );
}

#[test]
fn a_token_file_that_is_not_a_regular_file_is_refused_without_blocking() {
    let dir = workspace(&[("b.yaml", &build("b", "shop"))]);
    let fifo = dir.path().join("token.fifo");
    let made = Process::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for token_file in [fifo.as_path(), dir.path()] {
        let output = command(dir.path())
            .args(["plan", "--url", "http://127.0.0.1:9", "--token-file"])
            .arg(token_file)
            .output()
            .unwrap();
        let text = failed(&output);
        assert!(text.contains("is not a regular file"), "{text}");
    }
}

#[cfg(unix)]
#[test]
fn a_token_file_readable_by_others_gets_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("b.yaml", &build("b", "shop"))]);
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    for (mode, warned) in [(0o644, true), (0o600, false)] {
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(mode)).unwrap();
        let output = command(dir.path())
            .args(["plan", "--url", &emulator.url(), "--token-file"])
            .arg(&token_file)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", describe(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            stderr.contains("chmod 600"),
            warned,
            "mode {mode:o}: {stderr}"
        );
    }
}

#[test]
fn the_bounding_flags_are_accepted_and_checked() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("b.yaml", &build("b", "shop"))]);
    let ok = crate::util::cli::zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--max-body-size", "1MiB", "--deadline", "2m"],
    );
    assert!(ok.status.success(), "{}", describe(&ok));
    let tiny =
        crate::util::cli::zadig_sync(dir.path(), &emulator, &["plan", "--max-body-size", "10"]);
    let text = failed(&tiny);
    assert!(text.contains("--max-body-size"), "{text}");
    let bad = crate::util::cli::zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--max-body-size", "8 parsecs"],
    );
    failed(&bad);
}

/// A saved plan whose create finds its build already there (made by hand since) is refused
/// whole by the plan made now: the deletion planned beside it is not sent either. (A create
/// racing such a build within one run is `remote::errors`' business: the list is disproved.)
#[test]
fn a_saved_create_finding_its_build_keeps_deletions_out_of_that_project() {
    use crate::util::cli::{succeeded, zadig_sync};
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("gone.yaml", &build("gone", "shop"))]);
    succeeded(&zadig_sync(dir.path(), &emulator, &["apply", "--yes"]));
    std::fs::remove_file(dir.path().join("builds.d/gone.yaml")).unwrap();
    std::fs::write(dir.path().join("builds.d/a.yaml"), build("a", "shop")).unwrap();
    let plan = ["plan", "--prune", "--out", "plan.json"];
    succeeded(&zadig_sync(dir.path(), &emulator, &plan));
    emulator.create_by_hand("shop", "a");

    let output = zadig_sync(
        dir.path(),
        &emulator,
        &["apply", "--yes", "--plan", "plan.json"],
    );
    let text = failed(&output);
    assert!(
        text.contains("create shop/a: a plan made now has `update` instead"),
        "{text}"
    );
    assert_eq!(emulator.build_names("shop"), ["a", "gone"]);
}
