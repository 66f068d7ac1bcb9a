//! The ownership marker of docs/architecture.md §4: the last line of every custom build script zadig-sync
//! writes, naming the build it was written for and carrying the fingerprint of the whole
//! desired spec. Pure, no I/O.
//!
//! ```text
//! # managed by zadig-sync (build payments/api); edits made in Zadig are overwritten. spec=sha256:3f1c… rev=9f2c4e1a7b3d
//! ```
//!
//! The line gives ownership (only builds whose marker names them are ever pruned: a script
//! copied into a hand-made build brings another build's marker along, which proves nothing)
//! and lets a change to a field Zadig never returns (storages, `script_type`, …) be seen: the
//! fingerprint moves. Credential values are left out of the hash *structurally* (the value of
//! every credential parameter or input is replaced by a fixed placeholder; nothing is found by
//! searching text): a hash of a secret in a build script could be tested against guesses by
//! anyone who can read the script. Every other value is hashed as resolved, `${env:…}` values
//! included (Zadig shows them anyway), and the API token is never an input.
//!
//! `rev=` names the git commit the build was last written from, for someone reading the build
//! in Zadig's UI. It never decides anything: ownership and the fingerprint are read without
//! it, so a commit that changes nothing rewrites nothing, and markers without it (written
//! before it existed, or from files that are not a checkout) stay valid.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::reconcile::spec::{BuildSpec, CustomBuild, ScriptType, TemplateBuild};

/// How every marker line starts, after its comment prefix.
pub const MARKER_START: &str = "managed by zadig-sync";

/// Between the build the marker names and its fingerprint.
const AFTER_OWNER: &str = "); edits made in Zadig are overwritten. spec=";

/// The marker of earlier versions, which named no build; read as a marker of another build.
const LEGACY_REST: &str = "; edits made in Zadig are overwritten. spec=";

const FINGERPRINT_PREFIX: &str = "sha256:";

/// Between the fingerprint and the commit the build was written from.
const REVISION_PREFIX: &str = " rev=";

/// How many hex digits of the commit a marker keeps.
pub const REVISION_DIGITS: usize = 12;

/// `sha256:<hex>` of a canonical serialisation of the full spec: marker lines stripped from the
/// script, credential values replaced by a fixed placeholder, set-like lists sorted by identity
/// (reordering a file is not a change), object keys sorted. Depends on the spec alone.
pub fn fingerprint(spec: &BuildSpec) -> String {
    let mut hasher = HashWriter(Sha256::new());
    let written = serde_json::to_value(canonical_spec(spec))
        .map_err(std::io::Error::other)
        .and_then(|value| write_canonical(&value, &mut hasher));
    if written.is_err() {
        // Unreachable for these plain data types (no maps with non-string keys). Hash a
        // constant rather than a Debug form that could hold a secret: the build is rewritten
        // on every pass, which is loud, not unsafe.
        hasher = HashWriter(Sha256::new());
        hasher.0.update(b"unserialisable spec");
    }
    format!("{FINGERPRINT_PREFIX}{}", hex::encode(hasher.0.finalize()))
}

/// The body to send to Zadig: for a custom build, the script (any old marker removed) with a
/// fresh marker line appended; a template build unchanged.
pub fn request_body(spec: &BuildSpec) -> BuildSpec {
    request_body_at(spec, None)
}

/// [`request_body`] written from the git commit `revision`, which the marker names (`rev=`,
/// its first [`REVISION_DIGITS`] hex digits; anything but hex digits is left out).
pub fn request_body_at(spec: &BuildSpec, revision: Option<&str>) -> BuildSpec {
    match spec {
        BuildSpec::Template(_) => spec.clone(),
        BuildSpec::Custom(custom) => {
            let script = split_marker(&custom.build_script).script;
            // CRLF when the script uses it, and when it ends in a lone CR: "\n" after that CR
            // would read back as a CRLF break and lose the CR.
            let crlf = script.contains("\r\n") || script.ends_with('\r');
            let separator = if crlf { "\r\n" } else { "\n" };
            let owner = MarkerOwner::of(&custom.project_key, &custom.name);
            let mut marker = marker_line(custom.script_type, &owner, &fingerprint(spec));
            if let Some(revision) = revision.map(short_revision).filter(|r| !r.is_empty()) {
                marker.push_str(REVISION_PREFIX);
                marker.push_str(&revision);
            }
            BuildSpec::Custom(CustomBuild {
                build_script: format!("{script}{separator}{marker}"),
                ..custom.clone()
            })
        }
    }
}

/// Who a live build belongs to, read from the marker line of its script. Computed by
/// [`Ownership::of_script`] alone, for the planner and for apply's last check before a delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    /// No marker (made by hand in Zadig, or a template build, which has no script).
    Unmarked,
    /// The marker names this very build: zadig-sync wrote it, from a spec with this fingerprint.
    Ours { fingerprint: String },
    /// The marker names another build (its script was copied), or is the legacy marker that
    /// named none: not ours either way. `owner` says what it names, for notes.
    Foreign { owner: String },
}

impl Ownership {
    /// The ownership of the build `project/name` whose script is `script`.
    pub fn of_script(script: &str, project: &str, name: &str) -> Self {
        Self::of_marker(split_marker(script).marker, project, name)
    }

    /// The ownership a marker (already split off the script) gives the build `project/name`.
    pub fn of_marker(marker: Option<Marker>, project: &str, name: &str) -> Self {
        match marker {
            None => Ownership::Unmarked,
            Some(marker) if marker.names(project, name) => Ownership::Ours {
                fingerprint: marker.fingerprint,
            },
            Some(Marker {
                owner: Some(owner), ..
            }) => Ownership::Foreign {
                owner: format!("build {owner}"),
            },
            Some(Marker { owner: None, .. }) => Ownership::Foreign {
                owner: "no build (the marker format of earlier versions)".to_string(),
            },
        }
    }

    /// The fingerprint the marker carries, when the build is ours.
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Ownership::Ours { fingerprint } => Some(fingerprint),
            Ownership::Unmarked | Ownership::Foreign { .. } => None,
        }
    }
}

/// The marker line for a script of this type (`REM` for batch files, `#` otherwise).
fn marker_line(script_type: ScriptType, owner: &MarkerOwner, fingerprint: &str) -> String {
    let comment = match script_type {
        ScriptType::BatchFile => "REM",
        ScriptType::Shell | ScriptType::Powershell => "#",
    };
    format!("{comment} {MARKER_START} (build {owner}{AFTER_OWNER}{fingerprint}")
}

/// The first hex digits of a commit id, and nothing else from it.
fn short_revision(revision: &str) -> String {
    (revision.chars())
        .take_while(char::is_ascii_hexdigit)
        .take(REVISION_DIGITS)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The build a marker names, as `project/name`. Control characters are escaped (`\n`), so
/// that the marker stays one line whatever the names hold; owners are compared in that form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerOwner {
    text: String,
}

impl MarkerOwner {
    pub fn of(project: &str, name: &str) -> Self {
        MarkerOwner {
            text: format!("{}/{}", escape_controls(project), escape_controls(name)),
        }
    }
}

impl MarkerOwner {
    /// Whether this names `project/name`: compared in place when neither holds a control
    /// character (every real name), else in the escaped form.
    fn is(&self, project: &str, name: &str) -> bool {
        let plain = |text: &str| !text.chars().any(char::is_control);
        if !(plain(project) && plain(name)) {
            return *self == MarkerOwner::of(project, name);
        }
        let text = self.text.as_str();
        text.len() == project.len() + 1 + name.len()
            && text.starts_with(project)
            && text[project.len()..].starts_with('/')
            && text.ends_with(name)
    }
}

impl fmt::Display for MarkerOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Control characters as escapes (`\n` → `\\n`), so that a name from a file or from Zadig
/// keeps a marker line, or a line on a terminal, whole.
pub fn escape_controls(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// A marker line read back from a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// The build it was written for; `None` for the legacy marker that named no build.
    pub owner: Option<MarkerOwner>,
    /// `sha256:<hex>` of the spec it was written from.
    pub fingerprint: String,
    /// The commit it was written from (`rev=`, short), when it names one. Informative only.
    pub revision: Option<String>,
}

impl Marker {
    /// Whether this marker makes the build `project/name` ours.
    pub fn names(&self, project: &str, name: &str) -> bool {
        self.owner
            .as_ref()
            .is_some_and(|owner| owner.is(project, name))
    }
}

/// A build script split into the user's script and its marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitScript {
    /// The script without the marker line (and without the line break before it).
    pub script: String,
    /// The last marker, `None` when the script has none (unmarked).
    pub marker: Option<Marker>,
}

/// Removes trailing marker lines (one trailing line break after the marker is tolerated, and a
/// script that already ends with markers loses them all) and returns the last.
/// Exact inverse of [`request_body`]: `split_marker(request_body(s).build_script).script` is the
/// file's script.
pub fn split_marker(script: &str) -> SplitScript {
    let mut rest = script;
    let mut found = None;
    while let Some((before, marker)) = strip_one_marker(rest) {
        found.get_or_insert(marker);
        rest = before;
    }
    SplitScript {
        script: rest.to_string(),
        marker: found,
    }
}

fn strip_one_marker(script: &str) -> Option<(&str, Marker)> {
    let body = script
        .strip_suffix("\r\n")
        .or_else(|| script.strip_suffix('\n'))
        .unwrap_or(script);
    let (before, last_line) = match body.rfind('\n') {
        Some(index) => (&body[..index], &body[index + 1..]),
        None => ("", body),
    };
    let marker = parse_marker_line(last_line)?;
    Some((before.strip_suffix('\r').unwrap_or(before), marker))
}

/// The marker of a line, or `None` when the line is not one of ours.
fn parse_marker_line(line: &str) -> Option<Marker> {
    let rest = line
        .strip_prefix("# ")
        .or_else(|| line.strip_prefix("REM "))?
        .strip_prefix(MARKER_START)?;
    let (owner, fingerprint) = match rest.strip_prefix(LEGACY_REST) {
        Some(fingerprint) => (None, fingerprint),
        None => {
            let named = rest.strip_prefix(" (build ")?;
            // The last occurrence: a build name may hold the separator, a fingerprint cannot.
            let (owner, fingerprint) = named.rsplit_once(AFTER_OWNER)?;
            let text = owner.to_string();
            (Some(MarkerOwner { text }), fingerprint)
        }
    };
    let (fingerprint, revision) = match fingerprint.trim_end().split_once(REVISION_PREFIX) {
        Some((fingerprint, revision)) => (fingerprint, Some(revision)),
        None => (fingerprint.trim_end(), None),
    };
    let hex = fingerprint.strip_prefix(FINGERPRINT_PREFIX)?;
    let well_formed = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    let revision_ok =
        revision.is_none_or(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_hexdigit()));
    (well_formed && revision_ok).then(|| Marker {
        owner,
        fingerprint: fingerprint.to_string(),
        revision: revision.map(str::to_string),
    })
}

/// The spec as hashed: no marker, no secret, lists in identity order.
/// The values of the spec's credential parameters and inputs, in spec order: what
/// [`fingerprint`] leaves out. Whoever must see a rotated credential (the daemon's identity of
/// the files) digests them with a key of its own; they never reach a marker or a plan.
pub fn credential_values(spec: &BuildSpec) -> Vec<&str> {
    match spec {
        BuildSpec::Custom(custom) => (custom.parameters.iter())
            .filter(|p| p.is_credential)
            .map(|p| p.default_value.as_str())
            .collect(),
        BuildSpec::Template(template) => (template.target_services.iter())
            .flat_map(|target| target.inputs.iter())
            .filter(|input| input.is_credential)
            .map(|input| input.value.as_str())
            .collect(),
    }
}

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

fn sort_repos(repos: &mut [crate::reconcile::spec::RepoInfo]) {
    repos.sort_by(|a, b| (&a.repo_namespace, &a.repo_name).cmp(&(&b.repo_namespace, &b.repo_name)));
}

/// Compact JSON with object keys sorted, whatever map type serde_json was built with.
/// Feeds what is written to a hash, so that the canonical text is never held whole.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes `value` as compact JSON with every object's keys sorted: the bytes a fingerprint
/// hashes. They must never change (a different text means a different fingerprint, and every
/// build rewritten on upgrade): `canonical_json` in the tests is the reference it is held to.
fn write_canonical(
    value: &serde_json::Value,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.write_all(b"{")?;
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, key)?;
                out.write_all(b":")?;
                write_canonical(value, out)?;
            }
            out.write_all(b"}")
        }
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.write_all(b",")?;
                }
                write_canonical(item, out)?;
            }
            out.write_all(b"]")
        }
        scalar => Ok(serde_json::to_writer(out, scalar)?),
    }
}

/// The canonical text as the fingerprint was first defined, kept as the reference the
/// streaming [`write_canonical`] is tested against.
#[cfg(test)]
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
    use crate::reconcile::spec::{BuildSpec, CustomBuild, Infrastructure};

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

    fn zeros_marker(owner: &str) -> String {
        format!(
            "# {MARKER_START} (build {owner}{AFTER_OWNER}sha256:{}",
            "0".repeat(64)
        )
    }

    // The streaming writer must hash exactly the text the fingerprint was defined on: any
    // difference would change every fingerprint, and rewrite every build on upgrade.
    #[test]
    fn the_canonical_text_is_written_as_it_was_defined() {
        let values = [
            serde_json::json!({"z": 1, "a": [true, null, -0.5, 12345678901234i64], "m": {}}),
            serde_json::json!({"quote\"d": "tab\t nl\n \u{1} é 😀 </script>", "b": {"y": [], "x": [{}]}}),
            serde_json::to_value(canonical_spec(&custom("make", ScriptType::Shell))).unwrap(),
        ];
        for value in values {
            let mut streamed = Vec::new();
            write_canonical(&value, &mut streamed).unwrap();
            assert_eq!(String::from_utf8(streamed).unwrap(), canonical_json(&value));
        }
    }

    #[test]
    fn marker_round_trips_for_every_line_ending() {
        for script in ["make", "make\n", "", "a\r\nb", "a\r\nb\r\n", "a\r", "\n\n"] {
            let spec = custom(script, ScriptType::Shell);
            let split = split_marker(&sent_script(&spec));
            assert_eq!(split.script, script, "{script:?}");
            let marker = split.marker.expect("marked");
            assert_eq!(marker.fingerprint, fingerprint(&spec), "{script:?}");
            assert!(marker.names("p", "b"), "{script:?}");
        }
    }

    #[test]
    fn marker_line_names_the_build_and_is_the_last_line_with_the_right_comment() {
        let shell = sent_script(&custom("make", ScriptType::Shell));
        let fp = fingerprint(&custom("make", ScriptType::Shell));
        assert_eq!(
            shell,
            format!(
                "make\n# managed by zadig-sync (build p/b); edits made in Zadig are \
                 overwritten. spec={fp}"
            )
        );
        let batch = sent_script(&custom("make", ScriptType::BatchFile));
        assert!(
            batch
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("REM managed by zadig-sync (build p/b)"))
        );
        let crlf = sent_script(&custom("a\r\nb", ScriptType::BatchFile));
        assert!(crlf.starts_with("a\r\nb\r\nREM "), "{crlf:?}");
    }

    #[test]
    fn a_marker_names_only_its_own_build() {
        let marker = split_marker(&zeros_marker("p/b")).marker.expect("marked");
        assert!(marker.names("p", "b"));
        assert!(!marker.names("p", "c"));
        assert!(!marker.names("q", "b"));
        let odd = split_marker(&zeros_marker("p/a); b"))
            .marker
            .expect("marked");
        assert!(odd.names("p", "a); b"));
    }

    #[test]
    fn control_characters_in_names_keep_the_marker_on_one_line() {
        let mut spec = custom("make", ScriptType::Shell);
        if let BuildSpec::Custom(c) = &mut spec {
            c.name = "evil\nrm -rf /".into();
        }
        let sent = match request_body(&spec) {
            BuildSpec::Custom(c) => c.build_script,
            BuildSpec::Template(_) => unreachable!(),
        };
        assert_eq!(sent.lines().count(), 2, "{sent:?}");
        let marker = split_marker(&sent).marker.expect("marked");
        assert!(marker.names("p", "evil\nrm -rf /"));
    }

    #[test]
    fn the_legacy_marker_is_stripped_and_names_no_build() {
        let legacy = format!(
            "make\n# managed by zadig-sync; edits made in Zadig are overwritten. spec=sha256:{}",
            "a".repeat(64)
        );
        let split = split_marker(&legacy);
        assert_eq!(split.script, "make");
        let marker = split.marker.expect("a marker");
        assert_eq!(marker.owner, None);
        assert!(!marker.names("p", "b"));
    }

    #[test]
    fn request_body_is_idempotent_and_an_old_marker_is_replaced() {
        let spec = custom("make", ScriptType::Shell);
        let once = request_body(&spec);
        assert_eq!(request_body(&once), once);
        let stale = custom(&format!("make\n{}", zeros_marker("x/y")), ScriptType::Shell);
        assert_eq!(fingerprint(&stale), fingerprint(&spec));
        assert_eq!(request_body(&stale), once);
    }

    #[test]
    fn rev_names_the_commit_and_changes_neither_ownership_nor_the_fingerprint() {
        let spec = custom("make", ScriptType::Shell);
        let commit = "9F2C4E1A7B3D5566778899aabbccddeeff001122";
        let with_rev = match request_body_at(&spec, Some(commit)) {
            BuildSpec::Custom(c) => c.build_script,
            BuildSpec::Template(_) => unreachable!(),
        };
        assert!(with_rev.ends_with(" rev=9f2c4e1a7b3d"), "{with_rev}");
        let split = split_marker(&with_rev);
        assert_eq!(split.script, "make");
        let marker = split.marker.expect("marked");
        assert_eq!(marker.revision.as_deref(), Some("9f2c4e1a7b3d"));
        assert_eq!(marker.fingerprint, fingerprint(&spec));
        // The same spec written from another commit, or before rev= existed: same owner,
        // same fingerprint, so nothing is rewritten.
        let without = sent_script(&spec);
        assert_eq!(
            Ownership::of_script(&with_rev, "p", "b"),
            Ownership::of_script(&without, "p", "b")
        );
        let resent = custom(&with_rev, ScriptType::Shell);
        assert_eq!(fingerprint(&resent), fingerprint(&spec));
        assert_eq!(
            request_body_at(&resent, Some(commit)),
            request_body_at(&spec, Some(commit))
        );
    }

    #[test]
    fn a_revision_is_only_ever_hex_digits() {
        let spec = custom("make", ScriptType::Shell);
        for odd in ["", "zz", "; rm -rf /"] {
            assert_eq!(
                request_body_at(&spec, Some(odd)),
                request_body(&spec),
                "{odd:?}"
            );
        }
        let broken = format!("make\n{} rev=", zeros_marker("p/b"));
        assert_eq!(split_marker(&broken).marker, None);
    }

    #[test]
    fn a_trailing_newline_after_the_marker_is_tolerated() {
        let sent = sent_script(&custom("make", ScriptType::Shell));
        let split = split_marker(&format!("{sent}\n"));
        assert_eq!(split.script, "make");
        assert!(split.marker.is_some());
    }

    #[test]
    fn unmarked_and_malformed_markers_are_not_ours() {
        let zeros = "0".repeat(64);
        for script in [
            "make",
            "make\n# managed by zadig-sync",
            &format!("make\n# {MARKER_START} (build p/b{AFTER_OWNER}sha256:abc"),
            &format!("make\n# {MARKER_START} (build p/b{AFTER_OWNER}md5:{zeros}"),
            &format!("make\n# {MARKER_START} (build p/b; spec=sha256:{zeros}"),
            &format!("{}\nmake", zeros_marker("p/b")),
        ] {
            let split = split_marker(script);
            assert_eq!(split.marker, None, "{script:?}");
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

    #[test]
    fn credentials_are_left_out_structurally_and_other_values_hashed_as_written() {
        let with_credential = |value: &str| {
            let mut spec = custom("login", ScriptType::Shell);
            if let BuildSpec::Custom(c) = &mut spec {
                c.parameters = vec![crate::reconcile::spec::Parameter {
                    key: "TOKEN".into(),
                    kind: None,
                    default_value: value.into(),
                    description: String::new(),
                    is_credential: true,
                    choice_option: vec![],
                    choice_value: vec![],
                }];
            }
            spec
        };
        assert_eq!(
            fingerprint(&with_credential("s3cr3t-1")),
            fingerprint(&with_credential("s3cr3t-2"))
        );
        // A value that happens to equal a secret elsewhere (a short API token, say) is
        // hashed as written: nothing is blanked by searching text.
        let one = custom("login T", ScriptType::Shell);
        let two = custom("login U", ScriptType::Shell);
        assert_ne!(fingerprint(&one), fingerprint(&two));
    }

    #[test]
    fn ownership_is_read_from_the_marker_alone() {
        let ours = sent_script(&custom("make", ScriptType::Shell));
        assert!(matches!(
            Ownership::of_script(&ours, "p", "b"),
            Ownership::Ours { .. }
        ));
        assert_eq!(Ownership::of_script("make", "p", "b"), Ownership::Unmarked);
        assert_eq!(
            Ownership::of_script(&ours, "p", "other"),
            Ownership::Foreign {
                owner: "build p/b".into()
            }
        );
    }
}
