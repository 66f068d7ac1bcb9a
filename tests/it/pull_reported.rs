//! What `zadig-sync pull` leaves alone, and says so per field: a value set by `${env:…}`, a
//! credential (Zadig holds it in plain text; a file never does), a value inherited from a
//! defaults file (unless `--override-defaults`), a build whose file changed since it was
//! applied; the rest is still pulled. And the JSON document scripts read.

use serde_json::Value;

use crate::util::cli::{Emulator, apply, describe, stdout, succeeded, workspace, zadig_sync};
use crate::util::pull::{changed_lines, edit_custom, left_saying, lines, read};

const DEFAULTS: &str = "\
# Every shop build runs on the local cluster, for half an hour at most.
advanced_settings:
  cluster_name: local-20250523164625
  timeout: 30
";

const API: &str = "\
name: shop-api
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make
repo_info:
  - codehost_name: github
    repo_namespace: shop
    repo_name: api
    branch: ${env:API_BRANCH}
parameters:
  - key: TOKEN
    default_value: ${env:API_TOKEN}
    is_credential: true
";

/// The files applied with `API_BRANCH=main` and `API_TOKEN=s3cret-token-value`, then a
/// person changes the branch, the token, the timeout and the image in Zadig's UI.
fn drifted() -> (Emulator, tempfile::TempDir) {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("shop/_defaults.yaml", DEFAULTS), ("shop/api.yaml", API)]);
    let mut run = crate::util::cli::command(dir.path());
    run.args(["apply", "--yes"]).envs(env(&emulator));
    succeeded(&run.output().expect("apply"));
    edit_custom(&emulator, ("shop", "shop-api"), |body| {
        body["build_os"] = "ubuntu 20.04".into();
        body["repo_info"][0]["branch"] = "release".into();
        body["parameters"][0]["default_value"] = "rotated-in-the-ui".into();
        body["advanced_settings"]["timeout"] = 45.into();
    });
    (emulator, dir)
}

fn env(emulator: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("ZADIG_URL", emulator.url()),
        ("ZADIG_TOKEN", crate::util::cli::TOKEN.to_string()),
        ("API_BRANCH", "main".to_string()),
        ("API_TOKEN", "s3cret-token-value".to_string()),
    ]
}

fn pull(dir: &std::path::Path, emulator: &Emulator, args: &[&str]) -> std::process::Output {
    let mut run = crate::util::cli::command(dir);
    run.arg("pull").args(args).envs(env(emulator));
    run.output().expect("pull")
}

#[test]
fn references_credentials_and_inherited_values_are_said_per_field_and_left() {
    let (emulator, dir) = drifted();
    let output = pull(dir.path(), &emulator, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let text = stdout(&output);
    for said in [
        "shop/shop-api repo_info[shop/api].branch: set by ${env:API_BRANCH}: change it where it is set",
        "shop/shop-api parameters[TOKEN].default_value: a credential",
        "shop/shop-api advanced_settings.timeout: inherited from builds.d/shop/_defaults.yaml: \
         edit it there, or override it in the build file with --override-defaults",
    ] {
        assert!(text.contains(said), "{said}\n{}", describe(&output));
    }
    assert!(!text.contains("rotated-in-the-ui"), "{text}");
    let pulled = read(dir.path(), "shop/api.yaml");
    assert_eq!(
        changed_lines(API, &pulled),
        (
            lines(&["build_os: ubuntu 22.04"]),
            lines(&["build_os: ubuntu 20.04"])
        )
    );
    assert_eq!(read(dir.path(), "shop/_defaults.yaml"), DEFAULTS);
    assert!(
        !pulled.contains("rotated") && !pulled.contains("s3cret"),
        "{pulled}"
    );

    // The file changed (it was pulled into): pulling it again takes naming it. Asked to, the
    // inherited value is written into the build file, over the default.
    let again = pull(dir.path(), &emulator, &["--override-defaults"]);
    left_saying(&again, "name it with --build to pull anyway");
    let args = [
        "--build",
        "shop-api",
        "--override-defaults",
        "--output",
        "json",
    ];
    let output = pull(dir.path(), &emulator, &args);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let document: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let build = &document["builds"][0];
    assert_eq!(build["result"], "pulled");
    assert_eq!(
        build["fields"],
        serde_json::json!(["advanced_settings.timeout"])
    );
    let reasons: Vec<&str> = (build["skipped"].as_array().expect("skipped").iter())
        .filter_map(|s| s["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["reference", "credential"]);
    assert_eq!(
        document["files"],
        serde_json::json!(["builds.d/shop/api.yaml"])
    );
    let overridden = read(dir.path(), "shop/api.yaml");
    assert_eq!(
        changed_lines(&pulled, &overridden),
        (lines(&[]), lines(&["advanced_settings:", "  timeout: 45"]))
    );
    assert_eq!(read(dir.path(), "shop/_defaults.yaml"), DEFAULTS);
}

#[test]
fn a_file_changed_since_it_was_applied_is_not_undone_and_unknown_names_fail() {
    let emulator = Emulator::start(&[]);
    let worker = crate::util::files::WORKER;
    let dir = workspace(&[("shop/worker.yaml", worker)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    edit_custom(&emulator, ("shop", "shop-worker"), |body| {
        body["build_os"] = "ubuntu 20.04".into()
    });
    let edited = worker.replace("make worker", "make worker-v2");
    std::fs::write(dir.path().join("builds.d/shop/worker.yaml"), &edited).expect("edit");
    let output = zadig_sync(dir.path(), &emulator, &["pull"]);
    left_saying(
        &output,
        "shop/shop-worker: the file changed since it was applied",
    );
    assert_eq!(read(dir.path(), "shop/worker.yaml"), edited);

    let unknown = zadig_sync(dir.path(), &emulator, &["pull", "--build", "shop-nope"]);
    assert_eq!(unknown.status.code(), Some(1), "{}", describe(&unknown));
    assert!(stdout(&unknown).contains("shop-nope: no build file describes it"));

    std::fs::write(dir.path().join("builds.d/shop/worker.yaml"), worker).expect("undo");
    let nothing = zadig_sync(dir.path(), &emulator, &["pull", "--patch"]);
    assert_eq!(nothing.status.code(), Some(0), "{}", describe(&nothing));
    assert!(
        stdout(&nothing).contains("+build_os: ubuntu 20.04"),
        "{}",
        describe(&nothing)
    );
    assert_eq!(
        read(dir.path(), "shop/worker.yaml"),
        worker,
        "--patch writes nothing"
    );
}

#[test]
fn a_script_shared_with_another_build_is_left_and_a_symlinked_file_is_refused() {
    let emulator = Emulator::start(&[]);
    let build = |name: &str| {
        format!(
            "name: {name}\nproject_key: shop\ninfrastructure: vm\nbuild_os: ubuntu 22.04\n\
             script_type: shell\nbuild_script_file: scripts/common.sh\n"
        )
    };
    let (one, two) = (build("shop-one"), build("shop-two"));
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let linked =
        build("shop-linked").replace("build_script_file: scripts/common.sh", "build_script: make");
    std::fs::write(elsewhere.path().join("linked.yaml"), &linked).expect("write");
    let dir = workspace(&[
        ("shop/one.yaml", &one),
        ("shop/two.yaml", &two),
        ("shop/scripts/common.sh", "make\n"),
    ]);
    let link = dir.path().join("builds.d/shop/linked.yaml");
    std::os::unix::fs::symlink(elsewhere.path().join("linked.yaml"), &link).expect("symlink");
    succeeded(&apply(dir.path(), &emulator, &[]));
    edit_custom(&emulator, ("shop", "shop-one"), |body| {
        let script = body["build_script"]
            .as_str()
            .expect("script")
            .replacen("make", "make all", 1);
        body["build_script"] = script.into();
        body["build_os"] = "ubuntu 20.04".into();
    });
    edit_custom(&emulator, ("shop", "shop-linked"), |body| {
        body["build_os"] = "ubuntu 20.04".into()
    });
    let output = zadig_sync(dir.path(), &emulator, &["pull"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let text = stdout(&output);
    // Writing the script would change shop-two too: the rest of shop-one is pulled.
    assert!(
        text.contains(
            "shop/shop-one build_script: its script file scripts/common.sh is shared with \
             other builds: edit it by hand"
        ),
        "{text}"
    );
    assert!(
        text.contains("shop/shop-linked: ") && text.contains("is a symlink"),
        "{text}"
    );
    assert_eq!(
        changed_lines(&one, &read(dir.path(), "shop/one.yaml")),
        (
            lines(&["build_os: ubuntu 22.04"]),
            lines(&["build_os: ubuntu 20.04"])
        )
    );
    assert_eq!(read(dir.path(), "shop/scripts/common.sh"), "make\n");
    let target = std::fs::read_to_string(elsewhere.path().join("linked.yaml")).expect("read");
    assert_eq!(target, linked, "nothing is written through the link");
    assert!(link.is_symlink());
}
