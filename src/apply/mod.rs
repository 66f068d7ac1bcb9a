//! The apply stage: execute a plan against Zadig, one outcome per step. I/O through `remote`.
//!
//! Creates, updates and replaces (in-place conversions) run first, concurrently (the client
//! bounds concurrency and rate); deletions run only after all of them finished. Before an update or delete the
//! build is read again and the step refused if Zadig changed it since the plan; after each
//! write the build is read back and compared, so a normalisation bug surfaces once as an
//! error instead of as a write on every run.

pub mod outcome;

use std::collections::HashMap;
use std::sync::Arc;

use tracing::{Instrument, info, info_span};

use crate::apply::outcome::{ApplyReport, OutcomeStatus, StepOutcome};
use crate::reconcile::desired::DesiredSet;
use crate::reconcile::plan::{Action, Plan, Step};
use crate::reconcile::redact::Redactor;
use crate::reconcile::spec::BuildSpec;
use crate::reconcile::wire::DetailResponse;
use crate::reconcile::{diff, marker, normalize};
use crate::remote::fetch::read_build;
use crate::remote::tasks::join_in_order;
use crate::remote::{RemoteError, ZadigClient};

/// Executes every step of `plan` that writes, and reports the steps that cannot be executed.
/// `desired` supplies the bodies to send (the plan carries only fingerprints, never secrets).
pub async fn execute(client: &ZadigClient, plan: &Plan, desired: &DesiredSet) -> ApplyReport {
    let specs: HashMap<&str, &BuildSpec> = desired
        .builds
        .iter()
        .map(|b| (b.spec.name(), &b.spec))
        .collect();
    let files = Files {
        specs,
        secrets: desired.secrets.clone().into(),
    };
    let phases = Phases::of(plan);
    let mut outcomes = run_concurrently(client, &phases.writes, &files).await;
    outcomes.extend(run_concurrently(client, &phases.deletes, &files).await);
    let (ready, blocked): (Vec<&Step>, Vec<&Step>) = phases
        .creates_after_deletes
        .into_iter()
        .partition(|create| name_freed(create, &outcomes));
    outcomes.extend(run_concurrently(client, &ready, &files).await);
    outcomes.extend(blocked.into_iter().map(|create| {
        let reason = "its name is still held by a build in another project, whose deletion \
                      in this run did not succeed (Zadig's build names are global)";
        outcome(create, OutcomeStatus::Failed(reason.to_string()))
    }));
    outcomes.extend(plan.steps.iter().filter_map(unexecutable_outcome));
    let mut report = ApplyReport { outcomes };
    // Zadig's error texts can quote what was sent (an unknown cluster's name, say).
    report.redact(&Redactor::new(&desired.secrets));
    report
}

/// The order writes must go in: everything but deletions first, then deletions, then the
/// creates whose name a deletion frees (a build moved to another project: Zadig's names are
/// global, so the old one must be gone before the new one can be made).
struct Phases<'a> {
    writes: Vec<&'a Step>,
    deletes: Vec<&'a Step>,
    creates_after_deletes: Vec<&'a Step>,
}

impl<'a> Phases<'a> {
    fn of(plan: &'a Plan) -> Self {
        let deleted: Vec<&str> = plan
            .steps
            .iter()
            .filter(|s| s.action == Action::Delete)
            .map(|s| s.name.as_str())
            .collect();
        let mut phases = Phases {
            writes: Vec::new(),
            deletes: Vec::new(),
            creates_after_deletes: Vec::new(),
        };
        for step in plan.steps.iter().filter(|s| s.action.is_write()) {
            match step.action {
                Action::Delete => phases.deletes.push(step),
                Action::Create if deleted.contains(&step.name.as_str()) => {
                    phases.creates_after_deletes.push(step)
                }
                _ => phases.writes.push(step),
            }
        }
        phases
    }
}

/// Whether every deletion of a build with this create's name succeeded.
fn name_freed(create: &Step, outcomes: &[StepOutcome]) -> bool {
    outcomes
        .iter()
        .filter(|o| o.action == Action::Delete && o.name == create.name)
        .all(|o| o.status == OutcomeStatus::Done)
}

/// Plan steps that are themselves failures or refusals become outcomes as they are.
fn unexecutable_outcome(step: &Step) -> Option<StepOutcome> {
    let reason = step.notes.join("; ");
    let status = match step.action {
        Action::Error => OutcomeStatus::Failed(reason),
        Action::Refused => OutcomeStatus::Refused(reason),
        _ => return None,
    };
    Some(outcome(step, status))
}

/// What the files say, for the steps: the body of each build, and the `${env:…}` values to
/// keep out of fingerprints (the same ones the plan was made with).
struct Files<'a> {
    specs: HashMap<&'a str, &'a BuildSpec>,
    secrets: Arc<[String]>,
}

/// One build as the files want it, owned by the task that writes it.
struct Wanted {
    spec: BuildSpec,
    secrets: Arc<[String]>,
}

async fn run_concurrently(
    client: &ZadigClient,
    steps: &[&Step],
    files: &Files<'_>,
) -> Vec<StepOutcome> {
    let slots = join_in_order(steps.iter().map(|step| {
        let client = client.clone();
        let step = (*step).clone();
        let wanted = files.specs.get(step.name.as_str()).map(|spec| Wanted {
            spec: (*spec).clone(),
            secrets: files.secrets.clone(),
        });
        let span =
            info_span!("apply", project = %step.project, build = %step.name, op = ?step.action);
        async move {
            let status = run_step(&client, &step, wanted.as_ref()).await;
            info!(?status, "step finished");
            outcome(&step, status)
        }
        .instrument(span)
    }))
    .await;
    steps
        .iter()
        .zip(slots)
        .map(|(step, slot)| {
            slot.unwrap_or_else(|| {
                outcome(
                    step,
                    OutcomeStatus::Failed("internal error: the step's task failed".into()),
                )
            })
        })
        .collect()
}

fn outcome(step: &Step, status: OutcomeStatus) -> StepOutcome {
    StepOutcome {
        project: step.project.clone(),
        name: step.name.clone(),
        action: step.action,
        status,
    }
}

async fn run_step(client: &ZadigClient, step: &Step, wanted: Option<&Wanted>) -> OutcomeStatus {
    let result = match (step.action, wanted) {
        (Action::Delete, _) => delete(client, step).await,
        (Action::Create, Some(wanted)) => create(client, wanted).await,
        // A replace converts the build in place: the update route of the kind the files want
        // takes a build of the other kind too, and a failure leaves the old build untouched.
        (Action::Update | Action::Replace, Some(wanted)) => update(client, step, wanted).await,
        (action, _) => Err(StepFailure::Failed(format!(
            "internal error: no build file describes a build to {action:?}"
        ))),
    };
    match result {
        Ok(()) => OutcomeStatus::Done,
        Err(StepFailure::Stale(reason)) => OutcomeStatus::Refused(reason),
        Err(StepFailure::Gone) => {
            OutcomeStatus::Refused("deleted in Zadig since the plan; run plan again".to_string())
        }
        Err(StepFailure::Failed(reason)) => OutcomeStatus::Failed(reason),
        Err(StepFailure::Unverified(reason)) => OutcomeStatus::Unverified(reason),
    }
}

enum StepFailure {
    /// Changed in Zadig since the plan read it.
    Stale(String),
    /// Deleted in Zadig since the plan read it.
    Gone,
    Failed(String),
    /// Written, but reading it back to check failed.
    Unverified(String),
}

impl From<RemoteError> for StepFailure {
    fn from(error: RemoteError) -> Self {
        StepFailure::Failed(error.to_string())
    }
}

async fn create(client: &ZadigClient, wanted: &Wanted) -> Result<(), StepFailure> {
    let body = marker::request_body(&wanted.spec, &wanted.secrets);
    client
        .create_build(&body)
        .await
        .map_err(|error| with_move_hint(error, &wanted.spec))?;
    verify_converged(client, wanted).await
}

/// A name held by a project this run does not manage: the plan could not see it, so say here
/// how to move the build.
fn with_move_hint(error: RemoteError, spec: &BuildSpec) -> StepFailure {
    match &error {
        RemoteError::NameTaken {
            owner_project: Some(owner),
            ..
        } if owner != spec.project_key() => StepFailure::Failed(format!(
            "{error}; if the build moved here from project {owner}, run with \
             `--project {owner} --project {} --prune` (or list {owner} in zadig-sync.yaml) so \
             the old one is deleted first",
            spec.project_key()
        )),
        _ => error.into(),
    }
}

async fn update(client: &ZadigClient, step: &Step, wanted: &Wanted) -> Result<(), StepFailure> {
    ensure_not_stale(client, step).await?;
    let body = marker::request_body(&wanted.spec, &wanted.secrets);
    client.update_build(&body).await?;
    verify_converged(client, wanted).await
}

/// Deletes only a build that still carries zadig-sync's marker for itself: a plan file can be
/// edited by hand, and a build can change owner between plan and apply.
async fn delete(client: &ZadigClient, step: &Step) -> Result<(), StepFailure> {
    let live = match ensure_not_stale(client, step).await {
        // Somebody deleted it already: what we wanted is done.
        Err(StepFailure::Gone) => return Ok(()),
        other => other?,
    };
    let ours = marker::split_marker(&live.build_script)
        .marker
        .is_some_and(|marker| marker.names(&step.project, &step.name));
    if !ours {
        return Err(StepFailure::Stale(
            "does not carry zadig-sync's marker for this build, so it is not deleted".into(),
        ));
    }
    Ok(client.delete_build(&step.project, &step.name).await?)
}

/// Reads the build again and refuses the step if its `update_time` moved since the plan read it:
/// somebody edited it in Zadig, and overwriting that blindly would lose their work.
/// Returns the build as it is now.
async fn ensure_not_stale(
    client: &ZadigClient,
    step: &Step,
) -> Result<DetailResponse, StepFailure> {
    let planned = step.live_update_time;
    match client.get_build(&step.project, &step.name).await {
        Ok(detail) if planned.is_none_or(|time| time == detail.update_time) => Ok(detail),
        Ok(detail) => Err(StepFailure::Stale(format!(
            "changed in Zadig since the plan (update_time {} → {}), or this plan was already \
             applied; run plan again",
            planned.unwrap_or_default(),
            detail.update_time
        ))),
        Err(error) if error.is_not_found() => Err(StepFailure::Gone),
        Err(error) => Err(error.into()),
    }
}

/// Reads the build back and compares it with the file: a difference means Zadig stored
/// something differently from what we sent (or our normalisation is wrong), named by field.
async fn verify_converged(client: &ZadigClient, wanted: &Wanted) -> Result<(), StepFailure> {
    let spec = &wanted.spec;
    let live = read_build(client, spec.project_key(), spec.name())
        .await
        .map_err(|error| {
            StepFailure::Unverified(format!(
                "written, but reading it back to check failed: {error}; run plan to see"
            ))
        })?;
    let desired = normalize::from_spec(spec, &wanted.secrets);
    let changes = diff::diff(&desired, &normalize::from_live(&live));
    if changes.is_empty() {
        return Ok(());
    }
    let fields: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
    Err(StepFailure::Failed(format!(
        "written, but Zadig stored {} differently; this is a zadig-sync bug worth reporting",
        fields.join(", ")
    )))
}
