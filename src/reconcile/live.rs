//! The live state: what Zadig holds for each managed project, as read by the fetch stage
//! (list, then detail per build). Pure data, no I/O; failures are kept as values so the
//! planner can plan the rest and refuse what a failure makes unsafe.

use serde::{Deserialize, Serialize};

use crate::reconcile::spec::ServiceRef;
use crate::reconcile::wire::DetailResponse;

/// One managed project as read from Zadig.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveProject {
    pub project: String,
    /// The builds listed, or why the list cannot be trusted (a page failed, or the pages
    /// disagreed with `total`). When this is an error, nothing in the project is deleted.
    pub listing: Result<Vec<LiveBuild>, ReadFailure>,
}

/// Why something could not be read from Zadig: the error's stable word (`transport`,
/// `unauthorized`, … as the client names it) and its message, already said in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFailure {
    pub kind: String,
    pub message: String,
}

impl ReadFailure {
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        ReadFailure {
            kind: kind.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// One build of the list, with its detail.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveBuild {
    pub name: String,
    /// `update_time` from the list (Unix seconds).
    pub update_time: i64,
    /// The detail, or why it could not be read (an error on this build only).
    pub detail: Result<LiveDetail, ReadFailure>,
}

/// Everything detail returned for one build, by kind. Serialisable for `--cache`.
///
/// The details are boxed: a [`DetailResponse`] is several hundred bytes inline, and the fetch
/// stage, the plan and the daemon's memory keep one slot per build in vectors and maps, so
/// an unboxed detail would cost that much again per container it passes through (a pointer
/// costs eight bytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveDetail {
    /// A custom build: its detail says it all.
    Custom(Box<DetailResponse>),
    /// A template build (a non-empty `template_name`): detail without a service names the
    /// template and its targets; one more detail per target service carries that target's
    /// repos and merged inputs.
    Template {
        base: Box<DetailResponse>,
        targets: Vec<(ServiceRef, DetailResponse)>,
    },
}

impl LiveDetail {
    /// A custom build's detail, kept without spare room.
    pub fn custom(mut base: DetailResponse) -> Self {
        base.shrink_to_fit();
        LiveDetail::Custom(Box::new(base))
    }

    /// A template build's detail: the base read without a service, and one per target; kept
    /// without spare room.
    pub fn template(
        mut base: DetailResponse,
        mut targets: Vec<(ServiceRef, DetailResponse)>,
    ) -> Self {
        base.shrink_to_fit();
        targets.shrink_to_fit();
        for (_, target) in &mut targets {
            target.shrink_to_fit();
        }
        LiveDetail::Template {
            base: Box::new(base),
            targets,
        }
    }

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

/// `update_time` has one-second resolution: a detail may be reused without reading it again
/// only when its `update_time` is at least this many seconds older than the server's `Date`
/// when it was listed, so that any later edit must carry a larger `update_time`.
pub const SETTLED_AFTER_S: i64 = 2;

/// The one *settled* rule (the daemon's memory and `--cache` both use it): the list and the
/// detail agree on `update_time`, and it is at least [`SETTLED_AFTER_S`] older than the
/// server's clock (`listed_at`, Unix seconds) when the list was read. Such a detail stays
/// current for as long as the build lists with the same `update_time`.
pub fn is_settled(listed_update_time: i64, detail_update_time: i64, listed_at: i64) -> bool {
    listed_update_time == detail_update_time
        && listed_update_time <= listed_at.saturating_sub(SETTLED_AFTER_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn settled_means_two_seconds_older_than_the_servers_date() {
        assert!(is_settled(NOW - 2, NOW - 2, NOW));
        assert!(!is_settled(NOW - 1, NOW - 1, NOW));
        assert!(!is_settled(NOW, NOW, NOW));
        assert!(
            !is_settled(NOW - 5, NOW - 4, NOW),
            "changed between list and detail"
        );
    }

    // The daemon keeps one detail per build for months, and every stage passes them through
    // vectors and maps: a slot must stay a pointer, whatever fields the detail gains.
    #[test]
    fn a_detail_slot_is_a_pointer_not_the_detail() {
        assert!(std::mem::size_of::<LiveDetail>() <= 32);
        assert!(std::mem::size_of::<LiveBuild>() <= 80);
    }

    #[test]
    fn a_parsed_detail_keeps_no_spare_room() {
        let body = r#"{"name": "b", "repos": [{"repo_name": "r"}],
            "parameters": [{"key": "K", "choice_option": ["a"]}],
            "outputs": [{"name": "IMAGE"}], "build_env": {"installs": [{"name": "go", "version": "1"}]}}"#;
        let detail = LiveDetail::custom(serde_json::from_str(body).unwrap());
        let base = detail.base();
        assert_eq!(base.repos.capacity(), 1);
        assert_eq!(base.parameters.capacity(), 1);
        assert_eq!(base.parameters[0].choice_option.capacity(), 1);
        assert_eq!(base.outputs.capacity(), 1);
        assert_eq!(base.build_env.installs.capacity(), 1);
        let service = ServiceRef {
            service_name: "s".into(),
            service_module: "m".into(),
        };
        let target = (service, serde_json::from_str(body).unwrap());
        let LiveDetail::Template { targets, .. } =
            LiveDetail::template(DetailResponse::default(), vec![target])
        else {
            unreachable!("a template detail")
        };
        assert_eq!(targets[0].1.repos.capacity(), 1);
    }
}
