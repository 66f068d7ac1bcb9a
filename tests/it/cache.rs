//! End to end: `plan --cache DIR` against the real emulator. A warm cache plans unchanged
//! builds with one list call per project (counted by `/_emulator/stats`), a build edited in
//! Zadig is read again, a corrupt cache is a warning and a full read, and no credential value
//! is ever in the cache folder.

use std::path::Path;
use std::process::Output;

use crate::util::cli::{Emulator, TOKEN, command, describe, succeeded};
use crate::util::files::WORKER;

const SECRET: &str = "s3cr3t-Cache-Credential-5e1a";

const API: &str = "\
name: shop-api
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
build_script: make build
parameters:
  - key: DB_PASSWORD
    type: string
    default_value: ${env:DB_PASSWORD}
    is_credential: true
";

fn workspace() -> tempfile::TempDir {
    crate::util::cli::workspace(&[("api.yaml", API), ("worker.yaml", WORKER)])
}

/// `plan --detailed-exitcode --cache cache` with the credential's value `password`.
fn plan(dir: &Path, emulator: &Emulator, password: &str) -> Output {
    command(dir)
        .args(["plan", "--detailed-exitcode", "--cache", "cache"])
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .env("DB_PASSWORD", password)
        .output()
        .expect("run zadig-sync")
}

/// The requests `run` made.
fn requests_of(emulator: &Emulator, run: impl FnOnce() -> Output) -> (Output, Vec<String>) {
    let before = emulator.request_counts();
    let output = run();
    let mut made = Vec::new();
    for (key, count) in emulator.request_counts() {
        for _ in before.get(&key).copied().unwrap_or(0)..count {
            made.push(key.clone());
        }
    }
    (output, made)
}

const LIST: &str = "GET /openapi/build";
const DETAIL: &str = "GET /openapi/build/:name/detail";

/// Applies the files, then moves the emulator's clock so that every detail is settled.
fn applied() -> (Emulator, tempfile::TempDir) {
    let emulator = Emulator::start(&[]);
    let dir = workspace();
    let output = command(dir.path())
        .args(["apply", "--yes"])
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .env("DB_PASSWORD", SECRET)
        .output()
        .expect("apply");
    succeeded(&output);
    emulator.advance_clock(5);
    (emulator, dir)
}

/// What the files of a cache folder are, sorted: `details` and `synced` for `details-….json`
/// and `synced-….json`, the name for anything else.
fn cache_files(folder: &Path) -> Vec<String> {
    let mut kinds: Vec<String> = std::fs::read_dir(folder)
        .expect("the cache folder")
        .map(|entry| {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            match name.split_once('-') {
                Some((kind, rest)) if rest.ends_with(".json") => kind.to_string(),
                _ => name,
            }
        })
        .collect();
    kinds.sort();
    kinds
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", describe(output));
}

#[test]
fn a_warm_cache_plans_unchanged_builds_with_one_list_per_project() {
    let (emulator, dir) = applied();
    let (cold, made) = requests_of(&emulator, || plan(dir.path(), &emulator, SECRET));
    assert_exit(&cold, 0);
    assert_eq!(made, [LIST, DETAIL, DETAIL], "cold: every detail is read");

    let (warm, made) = requests_of(&emulator, || plan(dir.path(), &emulator, SECRET));
    assert_exit(&warm, 0);
    assert_eq!(made, [LIST], "warm: {}", describe(&warm));

    for entry in std::fs::read_dir(dir.path().join("cache")).expect("cache folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            !text.contains(SECRET),
            "{} holds the credential",
            path.display()
        );
    }
}

#[test]
fn a_build_edited_in_zadig_is_read_again_and_its_change_planned() {
    let (emulator, dir) = applied();
    assert_exit(&plan(dir.path(), &emulator, SECRET), 0);
    let body = serde_json::json!({
        "name": "shop-worker", "project_key": "shop", "infrastructure": "vm",
        "build_os": "ubuntu 22.04", "script_type": "shell", "build_script": "edited by hand",
    });
    let (status, text) = emulator.request("PUT", "/openapi/build?projectKey=shop", Some(&body));
    assert_eq!(status, 200, "{text}");

    let (output, made) = requests_of(&emulator, || plan(dir.path(), &emulator, SECRET));
    assert_exit(&output, 2);
    assert_eq!(made, [LIST, DETAIL], "only the edited build");
    assert!(describe(&output).contains("edited by hand"));
}

#[test]
fn a_changed_credential_value_in_the_files_is_planned_from_the_cache() {
    let (emulator, dir) = applied();
    assert_exit(&plan(dir.path(), &emulator, SECRET), 0);
    let (output, made) = requests_of(&emulator, || plan(dir.path(), &emulator, "rotated"));
    assert_eq!(made, [LIST], "from the cache");
    assert_exit(&output, 2);
    let text = describe(&output);
    assert!(text.contains("shop-api"), "{text}");
    assert!(
        !text.contains(SECRET) && !text.contains("rotated"),
        "{text}"
    );
}

#[test]
fn a_corrupt_cache_is_a_warning_and_a_full_read() {
    let (emulator, dir) = applied();
    assert_exit(&plan(dir.path(), &emulator, SECRET), 0);
    let cache_file = std::fs::read_dir(dir.path().join("cache"))
        .expect("cache folder")
        .map(|entry| entry.expect("entry").path())
        .find(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("details-") && name.ends_with(".json")
        })
        .expect("a cache file");
    std::fs::write(&cache_file, "{\"format\": 1").expect("corrupt");

    let (output, made) = requests_of(&emulator, || plan(dir.path(), &emulator, SECRET));
    assert_exit(&output, 0);
    assert_eq!(made, [LIST, DETAIL, DETAIL]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let name = cache_file.file_name().expect("name").to_string_lossy();
    assert!(
        stderr.contains("warning: ignoring the cache") && stderr.contains(name.as_ref()),
        "{stderr}"
    );
}

#[test]
fn zadig_sync_cache_names_the_folder() {
    let (emulator, dir) = applied();
    let run = || {
        command(dir.path())
            .args(["plan", "--detailed-exitcode"])
            .env("ZADIG_URL", emulator.url())
            .env("ZADIG_TOKEN", TOKEN)
            .env("DB_PASSWORD", SECRET)
            .env("ZADIG_SYNC_CACHE", "from-env")
            .output()
            .expect("run zadig-sync")
    };
    assert_exit(&run(), 0);
    let (warm, made) = requests_of(&emulator, run);
    assert_exit(&warm, 0);
    assert_eq!(made, [LIST]);
    assert_eq!(
        cache_files(&dir.path().join("from-env")),
        ["details", "synced"],
        "the details and the in-sync records of the one server, and no key"
    );
}

#[test]
fn with_the_emulator_the_cache_is_under_zadig_sync() {
    let dir = workspace();
    let output = command(dir.path())
        .args(["plan", "--emulator"])
        .env("DB_PASSWORD", SECRET)
        .output()
        .expect("run zadig-sync");
    succeeded(&output);
    let folder = dir.path().join(".zadig-sync/cache");
    assert_eq!(
        cache_files(&folder),
        ["details", "synced"],
        "the emulator's: {}",
        describe(&output)
    );
}

// Fast at defaults: with no flag at all, a second plan reads one list per project and no
// detail; the first says once where the cache lives; --no-cache reads every build.
#[test]
fn the_cache_is_on_by_default_in_the_user_cache_folder() {
    let (emulator, dir) = applied();
    let run = |extra: &[&str]| {
        command(dir.path())
            .args(["plan", "--detailed-exitcode"])
            .args(extra)
            .env("ZADIG_URL", emulator.url())
            .env("ZADIG_TOKEN", TOKEN)
            .env("DB_PASSWORD", SECRET)
            .output()
            .expect("run zadig-sync")
    };
    // `applied` made the cache already: start from none.
    let folder = dir.path().join(".cache/zadig-sync");
    std::fs::remove_dir_all(&folder).expect("the cache apply made");
    let first = run(&[]);
    assert_exit(&first, 0);
    let said = String::from_utf8_lossy(&first.stderr).into_owned();
    assert!(
        said.contains(&format!(
            "Keeping the details of unchanged builds in {}",
            folder.display()
        )),
        "{said}"
    );
    let (warm, made) = requests_of(&emulator, || run(&[]));
    assert_exit(&warm, 0);
    assert_eq!(made, [LIST]);
    assert!(
        !String::from_utf8_lossy(&warm.stderr).contains("Keeping"),
        "said once"
    );
    let (_, made) = requests_of(&emulator, || run(&["--no-cache"]));
    assert!(
        made.iter().filter(|r| r.contains("detail")).count() >= 2,
        "{made:?}"
    );
}

// The in-process emulator keeps its token beside its state, so its cache authenticates on the
// next run too.
#[test]
fn with_the_emulator_a_second_plan_uses_the_cache() {
    let dir = workspace();
    let run = |args: &[&str]| {
        command(dir.path())
            .args(args)
            .env("DB_PASSWORD", SECRET)
            .output()
            .expect("run zadig-sync")
    };
    succeeded(&run(&["apply", "--emulator", "--yes"]));
    // A detail is cached once settled: 2 s older than the server's clock. The in-process
    // emulator's clock is the real one.
    std::thread::sleep(std::time::Duration::from_millis(2_500));
    succeeded(&run(&["plan", "--emulator"]));
    let output = run(&["plan", "--emulator", "--log", "zadig_sync=info"]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        stderr.contains("details taken from the cache details=2"),
        "{stderr}"
    );
}

/// The cause `plan --output json` gives shop-api, with `extra` flags.
fn cause_of_shop_api(dir: &Path, emulator: &Emulator, extra: &[&str]) -> serde_json::Value {
    let output = command(dir)
        .args(["plan", "--output", "json"])
        .args(extra)
        .env("ZADIG_URL", emulator.url())
        .env("ZADIG_TOKEN", TOKEN)
        .env("DB_PASSWORD", SECRET)
        .output()
        .expect("plan");
    let plan: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", describe(&output)));
    let steps = plan["steps"].as_array().expect("steps").iter();
    let step = steps.into_iter().find(|s| s["name"] == "shop-api");
    step.expect("a step for shop-api")["cause"].clone()
}

#[test]
fn a_build_deleted_in_zadig_after_an_apply_is_planned_as_deleted_there() {
    let (emulator, dir) = applied();
    let route = "/openapi/build?name=shop-api&projectKey=shop";
    let (status, text) = emulator.request("DELETE", route, None);
    assert_eq!(status, 200, "{text}");
    // The apply's in-sync record, kept in the (default) cache folder, says the files did not
    // change since; without it, the create is taken at face value.
    assert_eq!(
        cause_of_shop_api(dir.path(), &emulator, &[]),
        "missing_in_zadig"
    );
    assert_eq!(
        cause_of_shop_api(dir.path(), &emulator, &["--no-cache"]),
        "file_changed"
    );
    let folder = dir.path().join(".cache/zadig-sync");
    assert_eq!(cache_files(&folder), ["details", "synced"]);
}
