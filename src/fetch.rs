//! The fetch stage: read the live state of the managed projects from Zadig (one list per
//! project, then one detail per build, and one more per target of a template build), all
//! concurrently within the client's limits. I/O through `remote` only.
//!
//! Failures become values in [`LiveProject`]/[`LiveBuild`], never an early return: one broken
//! build is an error on that build, and a failed list makes the planner refuse deletions.

use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::live::{LiveBuild, LiveDetail, LiveProject};
use crate::remote::wire::ListedBuild;
use crate::remote::{RemoteError, ZadigClient};

/// Reads every managed project, in the order given.
pub async fn fetch_live(client: &ZadigClient, projects: &[String]) -> Vec<LiveProject> {
    let mut tasks = JoinSet::new();
    for (index, project) in projects.iter().enumerate() {
        let client = client.clone();
        let project = project.clone();
        tasks.spawn(async move { (index, fetch_project(&client, project).await) });
    }
    let results = collect_in_order(tasks, projects.len()).await;
    projects
        .iter()
        .zip(results)
        .map(|(project, result)| {
            result.unwrap_or_else(|| LiveProject {
                project: project.clone(),
                listing: Err("internal error: the task reading this project failed".into()),
            })
        })
        .collect()
}

async fn fetch_project(client: &ZadigClient, project: String) -> LiveProject {
    let listing = match client.list_builds(&project).await {
        Ok(listing) => Ok(fetch_details(client, &project, listing.builds).await),
        Err(error) => {
            debug!(project = %project, %error, "listing builds failed");
            Err(error.to_string())
        }
    };
    LiveProject { project, listing }
}

async fn fetch_details(
    client: &ZadigClient,
    project: &str,
    listed: Vec<ListedBuild>,
) -> Vec<LiveBuild> {
    let mut tasks = JoinSet::new();
    for (index, build) in listed.iter().enumerate() {
        let client = client.clone();
        let project = project.to_string();
        let name = build.name.clone();
        tasks.spawn(async move {
            let detail = read_build(&client, &project, &name).await;
            (index, detail.map_err(|error| error.to_string()))
        });
    }
    let details = collect_in_order(tasks, listed.len()).await;
    listed
        .into_iter()
        .zip(details)
        .map(|(build, detail)| LiveBuild {
            name: build.name,
            update_time: build.update_time,
            detail: detail.unwrap_or_else(|| {
                Err("internal error: the task reading this build failed".into())
            }),
        })
        .collect()
}

/// Reads one build's detail, plus one detail per target service when it is a template build
/// (only those carry the target's repos and inputs).
pub async fn read_build(
    client: &ZadigClient,
    project: &str,
    name: &str,
) -> Result<LiveDetail, RemoteError> {
    let base = client.get_build(project, name).await?;
    let mut targets = Vec::new();
    if !base.template_name.is_empty() {
        for service in &base.target_services {
            let detail = client.get_build_target(project, name, service).await?;
            targets.push((service.clone(), detail));
        }
    }
    debug!(project, build = name, targets = targets.len(), "read build");
    Ok(LiveDetail { base, targets })
}

/// Waits for indexed tasks and returns their values in index order; `None` where a task
/// panicked (a bug), so the caller can turn that slot into an error instead of losing it.
async fn collect_in_order<T: 'static>(
    mut tasks: JoinSet<(usize, T)>,
    count: usize,
) -> Vec<Option<T>> {
    let mut slots: Vec<Option<T>> = (0..count).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, value)) => slots[index] = Some(value),
            Err(error) => warn!(%error, "a fetch task failed"),
        }
    }
    slots
}
