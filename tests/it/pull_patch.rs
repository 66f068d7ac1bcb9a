//! `zadig-sync pull` on files written in every way YAML allows (several documents, comments,
//! single and double quotes, flow collections, Windows line endings), and `--patch`: the
//! diff it prints applies with the real `git apply` to a clean clone and gives the same files
//! as pulling directly.

use std::path::Path;

use crate::util::cli::{Emulator, apply, describe, stdout, succeeded, workspace, zadig_sync};
use crate::util::git::git;
use crate::util::pull::{changed_lines, edit_custom, lines, only_markers_then_nothing, read};

/// Two builds in one file, with a comment between them and quoting of every kind.
const TWO: &str = "\
# Two builds of the shop, one file.
name: \"shop-api\"
project_key: 'shop'
infrastructure: vm
build_os: 'ubuntu 22.04'  # single-quoted
script_type: shell
build_script: \"make api\"
parameters: [{key: MODE, default_value: \"fast\"}, {key: 'REGION', default_value: eu}]
---
# The worker: everything in flow style.
{name: shop-worker, project_key: shop, infrastructure: vm, build_os: ubuntu 22.04,
  script_type: shell, build_script: make worker,
  advanced_settings: {cluster_name: local-20250523164625, timeout: 30}}
";

#[test]
fn several_documents_comments_and_odd_quoting_survive() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("shop/two.yaml", TWO)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    edit_custom(&emulator, ("shop", "shop-api"), |body| {
        body["build_os"] = "ubuntu 20.04".into();
        body["parameters"][1]["default_value"] = "us, west".into();
    });
    edit_custom(&emulator, ("shop", "shop-worker"), |body| {
        body["advanced_settings"]["timeout"] = 90.into();
        body["advanced_settings"]["use_host_docker_daemon"] = true.into();
    });
    succeeded(&zadig_sync(dir.path(), &emulator, &["pull"]));
    let pulled = read(dir.path(), "shop/two.yaml");
    assert_eq!(
        changed_lines(TWO, &pulled),
        (
            lines(&[
                "build_os: 'ubuntu 22.04'  # single-quoted",
                "parameters: [{key: MODE, default_value: \"fast\"}, {key: 'REGION', default_value: eu}]",
                "  advanced_settings: {cluster_name: local-20250523164625, timeout: 30}}",
            ]),
            lines(&[
                "build_os: 'ubuntu 20.04'  # single-quoted",
                "parameters: [{key: MODE, default_value: \"fast\"}, {key: 'REGION', default_value: \"us, west\"}]",
                "  advanced_settings: {cluster_name: local-20250523164625, timeout: 90, use_host_docker_daemon: true}}",
            ])
        ),
        "{pulled}"
    );
    only_markers_then_nothing(dir.path(), &emulator, &["shop-api", "shop-worker"]);
}

#[test]
fn windows_line_endings_stay_windows_line_endings() {
    let emulator = Emulator::start(&[]);
    let file = "name: shop-api\r\nproject_key: shop\r\ninfrastructure: vm\r\nbuild_os: ubuntu 22.04\r\n\
                script_type: shell\r\nbuild_script: make\r\n";
    let dir = workspace(&[("shop/api.yaml", file)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    edit_custom(&emulator, ("shop", "shop-api"), |body| {
        body["parameters"] = serde_json::json!([{"key": "A", "default_value": "1"}]);
    });
    succeeded(&zadig_sync(dir.path(), &emulator, &["pull"]));
    let pulled = read(dir.path(), "shop/api.yaml");
    assert_eq!(
        pulled,
        format!("{file}parameters:\r\n  - key: A\r\n    default_value: \"1\"\r\n")
    );
    only_markers_then_nothing(dir.path(), &emulator, &["shop-api"]);
}

/// Every file under `root/builds.d` but hidden ones (a cache), by path relative to `root`.
fn files(root: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut folders = vec![root.join("builds.d")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("inside")
                    .display()
                    .to_string();
                found.push((relative, std::fs::read_to_string(&path).expect("read")));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn a_patch_applies_with_git_to_a_clean_checkout_and_gives_the_same_files() {
    let emulator = Emulator::start(&[]);
    let worker = crate::util::files::SCRIPTED_WORKER;
    let dir = workspace(&[
        ("shop/two.yaml", TWO),
        (
            "shop/worker2.yaml",
            &worker.replace("shop-worker", "shop-worker-2"),
        ),
        ("shop/scripts/worker.sh", "make worker\n"),
    ]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "builds.d"]);
    git(dir.path(), &["commit", "-q", "-m", "the builds"]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    edit_custom(&emulator, ("shop", "shop-api"), |body| {
        body["build_os"] = "ubuntu 20.04".into()
    });
    edit_custom(&emulator, ("shop", "shop-worker-2"), |body| {
        let script = body["build_script"].as_str().expect("script").replacen(
            "make worker",
            "make worker all",
            1,
        );
        body["build_script"] = script.into();
    });
    // From a folder below the repository's root, as a bot might run it.
    let builds = dir.path().join("builds.d");
    let mut run = crate::util::cli::command(&builds);
    run.args(["pull", "--patch", "--dir", ".", "--no-cache"])
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", crate::util::cli::TOKEN);
    let output = run.output().expect("pull --patch");
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let patch = stdout(&output);
    assert!(patch.starts_with("--- a/builds.d/"), "{patch}");
    let status = git(
        dir.path(),
        &["status", "--porcelain", "--untracked-files=no"],
    );
    assert_eq!(status, "", "--patch wrote nothing");

    let clone = tempfile::tempdir().expect("tempdir");
    git(
        clone.path(),
        &["clone", "-q", &dir.path().display().to_string(), "checkout"],
    );
    let checkout = clone.path().join("checkout");
    std::fs::write(clone.path().join("pull.patch"), &patch).expect("write the patch");
    git(&checkout, &["apply", "../pull.patch"]);

    succeeded(&zadig_sync(dir.path(), &emulator, &["pull"]));
    assert_eq!(files(&checkout), files(dir.path()));
    assert_ne!(read(dir.path(), "shop/scripts/worker.sh"), "make worker\n");
    only_markers_then_nothing(dir.path(), &emulator, &["shop-api", "shop-worker-2"]);
}
