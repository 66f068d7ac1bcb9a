//! Hostile directories and files, on a real file system: each is answered with a diagnostic
//! naming the entry, never a panic or a hang. Also the walk's order and what it skips.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use zadig_sync::load::diagnostic::Diagnostic;
use zadig_sync::load::files::MAX_FILE_BYTES;
use zadig_sync::load::{LoadOutcome, ReferenceMode, load_dir};

const VALID: &str =
    "name: NAME\nproject_key: p\ninfrastructure: vm\nbuild_os: ubuntu 20.04\nscript_type: shell\n";

fn valid(name: &str) -> String {
    VALID.replace("NAME", name)
}

fn load(dir: &Path) -> LoadOutcome {
    load_dir(dir, ReferenceMode::Offline, &|_| None)
}

fn only_error(outcome: &LoadOutcome) -> &Diagnostic {
    let errors: Vec<&Diagnostic> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(errors.len(), 1, "{:#?}", outcome.diagnostics);
    errors[0]
}

fn place(diagnostic: &Diagnostic) -> (String, usize, usize) {
    let origin = diagnostic.origin.as_ref().expect("a place");
    let name = origin
        .path
        .file_name()
        .expect("a file name")
        .to_string_lossy();
    (name.into_owned(), origin.line, origin.column)
}

#[test]
fn a_directory_that_does_not_exist() {
    let root = tempfile::tempdir().expect("tempdir");
    let missing = root.path().join("nope");
    let outcome = load(&missing);
    let error = only_error(&outcome);
    assert!(error.message.contains("nope") && error.message.contains("does not exist"));
    assert_eq!(error.origin, None);
}

#[test]
fn a_file_that_is_not_utf8_names_the_bad_byte() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(
        root.path().join("bad.yaml"),
        b"name: ok\nbuild_os: caf\xe9\n",
    )
    .expect("write");
    let outcome = load(root.path());
    let error = only_error(&outcome);
    assert_eq!(place(error), ("bad.yaml".to_string(), 2, 14));
    assert!(error.message.contains("not UTF-8"), "{}", error.message);
}

#[test]
fn a_file_over_the_size_cap() {
    let root = tempfile::tempdir().expect("tempdir");
    let size = usize::try_from(MAX_FILE_BYTES).expect("fits") + 1;
    fs::write(root.path().join("big.yaml"), "#".repeat(size)).expect("write");
    let outcome = load(root.path());
    let error = only_error(&outcome);
    assert_eq!(place(error), ("big.yaml".to_string(), 1, 1));
    assert!(
        error.message.contains(&MAX_FILE_BYTES.to_string()),
        "{}",
        error.message
    );
}

#[test]
fn a_yaml_alias_bomb_is_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    fs::write(root.path().join("bomb.yaml"), bomb).expect("write");
    let outcome = load(root.path());
    let error = only_error(&outcome);
    assert_eq!(error.code, "yaml");
    assert!(
        error.message.contains("loader's limit"),
        "{}",
        error.message
    );
}

#[test]
fn nesting_ten_thousand_deep_is_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("flow.yaml"), "[".repeat(10_000)).expect("write");
    fs::write(root.path().join("block.yaml"), "- ".repeat(10_000) + "x\n").expect("write");
    let outcome = load(root.path());
    let places: Vec<String> = outcome.diagnostics.iter().map(|d| place(d).0).collect();
    assert_eq!(places, ["block.yaml", "flow.yaml"]);
    assert!(
        outcome
            .diagnostics
            .iter()
            .all(|d| d.is_error() && d.code == "yaml")
    );
}

#[test]
fn an_empty_file_is_a_warning() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("empty.yaml"), "").expect("write");
    let outcome = load(root.path());
    assert!(!outcome.has_errors());
    assert_eq!(outcome.diagnostics[0].code, "empty-file");
    assert_eq!(outcome.desired.file_count, 1);
}

#[test]
fn a_fifo_named_like_a_build_file_is_an_error_not_a_hang() {
    let root = tempfile::tempdir().expect("tempdir");
    let fifo = root.path().join("pipe.yaml");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let outcome = load(root.path());
    let error = only_error(&outcome);
    assert_eq!(place(error).0, "pipe.yaml");
    assert!(
        error.message.contains("not a regular file"),
        "{}",
        error.message
    );
}

#[test]
fn a_dangling_symlink_is_named() {
    let root = tempfile::tempdir().expect("tempdir");
    symlink(root.path().join("gone.yaml"), root.path().join("link.yaml")).expect("symlink");
    let outcome = load(root.path());
    let error = only_error(&outcome);
    assert_eq!(place(error).0, "link.yaml");
    assert!(
        error.message.contains("symlink to nothing"),
        "{}",
        error.message
    );
}

#[test]
fn diagnostics_come_in_file_order_whatever_stage_found_them() {
    // The walk finds z.yaml's problem before a.yaml is even parsed; the user reads by file.
    let root = tempfile::tempdir().expect("tempdir");
    symlink(root.path().join("gone.yaml"), root.path().join("z.yaml")).expect("symlink");
    fs::write(root.path().join("a.yaml"), "name: [unclosed\n").expect("write");
    let outcome = load(root.path());
    let files: Vec<String> = outcome.diagnostics.iter().map(|d| place(d).0).collect();
    assert_eq!(files, ["a.yaml", "z.yaml"]);
}

#[test]
fn symlink_loops_end_with_an_error() {
    let root = tempfile::tempdir().expect("tempdir");
    let sub = root.path().join("sub");
    fs::create_dir(&sub).expect("mkdir");
    fs::write(sub.join("a.yaml"), valid("a")).expect("write");
    symlink(root.path(), sub.join("up")).expect("dir loop");
    symlink(sub.join("self.yaml"), sub.join("self.yaml")).expect("self loop");
    let outcome = load(root.path());
    let messages: Vec<&str> = outcome
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let names = |needle: &str, what: &str| {
        messages
            .iter()
            .any(|m| m.contains(needle) && m.contains(what))
    };
    assert!(names("sub/up`", "symlink loop"), "{messages:#?}");
    assert!(names("self.yaml", "symbolic links"), "{messages:#?}");
    assert_eq!(outcome.desired.builds.len(), 1, "the build is read once");
}

#[test]
fn a_file_whose_name_is_not_utf8_is_still_read() {
    use std::os::unix::ffi::OsStrExt;
    let root = tempfile::tempdir().expect("tempdir");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.yaml");
    fs::write(root.path().join(name), valid("cafe")).expect("write");
    let outcome = load(root.path());
    assert_eq!(outcome.diagnostics, vec![], "read, not reported missing");
    assert_eq!(outcome.desired.builds.len(), 1);
}

#[test]
fn the_walk_is_sorted_recursive_and_skips_hidden_files_and_leftovers() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    fs::create_dir_all(dir.join("b/c")).expect("mkdir");
    fs::create_dir(dir.join(".git")).expect("mkdir");
    fs::write(dir.join("b/c/z.yml"), valid("three")).expect("write");
    fs::write(dir.join("b/a.yaml"), valid("two")).expect("write");
    fs::write(dir.join("a.yaml"), valid("one")).expect("write");
    for skipped in [
        ".git/x.yaml",
        ".hidden.yaml",
        "a.yaml~",
        "a.yaml.swp",
        ".#a.yaml",
        "notes.txt",
    ] {
        fs::write(dir.join(skipped), "not: [valid").expect("write");
    }
    let outcome = load(dir);
    assert_eq!(outcome.diagnostics, vec![]);
    let names: Vec<&str> = outcome
        .desired
        .builds
        .iter()
        .map(|b| b.spec.name())
        .collect();
    assert_eq!(names, ["one", "two", "three"]);
    assert_eq!(outcome.desired.file_count, 3);
}

/// A build whose parameter `LEAK` takes `${file:PATH}`; the reference sits at line 8, column 20.
fn with_file_reference(path: &str) -> String {
    format!(
        "{}parameters:\n  - key: LEAK\n    default_value: ${{file:{path}}}\n",
        valid("a")
    )
}

fn code_and_place(diagnostic: &Diagnostic) -> (&'static str, String, usize, usize) {
    let (file, line, column) = place(diagnostic);
    (diagnostic.code, file, line, column)
}

/// Loads a directory holding `a.yaml` that references `path`, in both modes: the refusal of a
/// system path must not depend on the mode.
fn refused_in_both_modes(dir: &Path, path: &str) -> String {
    fs::write(dir.join("a.yaml"), with_file_reference(path)).expect("write");
    let mut messages = Vec::new();
    for mode in [ReferenceMode::Offline, ReferenceMode::Online] {
        let outcome = load_dir(dir, mode, &|_| None);
        let error = only_error(&outcome);
        let expected = ("forbidden-path", "a.yaml".to_string(), 8, 20);
        assert_eq!(code_and_place(error), expected, "{path}: {}", error.message);
        assert!(outcome.desired.builds.is_empty());
        messages.push(error.message.clone());
    }
    assert_eq!(messages[0], messages[1]);
    messages.remove(0)
}

#[test]
fn a_file_reference_into_proc_is_refused_and_shows_nothing_of_the_environment() {
    let root = tempfile::tempdir().expect("tempdir");
    let message = refused_in_both_modes(root.path(), "/proc/self/environ");
    assert_eq!(
        message,
        "`${file:/proc/self/environ}`: `/proc/self/environ` leads under `/proc`, which \
         zadig-sync never reads: /proc, /dev and /sys expose this process's environment (the \
         API token included) and devices"
    );
    let ups = "../".repeat(root.path().components().count() + 2);
    let relative = format!("{ups}proc/self/environ");
    let message = refused_in_both_modes(root.path(), &relative);
    assert!(
        message.starts_with(&format!("`${{file:{relative}}}`")),
        "{message}"
    );
    assert!(message.contains("under `/proc`"), "{message}");
}

#[test]
fn symlinks_into_proc_dev_and_sys_are_refused_wherever_they_sit_on_the_way() {
    let root = tempfile::tempdir().expect("tempdir");
    // Outside the build directory, whose walk would refuse the links itself.
    let links = root.path().join("links");
    let builds = root.path().join("builds");
    fs::create_dir(&links).expect("mkdir");
    fs::create_dir(&builds).expect("mkdir");
    symlink("/proc/self/environ", links.join("env.txt")).expect("symlink");
    symlink("/proc/self", links.join("me")).expect("symlink");
    symlink("/dev/stdin", links.join("input")).expect("symlink");
    symlink("me/../..", links.join("up")).expect("symlink");
    for (path, root_dir) in [
        ("../links/env.txt", "/proc"),
        ("../links/me/environ", "/proc"),
        ("../links/input", "/dev"),
        ("../links/up/etc/hostname", "/proc"),
        ("/sys/kernel/hostname", "/sys"),
        ("/dev/null", "/dev"),
    ] {
        let message = refused_in_both_modes(&builds, path);
        assert!(
            message.contains(&format!("under `{root_dir}`")),
            "{message}"
        );
    }
}

#[test]
fn a_build_script_file_in_dev_is_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    let yaml = format!("{}build_script_file: /dev/stdin\n", valid("a"));
    fs::write(root.path().join("a.yaml"), yaml).expect("write");
    let outcome = load(root.path());
    let error = only_error(&outcome);
    let expected = ("forbidden-path", "a.yaml".to_string(), 6, 20);
    assert_eq!(code_and_place(error), expected);
    assert!(
        error
            .message
            .starts_with("`build_script_file: /dev/stdin`: `"),
        "{}",
        error.message
    );
}

#[test]
fn files_outside_the_build_dir_are_still_read() {
    let root = tempfile::tempdir().expect("tempdir");
    let builds = root.path().join("builds.d");
    fs::create_dir_all(root.path().join("scripts")).expect("mkdir");
    fs::create_dir(&builds).expect("mkdir");
    fs::write(root.path().join("scripts/build.sh"), "make\n").expect("write");
    let secret = root.path().join("mounted-secret");
    fs::write(&secret, "s3cret\n").expect("write");
    let yaml = format!(
        "{}build_script_file: ../scripts/build.sh\n",
        with_file_reference(&secret.to_string_lossy())
    );
    fs::write(builds.join("a.yaml"), yaml).expect("write");
    let outcome = load_dir(&builds, ReferenceMode::Online, &|_| None);
    assert_eq!(outcome.diagnostics, vec![]);
    assert_eq!(outcome.desired.builds.len(), 1);
}

#[test]
fn a_file_reference_that_can_never_resolve_is_an_error_even_offline() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    let made = Command::new("mkfifo")
        .arg(dir.join("pipe"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let size = usize::try_from(MAX_FILE_BYTES).expect("fits") + 1;
    fs::write(dir.join("big"), "x".repeat(size)).expect("write");
    for (path, needle) in [("pipe", "not a regular file"), ("big", "larger than")] {
        fs::write(dir.join("a.yaml"), with_file_reference(path)).expect("write");
        let outcome = load(dir);
        let error = only_error(&outcome);
        let expected = ("unreadable-reference", "a.yaml".to_string(), 8, 20);
        assert_eq!(code_and_place(error), expected);
        assert!(error.message.contains(needle), "{}", error.message);
        assert!(
            error.message.ends_with("no environment can resolve it"),
            "{}",
            error.message
        );
    }
}

#[test]
fn only_a_missing_file_reference_is_a_warning_offline() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(
        root.path().join("a.yaml"),
        with_file_reference("/run/none/x"),
    )
    .expect("write");
    let outcome = load(root.path());
    assert!(!outcome.has_errors(), "{:#?}", outcome.diagnostics);
    let warning = &outcome.diagnostics[0];
    let expected = ("unresolved-reference", "a.yaml".to_string(), 8, 20);
    assert_eq!(code_and_place(warning), expected);
}

#[test]
fn the_walk_does_not_follow_links_into_proc() {
    let root = tempfile::tempdir().expect("tempdir");
    symlink("/proc/self/environ", root.path().join("env.yaml")).expect("symlink");
    symlink("/proc/self/root", root.path().join("disk")).expect("symlink");
    let outcome = load(root.path());
    let found: Vec<(&str, String)> = outcome
        .diagnostics
        .iter()
        .map(|d| (d.code, place(d).0))
        .collect();
    assert_eq!(
        found,
        [
            ("unreadable-file", "disk".to_string()),
            ("unreadable-file", "env.yaml".to_string())
        ]
    );
    assert!(
        outcome
            .diagnostics
            .iter()
            .all(|d| d.message.contains("under `/proc`")),
        "{:#?}",
        outcome.diagnostics
    );
}
