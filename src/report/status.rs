//! `zadig-sync status` for people: a table like `flux get` (PROJECT, BUILD, STATE, SINCE,
//! MESSAGE), one build a line, and a one-line summary. Every cell comes from Zadig or the
//! files through the daemon, so each is escaped for a terminal. Ages are passed in already
//! written (`4m`): no clock here. Pure.

use crate::report::escape;

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub project: String,
    pub build: String,
    pub state: String,
    /// How long it has been in this state, e.g. `4m`.
    pub since: String,
    pub message: String,
}

/// The summary under the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Builds shown by state, in the API's order; states with none are left out.
    pub counts: Vec<(&'static str, u64)>,
    /// Builds in Zadig that no file describes.
    pub kept: u64,
    /// `12s ago (resync, success, 1 request)`, or none before the first pass.
    pub last_pass: Option<String>,
    pub revision: Option<String>,
    /// `in 48s`.
    pub next_pass: Option<String>,
    /// Why the daemon is not ready, if it is not.
    pub not_ready: Option<String>,
}

const HEADERS: [&str; 5] = ["PROJECT", "BUILD", "STATE", "SINCE", "MESSAGE"];

/// The table, then the summary.
pub fn status_text(rows: &[Row], summary: &Summary) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|row| {
            [
                escape::text(&row.project),
                escape::text(&row.build),
                escape::text(&row.state),
                escape::text(&row.since),
                escape::text(&row.message),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for line in &cells {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    if !cells.is_empty() {
        text.push_str(&line(&HEADERS.map(str::to_string), &widths));
        for row in &cells {
            text.push_str(&line(row, &widths));
        }
        text.push('\n');
    }
    text.push_str(&summary_line(summary));
    text.push('\n');
    text
}

/// One line, every column but the last padded to its width.
fn line(cells: &[String; 5], widths: &[usize; 5]) -> String {
    let mut text = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if index == cells.len() - 1 {
            text.push_str(cell);
        } else {
            let pad = width - cell.chars().count();
            text.push_str(cell);
            text.push_str(&" ".repeat(pad + 3));
        }
    }
    text.truncate(text.trim_end().len());
    text.push('\n');
    text
}

/// `45s`, `4m`, `3h`, `2d`: the largest whole unit, as `kubectl` and `flux` show ages.
pub fn short_duration(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..86400 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86400),
    }
}

/// A revision as a table shows it: a git commit or a tree hash cut to 12 hex digits.
pub fn short_revision(revision: &str) -> &str {
    let (prefix, digits) = match revision.strip_prefix("sha256:") {
        Some(digits) => ("sha256:".len(), digits),
        None => (0, revision),
    };
    if digits.len() > 12 && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        &revision[..prefix + 12]
    } else {
        revision
    }
}

fn summary_line(summary: &Summary) -> String {
    let total: u64 = summary.counts.iter().map(|(_, n)| n).sum();
    let by_state: Vec<String> = (summary.counts.iter())
        .map(|(state, n)| format!("{n} {state}"))
        .collect();
    let mut parts = vec![match total {
        0 => "no build".to_string(),
        1 => format!("1 build: {}", by_state.join(", ")),
        _ => format!("{total} builds: {}", by_state.join(", ")),
    }];
    if summary.kept > 0 {
        parts.push(format!("{} in Zadig in no file", summary.kept));
    }
    parts.push(match &summary.last_pass {
        Some(pass) => format!("last pass {pass}"),
        None => "no pass has ended yet".to_string(),
    });
    if let Some(revision) = &summary.revision {
        parts.push(format!(
            "revision {}",
            escape::text(short_revision(revision))
        ));
    }
    if let Some(next) = &summary.next_pass {
        parts.push(format!("next pass {next}"));
    }
    if let Some(why) = &summary.not_ready {
        parts.push(format!("not ready: {}", escape::text(why)));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(project: &str, build: &str, state: &str, message: &str) -> Row {
        Row {
            project: project.into(),
            build: build.into(),
            state: state.into(),
            since: "4m".into(),
            message: message.into(),
        }
    }

    #[test]
    fn a_table_like_flux_get_and_a_summary() {
        let rows = [
            row("shop", "shop-api", "in_sync", ""),
            row(
                "shop",
                "shop-worker",
                "failing",
                "Zadig answered 503 (2 attempt(s) in a row)",
            ),
        ];
        let summary = Summary {
            counts: vec![("in_sync", 1), ("failing", 1)],
            kept: 2,
            last_pass: Some("12s ago (resync, partial, 3 requests)".into()),
            revision: Some("0123abc".into()),
            next_pass: Some("in 48s".into()),
            not_ready: None,
        };
        assert_eq!(
            status_text(&rows, &summary),
            "PROJECT   BUILD         STATE     SINCE   MESSAGE\n\
             shop      shop-api      in_sync   4m\n\
             shop      shop-worker   failing   4m      Zadig answered 503 (2 attempt(s) in a row)\n\
             \n\
             2 builds: 1 in_sync, 1 failing; 2 in Zadig in no file; last pass 12s ago (resync, \
             partial, 3 requests); revision 0123abc; next pass in 48s\n"
        );
    }

    #[test]
    fn revisions_are_cut_to_twelve_digits() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(short_revision(commit), "0123456789ab");
        assert_eq!(
            short_revision(&format!("sha256:{commit}{commit}")),
            "sha256:0123456789ab"
        );
        assert_eq!(short_revision("v1.2"), "v1.2");
    }

    #[test]
    fn ages_in_their_largest_whole_unit() {
        let shown = [0, 59, 60, 3599, 3600, 86399, 86400 * 3].map(short_duration);
        assert_eq!(shown, ["0s", "59s", "1m", "59m", "1h", "23h", "3d"]);
    }

    #[test]
    fn cells_from_zadig_cannot_drive_the_terminal() {
        let rows = [row(
            "shop",
            "evil\u{1b}]0;pwned\u{7}\nname",
            "in_sync",
            "a\rb",
        )];
        let text = status_text(&rows, &Summary::default());
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
        assert_eq!(text.lines().count(), 4, "one line per build: {text:?}");
        assert!(
            text.ends_with("no build; no pass has ended yet\n"),
            "{text:?}"
        );
    }
}
