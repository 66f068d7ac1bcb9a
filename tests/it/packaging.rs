//! What ships besides the binary, run for real where it can be here: the image's healthcheck
//! script against a real daemon, and every zadig-sync command line that the Dockerfile, the
//! systemd unit, the Kubernetes manifests and the CI recipes run, parsed by zadig-sync's own
//! command line (so a renamed flag breaks here, not in production). `.ci/run` checks the rest
//! with linters and schemas (scripts/check-packaging.sh).

use std::path::Path;
use std::process::Command;

use clap::Parser;
use zadig_sync::cli::Cli;

use crate::util::cli::workspace;
use crate::util::daemon::Daemon;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs the script the image's HEALTHCHECK runs, against port `port`.
fn healthcheck(port: &str) -> bool {
    Command::new("bash")
        .arg(Path::new(ROOT).join("scripts/image-healthcheck.sh"))
        .env("ZADIG_SYNC_HEALTH_PORT", port)
        .output()
        .expect("run the healthcheck")
        .status
        .success()
}

#[test]
fn the_image_healthcheck_passes_while_the_daemon_serves_and_fails_once_it_stops() {
    let work = workspace(&[(
        "demo/hello.yaml",
        "name: hello\nproject_key: demo\ninfrastructure: kubernetes\nbuild_os: focal\n\
         script_type: shell\nbuild_script: echo hi\n",
    )]);
    let daemon = Daemon::spawn(work.path(), &["--emulator"], &[]);
    daemon.wait("/healthz answers 200", || daemon.get("/healthz").0 == 200);
    let port = daemon
        .addr
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(healthcheck(&port), "healthy daemon on {port}");
    let status = daemon.terminate();
    assert!(status.success(), "{status:?}");
    assert!(!healthcheck(&port), "nothing listens on {port} any more");
}

/// Parses one zadig-sync command line (without the program name), as the binary would.
fn parses(place: &str, args: &[String]) {
    let line = std::iter::once("zadig-sync".to_string()).chain(args.iter().cloned());
    if let Err(error) = Cli::try_parse_from(line) {
        panic!(
            "{place}: `zadig-sync {}` is refused:\n{error}",
            args.join(" ")
        );
    }
}

/// The strings of a JSON array written in a Dockerfile instruction (`CMD ["a", "b"]`).
fn exec_form(dockerfile: &str, instruction: &str) -> Vec<String> {
    let line = dockerfile
        .lines()
        .rfind(|line| line.starts_with(&format!("{instruction} [")))
        .unwrap_or_else(|| panic!("the Dockerfile has no {instruction} in exec form"));
    serde_json::from_str(&line[instruction.len()..]).expect("a JSON array")
}

#[test]
fn the_dockerfile_runs_the_daemon_with_flags_zadig_sync_accepts() {
    let dockerfile = read("Dockerfile");
    assert_eq!(
        exec_form(&dockerfile, "ENTRYPOINT"),
        ["/usr/local/bin/zadig-sync"]
    );
    let command = exec_form(&dockerfile, "CMD");
    assert_eq!(command.first().map(String::as_str), Some("daemon"));
    parses("Dockerfile CMD", &command);
}

#[test]
fn the_systemd_units_start_zadig_sync_with_flags_it_accepts() {
    let units = files_in("examples/deploy", &[".service"]);
    assert!(!units.is_empty(), "no systemd unit in examples/deploy");
    for unit in units {
        let text = read(&unit).replace("\\\n", " ");
        let exec = text
            .lines()
            .find_map(|line| line.strip_prefix("ExecStart="))
            .unwrap_or_else(|| panic!("{unit}: no ExecStart"));
        let words: Vec<String> = exec.split_whitespace().map(str::to_string).collect();
        assert_eq!(words[0], "/usr/local/bin/zadig-sync", "{unit}");
        parses(&unit, &words[1..]);
    }
}

#[test]
fn the_kubernetes_manifests_run_zadig_sync_with_flags_it_accepts() {
    let mut containers = 0;
    for manifest in files_in("examples/deploy", &[".yaml", ".yml", ".yaml.example"]) {
        let documents: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&read(&manifest))
            .unwrap_or_else(|e| panic!("{manifest}: {e}"));
        for document in &documents {
            let pod = &document["spec"]["template"]["spec"];
            for list in ["initContainers", "containers"] {
                for container in pod[list].as_array().into_iter().flatten() {
                    if !container["image"]
                        .as_str()
                        .unwrap_or("")
                        .contains("zadig-sync")
                    {
                        continue;
                    }
                    containers += 1;
                    let args: Vec<String> = serde_json::from_value(container["args"].clone())
                        .unwrap_or_else(|e| panic!("{manifest}: args: {e}"));
                    parses(&format!("{manifest}: {}", container["name"]), &args);
                }
            }
        }
    }
    assert!(containers > 0, "no zadig-sync container in examples/deploy");
}

#[test]
fn the_ci_recipes_run_zadig_sync_with_flags_it_accepts() {
    let recipes = [
        "examples/ci/github/.github/workflows/zadig-sync.yml",
        "examples/ci/gitlab/.gitlab-ci.yml",
        "examples/ci/zadig/workflow.yaml.example",
    ];
    for recipe in recipes {
        let lines = command_lines(&read(recipe));
        assert!(lines.len() >= 3, "{recipe}: {lines:?}");
        for args in lines {
            parses(recipe, &args);
        }
    }
}

/// Each command that runs zadig-sync in a script (a line that starts with it, after `run:`,
/// `- ` or `…;`), up to a redirection or another command, its words unquoted (a script's
/// variables stay as they are: they are values of flags). Prose that names a command (an
/// `echo`, a comment) is not one.
fn command_lines(text: &str) -> Vec<Vec<String>> {
    let mut lines = Vec::new();
    for line in text.lines() {
        let Some(start) = line.find("zadig-sync ") else {
            continue;
        };
        let before = line[..start].trim();
        if !(before.is_empty() || before == "run:" || before == "-" || before.ends_with(';')) {
            continue;
        }
        let words: Vec<String> = line[start + "zadig-sync ".len()..]
            .split_whitespace()
            .take_while(|word| !matches!(*word, ">" | ">>" | "||" | "|" | "&&" | ";"))
            .map(|word| word.trim_matches('"').to_string())
            .collect();
        lines.push(words);
    }
    lines
}

/// The files directly in `folder` (relative to the crate) whose names end with a suffix.
fn files_in(folder: &str, suffixes: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(Path::new(ROOT).join(folder))
        .unwrap_or_else(|e| panic!("{folder}: {e}"))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| suffixes.iter().any(|suffix| name.ends_with(suffix)))
        .map(|name| format!("{folder}/{name}"))
        .collect();
    found.sort();
    found
}
