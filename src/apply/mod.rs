//! The apply stage: execute a plan against Zadig, one outcome per step. I/O through `remote`.
//!
//! The plan decides the order: its phases run one after another (creates, updates and
//! replaces; then deletions; then the creates whose name a deletion freed), the steps of a
//! phase concurrently (the client bounds concurrency and rate). Before each update or delete
//! the build is read again and the step refused if Zadig changed it since the plan (a create
//! from a saved plan checks the build is still absent; a fresh plan's create relies on Zadig
//! refusing a taken name); after each write the build is read back and compared, so a
//! normalisation bug surfaces once as an error instead of as a write on every run. A run that
//! is asked to stop starts no further step (checked between phases and before each step).

pub mod outcome;
mod steps;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::{Instrument, debug, info_span};

use crate::apply::outcome::{ApplyReport, Failure, OutcomeStatus, StepOutcome};
use crate::reconcile::desired::DesiredSet;
use crate::reconcile::plan::{Phase, Plan, Planned, Step};
use crate::reconcile::redact::Secrets;
use crate::reconcile::spec::BuildSpec;
use crate::remote::ZadigClient;
use crate::remote::progress::{SharedProgress, no_progress};
use crate::remote::tasks::join_in_order;

/// What one apply executes: the plan, where it came from, the files that supply the bodies
/// to send (the plan carries only fingerprints, never secrets), the secrets to redact from
/// every reason, the signal that stops it, and the git commit the files are (which each
/// marker written names, `rev=`; it decides nothing).
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub plan: &'a Plan,
    pub source: PlanSource,
    pub desired: &'a DesiredSet,
    pub secrets: &'a Secrets,
    pub stop: &'a StopSignal,
    pub revision: Option<&'a str>,
}

/// Set once the run must start no new step (the daemon's shutdown); writes in flight finish.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    pub fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Where the plan comes from, which decides what a create that finds its build does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanSource {
    /// Made in this run, from a list read moments ago: a create is sent without reading
    /// first (Zadig refuses a taken name, which then says "created meanwhile"), and a build
    /// that appeared since holding exactly what the files say (another apply of the same
    /// files at the same time) counts as done.
    Fresh,
    /// Saved by `plan --out` and reviewed, maybe long ago: each create first checks that the
    /// build is still absent, and one that finds it is refused.
    Saved,
}

/// Executes every step of the job's plan that writes, phase by phase as the plan orders them,
/// and reports the steps that cannot be executed. Before the first write every step is paired
/// with the spec it sends; a write step that no file describes refuses the whole run.
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
        Ok(work) => match preflight(client, job.source, &work).await {
            Ok(()) => {
                progress.add_total(work.len());
                run_phases(client, job, work, progress).await
            }
            Err(reasons) => refuse_run(job.plan, &reasons.join("; ")),
        },
        Err(missing) => {
            let reason = format!(
                "the plan writes builds that no build file describes ({})",
                missing.join(", ")
            );
            refuse_run(job.plan, &reason)
        }
    };
    // Zadig's error texts can quote what was sent (an unknown cluster's name, say).
    report.redact(job.secrets);
    report
}

/// A write step with everything it needs, ready to run.
#[derive(Clone)]
pub(crate) enum Work {
    Create {
        step: Step,
        spec: Arc<BuildSpec>,
    },
    /// An update or a replace (the update route of the kind the files want converts a build
    /// of the other kind in place).
    Update {
        step: Step,
        spec: Arc<BuildSpec>,
        read_at: i64,
    },
    Delete {
        step: Step,
        read_at: i64,
    },
}

impl Work {
    pub(crate) fn step(&self) -> &Step {
        match self {
            Work::Create { step, .. } | Work::Update { step, .. } | Work::Delete { step, .. } => {
                step
            }
        }
    }
}

/// Every write step with its spec, or the builds of the steps that have none.
fn pair_steps(plan: &Plan, desired: &DesiredSet) -> Result<Vec<Work>, Vec<String>> {
    let specs: HashMap<(&str, &str), &BuildSpec> = desired
        .builds
        .iter()
        .map(|b| ((b.spec.project_key(), b.spec.name()), &b.spec))
        .collect();
    let mut work = Vec::new();
    let mut missing = Vec::new();
    for step in &plan.steps {
        let spec = || {
            let key = (step.build.project.as_str(), step.build.name.as_str());
            specs.get(&key).map(|spec| Arc::new((*spec).clone()))
        };
        let step_owned = step.clone();
        let paired = match step.planned {
            Planned::Create { .. } => spec().map(|spec| Work::Create {
                step: step_owned,
                spec,
            }),
            Planned::Update { read_at, .. } | Planned::Replace { read_at, .. } => {
                spec().map(|spec| Work::Update {
                    step: step_owned,
                    spec,
                    read_at,
                })
            }
            Planned::Delete { read_at } => Some(Work::Delete {
                step: step_owned,
                read_at,
            }),
            _ => continue,
        };
        match paired {
            Some(paired) => work.push(paired),
            None => missing.push(step.build.to_string()),
        }
    }
    if missing.is_empty() {
        Ok(work)
    } else {
        Err(missing)
    }
}

/// A saved plan's deletions, checked before the first write of the run: each target must
/// still be as the plan read it and carry zadig-sync's marker for itself. A fresh plan read
/// them moments ago; each deletion checks again as it runs either way.
async fn preflight(
    client: &ZadigClient,
    source: PlanSource,
    work: &[Work],
) -> Result<(), Vec<String>> {
    if source == PlanSource::Fresh {
        return Ok(());
    }
    let mut reasons = Vec::new();
    for work in work {
        if let Work::Delete { step, read_at } = work
            && let Err(reason) = steps::deletable(client, step, *read_at).await
        {
            reasons.push(format!("delete {}: {reason}", step.build));
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons)
    }
}

/// Nothing is written: every write step refused, saying why.
fn refuse_run(plan: &Plan, why: &str) -> ApplyReport {
    let reason = format!("nothing was applied: {why}; make the plan again");
    let mut outcomes: Vec<StepOutcome> = (plan.steps.iter())
        .filter(|s| s.action().is_write())
        .map(|step| outcome(step, OutcomeStatus::Refused(reason.clone())))
        .collect();
    outcomes.extend(plan.steps.iter().filter_map(unexecutable_outcome));
    ApplyReport { outcomes }
}

/// The phases in the plan's order; a create that waits for deletions of its name runs only
/// if they all succeeded. Once the stop signal is set, no phase starts.
async fn run_phases(
    client: &ZadigClient,
    job: Job<'_>,
    work: Vec<Work>,
    progress: &SharedProgress,
) -> ApplyReport {
    let mut outcomes = Vec::new();
    for phase in [Phase::Writes, Phase::Deletes, Phase::AfterDeletes] {
        let (ready, blocked): (Vec<&Work>, Vec<&Work>) = (work.iter())
            .filter(|w| w.step().planned.phase() == phase)
            .partition(|w| phase != Phase::AfterDeletes || name_freed(w.step(), &outcomes));
        outcomes.extend(run_concurrently(client, &ready, job, progress).await);
        outcomes.extend(blocked.into_iter().map(|create| {
            let reason = "its name is still held by a build in another project, whose deletion \
                          in this run did not succeed (Zadig's build names are global)";
            outcome(
                create.step(),
                OutcomeStatus::Failed(Failure::new("name_taken", reason)),
            )
        }));
    }
    outcomes.extend(job.plan.steps.iter().filter_map(unexecutable_outcome));
    ApplyReport { outcomes }
}

/// Whether every deletion of a build with this create's name succeeded.
fn name_freed(create: &Step, outcomes: &[StepOutcome]) -> bool {
    outcomes
        .iter()
        .filter(|o| o.action.is_destructive() && o.build.name == create.build.name)
        .all(|o| o.status.wrote() || matches!(o.status, OutcomeStatus::AlreadyDone(_)))
}

/// Plan steps that are themselves failures or refusals become outcomes as they are.
fn unexecutable_outcome(step: &Step) -> Option<StepOutcome> {
    let reason = step.notes.join("; ");
    let status = match &step.planned {
        Planned::Error { problem, .. } => {
            OutcomeStatus::Failed(Failure::new(problem.kind(), reason))
        }
        Planned::Refused { .. } => OutcomeStatus::Refused(reason),
        _ => return None,
    };
    Some(outcome(step, status))
}

async fn run_concurrently(
    client: &ZadigClient,
    work: &[&Work],
    job: Job<'_>,
    progress: &SharedProgress,
) -> Vec<StepOutcome> {
    let slots = join_in_order(
        client.tasks_at_once(),
        work.iter().map(|&work| {
            let (client, progress, stop) = (client.clone(), progress.clone(), job.stop.clone());
            let work = work.clone();
            let source = job.source;
            let revision = job.revision.map(str::to_string);
            let step = work.step();
            let span = info_span!(
                "apply",
                project = %step.build.project,
                build = %step.build.name,
                op = step.action().as_str()
            );
            async move {
                let status = if stop.is_set() {
                    OutcomeStatus::NotStarted("not started: zadig-sync is stopping".into())
                } else {
                    steps::run(&client, &work, source, revision.as_deref()).await
                };
                progress.advance();
                debug!(status = status.as_str(), "step finished");
                outcome(work.step(), status)
            }
            .instrument(span)
        }),
    )
    .await;
    work.iter()
        .zip(slots)
        .map(|(work, slot)| {
            slot.unwrap_or_else(|| {
                let reason = "the step's task panicked (a bug worth reporting); run apply again";
                outcome(
                    work.step(),
                    OutcomeStatus::Failed(Failure::new("panicked", reason)),
                )
            })
        })
        .collect()
}

fn outcome(step: &Step, status: OutcomeStatus) -> StepOutcome {
    StepOutcome {
        build: step.build.clone(),
        action: step.action(),
        status,
    }
}
