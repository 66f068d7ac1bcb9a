use super::*;

fn add(text: &str, projects: &[&str]) -> Result<Option<(String, Vec<String>)>, String> {
    let projects: Vec<String> = projects.iter().map(|p| p.to_string()).collect();
    add_projects(text, &projects)
}

fn edited(text: &str, projects: &[&str]) -> String {
    match add(text, projects) {
        Ok(Some((edited, _))) => edited,
        other => panic!("{text:?}: {other:?}"),
    }
}

#[test]
fn a_new_file_lists_the_projects_and_reads_back() {
    let text = new_file(&["shop".to_string(), "1.0".to_string()]);
    assert_eq!(add(&text, &["shop", "1.0"]), Ok(None), "{text}");
    assert!(text.contains("  - \"1.0\"\n"), "{text}");
}

#[test]
fn items_are_added_after_the_last_with_its_indentation_and_the_rest_is_kept() {
    let text = "\
# Managed here.
url: https://zadig.example.com   # the server
projects:
- shop    # the shop
- web
# trailing comment
prune: true
";
    let result = edited(text, &["web", "billing", "ops"]);
    assert_eq!(
        result,
        "\
# Managed here.
url: https://zadig.example.com   # the server
projects:
- shop    # the shop
- web
- billing
- ops
# trailing comment
prune: true
"
    );
    assert_eq!(
        edited("projects:\n  - a", &["b"]),
        "projects:\n  - a\n  - b\n"
    );
    let indented = edited("projects:\n    - a\n    - b\nmax_deletes: 3\n", &["c"]);
    assert_eq!(
        indented,
        "projects:\n    - a\n    - b\n    - c\nmax_deletes: 3\n"
    );
}

#[test]
fn a_missing_or_empty_list_is_filled() {
    assert_eq!(edited("url: x\n", &["a"]), "url: x\nprojects:\n  - a\n");
    assert_eq!(edited("url: x", &["a"]), "url: x\nprojects:\n  - a\n");
    assert_eq!(
        edited("# only comments\n", &["a"]),
        "# only comments\nprojects:\n  - a\n"
    );
    assert_eq!(
        edited("projects:  # none yet\nurl: x\n", &["a"]),
        "projects:  # none yet\n  - a\nurl: x\n"
    );
    assert_eq!(edited("projects: ~\n", &["a"]), "projects:\n  - a\n");
    assert_eq!(edited("projects: []\n", &["a", "b"]), "projects: [a, b]\n");
    assert_eq!(
        edited("projects: [a, \"b\"]\n", &["c"]),
        "projects: [a, \"b\", c]\n"
    );
}

#[test]
fn what_cannot_be_edited_safely_is_refused() {
    for (text, why) in [
        (
            "projects: [a,\n  b]\n",
            "block list or a one-line flow list",
        ),
        ("projects: a\n", "not a list"),
        ("- a\n", "not a mapping"),
        ("projects: [a\n", "not YAML"),
        ("a: 1\n---\nb: 2\n", "more than one"),
        (
            "projects: &x [a]  # anchored\n",
            "block list or a one-line flow list",
        ),
    ] {
        match add(text, &["new"]) {
            Err(reason) => assert!(reason.contains(why), "{text:?}: {reason}"),
            other => panic!("{text:?} was edited: {other:?}"),
        }
    }
}

#[test]
fn listed_projects_are_not_added_twice() {
    assert_eq!(add("projects:\n  - a\n", &["a", "a"]), Ok(None));
    let (_, added) = add("projects:\n  - a\n", &["b", "b", "a"])
        .unwrap()
        .unwrap();
    assert_eq!(added, ["b"]);
}

#[test]
fn update_creates_edits_and_leaves_alone() {
    let dir = tempfile::tempdir().unwrap();
    let projects = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let change = update(dir.path(), &projects(&["a"])).unwrap();
    assert_eq!(change, ScopeChange::Created(projects(&["a"])));
    let change = update(dir.path(), &projects(&["a", "b"])).unwrap();
    assert_eq!(change, ScopeChange::Added(projects(&["b"])));
    assert_eq!(
        update(dir.path(), &projects(&["b"])).unwrap(),
        ScopeChange::Unchanged
    );
    let path = dir.path().join(SCOPE_FILE);
    std::fs::write(&path, "projects: [a,\n  b]\n").unwrap();
    let error = update(dir.path(), &projects(&["c"]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("list holds: c"), "{error}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "projects: [a,\n  b]\n"
    );
}
