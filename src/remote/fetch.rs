//! The fetch stage: read the live state of the managed projects from Zadig (one list per
//! project, then one detail per build, and one more per target of a template build), all
//! concurrently within the client's limits. I/O through `remote` only.
//!
//! Failures become values in [`LiveProject`]/[`LiveBuild`], never an early return: one broken
//! build is an error on that build, and a failed list makes the planner refuse deletions.

use tracing::debug;

use crate::reconcile::live::{LiveBuild, LiveDetail, LiveProject};
use crate::reconcile::spec::ServiceRef;
use crate::reconcile::wire::{DetailResponse, ListedBuild};
use crate::remote::progress::{SharedProgress, no_progress};
use crate::remote::tasks::join_in_order;
use crate::remote::{BuildListing, RemoteError, ZadigClient};

/// Reads every managed project, in the order given. The first project's list goes alone: a
/// wrong token or a dead server then stops the run at that first answer (`run.rs`), before
/// one request per project is in flight.
pub async fn fetch_live(client: &ZadigClient, projects: &[String]) -> Vec<LiveProject> {
    fetch_live_with(client, projects, &no_progress()).await
}

/// [`fetch_live`], telling `progress` how many builds there are to read (as each list comes
/// in) and each one read.
pub async fn fetch_live_with(
    client: &ZadigClient,
    projects: &[String],
    progress: &SharedProgress,
) -> Vec<LiveProject> {
    let Some(first) = projects.first() else {
        return Vec::new();
    };
    let first_listing = client.list_builds(first).await;
    let mut pending = Some(first_listing);
    let results = join_in_order(projects.iter().map(|project| {
        let (client, project, progress) = (client.clone(), project.clone(), progress.clone());
        let listed = if project == *first {
            pending.take()
        } else {
            None
        };
        async move { fetch_project(&client, project, listed, &progress).await }
    }))
    .await;
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

/// One project: its list (unless already read), then the details of its builds.
async fn fetch_project(
    client: &ZadigClient,
    project: String,
    listed: Option<Result<BuildListing, RemoteError>>,
    progress: &SharedProgress,
) -> LiveProject {
    let listing = match listed {
        Some(listing) => listing,
        None => client.list_builds(&project).await,
    };
    let listing = match listing {
        Ok(listing) => Ok(fetch_details(client, &project, listing.builds, progress).await),
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
    progress: &SharedProgress,
) -> Vec<LiveBuild> {
    progress.add_total(listed.len());
    let details = join_in_order(listed.iter().map(|build| {
        let (client, project, name) = (client.clone(), project.to_string(), build.name.clone());
        let progress = progress.clone();
        async move {
            let detail = read_build(&client, &project, &name).await;
            progress.advance();
            detail.map_err(|error| error.to_string())
        }
    }))
    .await;
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
    if base.template_name.is_empty() {
        debug!(project, build = name, "read custom build");
        return Ok(LiveDetail::Custom(base));
    }
    let targets = read_targets(client, project, name, &base.target_services).await?;
    debug!(
        project,
        build = name,
        targets = targets.len(),
        "read template build"
    );
    Ok(LiveDetail::Template { base, targets })
}

/// One detail per target service of a template build, read concurrently (the client bounds
/// how many are in flight), in the order of the services.
async fn read_targets(
    client: &ZadigClient,
    project: &str,
    name: &str,
    services: &[ServiceRef],
) -> Result<Vec<(ServiceRef, DetailResponse)>, RemoteError> {
    let details = join_in_order(services.iter().map(|service| {
        let (client, service) = (client.clone(), service.clone());
        let (project, name) = (project.to_string(), name.to_string());
        async move { client.get_build_target(&project, &name, &service).await }
    }))
    .await;
    let mut targets = Vec::with_capacity(services.len());
    for (service, detail) in services.iter().zip(details) {
        let detail = match detail {
            Some(detail) => detail?,
            // The task failed (a bug): read this one again, here, for a real answer.
            None => client.get_build_target(project, name, service).await?,
        };
        targets.push((service.clone(), detail));
    }
    Ok(targets)
}
