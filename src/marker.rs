//! The ownership marker of design §4: the last line of every custom build script zadig-sync
//! writes, carrying the fingerprint of the whole desired spec. Pure, no I/O.
//!
//! ```text
//! # managed by zadig-sync; edits made in Zadig are overwritten. spec=sha256:3f1c…
//! ```
//!
//! The line gives ownership (only marked builds are ever pruned) and lets a change to a field
//! Zadig never returns (storages, `script_type`, …) be seen: the fingerprint moves. Credential
//! values are blanked before hashing: a hash of a secret in a build script could be tested
//! against guesses by anyone who can read the script.

use sha2::{Digest, Sha256};

use crate::spec::{BuildSpec, CustomBuild, ScriptType, TemplateBuild};

/// The text of the marker line after its comment prefix, up to the fingerprint.
pub const MARKER_TEXT: &str = "managed by zadig-sync; edits made in Zadig are overwritten. spec=";

const FINGERPRINT_PREFIX: &str = "sha256:";

/// `sha256:<hex>` of a canonical serialisation of the full spec: marker lines stripped from the
/// script, credential values blanked, set-like lists sorted by identity (reordering a file is
/// not a change), object keys sorted.
pub fn fingerprint(spec: &BuildSpec) -> String {
    let canonical = canonical_spec(spec);
    let text = match serde_json::to_value(&canonical) {
        Ok(value) => canonical_json(&value),
        // Unreachable for these plain data types (no maps with non-string keys); the Debug
        // form is still deterministic and holds no secret, since they were blanked.
        Err(_) => format!("{canonical:?}"),
    };
    format!(
        "{FINGERPRINT_PREFIX}{}",
        hex::encode(Sha256::digest(text.as_bytes()))
    )
}

/// The body to send to Zadig: for a custom build, the script (any old marker removed) with a
/// fresh marker line appended; a template build unchanged.
pub fn request_body(spec: &BuildSpec) -> BuildSpec {
    match spec {
        BuildSpec::Template(_) => spec.clone(),
        BuildSpec::Custom(custom) => {
            let script = split_marker(&custom.build_script).script;
            // CRLF when the script uses it, and when it ends in a lone CR: "\n" after that CR
            // would read back as a CRLF break and lose the CR.
            let crlf = script.contains("\r\n") || script.ends_with('\r');
            let separator = if crlf { "\r\n" } else { "\n" };
            let marker = marker_line(custom.script_type, &fingerprint(spec));
            BuildSpec::Custom(CustomBuild {
                build_script: format!("{script}{separator}{marker}"),
                ..custom.clone()
            })
        }
    }
}

/// The marker line for a script of this type (`REM` for batch files, `#` otherwise).
pub fn marker_line(script_type: ScriptType, fingerprint: &str) -> String {
    let comment = match script_type {
        ScriptType::BatchFile => "REM",
        ScriptType::Shell | ScriptType::Powershell => "#",
    };
    format!("{comment} {MARKER_TEXT}{fingerprint}")
}

/// A build script split into the user's script and the fingerprint of its marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitScript {
    /// The script without the marker line (and without the line break before it).
    pub script: String,
    /// The fingerprint of the last marker, `None` when the script has no marker (unmarked).
    pub fingerprint: Option<String>,
}

/// Removes trailing marker lines (one trailing line break after the marker is tolerated, and a
/// script that already ends with markers loses them all) and returns the fingerprint of the last.
/// Exact inverse of [`request_body`]: `split_marker(request_body(s).build_script).script` is the
/// file's script.
pub fn split_marker(script: &str) -> SplitScript {
    let mut rest = script;
    let mut found = None;
    while let Some((before, fingerprint)) = strip_one_marker(rest) {
        found.get_or_insert_with(|| fingerprint.to_string());
        rest = before;
    }
    SplitScript {
        script: rest.to_string(),
        fingerprint: found,
    }
}

fn strip_one_marker(script: &str) -> Option<(&str, &str)> {
    let body = script
        .strip_suffix("\r\n")
        .or_else(|| script.strip_suffix('\n'))
        .unwrap_or(script);
    let (before, last_line) = match body.rfind('\n') {
        Some(index) => (&body[..index], &body[index + 1..]),
        None => ("", body),
    };
    let fingerprint = parse_marker_line(last_line)?;
    Some((before.strip_suffix('\r').unwrap_or(before), fingerprint))
}

/// The fingerprint of a marker line, or `None` when the line is not one of ours.
fn parse_marker_line(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("# ")
        .or_else(|| line.strip_prefix("REM "))?;
    let fingerprint = rest.strip_prefix(MARKER_TEXT)?.trim_end();
    let hex = fingerprint.strip_prefix(FINGERPRINT_PREFIX)?;
    let well_formed = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then_some(fingerprint)
}

/// The spec as hashed: no marker, no secret, lists in identity order.
fn canonical_spec(spec: &BuildSpec) -> BuildSpec {
    match spec {
        BuildSpec::Custom(custom) => BuildSpec::Custom(canonical_custom(custom)),
        BuildSpec::Template(template) => BuildSpec::Template(canonical_template(template)),
    }
}

fn canonical_custom(custom: &CustomBuild) -> CustomBuild {
    let mut build = custom.clone();
    build.build_script = split_marker(&custom.build_script).script;
    for parameter in build.parameters.iter_mut().filter(|p| p.is_credential) {
        parameter.default_value.clear();
    }
    build.installs.sort_by(|a, b| a.name.cmp(&b.name));
    build.parameters.sort_by(|a, b| a.key.cmp(&b.key));
    build.services.sort();
    sort_repos(&mut build.repo_info);
    if let Some(advanced) = build.advanced_settings.as_mut() {
        advanced.custom_labels.sort_by(|a, b| a.key.cmp(&b.key));
        advanced
            .custom_annotations
            .sort_by(|a, b| a.key.cmp(&b.key));
    }
    build
}

fn canonical_template(template: &TemplateBuild) -> TemplateBuild {
    let mut build = template.clone();
    for target in &mut build.target_services {
        for input in target.inputs.iter_mut().filter(|i| i.is_credential) {
            input.value.clear();
        }
        target.inputs.sort_by(|a, b| a.key.cmp(&b.key));
        sort_repos(&mut target.repo_info);
    }
    build.target_services.sort_by(|a, b| {
        (&a.service_name, &a.service_module).cmp(&(&b.service_name, &b.service_module))
    });
    build
}

fn sort_repos(repos: &mut [crate::spec::RepoInfo]) {
    repos.sort_by(|a, b| (&a.repo_namespace, &a.repo_name).cmp(&(&b.repo_namespace, &b.repo_name)));
}

/// Compact JSON with object keys sorted, whatever map type serde_json was built with.
fn canonical_json(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let fields: Vec<String> = entries
                .into_iter()
                .map(|(key, value)| {
                    format!("{}:{}", Value::String(key.clone()), canonical_json(value))
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        scalar => scalar.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{BuildSpec, CustomBuild, Infrastructure};

    fn custom(script: &str, script_type: ScriptType) -> BuildSpec {
        BuildSpec::Custom(CustomBuild {
            name: "b".into(),
            project_key: "p".into(),
            infrastructure: Infrastructure::Kubernetes,
            build_os: "ubuntu 20.04".into(),
            installs: vec![],
            script_type,
            build_script: script.into(),
            repo_info: vec![],
            parameters: vec![],
            services: vec![],
            docker_build_step: None,
            advanced_settings: None,
        })
    }

    fn sent_script(spec: &BuildSpec) -> String {
        match request_body(spec) {
            BuildSpec::Custom(c) => c.build_script,
            BuildSpec::Template(_) => panic!("custom in, custom out"),
        }
    }

    #[test]
    fn marker_round_trips_for_every_line_ending() {
        for script in ["make", "make\n", "", "a\r\nb", "a\r\nb\r\n", "a\r", "\n\n"] {
            let spec = custom(script, ScriptType::Shell);
            let split = split_marker(&sent_script(&spec));
            assert_eq!(split.script, script, "{script:?}");
            assert_eq!(split.fingerprint, Some(fingerprint(&spec)), "{script:?}");
        }
    }

    #[test]
    fn marker_line_is_the_last_line_with_the_right_comment() {
        let shell = sent_script(&custom("make", ScriptType::Shell));
        let fp = fingerprint(&custom("make", ScriptType::Shell));
        assert_eq!(shell, format!("make\n# {MARKER_TEXT}{fp}"));
        let batch = sent_script(&custom("make", ScriptType::BatchFile));
        assert!(
            batch
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("REM managed by zadig-sync"))
        );
        let crlf = sent_script(&custom("a\r\nb", ScriptType::BatchFile));
        assert!(crlf.starts_with("a\r\nb\r\nREM "), "{crlf:?}");
    }

    #[test]
    fn request_body_is_idempotent_and_an_old_marker_is_replaced() {
        let spec = custom("make", ScriptType::Shell);
        let once = request_body(&spec);
        assert_eq!(request_body(&once), once);
        let stale = custom(
            &format!("make\n# {MARKER_TEXT}sha256:{}", "0".repeat(64)),
            ScriptType::Shell,
        );
        assert_eq!(fingerprint(&stale), fingerprint(&spec));
        assert_eq!(request_body(&stale), once);
    }

    #[test]
    fn a_trailing_newline_after_the_marker_is_tolerated() {
        let sent = sent_script(&custom("make", ScriptType::Shell));
        let split = split_marker(&format!("{sent}\n"));
        assert_eq!(split.script, "make");
        assert!(split.fingerprint.is_some());
    }

    #[test]
    fn unmarked_and_malformed_markers_are_not_ours() {
        for script in [
            "make",
            "make\n# managed by zadig-sync",
            &format!("make\n# {MARKER_TEXT}sha256:abc"),
            &format!("make\n# {MARKER_TEXT}md5:{}", "0".repeat(64)),
            &format!("# {MARKER_TEXT}sha256:{}\nmake", "0".repeat(64)),
        ] {
            let split = split_marker(script);
            assert_eq!(split.fingerprint, None, "{script:?}");
            assert_eq!(split.script, script);
        }
    }

    #[test]
    fn fingerprint_is_sha256_hex_and_depends_on_the_script_type() {
        let shell = fingerprint(&custom("make", ScriptType::Shell));
        let pwsh = fingerprint(&custom("make", ScriptType::Powershell));
        assert!(
            shell.starts_with("sha256:") && shell.len() == 7 + 64,
            "{shell}"
        );
        assert_ne!(shell, pwsh);
    }
}
