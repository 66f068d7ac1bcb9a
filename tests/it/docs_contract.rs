//! What the README promises a new user, checked against the repository: the minimum Rust
//! version covers every locked dependency, the install line, the editor modeline resolves to
//! the schema from the bundled example, and each example names the variables it needs.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `1.95` and `1.95.0` alike, as three numbers.
fn version(text: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = text
        .split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect();
    parts.resize(3, 0);
    parts
}

#[test]
fn rust_version_covers_every_locked_dependency_and_the_readme_says_it() {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(ROOT)
        .output()
        .expect("cargo metadata");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let packages = metadata["packages"].as_array().expect("packages");
    let ours = packages
        .iter()
        .find(|p| p["name"] == "zadig-sync")
        .and_then(|p| p["rust_version"].as_str())
        .expect("rust-version in Cargo.toml");
    for package in packages {
        if let Some(needed) = package["rust_version"].as_str() {
            assert!(
                version(needed) <= version(ours),
                "{} {} needs Rust {needed}; Cargo.toml says {ours}",
                package["name"],
                package["version"]
            );
        }
    }
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("Rust {ours} or later")),
        "README names Rust {ours}"
    );
    assert!(readme.contains("cargo install --locked --path ."));
}

#[test]
fn the_readme_modeline_resolves_to_the_schema_from_the_bundled_example() {
    let readme = read("README.md");
    let modeline = "# yaml-language-server: $schema=";
    let start = readme.find(modeline).expect("a modeline in the README") + modeline.len();
    let relative = readme[start..].lines().next().expect("its path");
    let example = Path::new(ROOT).join("builds.d/demo/hello.yaml");
    assert!(example.is_file());
    let resolved = example.parent().expect("folder").join(relative);
    let schema = Path::new(ROOT).join(".zadig-sync.schema.json");
    // The schema is written by `zadig-sync schema >` at the root; compare the paths.
    assert_eq!(normalise(&resolved), normalise(&schema), "{relative}");
    assert!(
        readme.contains(r#""builds.d/**/*.yml""#),
        "the glob covers *.yml"
    );
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalise(path: &Path) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn each_example_names_the_environment_variables_it_needs() {
    let folders = ["examples", "examples/defaults", "builds.d/demo"];
    for folder in folders {
        for entry in std::fs::read_dir(Path::new(ROOT).join(folder)).expect("folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            let header: String = text
                .lines()
                .take_while(|l| l.starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(header.contains("# Environment:"), "{}", path.display());
            for (_, rest) in text
                .match_indices("${env:")
                .map(|(i, _)| text.split_at(i + 6))
            {
                let name = &rest[..rest.find('}').expect("closed")];
                assert!(
                    header.contains(name),
                    "{} uses ${{env:{name}}} but its header does not name it",
                    path.display()
                );
            }
        }
    }
}

/// Issue 19 item 18: Python's byte-code caches (`scripts/bench` leaves one) are ignored and
/// none is committed.
#[test]
fn python_caches_are_ignored_and_never_committed() {
    let ignored = read(".gitignore");
    assert!(
        ignored.lines().any(|line| line.trim() == "__pycache__/"),
        "{ignored}"
    );
    let listed = Command::new("git")
        .args(["ls-files", "--", "*.pyc", "*__pycache__*"])
        .current_dir(ROOT)
        .output();
    // Outside a git checkout (a source tarball) there is nothing committed to check.
    if let Some(listed) = listed.ok().filter(|o| o.status.success()) {
        let tracked = String::from_utf8_lossy(&listed.stdout);
        assert!(tracked.trim().is_empty(), "committed caches: {tracked}");
    }
}
