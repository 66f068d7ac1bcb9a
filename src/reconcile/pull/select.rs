//! Which builds pull takes from Zadig: each step of the plan whose build a file describes and
//! Zadig has differently. Drift (changed in Zadig while the file did not change) is pulled;
//! a difference whose cause zadig-sync cannot know (a template build with no in-sync record,
//! see `crate::cache::SyncedStore`; a build not adopted yet) and a build whose file changed since it was applied
//! (pulling would undo that change) only when the build is named with `--build`. Pure.

use crate::reconcile::plan::{Action, Cause, Planned, Step};

/// What pull does with a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Pull,
    /// Not pulled, and why (shown to the user).
    Leave(String),
}

/// The choice for `step`; `named`: the build was named with `--build`. `None`: there is
/// nothing to say of it (in sync and not named, or in no file).
pub fn choose(step: &Step, named: bool) -> Option<Choice> {
    step.origin.as_ref()?;
    let wanted = match &step.planned {
        Planned::Held { wanted, .. } => *wanted,
        planned => planned.action(),
    };
    let leave = |why: &str| Some(Choice::Leave(why.to_string()));
    match (wanted, step.cause) {
        (Action::Unchanged, _) if named => leave("Zadig has what the file says: nothing to pull"),
        (Action::Unchanged, _) => None,
        (Action::Update, Some(Cause::Drift)) => Some(Choice::Pull),
        (Action::Update, None | Some(Cause::Adoption)) if named => Some(Choice::Pull),
        (Action::Update, None) => leave(
            "a template build carries no marker, and no record says which version of its file \
             it was last in sync with (--no-cache, or never seen in sync from this cache \
             folder), so a change made in Zadig cannot be told from an edit of the file not \
             applied yet: name it with --build to pull it",
        ),
        (Action::Update, Some(Cause::Adoption)) => leave(
            "not written by zadig-sync yet (no marker), so either side may be the newer: name \
             it with --build to pull it",
        ),
        (Action::Update, Some(Cause::FileChanged)) if named => Some(Choice::Pull),
        (Action::Update, _) => leave(
            "the file changed since it was applied (or was pulled into already): pulling would \
             undo what changed; apply it first, or name it with --build to pull anyway",
        ),
        (Action::Create, Some(Cause::MissingInZadig)) => leave(
            "deleted in Zadig: pull does not delete files; remove its document by hand, or apply \
             to create it again",
        ),
        (Action::Create, _) => leave("not in Zadig: nothing to pull (apply creates it)"),
        (Action::Replace, _) => leave(
            "Zadig has it as another kind of build (custom or template): write it by hand, or \
             export it",
        ),
        (Action::Error, _) => Some(Choice::Leave(format!(
            "it could not be planned: {}",
            step.notes.join("; ")
        ))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::BuildId;
    use crate::reconcile::plan::Hold;
    use crate::reconcile::spec::BuildKind;

    fn step(planned: Planned, cause: Option<Cause>) -> Step {
        Step {
            build: BuildId::new("shop", "api"),
            kind: BuildKind::Custom,
            planned,
            cause,
            changes: Vec::new(),
            origin: Some("b/api.yaml:1:1".into()),
            notes: Vec::new(),
            updated_by: None,
        }
    }

    fn update() -> Planned {
        Planned::Update {
            fingerprint: "f".into(),
            read_at: 1,
        }
    }

    #[test]
    fn drift_is_pulled_and_an_unknown_cause_or_a_file_change_only_when_named() {
        assert_eq!(
            choose(&step(update(), Some(Cause::Drift)), false),
            Some(Choice::Pull)
        );
        let held = Planned::Held {
            wanted: Action::Update,
            hold: Hold::DriftReported,
            fingerprint: None,
            read_at: Some(1),
        };
        assert_eq!(
            choose(&step(held, Some(Cause::Drift)), false),
            Some(Choice::Pull)
        );
        assert!(matches!(
            choose(&step(update(), None), false),
            Some(Choice::Leave(_))
        ));
        assert_eq!(choose(&step(update(), None), true), Some(Choice::Pull));
        assert_eq!(
            choose(&step(update(), Some(Cause::Adoption)), true),
            Some(Choice::Pull)
        );
        let file_changed = choose(&step(update(), Some(Cause::FileChanged)), false);
        assert!(
            matches!(file_changed, Some(Choice::Leave(_))),
            "{file_changed:?}"
        );
        let named = choose(&step(update(), Some(Cause::FileChanged)), true);
        assert_eq!(named, Some(Choice::Pull));
        let unchanged = Planned::Unchanged {
            fingerprint: "f".into(),
            read_at: 1,
        };
        assert_eq!(choose(&step(unchanged.clone(), None), false), None);
        assert!(matches!(
            choose(&step(unchanged, None), true),
            Some(Choice::Leave(_))
        ));
        let mut kept = step(
            Planned::Kept {
                read_at: 1,
                prunable: false,
            },
            None,
        );
        kept.origin = None;
        assert_eq!(choose(&kept, true), None);
    }
}
