//! One write against Zadig, with its checks: the stale check before an update or a delete,
//! the absence check before a create from a saved plan, the marker check before a delete, and
//! the read-back after every write. I/O through `remote`.

use tracing::debug;

use crate::apply::outcome::{Failure, OutcomeStatus};
use crate::apply::{PlanSource, Work};
use crate::reconcile::live::LiveDetail;
use crate::reconcile::marker::Ownership;
use crate::reconcile::plan::Step;
use crate::reconcile::spec::BuildSpec;
use crate::reconcile::wire::DetailResponse;
use crate::reconcile::{diff, marker, normalize};
use crate::remote::fetch::read_build;
use crate::remote::{Kind, RemoteError, ZadigClient};

/// Runs one write and says how it ended.
/// `revision`: the git commit the files are, named by the marker written.
pub(super) async fn run(
    client: &ZadigClient,
    work: &Work,
    source: PlanSource,
    revision: Option<&str>,
) -> OutcomeStatus {
    let result = match work {
        Work::Create { step, spec } => create(client, step, spec, source, revision).await,
        Work::Update {
            step,
            spec,
            read_at,
        } => update(client, step, spec, *read_at, revision).await,
        Work::Delete { step, read_at } => delete(client, step, *read_at).await,
    };
    match result {
        Ok(()) => OutcomeStatus::Done,
        Err(StepFailure::Stale(reason)) => OutcomeStatus::Refused(reason),
        Err(StepFailure::Gone) => {
            OutcomeStatus::Refused("deleted in Zadig since the plan; run plan again".to_string())
        }
        Err(StepFailure::AlreadyDeleted) => {
            OutcomeStatus::AlreadyDone("already deleted (in Zadig, since the plan)".to_string())
        }
        Err(StepFailure::Failed(failure)) => OutcomeStatus::Failed(failure),
        Err(StepFailure::Unverified(reason)) => OutcomeStatus::Unverified(reason),
    }
}

enum StepFailure {
    /// Changed in Zadig since the plan read it.
    Stale(String),
    /// Deleted in Zadig since the plan read it (a write to it cannot go on).
    Gone,
    /// A deletion found nothing to delete.
    AlreadyDeleted,
    Failed(Failure),
    /// Written, but reading it back to check failed.
    Unverified(String),
}

impl StepFailure {
    fn reason(self) -> String {
        match self {
            StepFailure::Stale(reason) | StepFailure::Unverified(reason) => reason,
            StepFailure::Failed(failure) => failure.reason,
            StepFailure::Gone | StepFailure::AlreadyDeleted => "deleted in Zadig".into(),
        }
    }
}

impl From<RemoteError> for StepFailure {
    fn from(error: RemoteError) -> Self {
        StepFailure::Failed(Failure::new(error.kind().as_str(), error.to_string()))
    }
}

const CREATED_SINCE: &str =
    "created since the plan, or this plan was already applied; run plan again";

/// Creates a build that must not exist yet. From a saved plan (maybe old) the build is read
/// first: a plan applied twice, or a build made by someone else since, must not be
/// overwritten. From a fresh plan the list read moments ago said it was absent, and Zadig
/// refuses a taken name: the client then reads it, and an identical build (another apply of
/// the same files at the same time) counts as done.
async fn create(
    client: &ZadigClient,
    step: &Step,
    wanted: &BuildSpec,
    source: PlanSource,
    revision: Option<&str>,
) -> Result<(), StepFailure> {
    if source == PlanSource::Saved {
        ensure_absent(client, step).await?;
    }
    let body = marker::request_body_at(wanted, revision);
    client
        .create_build(&body)
        .await
        .map_err(|error| create_failure(error, wanted))?;
    verify_converged(client, wanted).await
}

/// A saved plan's create goes ahead only while the build is still absent.
async fn ensure_absent(client: &ZadigClient, step: &Step) -> Result<(), StepFailure> {
    match read_build(client, &step.build.project, &step.build.name).await {
        Ok(_) => {
            // The list the plan read did not show it: deletions in this project may not rely
            // on that list (docs/architecture.md §5).
            client.disprove_list(&step.build.project);
            Err(StepFailure::Stale(CREATED_SINCE.into()))
        }
        Err(error) if error.is_not_found() => Ok(()),
        // Unsafe it is not: Zadig itself refuses to create a name that exists (6520), so the
        // create goes ahead and that answer, if it comes, says the rest.
        Err(error) => {
            debug!(%error, "could not check that the build does not exist yet");
            Ok(())
        }
    }
}

/// Why a create failed, in the user's terms: the name taken in its own project means it was
/// created since the plan; in a project this run does not manage, how to move the build.
fn create_failure(error: RemoteError, spec: &BuildSpec) -> StepFailure {
    match error.kind() {
        Kind::NameTaken {
            owner_project: Some(owner),
        } if owner != spec.project_key() => StepFailure::Failed(Failure::new(
            error.kind().as_str(),
            format!(
                "{error}; if the build moved here from project {owner}, run with \
                 `--project {owner} --project {} --prune` (or list {owner} in zadig-sync.yaml) \
                 so the old one is deleted first",
                spec.project_key()
            ),
        )),
        Kind::NameTaken { .. } => StepFailure::Stale(format!("{CREATED_SINCE} ({error})")),
        _ => error.into(),
    }
}

async fn update(
    client: &ZadigClient,
    step: &Step,
    wanted: &BuildSpec,
    read_at: i64,
    revision: Option<&str>,
) -> Result<(), StepFailure> {
    ensure_not_stale(client, step, read_at).await?;
    let body = marker::request_body_at(wanted, revision);
    client.update_build(&body).await?;
    verify_converged(client, wanted).await
}

/// Deletes only a build that still carries zadig-sync's marker for itself: a plan file can be
/// edited by hand, and a build can change owner between plan and apply.
async fn delete(client: &ZadigClient, step: &Step, read_at: i64) -> Result<(), StepFailure> {
    match ensure_ours(client, step, read_at).await {
        // Somebody deleted it already: what we wanted is done, and nothing was written.
        Err(StepFailure::Gone) => Err(StepFailure::AlreadyDeleted),
        Err(failure) => Err(failure),
        Ok(()) => Ok(client
            .delete_build(&step.build.project, &step.build.name)
            .await?),
    }
}

/// The build as the plan read it, carrying zadig-sync's marker for itself.
async fn ensure_ours(client: &ZadigClient, step: &Step, read_at: i64) -> Result<(), StepFailure> {
    let live = ensure_not_stale(client, step, read_at).await?;
    let build = &step.build;
    match Ownership::of_script(&live.build_script, &build.project, &build.name) {
        Ownership::Ours { .. } => Ok(()),
        _ => Err(StepFailure::Stale(
            "does not carry zadig-sync's marker for this build, so it is not deleted".into(),
        )),
    }
}

/// Whether a deletion may go ahead now: the build is as the plan read it and ours (a build
/// already gone is fine: nothing will be written). Why not, when it may not.
pub(super) async fn deletable(
    client: &ZadigClient,
    step: &Step,
    read_at: i64,
) -> Result<(), String> {
    match ensure_ours(client, step, read_at).await {
        Ok(()) | Err(StepFailure::Gone) => Ok(()),
        Err(failure) => Err(failure.reason()),
    }
}

/// Reads the build again and refuses the step if its `update_time` moved since the plan read
/// it (`read_at`): somebody edited it in Zadig, and overwriting that blindly would lose their
/// work. Returns the build as it is now.
async fn ensure_not_stale(
    client: &ZadigClient,
    step: &Step,
    read_at: i64,
) -> Result<DetailResponse, StepFailure> {
    match client
        .get_build(&step.build.project, &step.build.name)
        .await
    {
        Ok(detail) if detail.update_time == read_at => Ok(detail),
        Ok(detail) => Err(StepFailure::Stale(format!(
            "changed in Zadig since the plan (update_time {read_at} → {}), or this plan was \
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
    Err(StepFailure::Failed(Failure::new(
        "not_converged",
        format!(
            "written, but Zadig stored {} differently; this is a zadig-sync bug worth reporting",
            fields.join(", ")
        ),
    )))
}

/// The paths of the fields where `live` differs from `spec` (none: converged).
fn differences(live: &LiveDetail, spec: &BuildSpec) -> Vec<String> {
    let comparison = diff::compare(&normalize::from_live(live), &normalize::from_spec(spec));
    (comparison.differences.iter())
        .map(|d| d.path().to_string())
        .collect()
}
