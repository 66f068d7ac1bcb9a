//! A saved plan is input from outside. `apply --plan` re-derives every guard from the files,
//! the scope file and the flags as they are now; whatever a hand did to the file, it never
//! writes what a fresh plan with the same flags would not (a mutation fuzz proves it).

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::util::cli::{
    Emulator, apply, describe, failed, succeeded, workspace, workspace_of, zadig_sync,
};

fn build(name: &str, project: &str) -> String {
    format!(
        "name: {name}\nproject_key: {project}\ninfrastructure: vm\nbuild_os: ubuntu 22.04\n\
         script_type: shell\nbuild_script: make {name}\n"
    )
}

/// Four builds of shop written by zadig-sync, one of which (`gone`) no file describes any
/// more; one build of `other`, written by zadig-sync from another folder; one made by hand.
/// The scope file manages shop only and allows one deletion.
struct Scene {
    emulator: Emulator,
    dir: tempfile::TempDir,
}

fn scene() -> Scene {
    let emulator = Emulator::start(&[]);
    let names = ["a", "b", "c", "gone"];
    let files: Vec<(String, String)> = (names.iter())
        .map(|n| (format!("{n}.yaml"), build(n, "shop")))
        .collect();
    let dir = workspace_of(&files);
    succeeded(&apply(dir.path(), &emulator, &[]));
    let elsewhere = workspace(&[("x.yaml", &build("x", "other"))]);
    succeeded(&apply(elsewhere.path(), &emulator, &[]));
    emulator.create_by_hand("shop", "by-hand");
    std::fs::remove_file(dir.path().join("builds.d/gone.yaml")).expect("rm");
    assert_eq!(
        emulator.build_names("shop"),
        ["a", "b", "by-hand", "c", "gone"]
    );
    let scope = "projects: [shop]\nmax_deletes: 1\n";
    std::fs::write(dir.path().join("builds.d/zadig-sync.yaml"), scope).expect("scope");
    // One build changes in the files, so the plan has an update too.
    std::fs::write(
        dir.path().join("builds.d/a.yaml"),
        build("a", "shop").replace("make a", "make a2"),
    )
    .expect("edit");
    Scene { emulator, dir }
}

impl Scene {
    fn run(&self, args: &[&str]) -> std::process::Output {
        zadig_sync(self.dir.path(), &self.emulator, args)
    }

    /// `plan --prune` saved and read back.
    fn saved_plan(&self) -> Value {
        succeeded(&self.run(&["plan", "--prune", "--out", "plan.json"]));
        let text = std::fs::read_to_string(self.dir.path().join("plan.json")).expect("plan");
        serde_json::from_str(&text).expect("JSON")
    }

    fn save(&self, plan: &Value) {
        std::fs::write(self.dir.path().join("plan.json"), plan.to_string()).expect("write");
    }

    /// Every build of both projects and its `update_time`.
    fn builds(&self) -> BTreeMap<(String, String), i64> {
        let mut builds = BTreeMap::new();
        for project in ["shop", "other"] {
            let path = format!("/openapi/build?projectKey={project}");
            let (status, text) = self.emulator.request("GET", &path, None);
            assert_eq!(status, 200, "{text}");
            let list: Value = serde_json::from_str(&text).expect("a list");
            for item in list["builds"].as_array().expect("builds") {
                let name = item["name"].as_str().unwrap_or_default().to_string();
                let time = item["update_time"].as_i64().unwrap_or_default();
                builds.insert((project.to_string(), name), time);
            }
        }
        builds
    }

    /// The writes a fresh plan would make now, with `--prune` when `prune`: (action,
    /// project, name).
    fn fresh_writes(&self, prune: bool) -> Vec<(String, String, String)> {
        let mut args = vec!["plan", "--output", "json"];
        if prune {
            args.push("--prune");
        }
        let output = self.run(&args);
        let plan: Value = serde_json::from_slice(&output.stdout).expect("plan JSON");
        (plan["steps"].as_array().into_iter().flatten())
            .filter(|s| {
                ["create", "update", "replace", "delete"]
                    .contains(&s["action"].as_str().unwrap_or(""))
            })
            .map(|s| {
                let field = |k: &str| s[k].as_str().unwrap_or_default().to_string();
                (field("action"), field("project"), field("name"))
            })
            .collect()
    }
}

/// What changed between two listings: (what, project, name) with what = created, deleted or
/// written (its `update_time` moved).
fn changes(
    before: &BTreeMap<(String, String), i64>,
    after: &BTreeMap<(String, String), i64>,
) -> Vec<(&'static str, String, String)> {
    let mut changed = Vec::new();
    for (key, time) in before {
        match after.get(key) {
            None => changed.push(("deleted", key.0.clone(), key.1.clone())),
            Some(now) if now != time => changed.push(("written", key.0.clone(), key.1.clone())),
            Some(_) => {}
        }
    }
    for key in after.keys().filter(|k| !before.contains_key(*k)) {
        changed.push(("created", key.0.clone(), key.1.clone()));
    }
    changed
}

/// Whether a fresh plan allows `change`.
fn allowed(change: &(&str, String, String), fresh: &[(String, String, String)]) -> bool {
    let (what, project, name) = change;
    let actions: &[&str] = match *what {
        "deleted" => &["delete"],
        "created" => &["create"],
        _ => &["update", "replace"],
    };
    fresh
        .iter()
        .any(|(a, p, n)| actions.contains(&a.as_str()) && p == project && n == name)
}

// The probe's reproduction: every step of a plan saved without --prune turned into a delete,
// plus a build of a project the plan does not manage.
#[test]
fn a_plan_edited_to_delete_everything_deletes_nothing() {
    let scene = scene();
    succeeded(&scene.run(&["plan", "--out", "plan.json"]));
    let mut plan: Value = serde_json::from_str(
        &std::fs::read_to_string(scene.dir.path().join("plan.json")).expect("plan"),
    )
    .expect("JSON");
    let mut steps = plan["plan"]["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    steps.push(
        json!({"project": "other", "name": "x", "action": "delete", "kind": "custom",
        "changes": [], "phase": "deletes", "live_update_time": 1, "desired_fingerprint": null,
        "origin": null, "notes": []}),
    );
    for step in &mut steps {
        step["action"] = "delete".into();
        step["phase"] = "deletes".into();
        step["live_update_time"] = step["live_update_time"].as_i64().unwrap_or(1).into();
    }
    plan["plan"]["steps"] = Value::Array(steps);
    scene.save(&plan);
    let before = scene.builds();

    let text = failed(&scene.run(&["apply", "--plan", "plan.json"]));
    assert!(text.contains("nothing was applied"), "{text}");
    assert!(text.contains("and a build file describes it"), "{text}");
    assert!(text.contains("the plan was made without --prune"), "{text}");
    assert!(text.contains("project other is not managed"), "{text}");
    assert!(text.contains("more than --max-deletes 1"), "{text}");
    assert_eq!(scene.builds(), before, "nothing was written");
}

// A hand-made build slipped into a plan's deletions refuses the run before its first write,
// not only its own step.
#[test]
fn a_deletion_of_a_build_zadig_sync_did_not_write_refuses_the_run_before_any_write() {
    let scene = scene();
    let mut plan = scene.saved_plan();
    let steps = plan["plan"]["steps"].as_array_mut().expect("steps");
    let gone = steps
        .iter_mut()
        .find(|s| s["name"] == "gone")
        .expect("gone");
    gone["name"] = "by-hand".into();
    gone["live_update_time"] = scene.builds()[&("shop".into(), "by-hand".into())].into();
    scene.save(&plan);
    let before = scene.builds();
    let output = scene.run(&["apply", "--plan", "plan.json"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let text = describe(&output);
    assert!(
        text.contains("delete shop/by-hand: a plan made now has `kept` instead"),
        "{text}"
    );
    assert_eq!(scene.builds(), before, "not even the update ran: {text}");
}

/// One hand edit of a saved plan's steps.
#[derive(Debug, Clone)]
enum Mutation {
    Action(usize, &'static str),
    Name(usize, &'static str),
    Project(usize, &'static str),
    Duplicate(usize),
    Remove(usize),
    Prune(bool),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let action = prop::sample::select(vec![
        "create",
        "update",
        "replace",
        "delete",
        "unchanged",
        "kept",
    ]);
    let name = prop::sample::select(vec!["a", "b", "c", "gone", "by-hand", "x", "nobody"]);
    let project = prop::sample::select(vec!["shop", "other", "elsewhere"]);
    prop_oneof![
        (0..8usize, action).prop_map(|(i, a)| Mutation::Action(i, a)),
        (0..8usize, name).prop_map(|(i, n)| Mutation::Name(i, n)),
        (0..8usize, project).prop_map(|(i, p)| Mutation::Project(i, p)),
        (0..8usize).prop_map(Mutation::Duplicate),
        (0..8usize).prop_map(Mutation::Remove),
        any::<bool>().prop_map(Mutation::Prune),
    ]
}

fn mutate(plan: &mut Value, mutation: &Mutation) {
    if let Mutation::Prune(prune) = mutation {
        plan["plan"]["prune"] = (*prune).into();
        return;
    }
    let steps = plan["plan"]["steps"].as_array_mut().expect("steps");
    if steps.is_empty() {
        return;
    }
    let count = steps.len();
    let at = |i: &usize| i % count;
    match mutation {
        Mutation::Action(i, action) => {
            let step = &mut steps[at(i)];
            step["action"] = (*action).into();
            step["phase"] = if *action == "delete" {
                "deletes"
            } else {
                "writes"
            }
            .into();
            if step["live_update_time"].is_null() {
                step["live_update_time"] = 1.into();
            }
            if step["desired_fingerprint"].is_null() {
                step["desired_fingerprint"] = "sha256:00".into();
            }
        }
        Mutation::Name(i, name) => steps[at(i)]["name"] = (*name).into(),
        Mutation::Project(i, project) => steps[at(i)]["project"] = (*project).into(),
        Mutation::Duplicate(i) => {
            let copy = steps[at(i)].clone();
            steps.push(copy);
        }
        Mutation::Remove(i) => {
            steps.remove(at(i));
        }
        Mutation::Prune(_) => unreachable!("handled above"),
    }
}

// Each case: a fresh scene, a plan saved with --prune, up to four hand edits, `apply --plan`;
// every build it created, wrote or deleted is one a fresh plan with the flags the edited plan
// claims (`--prune` or not) allows.
#[test]
fn a_mutated_saved_plan_never_writes_what_a_fresh_plan_would_not() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(24)
        .min(24);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop::collection::vec(mutation(), 1..5);
    let result = runner.run(&strategy, |mutations| {
        let scene = scene();
        let mut plan = scene.saved_plan();
        for mutation in &mutations {
            mutate(&mut plan, mutation);
        }
        scene.save(&plan);
        let fresh = scene.fresh_writes(plan["plan"]["prune"] == true);
        let before = scene.builds();
        let output = scene.run(&["apply", "--plan", "plan.json"]);
        let changed = changes(&before, &scene.builds());
        for change in &changed {
            prop_assert!(
                allowed(change, &fresh),
                "{change:?} is not in a fresh plan {fresh:?}\nmutations {mutations:?}\n{}",
                describe(&output)
            );
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
