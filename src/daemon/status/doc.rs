//! The documents of the status API, `GET /api/v1/status` and `GET /api/v1/events`, as data:
//! serialised by the daemon, read back by `zadig-sync status`. docs/status.md documents every
//! key; [`STATUS_FORMAT`] changes when a key changes meaning or goes away (new keys may be
//! added without it). Times are RFC 3339 in UTC, to the second. No I/O.

use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::daemon::drift_pull::DriftPull;
use crate::reconcile::plan::FieldChange;

/// Bumped whenever a key of these documents changes meaning or is removed.
pub const STATUS_FORMAT: u32 = 1;

/// A moment, as `2026-05-01T12:00:00Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time(pub SystemTime);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = humantime::format_rfc3339_seconds(self.0).to_string();
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        humantime::parse_rfc3339_weak(&text)
            .map(Time)
            .map_err(|error| serde::de::Error::custom(format!("`{text}`: {error}")))
    }
}

/// `GET /api/v1/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusDoc {
    pub format: u32,
    /// When the daemon answered.
    pub generated_at: Time,
    /// The desired state last loaded.
    pub revision: Revision,
    /// Whether the daemon is ready (as `/readyz`), and why not.
    pub ready: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_ready_because: Option<String>,
    /// The pass running now, if one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_since: Option<Time>,
    pub last_pass: Option<LastPass>,
    /// When the next pass will run at the latest (the resync, or a retry that is due sooner);
    /// a change of the files starts one earlier.
    pub next_pass_due: Option<Time>,
    /// The builds selected by the query, by state; `kept` counts the builds in Zadig that no
    /// file describes.
    pub counts: Counts,
    pub builds: Vec<BuildView>,
    /// With `?kept=true` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<Vec<KeptView>>,
}

/// Which desired state: the git commit of the files, when they are a checkout, and the
/// hash of every build's fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub commit: Option<String>,
    pub tree: Option<String>,
}

impl Revision {
    /// The commit when known, else the tree hash: what messages call the revision.
    pub fn shown(&self) -> Option<&str> {
        self.commit.as_deref().or(self.tree.as_deref())
    }
}

/// The last pass that ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPass {
    pub started: Time,
    pub ended: Time,
    /// What started it: `start`, `changed`, `token`, `resync`, `retry`, joined by `+`.
    pub trigger: String,
    /// `success`, `partial`, `failed`, `invalid`, `unchanged` (the files changed, not the
    /// builds they describe) or `stopped`.
    pub result: String,
    /// Requests sent to Zadig during the pass, retries included.
    pub requests: u64,
}

/// How many builds are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub in_sync: u64,
    pub pending: u64,
    pub drifted: u64,
    pub failing: u64,
    pub refused: u64,
    pub held: u64,
    pub kept: u64,
}

impl Counts {
    /// Counts one more build in `state` (one of the state names).
    pub fn add(&mut self, state: &str) {
        let slot = match state {
            "in_sync" => &mut self.in_sync,
            "pending" => &mut self.pending,
            "drifted" => &mut self.drifted,
            "failing" => &mut self.failing,
            "refused" => &mut self.refused,
            "held" => &mut self.held,
            _ => return,
        };
        *slot += 1;
    }
}

/// One managed build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildView {
    pub project: String,
    pub name: String,
    /// `custom` or `template`.
    pub kind: String,
    /// `in_sync`, `pending`, `drifted`, `failing`, `refused` or `held`.
    pub state: String,
    /// When it entered this state.
    pub since: Time,
    /// Why its last step was planned: `file_changed`, `drift`, `missing_in_zadig`, `adoption`.
    pub cause: Option<String>,
    /// Why it is in this state, in a sentence (none when in sync).
    pub message: Option<String>,
    pub last_write: Option<LastWriteView>,
    /// For a failing build: what went wrong last, how many times in a row, and when its
    /// write is tried again.
    pub last_error: Option<ErrorView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    pub next_retry: Option<Time>,
    /// What differs, for a pending, drifted or refused build, as `plan --output json` shows
    /// changes (secrets redacted).
    #[serde(default)]
    pub changes: Vec<FieldChange>,
    /// Who last changed the build in Zadig (its `update_by`), when known.
    pub update_by: Option<String>,
    /// For a drifted build (`--drift report`): how to take Zadig's version into its file,
    /// the command and the patch it would write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull: Option<DriftPull>,
}

/// The last write made to a build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastWriteView {
    pub at: Time,
    /// `create`, `update`, `replace`.
    pub action: String,
    /// The revision of the files it was made from, when known.
    pub revision: Option<String>,
}

/// What went wrong: a stable word, and the whole message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorView {
    pub kind: String,
    pub message: String,
}

/// A build in Zadig that no file describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptView {
    pub project: String,
    pub name: String,
    pub kind: String,
    /// zadig-sync wrote it: `--prune` would delete it.
    pub prunable: bool,
    pub update_by: Option<String>,
}

/// `GET /api/v1/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsDoc {
    pub format: u32,
    /// The id of the newest event: pass it as `?since=` to get only what comes after.
    pub last_id: u64,
    /// Events after `since` were dropped from the bounded ring before being read.
    pub missed: bool,
    /// Oldest first.
    pub events: Vec<EventView>,
}

/// One event, as the timeline, the events API and notifications show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    /// Increases by one with every event since the daemon started.
    pub id: u64,
    pub at: Time,
    /// `applied`, `failed`, `recovered`, `drift_found`, `deleted`, `deletion_refused`,
    /// `refused`, `kept_not_deleted`, `files_invalid`, `files_valid_again`,
    /// `zadig_unreachable`, `token_refused`, `zadig_back`.
    pub kind: String,
    /// The build it is about, if any.
    pub project: Option<String>,
    pub build: Option<String>,
    /// What happened, in a sentence.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_by: Option<String>,
    /// The revision of the files when it happened.
    pub revision: Option<String>,
}

#[cfg(test)]
impl EventView {
    /// For tests: event `id`, the first failure of an update of `shop/api`.
    pub fn example(id: u64) -> EventView {
        EventView {
            id,
            at: Time(SystemTime::UNIX_EPOCH),
            kind: "failed".into(),
            project: Some("shop".into()),
            build: Some("api".into()),
            message: "update failed".into(),
            action: Some("update".into()),
            cause: None,
            changes: Vec::new(),
            error: None,
            attempts: Some(1),
            update_by: None,
            revision: None,
        }
    }
}
