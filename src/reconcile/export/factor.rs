//! `export --defaults`: the values that every exported custom build of a project shares, moved
//! out of the build files into the project's defaults file (`_defaults.yaml`). Pure, no I/O.
//!
//! It works on the YAML text [`to_yaml`](super::to_yaml) writes, line by line, so that the
//! comments (`# inferred: …`) travel with their values. That text has one shape: a header of
//! comment lines, then one entry per field, `key: value` or `key:` with its value on the lines
//! below, indented deeper (a list's items, a mapping's keys, a literal block's lines). Entries
//! whose lines are identical in every build are shared. A mapping present in every build is
//! compared key by key, since a defaults file's mappings merge key by key; anything else is
//! shared whole or not at all, since lists and scalars are inherited whole. The merged build
//! is therefore exactly the build as exported.

/// Fields that stay in each build file: its identity, and its script (one per build, and a
/// `build_script_file` path is relative to the file naming it).
const OWN_FIELDS: [&str; 4] = ["name", "project_key", "build_script", "build_script_file"];

/// A project's build files with their shared values moved out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factored {
    /// The defaults file's text.
    pub defaults: String,
    /// Each build file's text, in the order given.
    pub builds: Vec<String>,
}

/// Factors the YAML of one project's custom builds; `None` when fewer than two builds or no
/// value is shared.
pub fn factor(project: &str, builds: &[String]) -> Option<Factored> {
    if builds.len() < 2 {
        return None;
    }
    let documents: Vec<Document<'_>> = builds.iter().map(|text| Document::parse(text)).collect();
    let lists: Vec<&[Entry<'_>]> = documents.iter().map(|d| d.entries.as_slice()).collect();
    let shared = shared_entries(&lists, true);
    if shared.is_empty() {
        return None;
    }
    let mut defaults = header(project);
    write_kept(&mut defaults, &documents[0].entries, &shared, Keep::Shared);
    let builds = documents
        .iter()
        .map(|document| {
            let mut text: String = document.header.iter().map(|l| format!("{l}\n")).collect();
            write_kept(&mut text, &document.entries, &shared, Keep::Own);
            text
        })
        .collect();
    Some(Factored { defaults, builds })
}

fn header(project: &str) -> String {
    let project = crate::reconcile::marker::escape_controls(project);
    format!(
        "# Values every custom build of project {project} shared when `zadig-sync export \
         --defaults`\n# wrote them. Each build file in this folder and below inherits them, \
         unless it sets\n# its own: mappings merge key by key, lists and values replace whole.\n"
    )
}

/// One field: its lines (the first holds its key), and, for a mapping, its keys as entries.
#[derive(Debug)]
struct Entry<'t> {
    key: &'t str,
    lines: Vec<&'t str>,
    fields: Option<Vec<Entry<'t>>>,
}

struct Document<'t> {
    header: Vec<&'t str>,
    entries: Vec<Entry<'t>>,
}

impl<'t> Document<'t> {
    fn parse(text: &'t str) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let first = lines
            .iter()
            .position(|line| !line.starts_with('#'))
            .unwrap_or(lines.len());
        Document {
            header: lines[..first].to_vec(),
            entries: entries(&lines[first..]),
        }
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The entries of lines at one level: each starts at a line as shallow as the first, and
/// holds the deeper (and empty) lines after it.
fn entries<'t>(lines: &[&'t str]) -> Vec<Entry<'t>> {
    let Some(level) = lines.first().map(|line| indent_of(line)) else {
        return Vec::new();
    };
    let mut found: Vec<Entry<'t>> = Vec::new();
    for &line in lines {
        let starts = !line.is_empty() && indent_of(line) <= level;
        match found.last_mut() {
            Some(entry) if !starts => entry.lines.push(line),
            _ => found.push(Entry {
                key: line.trim_start().split(':').next().unwrap_or_default(),
                lines: vec![line],
                fields: None,
            }),
        }
    }
    for entry in &mut found {
        entry.fields = mapping_fields(&entry.lines);
    }
    found
}

/// A `key:` line followed by keys, not list items or a block's text, is a mapping.
fn mapping_fields<'t>(lines: &[&'t str]) -> Option<Vec<Entry<'t>>> {
    let (head, body) = lines.split_first()?;
    let first = body.first()?;
    let is_mapping = head.trim_end().ends_with(':')
        && !first.trim_start().starts_with("- ")
        && !first.trim_start().starts_with('#');
    is_mapping.then(|| entries(body))
}

/// What of one field all builds share.
#[derive(Debug, PartialEq)]
enum Share {
    Whole,
    /// A mapping every build has, of which these keys are shared.
    Keys(Vec<(String, Share)>),
}

/// The shared fields of one level, in the first build's order.
fn shared_entries(levels: &[&[Entry<'_>]], top: bool) -> Vec<(String, Share)> {
    let Some((first, others)) = levels.split_first() else {
        return Vec::new();
    };
    let mut shared = Vec::new();
    for entry in first.iter() {
        if top && OWN_FIELDS.contains(&entry.key) {
            continue;
        }
        let Some(theirs) = others
            .iter()
            .map(|level| level.iter().find(|e| e.key == entry.key))
            .collect::<Option<Vec<&Entry<'_>>>>()
        else {
            continue;
        };
        if theirs.iter().all(|e| e.lines == entry.lines) {
            shared.push((entry.key.to_string(), Share::Whole));
        } else if let Some(fields) = &entry.fields {
            let mut nested = vec![fields.as_slice()];
            let Some(()) = theirs.iter().try_for_each(|e| {
                nested.push(e.fields.as_deref()?);
                Some(())
            }) else {
                continue;
            };
            let keys = shared_entries(&nested, false);
            if !keys.is_empty() {
                shared.push((entry.key.to_string(), Share::Keys(keys)));
            }
        }
    }
    shared
}

/// Which side of the split to write.
#[derive(Clone, Copy, PartialEq)]
enum Keep {
    Shared,
    Own,
}

/// Writes the entries of one level that belong to `keep`; a mapping left with no key is left
/// out (an empty `key:` would read as `null`, which removes an inherited value).
fn write_kept(out: &mut String, entries: &[Entry<'_>], shared: &[(String, Share)], keep: Keep) {
    for entry in entries {
        let share = shared
            .iter()
            .find(|(key, _)| key == entry.key)
            .map(|(_, s)| s);
        match (share, keep) {
            (Some(Share::Whole), Keep::Shared) | (None, Keep::Own) => push_lines(out, &entry.lines),
            (Some(Share::Keys(keys)), _) => {
                let mut inner = String::new();
                write_kept(
                    &mut inner,
                    entry.fields.as_deref().unwrap_or_default(),
                    keys,
                    keep,
                );
                if !inner.is_empty() {
                    push_lines(out, &entry.lines[..1]);
                    out.push_str(&inner);
                }
            }
            (Some(Share::Whole), Keep::Own) | (None, Keep::Shared) => {}
        }
    }
}

fn push_lines(out: &mut String, lines: &[&str]) {
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests;
