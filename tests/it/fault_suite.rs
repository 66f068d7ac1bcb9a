//! Proved continuously (issue 12): against an emulator answering 10 % of requests 5xx and
//! 10 % 429, and losing the answers to a fifth of the successful writes, repeated `apply`
//! converges on exactly the desired set: nothing duplicated, nothing deleted that should stay
//! (builds made by hand, builds still in the files), every failure reported. And two identical
//! applies at once both succeed.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::json;

use crate::util::cli::{Emulator, apply, describe, workspace, zadig_sync};

const PROJECTS: [&str; 3] = ["fa", "fb", "fc"];

fn build_file(project: &str, name: &str) -> String {
    format!(
        "name: {name}\nproject_key: {project}\ninfrastructure: vm\nbuild_os: ubuntu 22.04\n\
         script_type: shell\nbuild_script: echo {name}\n"
    )
}

/// `count` builds spread over the three projects, as (project, name).
fn builds(count: usize) -> Vec<(&'static str, String)> {
    (0..count)
        .map(|i| (PROJECTS[i % 3], format!("fs-{i:03}")))
        .collect()
}

fn write_files(dir: &Path, wanted: &[(&str, String)]) {
    let root = dir.join("builds.d");
    let _ = std::fs::remove_dir_all(&root);
    for (project, name) in wanted {
        let folder = root.join(project);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join(format!("{name}.yaml")),
            build_file(project, name),
        )
        .unwrap();
    }
}

/// One project's build names, asking again while injected faults answer instead.
fn names_despite_faults(emulator: &Emulator, project: &str) -> BTreeSet<String> {
    for _ in 0..100 {
        let (status, body) = emulator.request(
            "GET",
            &format!("/openapi/build?projectKey={project}&pageSize=0"),
            None,
        );
        if status == 200 {
            let list: serde_json::Value = serde_json::from_str(&body).unwrap();
            return list["builds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["name"].as_str().unwrap().to_owned())
                .collect();
        }
    }
    panic!("the emulator never answered the list of {project}");
}

/// Creates a build by hand (no marker), asking again while faults answer instead.
fn create_by_hand(emulator: &Emulator, project: &str, name: &str) {
    let body = Emulator::hand_made(project, name);
    for _ in 0..100 {
        let (status, text) = emulator.request("POST", "/openapi/build", Some(&body));
        if status == 200 || text.contains("6520") {
            return;
        }
    }
    panic!("could not create {name} by hand");
}

/// How many answers had `status`, over every route.
fn answers_with(emulator: &Emulator, status: u64) -> u64 {
    let stats = emulator.stats();
    let rows = stats["requests"].as_array().expect("requests");
    (rows.iter())
        .filter(|row| row["status"].as_u64() == Some(status))
        .map(|row| row["count"].as_u64().unwrap_or(0))
        .sum()
}

/// Applies until a run succeeds; every failed run must say what failed.
fn apply_until_converged(dir: &Path, emulator: &Emulator, extra: &[&str]) -> usize {
    for run in 1..=8 {
        let output: Output = apply(dir, emulator, extra);
        if output.status.success() {
            return run;
        }
        let text = describe(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(
            text.contains("failed") || text.contains("Error") || text.contains("error"),
            "a failed run reports its failures:\n{text}"
        );
    }
    panic!("apply did not converge in 8 runs");
}

fn expected(
    wanted: &[(&str, String)],
    by_hand: &[(&str, &str)],
    project: &str,
) -> BTreeSet<String> {
    wanted
        .iter()
        .filter(|(p, _)| *p == project)
        .map(|(_, name)| name.clone())
        .chain(
            by_hand
                .iter()
                .filter(|(p, _)| *p == project)
                .map(|(_, n)| n.to_string()),
        )
        .collect()
}

#[test]
fn repeated_apply_under_faults_converges_on_exactly_the_desired_set() {
    let emulator = Emulator::start(&["--fail-rate", "0.1", "--throttle-rate", "0.1"]);
    let by_hand = [("fa", "hand-a"), ("fb", "hand-b"), ("fc", "hand-c")];
    for (project, name) in by_hand {
        create_by_hand(&emulator, project, name);
    }
    let dir = workspace(&[]);
    let all = builds(300);
    write_files(dir.path(), &all);
    // A fifth of the builds lose the answer to their first successful write.
    let dropped: Vec<&String> = all.iter().map(|(_, name)| name).step_by(5).collect();
    emulator.set_faults(json!({ "drop_answers_to": dropped }));
    let flags = ["--rate-limit", "0", "--prune", "--max-deletes", "100"];

    apply_until_converged(dir.path(), &emulator, &flags);
    for project in PROJECTS {
        assert_eq!(
            names_despite_faults(&emulator, project),
            expected(&all, &by_hand, project)
        );
    }
    // Each of those writes was made and its answer lost (a 504; random faults answer 500,
    // 502, 503 or 429): the convergence above went through every one of them.
    assert_eq!(answers_with(&emulator, 504), dropped.len() as u64);

    // Remove a tenth of the files: exactly those go, the hand-made ones stay.
    let kept: Vec<(&str, String)> = all
        .iter()
        .filter(|(_, n)| !n.ends_with('7'))
        .cloned()
        .collect();
    write_files(dir.path(), &kept);
    let dropped: Vec<String> = all
        .iter()
        .map(|(_, n)| n.clone())
        .filter(|n| n.ends_with('7'))
        .step_by(5)
        .collect();
    emulator.set_faults(json!({ "drop_answers_to": dropped }));
    apply_until_converged(dir.path(), &emulator, &flags);
    for project in PROJECTS {
        assert_eq!(
            names_despite_faults(&emulator, project),
            expected(&kept, &by_hand, project)
        );
    }
    // Converged: the next run that gets through the faults has nothing left to do.
    let again = (0..8)
        .map(|_| apply(dir.path(), &emulator, &flags))
        .find(|output| output.status.success())
        .expect("an apply gets through the faults");
    assert!(
        describe(&again).contains("No changes"),
        "{}",
        describe(&again)
    );
}

/// Two identical applies at once: no run fails with "name already taken" by its own project
/// (the client reads the build back and counts the create as done). A create whose pre-check
/// (apply's) already sees the other run's build is refused as "created since the plan", which
/// is apply's rule for a saved plan applied twice; either way Zadig ends with the desired set.
#[test]
fn two_identical_applies_at_once_report_no_false_conflict() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[]);
    write_files(dir.path(), &builds(60));
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (path, url) = (dir.path().to_owned(), emulator.url());
            std::thread::spawn(move || {
                crate::util::cli::command(&path)
                    .args(["apply", "--yes", "--rate-limit", "0"])
                    .env("ZADIG_URL", url)
                    .env("ZADIG_TOKEN", crate::util::cli::TOKEN)
                    .output()
                    .unwrap()
            })
        })
        .collect();
    for run in runs {
        let output = run.join().unwrap();
        let text = describe(&output);
        assert!(!text.contains("already taken"), "{text}");
        assert!(output.status.success(), "no false conflict: {text}");
    }
    for project in PROJECTS {
        let names = names_despite_faults(&emulator, project);
        assert_eq!(names, expected(&builds(60), &[], project));
    }
    let plan = zadig_sync(dir.path(), &emulator, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", describe(&plan));
}
