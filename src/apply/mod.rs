//! The apply stage: execute a plan against Zadig, one outcome per step. I/O through `remote`.
//!
//! The plan decides the order: its phases run one after another (creates, updates and
//! replaces; then deletions; then the creates whose name a deletion freed), the steps of a
//! phase concurrently (the client bounds concurrency and rate). Before each write the build
//! is read again and the step refused if Zadig changed it since the plan (or, for a create,
//! if it exists by now); after each write the build is read back and compared, so a
//! normalisation bug surfaces once as an error instead of as a write on every run.

pub mod outcome;

use std::collections::HashMap;
use std::sync::Arc;

use tracing::{Instrument, debug, info, info_span};

use crate::apply::outcome::{ApplyReport, OutcomeStatus, StepOutcome};
use crate::reconcile::desired::DesiredSet;
use crate::reconcile::live::LiveDetail;
use crate::reconcile::marker::Ownership;
use crate::reconcile::plan::{Action, Phase, Plan, Step};
use crate::reconcile::redact::Secrets;
use crate::reconcile::spec::BuildSpec;
use crate::reconcile::wire::DetailResponse;
use crate::reconcile::{diff, marker, normalize};
use crate::remote::fetch::read_build;
use crate::remote::progress::{SharedProgress, no_progress};
use crate::remote::tasks::join_in_order;
use crate::remote::{Kind, RemoteError, ZadigClient};

/// What one apply executes: the plan, where it came from, the files that supply the bodies
/// to send (the plan carries only fingerprints, never secrets), and the secrets to redact from
/// every reason.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub plan: &'a Plan,
    pub source: PlanSource,
    pub desired: &'a DesiredSet,
    pub secrets: &'a Secrets,
}

/// Executes every step of the job's plan that writes, phase by phase as the plan orders them,
/// and reports the steps that cannot be executed. Before the first write every step is paired
/// with what it needs (its spec, the `update_time` the plan read); a write step that lacks its
/// spec refuses the whole run, one that lacks its `update_time` is refused alone (a
/// hand-edited plan must fail closed, never skip the check).
pub async fn execute(client: &ZadigClient, job: Job<'_>) -> ApplyReport {
    execute_with(client, job, &no_progress()).await
}

/// [`execute`], telling `progress` how many steps will be executed and each one finished.
pub async fn execute_with(
    client: &ZadigClient,
    job: Job<'_>,
    progress: &SharedProgress,
) -> ApplyReport {
    let mut report = match pair_steps(job.plan, job.desired) {
        Ok(paired) => {
            progress.add_total(paired.len());
            run_phases(client, job.plan, paired, job.source, progress).await
        }
        Err(missing) => refuse_run(job.plan, &missing),
    };
    // Zadig's error texts can quote what was sent (an unknown cluster's name, say).
    report.redact(job.secrets);
    report
}

/// Where the plan comes from, which decides what a create that finds its build does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanSource {
    /// Made in this run: a build that appeared since and holds exactly what the files say
    /// was made by another run with the same files (two applies at once): done, not a conflict.
    Fresh,
    /// Saved by `plan --out` and reviewed: one of its creates finding its build means the
    /// plan was already applied, or someone else made it; refused either way.
    Saved,
}

/// A write step with everything it needs, ready to run.
struct Paired<'a> {
    step: &'a Step,
    /// The body to send, for creates, updates and replaces.
    wanted: Option<Arc<BuildSpec>>,
}

/// Every write step with its spec, or the names of the steps that have none.
fn pair_steps<'a>(plan: &'a Plan, desired: &DesiredSet) -> Result<Vec<Paired<'a>>, Vec<String>> {
    let specs: HashMap<(&str, &str), &BuildSpec> = desired
        .builds
        .iter()
        .map(|b| ((b.spec.project_key(), b.spec.name()), &b.spec))
        .collect();
    let mut paired = Vec::new();
    let mut missing = Vec::new();
    for step in plan.steps.iter().filter(|s| s.action.is_write()) {
        let spec = specs.get(&(step.project.as_str(), step.name.as_str()));
        let wanted = match (step.action, spec) {
            (Action::Delete, _) => None,
            (_, Some(spec)) => Some(Arc::new((*spec).clone())),
            (_, None) => {
                missing.push(format!("{}/{}", step.project, step.name));
                continue;
            }
        };
        paired.push(Paired { step, wanted });
    }
    if missing.is_empty() {
        Ok(paired)
    } else {
        Err(missing)
    }
}

/// Nothing is written: every write step refused, naming the builds no file describes.
fn refuse_run(plan: &Plan, missing: &[String]) -> ApplyReport {
    let reason = format!(
        "nothing was applied: the plan writes builds that no build file describes ({}); \
         make the plan again",
        missing.join(", ")
    );
    let mut outcomes: Vec<StepOutcome> = (plan.steps.iter())
        .filter(|s| s.action.is_write())
        .map(|step| outcome(step, OutcomeStatus::Refused(reason.clone())))
        .collect();
    outcomes.extend(plan.steps.iter().filter_map(unexecutable_outcome));
    ApplyReport { outcomes }
}

/// The phases in the plan's order; a create that waits for deletions of its name runs only
/// if they all succeeded.
async fn run_phases(
    client: &ZadigClient,
    plan: &Plan,
    paired: Vec<Paired<'_>>,
    source: PlanSource,
    progress: &SharedProgress,
) -> ApplyReport {
    let mut outcomes = Vec::new();
    for phase in [Phase::Writes, Phase::Deletes, Phase::AfterDeletes] {
        let (ready, blocked): (Vec<&Paired>, Vec<&Paired>) = (paired.iter())
            .filter(|p| p.step.phase == phase)
            .partition(|p| phase != Phase::AfterDeletes || name_freed(p.step, &outcomes));
        outcomes.extend(run_concurrently(client, &ready, source, progress).await);
        outcomes.extend(blocked.into_iter().map(|create| {
            let reason = "its name is still held by a build in another project, whose deletion \
                          in this run did not succeed (Zadig's build names are global)";
            outcome(create.step, OutcomeStatus::Failed(reason.to_string()))
        }));
    }
    outcomes.extend(plan.steps.iter().filter_map(unexecutable_outcome));
    ApplyReport { outcomes }
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

async fn run_concurrently(
    client: &ZadigClient,
    steps: &[&Paired<'_>],
    source: PlanSource,
    progress: &SharedProgress,
) -> Vec<StepOutcome> {
    let slots = join_in_order(
        client.tasks_at_once(),
        steps.iter().map(|paired| {
            let client = client.clone();
            let progress = progress.clone();
            let step = paired.step.clone();
            let wanted = paired.wanted.clone();
            let span = info_span!(
                "apply",
                project = %step.project,
                build = %step.name,
                op = step.action.as_str()
            );
            async move {
                let status = run_step(&client, &step, wanted.as_deref(), source).await;
                progress.advance();
                info!(status = status.as_str(), "step finished");
                outcome(&step, status)
            }
            .instrument(span)
        }),
    )
    .await;
    steps
        .iter()
        .zip(slots)
        .map(|(paired, slot)| {
            slot.unwrap_or_else(|| {
                outcome(
                    paired.step,
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

async fn run_step(
    client: &ZadigClient,
    step: &Step,
    wanted: Option<&BuildSpec>,
    source: PlanSource,
) -> OutcomeStatus {
    let result = match (step.action, wanted) {
        (Action::Delete, _) => delete(client, step).await,
        (Action::Create, Some(wanted)) => create(client, step, wanted, source).await,
        // A replace converts the build in place: the update route of the kind the files want
        // takes a build of the other kind too, and a failure leaves the old build untouched.
        (Action::Update | Action::Replace, Some(wanted)) => update(client, step, wanted).await,
        (action, _) => Err(StepFailure::Failed(format!(
            "internal error: no build file describes a build to {}",
            action.as_str()
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

/// Creates a build only while it still does not exist: a saved plan applied twice, or a
/// build made by someone else since the plan, must not be overwritten or fail confusingly.
/// With a fresh plan, a build that appeared since and already holds exactly what the files
/// say (another apply of the same files, at the same time) counts as done, with no write.
async fn create(
    client: &ZadigClient,
    step: &Step,
    wanted: &BuildSpec,
    source: PlanSource,
) -> Result<(), StepFailure> {
    match read_build(client, &step.project, &step.name).await {
        Ok(live) => {
            // The list the plan read did not show it: deletions in this project may not rely
            // on that list (docs/architecture.md §5).
            client.disprove_list(&step.project);
            if source == PlanSource::Fresh && differences(&live, wanted).is_empty() {
                return Ok(());
            }
            return Err(StepFailure::Stale(
                "created since the plan, or this plan was already applied; run plan again".into(),
            ));
        }
        Err(error) if error.is_not_found() => {}
        // Unsafe it is not: Zadig itself refuses to create a name that exists (6520), so the
        // create goes ahead and that answer, if it comes, says the rest.
        Err(error) => debug!(%error, "could not check that the build does not exist yet"),
    }
    let body = marker::request_body(wanted);
    client
        .create_build(&body)
        .await
        .map_err(|error| with_move_hint(error, wanted))?;
    verify_converged(client, wanted).await
}

/// A name held by a project this run does not manage: the plan could not see it, so say here
/// how to move the build.
fn with_move_hint(error: RemoteError, spec: &BuildSpec) -> StepFailure {
    match error.kind() {
        Kind::NameTaken {
            owner_project: Some(owner),
        } if owner != spec.project_key() => StepFailure::Failed(format!(
            "{error}; if the build moved here from project {owner}, run with \
             `--project {owner} --project {} --prune` (or list {owner} in zadig-sync.yaml) so \
             the old one is deleted first",
            spec.project_key()
        )),
        _ => error.into(),
    }
}

async fn update(client: &ZadigClient, step: &Step, wanted: &BuildSpec) -> Result<(), StepFailure> {
    ensure_not_stale(client, step).await?;
    let body = marker::request_body(wanted);
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
    let ownership = Ownership::of_script(&live.build_script, &step.project, &step.name);
    if !matches!(ownership, Ownership::Ours { .. }) {
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
    let Some(planned) = step.live_update_time else {
        return Err(StepFailure::Stale(
            "the plan does not say when it read this build (no live_update_time), so a change \
             made in Zadig since could not be detected; make the plan again"
                .into(),
        ));
    };
    match client.get_build(&step.project, &step.name).await {
        Ok(detail) if detail.update_time == planned => Ok(detail),
        Ok(detail) => Err(StepFailure::Stale(format!(
            "changed in Zadig since the plan (update_time {planned} → {}), or this plan was \
             already applied; run plan again",
            detail.update_time
        ))),
        Err(error) if error.is_not_found() => Err(StepFailure::Gone),
        Err(error) => Err(error.into()),
    }
}

/// Reads the build back and compares it with the file: a difference means Zadig stored
/// something differently from what we sent (or our normalisation is wrong), named by field.
async fn verify_converged(client: &ZadigClient, spec: &BuildSpec) -> Result<(), StepFailure> {
    let live = read_build(client, spec.project_key(), spec.name())
        .await
        .map_err(|error| {
            StepFailure::Unverified(format!(
                "written, but reading it back to check failed: {error}; run plan to see"
            ))
        })?;
    let fields = differences(&live, spec);
    if fields.is_empty() {
        return Ok(());
    }
    Err(StepFailure::Failed(format!(
        "written, but Zadig stored {} differently; this is a zadig-sync bug worth reporting",
        fields.join(", ")
    )))
}

/// The paths of the fields where `live` differs from `spec` (none: converged).
fn differences(live: &LiveDetail, spec: &BuildSpec) -> Vec<String> {
    let comparison = diff::compare(&normalize::from_live(live), &normalize::from_spec(spec));
    (comparison.differences.iter())
        .map(|d| d.path().to_string())
        .collect()
}
