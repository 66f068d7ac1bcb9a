//! The JSON shape of a [`Step`]: one flat object (docs/plan-output.md), kept from the first
//! format version, with the later additions optional. Reading one back (a saved plan is input
//! from outside) checks that each action carries what it needs: a plan that lacks it is
//! refused whole, never executed with a check skipped. Pure.

use serde::{Deserialize, Serialize};

use super::{Action, Cause, FieldChange, Hold, Phase, Planned, Problem, Refusal, Step};
use crate::reconcile::BuildId;
use crate::reconcile::spec::BuildKind;

#[derive(Serialize, Deserialize)]
pub(super) struct StepJson {
    project: String,
    name: String,
    action: Action,
    kind: BuildKind,
    changes: Vec<FieldChange>,
    phase: Phase,
    live_update_time: Option<i64>,
    desired_fingerprint: Option<String>,
    origin: Option<String>,
    notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cause: Option<Cause>,
    /// Kept builds zadig-sync wrote, which `--prune` would delete.
    #[serde(default, skip_serializing_if = "is_false")]
    prunable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refusal: Option<Refusal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    problem: Option<Problem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hold: Option<Hold>,
    /// For a held step: the action it holds back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wanted: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    update_by: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !value
}

impl From<Step> for StepJson {
    fn from(step: Step) -> Self {
        let planned = &step.planned;
        let (refusal, problem, hold, wanted, prunable) = match planned {
            Planned::Refused { refusal, .. } => (Some(*refusal), None, None, None, false),
            Planned::Error { problem, .. } => (None, Some(problem.clone()), None, None, false),
            Planned::Held { hold, wanted, .. } => (None, None, Some(*hold), Some(*wanted), false),
            Planned::Kept { prunable, .. } => (None, None, None, None, *prunable),
            _ => (None, None, None, None, false),
        };
        StepJson {
            action: planned.action(),
            phase: planned.phase(),
            live_update_time: planned.read_at(),
            desired_fingerprint: planned.fingerprint().map(str::to_string),
            project: step.build.project,
            name: step.build.name,
            kind: step.kind,
            changes: step.changes,
            origin: step.origin,
            notes: step.notes,
            cause: step.cause,
            prunable,
            refusal,
            problem,
            hold,
            wanted,
            update_by: step.updated_by,
        }
    }
}

impl TryFrom<StepJson> for Step {
    type Error = String;

    fn try_from(json: StepJson) -> Result<Self, String> {
        let planned = planned_of(&json).map_err(|missing| {
            format!(
                "step {}/{} ({}) lacks {missing}",
                json.project,
                json.name,
                json.action.as_str()
            )
        })?;
        Ok(Step {
            build: BuildId::new(json.project, json.name),
            kind: json.kind,
            planned,
            cause: json.cause,
            changes: json.changes,
            origin: json.origin,
            notes: json.notes,
            updated_by: json.update_by,
        })
    }
}

/// The action with its data, or what it lacks.
fn planned_of(json: &StepJson) -> Result<Planned, &'static str> {
    let read_at = || json.live_update_time.ok_or("`live_update_time`");
    let fingerprint = || {
        json.desired_fingerprint
            .clone()
            .ok_or("`desired_fingerprint`")
    };
    Ok(match json.action {
        Action::Create => Planned::Create {
            fingerprint: fingerprint()?,
            phase: match json.phase {
                Phase::Deletes => return Err("the phase `writes` or `after_deletes`"),
                phase => phase,
            },
        },
        Action::Update => Planned::Update {
            fingerprint: fingerprint()?,
            read_at: read_at()?,
        },
        Action::Replace => Planned::Replace {
            fingerprint: fingerprint()?,
            read_at: read_at()?,
        },
        Action::Delete => Planned::Delete {
            read_at: read_at()?,
        },
        Action::Unchanged => Planned::Unchanged {
            fingerprint: fingerprint()?,
            read_at: read_at()?,
        },
        Action::Kept => Planned::Kept {
            read_at: read_at()?,
            prunable: json.prunable,
        },
        Action::Refused => Planned::Refused {
            read_at: read_at()?,
            refusal: json.refusal.ok_or("`refusal`")?,
        },
        Action::Error => Planned::Error {
            fingerprint: json.desired_fingerprint.clone(),
            read_at: json.live_update_time,
            problem: json.problem.clone().ok_or("`problem`")?,
        },
        Action::Held => Planned::Held {
            wanted: json.wanted.ok_or("`wanted`")?,
            hold: json.hold.ok_or("`hold`")?,
            fingerprint: json.desired_fingerprint.clone(),
            read_at: json.live_update_time,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update() -> Step {
        Step {
            build: BuildId::new("p", "b"),
            kind: BuildKind::Custom,
            planned: Planned::Update {
                fingerprint: "sha256:f".into(),
                read_at: 7,
            },
            cause: Some(Cause::Drift),
            changes: Vec::new(),
            origin: Some("x.yaml:1:1".into()),
            notes: Vec::new(),
            updated_by: Some("admin".into()),
        }
    }

    #[test]
    fn a_step_round_trips_through_its_flat_json() {
        for planned in [
            update().planned,
            Planned::Kept {
                read_at: 3,
                prunable: true,
            },
            Planned::Error {
                fingerprint: None,
                read_at: None,
                problem: Problem::ReadFailed {
                    kind: "transport".into(),
                },
            },
            Planned::Create {
                fingerprint: "f".into(),
                phase: Phase::AfterDeletes,
            },
        ] {
            let step = Step {
                planned,
                ..update()
            };
            let json = serde_json::to_value(&step).unwrap();
            assert_eq!(json["project"], "p");
            let back: Step = serde_json::from_value(json).unwrap();
            assert_eq!(back, step);
        }
    }

    #[test]
    fn a_write_without_what_it_needs_is_refused_when_read() {
        let mut json = serde_json::to_value(update()).unwrap();
        json["live_update_time"] = serde_json::Value::Null;
        let error = serde_json::from_value::<Step>(json)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("step p/b (update) lacks `live_update_time`"),
            "{error}"
        );
        let mut delete = serde_json::to_value(update()).unwrap();
        delete["action"] = "create".into();
        delete["phase"] = "deletes".into();
        assert!(serde_json::from_value::<Step>(delete).is_err());
    }
}
