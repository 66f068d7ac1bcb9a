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

/// Everything detail returned for one build, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveDetail {
    /// A custom build: its detail says it all.
    Custom(DetailResponse),
    /// A template build (a non-empty `template_name`): detail without a service names the
    /// template and its targets; one more detail per target service carries that target's
    /// repos and merged inputs.
    Template {
        base: DetailResponse,
        targets: Vec<(ServiceRef, DetailResponse)>,
    },
}

impl LiveDetail {
    /// The detail read without a service: identity, `update_time`, and (custom) everything.
    pub fn base(&self) -> &DetailResponse {
        match self {
            LiveDetail::Custom(base) | LiveDetail::Template { base, .. } => base,
        }
    }

    /// The base detail, to edit (tests that simulate an edit made in Zadig).
    pub fn base_mut(&mut self) -> &mut DetailResponse {
        match self {
            LiveDetail::Custom(base) | LiveDetail::Template { base, .. } => base,
        }
    }
}
