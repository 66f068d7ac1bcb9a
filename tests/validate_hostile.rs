//! Hostile directories and files, on a real file system: each is answered with a diagnostic
//! naming the entry, never a panic or a hang. Also the walk's order and what it skips.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use zadig_sync::diagnostic::Diagnostic;
use zadig_sync::files::MAX_FILE_BYTES;
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
    assert!(error.message.contains("budget"), "{}", error.message);
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
