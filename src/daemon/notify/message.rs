//! What a notification says, whatever the platform: a title naming the build (or the daemon)
//! and what happened, then what happened in a sentence, the fields, the revision, and a link
//! to the status page when `--external-url` is set. Plain text; each platform's escaping is
//! `format.rs`'s. Every text in it comes from the event's view, whose free texts were
//! redacted. Pure.

use crate::daemon::events::describe_changes;
use crate::daemon::status::doc::EventView;
use crate::reconcile::pull::command::pull_command;

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `shop/api: failed`, `Zadig unreachable`.
    pub title: String,
    /// What happened, then the fields and the revision, one per line.
    pub lines: Vec<String>,
    /// The status page, filtered to the build's project.
    pub link: Option<String>,
}

/// A value longer than this is cut (with `…`) in a message.
const LONGEST_LINE: usize = 600;

/// The message of `event`; `external_url` is where people reach the status page.
pub fn message_of(event: &EventView, external_url: Option<&url::Url>) -> Message {
    let what = headline(&event.kind);
    let title = match (&event.project, &event.build) {
        (Some(project), Some(build)) => format!("{project}/{build}: {what}"),
        _ => what.to_string(),
    };
    let mut lines = vec![clip(&event.message)];
    if let (Some(project), Some(build)) = (&event.project, &event.build) {
        lines.push(format!("project: {project}, build: {build}"));
    }
    if let Some(fields) = fields(event) {
        lines.push(clip(&format!("fields: {fields}")));
    }
    if let Some(command) = pull_with(event) {
        lines.push(format!("pull with: {command}"));
    }
    if let Some(by) = &event.update_by {
        lines.push(format!("last changed in Zadig by: {by}"));
    }
    if let Some(revision) = &event.revision {
        lines.push(format!("revision: {revision}"));
    }
    Message {
        title,
        lines,
        link: external_url.map(|base| link(base, event.project.as_deref(), event.build.as_deref())),
    }
}

/// For a build changed in Zadig (not deleted there), the command that takes the change into
/// its file.
fn pull_with(event: &EventView) -> Option<String> {
    let changed = event.kind == "drift_found" && event.cause.as_deref() == Some("drift");
    changed.then(|| event.build.as_deref().map(pull_command))?
}

/// The fields an event is about, unless its sentence already says them: old → new, or
/// only their paths for a create (every field is new).
fn fields(event: &EventView) -> Option<String> {
    if event.changes.is_empty() {
        return None;
    }
    if event.action.as_deref() == Some("create") {
        let paths: Vec<&str> = event.changes.iter().map(|c| c.path.as_str()).collect();
        return Some(paths.join(", "));
    }
    let described = describe_changes(&event.changes);
    (!event.message.contains(&described)).then_some(described)
}

impl Message {
    /// Title, lines and link, one per line, within `limit` bytes (cut on a character).
    pub fn plain_text(&self, limit: usize) -> String {
        let mut text = format!("[zadig-sync] {}\n{}", self.title, self.lines.join("\n"));
        if let Some(link) = &self.link {
            text.push_str("\nstatus: ");
            text.push_str(link);
        }
        cut(&text, limit)
    }
}

/// A few words for each event kind.
fn headline(kind: &str) -> &str {
    match kind {
        "drift_found" => "drift found",
        "deletion_refused" => "deletion refused",
        "kept_not_deleted" => "kept, not deleted",
        "files_invalid" => "the files are invalid",
        "files_valid_again" => "the files are valid again",
        "zadig_unreachable" => "Zadig unreachable",
        "token_refused" => "Zadig refuses the API token",
        "zadig_back" => "Zadig is back",
        "commit_fetched" => "a new commit fetched",
        "commit_refused" => "a commit refused (not signed by a trusted key)",
        "git_unreachable" => "git unreachable",
        "git_back" => "git is back",
        other => other,
    }
}

/// The status page, showing `project` only and opening `build` when the event is about one.
fn link(base: &url::Url, project: Option<&str>, build: Option<&str>) -> String {
    let mut url = base.clone();
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    if let Some(project) = project {
        url.query_pairs_mut().append_pair("project", project);
        if let Some(build) = build {
            let id: String =
                url::form_urlencoded::byte_serialize(format!("{project}/{build}").as_bytes())
                    .collect();
            url.set_fragment(Some(&format!("build={}", id.replace('+', "%20"))));
        }
    }
    url.to_string()
}

fn clip(text: &str) -> String {
    cut(text, LONGEST_LINE)
}

/// `text` within `limit` bytes, ending with `…` when cut.
pub fn cut(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, project: Option<&str>) -> EventView {
        EventView {
            kind: kind.into(),
            project: project.map(str::to_string),
            build: project.map(|_| "api".to_string()),
            message: "update failed (attempt 1, rejected): no; retried with backoff".into(),
            revision: Some("0123abc".into()),
            ..EventView::example(1)
        }
    }

    #[test]
    fn a_message_names_the_build_what_happened_the_revision_and_links_the_page() {
        let base = url::Url::parse("https://sync.example.com/zadig").unwrap();
        let message = message_of(&event("failed", Some("shop & co")), Some(&base));
        assert_eq!(message.title, "shop & co/api: failed");
        assert_eq!(
            message.plain_text(4000),
            "[zadig-sync] shop & co/api: failed\n\
             update failed (attempt 1, rejected): no; retried with backoff\n\
             project: shop & co, build: api\n\
             revision: 0123abc\n\
             status: https://sync.example.com/zadig/?project=shop+%26+co#build=shop%20%26%20co%2Fapi"
        );
        let mut failed_create = event("failed", Some("shop"));
        failed_create.action = Some("create".into());
        failed_create.changes = vec![crate::reconcile::plan::FieldChange {
            path: "build_os".into(),
            change: crate::reconcile::plan::Change::Set {
                old: None,
                new: Some("\"ubuntu 22.04\"".into()),
            },
            via: None,
        }];
        let lines = message_of(&failed_create, None).lines;
        assert_eq!(lines[2], "fields: build_os", "{lines:?}");
        let daemon_wide = message_of(&event("zadig_unreachable", None), None);
        assert_eq!(daemon_wide.title, "Zadig unreachable");
        assert_eq!(daemon_wide.link, None);
    }

    #[test]
    fn a_drift_says_how_to_pull_it_and_a_deletion_does_not() {
        let mut drift = event("drift_found", Some("shop"));
        drift.build = Some("shop api".into());
        drift.message = "drift: changed in Zadig".into();
        drift.cause = Some("drift".into());
        let lines = message_of(&drift, None).lines;
        assert_eq!(
            lines[2], "pull with: zadig-sync pull --build 'shop api'",
            "{lines:?}"
        );
        drift.cause = Some("missing_in_zadig".into());
        let lines = message_of(&drift, None).lines;
        assert!(
            !lines.iter().any(|l| l.starts_with("pull with")),
            "{lines:?}"
        );
    }

    #[test]
    fn long_texts_are_cut_on_a_character() {
        assert_eq!(cut("héllo", 3), "…");
        assert_eq!(cut("héllo wörld", 8), "héll…");
        assert_eq!(cut("short", 10), "short");
    }
}
