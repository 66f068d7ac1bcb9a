//! The order of apply's writes, checked call by call against a scenario (in the manner of
//! controller-rs's API-server fixtures): the real binary applies to the emulator through a
//! front that records each write when it arrives and when it is answered. Creates and updates
//! are all answered before the first delete is sent, and a name that a deletion frees (a build
//! moved between projects: Zadig's names are global) is deleted before it is created again.
//! Only what the run sends is checked, not how apply arranges it, so the test holds whatever
//! shape the planner and apply take inside.

use std::path::Path;
use std::process::Output;

use crate::util::cli::{command, describe, succeeded, workspace};
use crate::util::emulator::{TOKEN, start_default};
use crate::util::recorder::{Event, Recorder, Write};

fn build(project: &str, name: &str, script: &str) -> String {
    format!(
        "name: {name}\nproject_key: {project}\ninfrastructure: vm\nbuild_os: ubuntu 22.04\n\
         script_type: shell\nbuild_script: {script}\n"
    )
}

/// Runs `zadig-sync apply --yes ARGS…` in `dir` against `url`, off the runtime that serves.
async fn apply(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut apply = command(dir);
    apply
        .args(["apply", "--yes", "--url", url])
        .args(args)
        .env("ZADIG_TOKEN", TOKEN);
    tokio::process::Command::from(apply)
        .output()
        .await
        .expect("run zadig-sync")
}

fn write_file(dir: &Path, file: &str, content: &str) {
    std::fs::write(dir.join("builds.d").join(file), content).expect("write file");
}

/// Where `write` arrived and where it was answered, in the log.
fn span(events: &[Event], write: &Write) -> (usize, usize) {
    let at = |started: bool| {
        events
            .iter()
            .position(|e| e.write == *write && e.started == started)
            .unwrap_or_else(|| panic!("{write:?} was never sent: {events:#?}"))
    };
    (at(true), at(false))
}

/// Asserts `first` was answered before `then` was sent.
#[track_caller]
fn answered_before(events: &[Event], first: &Write, then: &Write) {
    let (_, answered) = span(events, first);
    let (sent, _) = span(events, then);
    assert!(
        answered < sent,
        "{first:?} must be answered before {then:?} is sent: {events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_and_updates_come_before_deletes_and_a_freed_name_is_deleted_first() {
    let emulator = start_default().await;
    let recorder = Recorder::start(emulator.url()).await;
    let dir = workspace(&[
        ("api.yaml", build("shop", "shop-api", "make").as_str()),
        ("old.yaml", build("shop", "shop-old", "make").as_str()),
        ("mover.yaml", build("alpha", "mover", "make").as_str()),
    ]);
    succeeded(&apply(dir.path(), &emulator.url(), &[]).await);

    // The files change: one build edited, one new, one gone, one moved to another project.
    write_file(
        dir.path(),
        "api.yaml",
        &build("shop", "shop-api", "make all"),
    );
    write_file(dir.path(), "new.yaml", &build("shop", "shop-new", "make"));
    std::fs::remove_file(dir.path().join("builds.d/old.yaml")).expect("rm");
    write_file(dir.path(), "mover.yaml", &build("beta", "mover", "make"));
    // `--project` restricts a run: name every project this move touches.
    let args = [
        "--prune",
        "--project",
        "alpha",
        "--project",
        "beta",
        "--project",
        "shop",
    ];
    let output = apply(dir.path(), &recorder.url(), &args).await;
    succeeded(&output);

    let scenario = ScenarioWrites {
        first: vec![
            Write::new("update", "shop/shop-api"),
            Write::new("create", "shop/shop-new"),
        ],
        deletes: vec![
            Write::new("delete", "shop/shop-old"),
            Write::new("delete", "alpha/mover"),
        ],
        freed: vec![(
            Write::new("delete", "alpha/mover"),
            Write::new("create", "beta/mover"),
        )],
    };
    scenario.check(&recorder.events(), &describe(&output));
}

/// The writes a run must make, and the orders they must keep.
struct ScenarioWrites {
    /// Creates and updates (of names no deletion frees): all answered before any delete.
    first: Vec<Write>,
    deletes: Vec<Write>,
    /// (delete, create) of one name: the delete answered before the create is sent.
    freed: Vec<(Write, Write)>,
}

impl ScenarioWrites {
    fn check(&self, events: &[Event], output: &str) {
        let mut sent: Vec<String> = events
            .iter()
            .filter(|e| e.started)
            .map(|e| format!("{:?}", e.write))
            .collect();
        let mut expected: Vec<String> = self
            .first
            .iter()
            .chain(&self.deletes)
            .chain(self.freed.iter().map(|(_, create)| create))
            .map(|w| format!("{w:?}"))
            .collect();
        sent.sort();
        expected.sort();
        assert_eq!(sent, expected, "each write once, nothing else: {output}");
        for write in &self.first {
            for delete in &self.deletes {
                answered_before(events, write, delete);
            }
        }
        for (delete, create) in &self.freed {
            answered_before(events, delete, create);
        }
    }
}
