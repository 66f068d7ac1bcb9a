//! Planning against a server, the one way `plan`, `apply` and every daemon pass do it: keep
//! the desired builds of the managed projects, list those projects (taking the details a
//! caller vouches for), read the rest, and hand everything to the pure planner. Does I/O
//! through `remote`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use crate::load::diagnostic::Diagnostic;
use crate::load::scope::{SCOPE_FILE, Scope};
use crate::reconcile::desired::DesiredSet;
use crate::reconcile::live::LiveProject;
use crate::reconcile::plan::{DriftPolicy, History, Plan, PlanOptions, make_plan};
use crate::reconcile::redact::Secrets;
use crate::remote::ZadigClient;
use crate::remote::fetch::{KnownDetails, fetch_live_reusing};
use crate::remote::progress::SharedProgress;
use crate::remote::run::StopReason;
use crate::session::settings::Settings;

/// The files, loaded for a run that talks to Zadig: the builds, the scope file when there
/// is one, and the warnings.
pub struct Loaded {
    pub desired: DesiredSet,
    pub scope: Option<Scope>,
    pub warnings: Vec<Diagnostic>,
}

/// The desired builds of the managed projects only, and those projects.
pub struct Scoped {
    pub desired: DesiredSet,
    pub projects: Vec<String>,
    /// Whether a scope file names the projects (else the files do, and the plan says so).
    pub has_scope_file: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error(
        "--project {project}: {} does not list it under `projects:`; add it there to manage it",
        scope_file.display()
    )]
    NotInScopeFile {
        project: String,
        scope_file: PathBuf,
    },
}

/// Keeps the builds of the projects this run manages.
pub fn scope_desired(loaded: Loaded, settings: &Settings) -> Result<Scoped, ScopeError> {
    let projects = managed_projects(&loaded, &settings.only)?;
    let mut desired = loaded.desired;
    desired
        .builds
        .retain(|b| projects.contains(b.spec.project_key()));
    Ok(Scoped {
        desired,
        projects: projects.into_iter().collect(),
        has_scope_file: loaded.scope.is_some(),
    })
}

/// The projects this run manages: the scope file's (else those the files name), or only
/// those named by `--project`, which must then be in the scope file when there is one.
pub fn managed_projects(loaded: &Loaded, only: &[String]) -> Result<BTreeSet<String>, ScopeError> {
    if only.is_empty() {
        return Ok(match &loaded.scope {
            Some(scope) => scope.projects.iter().cloned().collect(),
            None => loaded.desired.projects().into_iter().collect(),
        });
    }
    if let Some(scope) = &loaded.scope
        && let Some(outside) = only.iter().find(|p| !scope.manages(p))
    {
        return Err(ScopeError::NotInScopeFile {
            project: outside.clone(),
            scope_file: scope.path.clone(),
        });
    }
    Ok(only.iter().cloned().collect())
}

/// A plan with the live state it was made from.
pub struct LivePlan {
    pub plan: Plan,
    pub live: Vec<LiveProject>,
    /// Per project of `live`: the server's time of its list (its `Date` header).
    pub listed_at: Vec<Option<SystemTime>>,
}

/// Why no plan could be made: the run was stopped (401, 403, an unreachable server or the
/// deadline made every later request fail the same way), reported once and redacted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Unreadable {
    /// Why the run stopped: the daemon's readiness and metrics tell a refused token from an
    /// unreachable server.
    pub reason: StopReason,
    pub message: String,
}

/// What a plan is made from besides the files and the server.
pub struct PlanInputs<'a> {
    pub settings: &'a Settings,
    pub secrets: &'a Secrets,
    pub progress: &'a SharedProgress,
    /// Details the caller vouches for (its memory, a cache): not read again.
    pub known: Arc<dyn KnownDetails>,
    /// What earlier passes knew of each build, and the drift policy (the daemon's; `plan`
    /// and `apply` pass none).
    pub history: &'a dyn History,
    pub options: PlanOptions,
}

impl PlanOptions {
    /// The options a one-shot `plan` or `apply` plans with: drift is written back.
    pub fn of(settings: &Settings) -> Self {
        PlanOptions {
            prune: settings.prune,
            max_deletes: settings.max_deletes,
            drift: DriftPolicy::Correct,
        }
    }
}

/// Lists the managed projects, reads the details `known` does not supply, plans.
pub async fn plan_on(
    client: &ZadigClient,
    scoped: &Scoped,
    inputs: PlanInputs<'_>,
) -> Result<LivePlan, Unreadable> {
    let fetched = fetch_live_reusing(client, &scoped.projects, inputs.progress, inputs.known).await;
    if let Some(stop) = client.stopped() {
        return Err(Unreadable {
            reason: stop.reason,
            message: inputs.secrets.redact(&stop.first_error).into_owned(),
        });
    }
    let (live, listed_at): (Vec<LiveProject>, Vec<Option<SystemTime>>) = fetched
        .into_iter()
        .map(|project| (project.live, project.listed_at))
        .unzip();
    let mut plan = make_plan(
        &scoped.desired,
        &live,
        &inputs.options,
        inputs.history,
        inputs.secrets,
    );
    if !scoped.has_scope_file {
        plan.notes.push(managed_by_files_note(&scoped.projects));
    }
    Ok(LivePlan {
        plan,
        live,
        listed_at,
    })
}

/// Without a scope file, a project whose last file is removed is no longer managed (and so
/// never pruned): the plan says which projects it manages, and how to keep one.
fn managed_by_files_note(projects: &[String]) -> String {
    let list = if projects.is_empty() {
        "no projects".to_string()
    } else {
        format!("projects {}", projects.join(", "))
    };
    format!(
        "managing {list}; list them in {SCOPE_FILE} to keep managing a project after its last \
         file is removed"
    )
}
