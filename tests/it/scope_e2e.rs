//! The scope file `zadig-sync.yaml` and `--project`, through the real binary and emulator:
//! a project emptied of files is pruned when the scope lists it; without a scope file the
//! plan says which projects it manages; files must stay inside the scope; the file's settings
//! are defaults that flags override; `--project` restricts a run.

use crate::util::cli::{
    Emulator, TOKEN, apply, command, describe, failed, stdout, succeeded, workspace, zadig_sync,
};

fn build(name: &str, project: &str) -> String {
    format!(
        "name: {name}\nproject_key: {project}\ninfrastructure: vm\nbuild_os: ubuntu 22.04\n\
         script_type: shell\nbuild_script: make\n"
    )
}

const SCOPE: &str = "projects: [shop, web]\n";

#[test]
fn a_project_in_the_scope_whose_last_file_was_removed_is_pruned() {
    let emulator = Emulator::start(&[]);
    let (shop, web) = (build("s-api", "shop"), build("w-ui", "web"));
    let dir = workspace(&[
        ("zadig-sync.yaml", SCOPE),
        ("shop/api.yaml", &shop),
        ("web/ui.yaml", &web),
    ]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    std::fs::remove_dir_all(dir.path().join("builds.d/web")).expect("rm web");

    // Still managed: shown as kept (not deleted without --prune), not silently forgotten.
    let output = zadig_sync(dir.path(), &emulator, &["plan"]);
    let text = succeeded(&output);
    assert!(text.contains("web/w-ui (custom): kept"), "{text}");
    assert!(text.contains("would be deleted with --prune"), "{text}");
    let output = zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--prune", "--detailed-exitcode"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(
        stdout(&output).contains("web/w-ui"),
        "{}",
        describe(&output)
    );

    succeeded(&apply(dir.path(), &emulator, &["--prune"]));
    assert!(emulator.build_names("web").is_empty());
    assert_eq!(emulator.build_names("shop"), ["s-api"]);
}

#[test]
fn without_a_scope_file_the_plan_says_which_projects_it_manages() {
    let emulator = Emulator::start(&[]);
    let (shop, web) = (build("n-api", "shop"), build("n-ui", "web"));
    let dir = workspace(&[("shop/api.yaml", &shop), ("web/ui.yaml", &web)]);
    let output = zadig_sync(dir.path(), &emulator, &["plan"]);
    let note = "managing projects shop, web; list them in zadig-sync.yaml to keep managing a \
                project after its last file is removed";
    assert!(stdout(&output).contains(note), "{}", describe(&output));
    let markdown = zadig_sync(dir.path(), &emulator, &["plan", "--output", "markdown"]);
    assert!(stdout(&markdown).contains(note), "{}", describe(&markdown));
    let json = zadig_sync(dir.path(), &emulator, &["plan", "--output", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(plan["notes"], serde_json::json!([note]));

    // With a scope file there is nothing to say.
    std::fs::write(dir.path().join("builds.d/zadig-sync.yaml"), SCOPE).expect("write");
    let json = zadig_sync(dir.path(), &emulator, &["plan", "--output", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert!(plan.get("notes").is_none(), "{plan}");
}

#[test]
fn a_file_outside_the_scope_is_an_error_at_its_project_key() {
    let emulator = Emulator::start(&[]);
    let ops = build("o-job", "ops");
    let dir = workspace(&[("zadig-sync.yaml", SCOPE), ("ops/job.yaml", &ops)]);
    let output = command(dir.path())
        .arg("validate")
        .output()
        .expect("validate");
    let text = failed(&output);
    assert!(
        text.contains("builds.d/ops/job.yaml:2:14: error[project-not-in-scope]: project `ops`"),
        "{text}"
    );
    failed(&apply(dir.path(), &emulator, &[]));
    assert_eq!(emulator.write_count(), 0);
}

#[test]
fn the_scope_file_holds_defaults_that_flags_override() {
    let emulator = Emulator::start(&[]);
    let (a, b) = (build("d-a", "shop"), build("d-b", "shop"));
    let scope = format!(
        "projects: [shop]\nurl: {}\nprune: true\nmax_deletes: 0\nconcurrency: 2\n",
        emulator.url()
    );
    let dir = workspace(&[("zadig-sync.yaml", &scope), ("a.yaml", &a), ("b.yaml", &b)]);
    // No ZADIG_URL: the scope file's url is used.
    let run = |args: &[&str]| {
        command(dir.path())
            .args(args)
            .env("ZADIG_TOKEN", TOKEN)
            .output()
            .expect("run")
    };
    succeeded(&run(&["apply", "--yes"]));
    assert_eq!(emulator.build_names("shop"), ["d-a", "d-b"]);
    std::fs::remove_file(dir.path().join("builds.d/b.yaml")).expect("rm");

    // prune: true from the file, max_deletes: 0 from the file refuses it…
    let text = failed(&run(&["apply", "--yes"]));
    assert!(text.contains("--max-deletes"), "{text}");
    assert_eq!(emulator.build_names("shop"), ["d-a", "d-b"]);
    // …and the flag wins over the file.
    succeeded(&run(&["apply", "--yes", "--max-deletes", "1"]));
    assert_eq!(emulator.build_names("shop"), ["d-a"]);
}

#[test]
fn project_restricts_the_run_and_can_prune_an_emptied_project_once() {
    let emulator = Emulator::start(&[]);
    let (shop, web) = (build("r-api", "shop"), build("r-ui", "web"));
    let dir = workspace(&[("shop/api.yaml", &shop)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    std::fs::remove_dir_all(dir.path().join("builds.d/shop")).expect("rm shop");
    std::fs::create_dir_all(dir.path().join("builds.d/web")).expect("mkdir");
    std::fs::write(dir.path().join("builds.d/web/ui.yaml"), &web).expect("write");

    // Only shop: web's file is neither planned nor applied, shop's marked build is pruned.
    let output = apply(dir.path(), &emulator, &["--project", "shop", "--prune"]);
    let text = succeeded(&output);
    assert!(!text.contains("r-ui"), "{text}");
    assert!(emulator.build_names("shop").is_empty(), "{text}");
    assert!(emulator.build_names("web").is_empty(), "{text}");

    // With a scope file, --project must name a project it lists.
    std::fs::write(
        dir.path().join("builds.d/zadig-sync.yaml"),
        "projects: [web]\n",
    )
    .expect("w");
    let output = zadig_sync(dir.path(), &emulator, &["plan", "--project", "shop"]);
    let text = failed(&output);
    assert!(text.contains("--project shop: "), "{text}");
}

#[test]
fn a_plan_saved_with_project_applies_only_that_project() {
    let emulator = Emulator::start(&[]);
    let (shop, web) = (build("p-api", "shop"), build("p-ui", "web"));
    let dir = workspace(&[("shop/api.yaml", &shop), ("web/ui.yaml", &web)]);
    let output = zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--project", "shop", "--out", "plan.json"],
    );
    assert!(!stdout(&output).contains("p-ui"), "{}", describe(&output));
    succeeded(&output);
    // web's file is not part of this plan, so it does not make the saved plan stale.
    succeeded(&zadig_sync(
        dir.path(),
        &emulator,
        &["apply", "--plan", "plan.json"],
    ));
    assert_eq!(emulator.build_names("shop"), ["p-api"]);
    assert!(emulator.build_names("web").is_empty());
}

// A directory holding only a scope file does manage builds: the warning must not say
// otherwise, since --prune would delete every build zadig-sync made in those projects.
#[test]
fn an_empty_directory_with_a_scope_file_warns_that_its_projects_are_managed() {
    let dir = workspace(&[("zadig-sync.yaml", SCOPE)]);
    let output = command(dir.path()).arg("validate").output().expect("run");
    let text = describe(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("projects shop, web are managed as having no build")
            && !text.contains("no build is managed"),
        "{text}"
    );
}
