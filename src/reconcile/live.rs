//! The live state: what Zadig holds for each managed project, as read by the fetch stage
//! (list, then detail per build). Pure data, no I/O; failures are kept as values so the
//! planner can plan the rest and refuse what a failure makes unsafe.

use crate::reconcile::spec::ServiceRef;
use crate::reconcile::wire::DetailResponse;

/// One managed project as read from Zadig.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveProject {
    pub project: String,
    /// The builds listed, or why the list cannot be trusted (a page failed, or the pages
    /// disagreed with `total`). When this is an error, nothing in the project is deleted.
    pub listing: Result<Vec<LiveBuild>, String>,
}

/// One build of the list, with its detail.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveBuild {
    pub name: String,
    /// `update_time` from the list (Unix seconds).
    pub update_time: i64,
    /// The detail, or why it could not be read (an error on this build only).
    pub detail: Result<LiveDetail, String>,
}

/// Everything detail returned for one build.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveDetail {
    /// Detail without `serviceName`/`serviceModule`.
    pub base: DetailResponse,
    /// For template builds (non-empty `template_name`), one detail per target service, with
    /// that target's repos and merged parameters. Empty for custom builds.
    pub targets: Vec<(ServiceRef, DetailResponse)>,
}

impl LiveDetail {
    pub fn is_template(&self) -> bool {
        !self.base.template_name.is_empty()
    }
}
