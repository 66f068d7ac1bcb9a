//! `plan`'s exit code: 0 only when the plan can be applied as it is (with
//! `--detailed-exitcode`: only when Zadig matches the files); a refused step exits 1, as
//! `apply` does on it.

use crate::util::cli::{Emulator, apply, describe, succeeded, workspace, zadig_sync};

const API: &str = "\
name: exit-api
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make api
";

const WORKER: &str = "\
name: exit-worker
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make worker
";

#[test]
fn refused_deletions_make_plan_exit_1_like_apply() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("api.yaml", API), ("worker.yaml", WORKER)]);
    succeeded(&apply(dir.path(), &emulator, &[]));
    std::fs::remove_file(dir.path().join("builds.d/worker.yaml")).expect("rm");

    let refused = ["--prune", "--max-deletes", "0"];
    for extra in [&["--detailed-exitcode"][..], &[]] {
        let mut args = vec!["plan"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&refused);
        let output = zadig_sync(dir.path(), &emulator, &args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            describe(&output)
        );
        assert!(
            describe(&output).contains("refused"),
            "{}",
            describe(&output)
        );
    }
    let output = apply(dir.path(), &emulator, &refused);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));

    // Allowed, the same deletion is a change (2), and once made, no change (0).
    let output = zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--prune", "--detailed-exitcode"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    succeeded(&apply(dir.path(), &emulator, &["--prune"]));
    let output = zadig_sync(
        dir.path(),
        &emulator,
        &["plan", "--prune", "--detailed-exitcode"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}
