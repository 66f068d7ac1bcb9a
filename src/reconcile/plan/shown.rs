//! What the plan shows of a difference: the one place where values become [`FieldChange`]s
//! and where secrets are redacted from them. Pure, no I/O.
//!
//! A value whose difference disappears once its secrets are redacted is shown as
//! `Sensitive`: the difference lay inside a secret. Texts are redacted before they are diffed,
//! so that a secret spanning lines is hidden whole rather than split by the diff's prefixes.

use similar::TextDiff;

use crate::reconcile::diff::Difference;
use crate::reconcile::plan::{Change, FieldChange};
use crate::reconcile::redact::Secrets;

/// The difference as the plan shows it. `creating`: the build does not exist yet, so there is
/// no old value to show, and a text is listed as added lines only.
pub fn shown_change(difference: Difference, creating: bool, secrets: &Secrets) -> FieldChange {
    let redact = |value: &str| secrets.redact(value).into_owned();
    let (path, change) = match difference {
        Difference::Credential { path } => (path, Change::Sensitive),
        Difference::Value { path, old, new } => {
            let (old, new) = (old.as_deref().map(redact), new.as_deref().map(redact));
            let change = if old.is_some() && old == new {
                Change::Sensitive
            } else if creating {
                Change::Set { old: None, new }
            } else {
                Change::Set { old, new }
            };
            (path, change)
        }
        Difference::Text { path, old, new } => {
            let (old, new) = (redact(&old), redact(&new));
            let change = if old == new {
                Change::Sensitive
            } else {
                Change::Text {
                    diff: text_diff(&old, &new, creating),
                }
            };
            (path, change)
        }
    };
    FieldChange {
        path,
        change,
        via: None,
    }
}

/// A unified diff from the live text to the desired one; for a create, the new text's lines,
/// each an addition, without the diff's headers.
fn text_diff(old: &str, new: &str, creating: bool) -> String {
    let unified = TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header("zadig", "files")
        .to_string();
    if !creating {
        return unified;
    }
    unified
        .lines()
        .filter(|line| line.starts_with('+') && !line.starts_with("+++"))
        .map(|line| format!("{line}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets::new(&["hunter22".to_string()])
    }

    #[test]
    fn a_difference_inside_a_secret_is_sensitive() {
        let difference = Difference::Value {
            path: "build_os".into(),
            old: Some("\"x hunter22\"".into()),
            new: Some("\"x hunter22\"".into()),
        };
        let shown = shown_change(difference, false, &secrets());
        assert_eq!(shown.change, Change::Sensitive);
    }

    #[test]
    fn values_are_redacted_and_a_create_has_no_old_value() {
        let difference = Difference::Value {
            path: "build_os".into(),
            old: Some("\"\"".into()),
            new: Some("\"os hunter22\"".into()),
        };
        let shown = shown_change(difference, true, &secrets());
        assert_eq!(
            shown.change,
            Change::Set {
                old: None,
                new: Some("\"os (sensitive)\"".into())
            }
        );
    }

    #[test]
    fn texts_are_redacted_before_diffing_and_a_create_lists_added_lines() {
        let difference = Difference::Text {
            path: "build_script".into(),
            old: String::new(),
            new: "login hunter22\nmake\n".into(),
        };
        let shown = shown_change(difference, true, &secrets());
        assert_eq!(
            shown.change,
            Change::Text {
                diff: "+login (sensitive)\n+make\n".into()
            }
        );
        let credential = Difference::Credential {
            path: "parameters[T].default_value".into(),
        };
        assert_eq!(
            shown_change(credential, false, &secrets()).change,
            Change::Sensitive
        );
    }
}
