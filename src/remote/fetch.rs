//! The fetch stage: read the live state of the managed projects from Zadig (one list per
//! project, then one detail per build, and one more per target of a template build), all
//! concurrently within the client's limits. I/O through `remote` only.
//!
//! A caller that remembers details from an earlier read (the daemon) passes them in as
//! [`KnownDetails`]: a build it vouches for is not read again. What may be trusted is the
//! caller's decision, not this module's.
//!
//! Failures become values in [`LiveProject`]/[`LiveBuild`], never an early return: one broken
//! build is an error on that build, and a failed list makes the planner refuse deletions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::debug;

use crate::reconcile::BuildId;
use crate::reconcile::live::{LiveBuild, LiveDetail, LiveProject, ReadFailure};
use crate::reconcile::spec::ServiceRef;
use crate::reconcile::wire::{DetailResponse, ListedBuild};
use crate::remote::progress::{SharedProgress, no_progress};
use crate::remote::tasks::join_in_order;
use crate::remote::{BuildListing, RemoteError, ZadigClient};

/// Reads every managed project, in the order given. The first project's list goes alone: a
/// wrong token or a dead server then stops the run at that first answer (`run.rs`), before
/// one request per project is in flight; unless `known` says the token has read them before
/// ([`KnownDetails::token_proven`]), which saves a round trip.
pub async fn fetch_live(client: &ZadigClient, projects: &[String]) -> Vec<LiveProject> {
    let known: Arc<dyn KnownDetails> = Arc::new(NothingKnown);
    let fetched = fetch_live_reusing(client, projects, &no_progress(), known).await;
    fetched.into_iter().map(|project| project.live).collect()
}

/// Details already held by the caller, offered before each detail read.
pub trait KnownDetails: Send + Sync {
    /// The detail of this listed build, if the caller vouches that it is still current.
    fn known(&self, project: &str, listed: &ListedBuild) -> Option<LiveDetail>;

    /// Whether this token has read these projects before (a cache it sealed after a read):
    /// then every project's list goes at once, instead of the first alone.
    fn token_proven(&self) -> bool {
        false
    }
}

/// Knows nothing: every detail is read (what `plan` and `apply` do).
pub struct NothingKnown;

impl KnownDetails for NothingKnown {
    fn known(&self, _: &str, _: &ListedBuild) -> Option<LiveDetail> {
        None
    }
}

/// Details read earlier (the daemon's memory, the disk cache), each handed out once — moved,
/// not copied, so a pass never holds two copies of every detail — and only while its build
/// lists with the `update_time` it was read at.
#[derive(Debug, Default)]
pub struct Remembered {
    /// The build → the `update_time` the detail was read at, and the detail.
    entries: Mutex<HashMap<BuildId, (i64, LiveDetail)>>,
    used: AtomicU64,
}

impl Remembered {
    pub fn new(entries: HashMap<BuildId, (i64, LiveDetail)>) -> Self {
        Remembered {
            entries: Mutex::new(entries),
            used: AtomicU64::new(0),
        }
    }

    /// The detail of a listed build, if one was remembered at the same `update_time`.
    pub fn take(&self, project: &str, listed: &ListedBuild) -> Option<LiveDetail> {
        let key = BuildId::new(project, &listed.name);
        let mut entries = self.entries.lock().ok()?;
        if entries.get(&key)?.0 != listed.update_time {
            return None;
        }
        let (_, detail) = entries.remove(&key)?;
        self.used.fetch_add(1, Ordering::Relaxed);
        Some(detail)
    }

    /// How many details were handed out.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// The details not handed out: a run that ended early gives them back to whoever keeps
    /// them, so that the next run need not read them again.
    pub fn into_leftovers(self) -> HashMap<BuildId, (i64, LiveDetail)> {
        self.entries
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl KnownDetails for Remembered {
    fn known(&self, project: &str, listed: &ListedBuild) -> Option<LiveDetail> {
        self.take(project, listed)
    }
}

/// One project as read, with the server's time of its list.
#[derive(Debug, Clone)]
pub struct FetchedProject {
    pub live: LiveProject,
    /// The `Date` header of the list's (first) answer.
    pub listed_at: Option<SystemTime>,
}

type Dated = Result<(BuildListing, Option<SystemTime>), RemoteError>;

/// [`fetch_live`], reading no detail that `known` supplies, and telling `progress` how many
/// builds there are to read (as each list comes in) and each one read.
pub async fn fetch_live_reusing(
    client: &ZadigClient,
    projects: &[String],
    progress: &SharedProgress,
    known: Arc<dyn KnownDetails>,
) -> Vec<FetchedProject> {
    let Some(first) = projects.first() else {
        return Vec::new();
    };
    let mut pending = if known.token_proven() {
        None
    } else {
        Some(client.list_builds_dated(first).await)
    };
    let results = join_in_order(
        client.tasks_at_once(),
        projects.iter().map(|project| {
            let (client, project, progress) = (client.clone(), project.clone(), progress.clone());
            let known = known.clone();
            let listed = if project == *first {
                pending.take()
            } else {
                None
            };
            async move { fetch_project(&client, project, listed, &progress, known.as_ref()).await }
        }),
    )
    .await;
    projects
        .iter()
        .zip(results)
        .map(|(project, result)| {
            result.unwrap_or_else(|| FetchedProject {
                live: LiveProject {
                    project: project.clone(),
                    listing: Err(ReadFailure::new(
                        "internal",
                        "internal error: the task reading this project failed",
                    )),
                },
                listed_at: None,
            })
        })
        .collect()
}

/// One project: its list (unless already read), then the details of its builds.
async fn fetch_project(
    client: &ZadigClient,
    project: String,
    listed: Option<Dated>,
    progress: &SharedProgress,
    known: &dyn KnownDetails,
) -> FetchedProject {
    let listing = match listed {
        Some(listing) => listing,
        None => client.list_builds_dated(&project).await,
    };
    let (listing, listed_at) = match listing {
        Ok((listing, date)) => {
            let builds = fetch_details(client, &project, listing.builds, progress, known).await;
            (Ok(builds), date)
        }
        Err(error) => {
            debug!(project = %project, %error, "listing builds failed");
            (Err(failure_of(&error)), None)
        }
    };
    FetchedProject {
        live: LiveProject { project, listing },
        listed_at,
    }
}

async fn fetch_details(
    client: &ZadigClient,
    project: &str,
    listed: Vec<ListedBuild>,
    progress: &SharedProgress,
    known: &dyn KnownDetails,
) -> Vec<LiveBuild> {
    progress.add_total(listed.len());
    let mut details: Vec<Option<Result<LiveDetail, ReadFailure>>> =
        Vec::with_capacity(listed.len());
    let mut to_read = Vec::new();
    for (index, build) in listed.iter().enumerate() {
        let remembered = known.known(project, build);
        if remembered.is_some() {
            progress.advance();
        } else {
            to_read.push(index);
        }
        details.push(remembered.map(Ok));
    }
    // A task only for a detail to read: one taken from memory costs no task. Owned names,
    // as `join_in_order` creates each task as it starts it, across awaits.
    let names: Vec<String> = to_read.iter().map(|&i| listed[i].name.clone()).collect();
    let read = join_in_order(
        client.tasks_at_once(),
        names.into_iter().map(|name| {
            let (client, project) = (client.clone(), project.to_string());
            let progress = progress.clone();
            async move {
                let detail = read_build(&client, &project, &name).await;
                progress.advance();
                detail.map_err(|error| failure_of(&error))
            }
        }),
    )
    .await;
    for (index, detail) in to_read.into_iter().zip(read) {
        details[index] = detail;
    }
    listed
        .into_iter()
        .zip(details)
        .map(|(build, detail)| LiveBuild {
            name: build.name,
            update_time: build.update_time,
            detail: detail.unwrap_or_else(|| {
                Err(ReadFailure::new(
                    "internal",
                    "internal error: the task reading this build failed",
                ))
            }),
        })
        .collect()
}

/// A failed read as the live state keeps it: the error's kind and its whole message.
fn failure_of(error: &RemoteError) -> ReadFailure {
    ReadFailure::new(error.kind().as_str(), error.to_string())
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
        return Ok(LiveDetail::custom(base));
    }
    let targets = read_targets(client, project, name, &base.target_services).await?;
    debug!(
        project,
        build = name,
        targets = targets.len(),
        "read template build"
    );
    Ok(LiveDetail::template(base, targets))
}

/// One detail per target service of a template build, read concurrently (the client bounds
/// how many are in flight), in the order of the services.
async fn read_targets(
    client: &ZadigClient,
    project: &str,
    name: &str,
    services: &[ServiceRef],
) -> Result<Vec<(ServiceRef, DetailResponse)>, RemoteError> {
    // Owned items for the closure: `join_in_order` creates each task as it starts it, so the
    // iterator lives across awaits, where a closure over borrowed items would not compile.
    let details = join_in_order(
        client.tasks_at_once(),
        services.iter().cloned().map(|service| {
            let client = client.clone();
            let (project, name) = (project.to_string(), name.to_string());
            async move { client.get_build_target(&project, &name, &service).await }
        }),
    )
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

/// A server time (a `Date` header) as Unix seconds, for [`crate::reconcile::live::is_settled`].
pub fn unix_seconds(time: SystemTime) -> Option<i64> {
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

/// Helpers for the tests of what remembers details between reads (the daemon's memory, the
/// disk cache).
#[cfg(test)]
pub(crate) mod testing {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use crate::reconcile::wire::ListedBuild;

    /// A build as a list shows it.
    pub fn listed(name: &str, update_time: i64) -> ListedBuild {
        ListedBuild {
            name: name.into(),
            update_time,
            ..ListedBuild::default()
        }
    }

    /// A server's `Date` at `seconds` after the epoch.
    pub fn at(seconds: i64) -> Option<SystemTime> {
        Some(UNIX_EPOCH + Duration::from_secs(seconds as u64))
    }
}
