//! The plan: what one pass would do to each build, with the reasons, as a serialisable value
//! that leaves `apply` no decision to make. The types live here; `make_plan` (policy: prune,
//! ownership, the delete guard, partial lists) turns canonical pairs into a plan. Pure.

use serde::{Deserialize, Serialize};

use crate::reconcile::BuildId;
use crate::reconcile::spec::BuildKind;

mod json;
pub mod make;
pub mod saved;
pub mod shown;
pub mod via;

pub use make::{DriftPolicy, History, NoHistory, PlanOptions, make_plan};

/// Bumped whenever the JSON shape of [`Plan`] changes incompatibly.
/// 2: every step says its `phase` (the order apply runs it in).
pub const PLAN_FORMAT_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    /// Projects this plan manages, sorted.
    pub projects: Vec<String>,
    /// One step per build, destructive steps first, then by project and name.
    pub steps: Vec<Step>,
    /// Errors not tied to one build (a project whose list failed to read). Each makes the plan
    /// fail like an error step: nothing in that project could be compared.
    pub errors: Vec<String>,
    /// Notes on the plan as a whole (which projects it manages and why), shown under its
    /// summary. Absent from the JSON when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Whether the plan was made with `--prune`: `apply --plan` executes no deletion of a
    /// plan made without it (a saved plan that lacks the key was made without it).
    #[serde(default)]
    pub prune: bool,
}

/// What the plan does with one build: the build, what it wants done ([`Planned`], carrying
/// exactly the data that action needs), why, and what it shows.
/// In JSON a flat object (`json.rs`), the shape docs/plan-output.md documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "json::StepJson", try_from = "json::StepJson")]
pub struct Step {
    pub build: BuildId,
    /// The kind the files want (create, update, replace, unchanged) or the live kind (delete, kept).
    pub kind: BuildKind,
    pub planned: Planned,
    /// Why the step is planned: a change of the files, drift made in Zadig, an adoption.
    pub cause: Option<Cause>,
    /// Field-level changes, for creates, updates and replaces (and held writes).
    pub changes: Vec<FieldChange>,
    /// `path:line:column` of the build's document, when the files describe it.
    pub origin: Option<String>,
    /// Why a step is an error or a refusal, or a note on it (e.g. a template input Zadig drops).
    pub notes: Vec<String>,
    /// Who last changed the build in Zadig (its detail's `update_by`), when it exists.
    pub updated_by: Option<String>,
}

/// What a step does, with what doing it needs. `read_at` is the `update_time` of the live
/// build when the plan read it: apply refuses a write to a build that changed since.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    /// `fingerprint`: of the desired spec, written into the marker (and checked by
    /// `apply --plan` against the files).
    Create {
        fingerprint: String,
        phase: Phase,
    },
    Update {
        fingerprint: String,
        read_at: i64,
    },
    /// Custom ⇄ template, converted in place (see [`Action::Replace`]).
    Replace {
        fingerprint: String,
        read_at: i64,
    },
    /// Only with `--prune`, only for marked builds absent from the files. Destructive.
    Delete {
        read_at: i64,
    },
    Unchanged {
        fingerprint: String,
        read_at: i64,
    },
    /// In Zadig, not in the files, and not deleted. `prunable`: zadig-sync wrote it (marked),
    /// so `--prune` would delete it.
    Kept {
        read_at: i64,
        prunable: bool,
    },
    /// A deletion the safety rules refused (over `--max-deletes`, or a read failed).
    Refused {
        read_at: i64,
        refusal: Refusal,
    },
    /// The build could not be planned.
    Error {
        fingerprint: Option<String>,
        read_at: Option<i64>,
        problem: Problem,
    },
    /// A write the plan holds back on purpose: `wanted` is what it would do.
    Held {
        wanted: Action,
        hold: Hold,
        fingerprint: Option<String>,
        read_at: Option<i64>,
    },
}

/// Why a deletion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// A list or a detail failed to read in this run: the missing build might be in the part
    /// that could not be seen.
    ReadFailed,
    /// More deletions than `--max-deletes`.
    OverMaxDeletes,
}

/// Why a build could not be planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Its project's list or its detail failed to read; `kind` is the error's stable word.
    ReadFailed { kind: String },
    /// Another project holds the name it would be created with (names are global).
    NameHeldElsewhere { holder: String },
}

impl Problem {
    /// Whether a read failed: the delete guard refuses every deletion of the run then.
    pub fn is_read_failure(&self) -> bool {
        matches!(self, Problem::ReadFailed { .. })
    }

    /// The stable word of what went wrong (metrics, status).
    pub fn kind(&self) -> &str {
        match self {
            Problem::ReadFailed { kind } => kind,
            Problem::NameHeldElsewhere { .. } => "name_taken",
        }
    }
}

/// Why a write is held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// Drift, with `--drift report`: reported, never written.
    DriftReported,
    /// Its last writes failed; it is retried once its backoff has passed.
    BackingOff,
}

/// Why a step is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The files say something new: a new file, or an edit (the marker's fingerprint, or what
    /// an earlier pass saw, differs from the files').
    FileChanged,
    /// Changed in Zadig since it was last in sync, while its file did not change.
    Drift,
    /// Deleted in Zadig since it was last seen in sync, while its file did not change: drift
    /// of kind "missing".
    MissingInZadig,
    /// Not written by zadig-sync yet (no marker, or another build's): the write adopts it.
    Adoption,
    /// In Zadig, in no file.
    NotInFiles,
}

impl Cause {
    /// The cause as users read it, the same as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::FileChanged => "file_changed",
            Cause::Drift => "drift",
            Cause::MissingInZadig => "missing_in_zadig",
            Cause::Adoption => "adoption",
            Cause::NotInFiles => "not_in_files",
        }
    }

    /// Drift of either kind: made in Zadig, not in the files.
    pub fn is_drift(self) -> bool {
        matches!(self, Cause::Drift | Cause::MissingInZadig)
    }
}

impl Planned {
    /// The action, as shown and counted.
    pub fn action(&self) -> Action {
        match self {
            Planned::Create { .. } => Action::Create,
            Planned::Update { .. } => Action::Update,
            Planned::Replace { .. } => Action::Replace,
            Planned::Delete { .. } => Action::Delete,
            Planned::Unchanged { .. } => Action::Unchanged,
            Planned::Kept { .. } => Action::Kept,
            Planned::Refused { .. } => Action::Refused,
            Planned::Error { .. } => Action::Error,
            Planned::Held { .. } => Action::Held,
        }
    }

    /// The fingerprint of the desired spec, for builds the files describe.
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Planned::Create { fingerprint, .. }
            | Planned::Update { fingerprint, .. }
            | Planned::Replace { fingerprint, .. }
            | Planned::Unchanged { fingerprint, .. } => Some(fingerprint),
            Planned::Error { fingerprint, .. } | Planned::Held { fingerprint, .. } => {
                fingerprint.as_deref()
            }
            Planned::Delete { .. } | Planned::Kept { .. } | Planned::Refused { .. } => None,
        }
    }

    /// The live build's `update_time` when the plan read it, if it exists.
    pub fn read_at(&self) -> Option<i64> {
        match self {
            Planned::Update { read_at, .. }
            | Planned::Replace { read_at, .. }
            | Planned::Delete { read_at }
            | Planned::Unchanged { read_at, .. }
            | Planned::Kept { read_at, .. }
            | Planned::Refused { read_at, .. } => Some(*read_at),
            Planned::Create { .. } => None,
            Planned::Error { read_at, .. } | Planned::Held { read_at, .. } => *read_at,
        }
    }

    /// When apply runs the step; see [`Phase`].
    pub fn phase(&self) -> Phase {
        match self {
            Planned::Create { phase, .. } => *phase,
            Planned::Delete { .. } => Phase::Deletes,
            _ => Phase::Writes,
        }
    }
}

impl Step {
    pub fn action(&self) -> Action {
        self.planned.action()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    /// Custom ⇄ template. Zadig converts a build in place through the update route of the
    /// kind it becomes (`docs/zadig-api.md` §4), so nothing is deleted and a failed conversion
    /// leaves the old build as it was; but the old kind's settings stop applying.
    Replace,
    /// Only with `--prune`, only for marked builds absent from the files. Destructive.
    Delete,
    Unchanged,
    /// In Zadig, not in the files, and not deleted (unmarked, or no `--prune`).
    Kept,
    /// A deletion that policy refused (e.g. over `--max-deletes`, or the list was partial).
    Refused,
    /// The build could not be planned (e.g. its detail failed to read); see `notes`.
    Error,
    /// A write held back on purpose (drift with `--drift report`, or a build backing off
    /// after failed writes): the daemon's plans only.
    Held,
}

impl Action {
    /// The action as users read it (text output, logs), the same as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Unchanged => "unchanged",
            Action::Kept => "kept",
            Action::Refused => "refused",
            Action::Error => "error",
            Action::Held => "held",
        }
    }

    /// Whether executing this step writes to Zadig.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Action::Create | Action::Update | Action::Replace | Action::Delete
        )
    }

    /// Whether this step destroys something that exists.
    pub fn is_destructive(self) -> bool {
        self == Action::Delete
    }
}

/// The order in which apply runs the writes of a plan, decided by the planner. Each phase
/// starts when the one before it has finished; steps within a phase run concurrently.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Creates, updates and replaces (and every step that writes nothing).
    #[default]
    Writes,
    /// Deletions, once every other write is done.
    Deletes,
    /// Creates whose name a deletion of this plan frees (a build moved between projects:
    /// Zadig's names are global). Each runs only if every deletion of its name succeeded.
    AfterDeletes,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Writes => "writes",
            Phase::Deletes => "deletes",
            Phase::AfterDeletes => "after_deletes",
        }
    }
}

/// One field that differs, by its path in the build file's terms (`advanced_settings.timeout`,
/// `parameters[TOKEN].default_value`, `repo_info[shop/billing].branch`).
/// In JSON: `{"path", "old", "new", "sensitive", "diff"?, "via"?}` (see docs/plan-output.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "FieldChangeJson", from = "FieldChangeJson")]
pub struct FieldChange {
    pub path: String,
    pub change: Change,
    /// The defaults file (`_defaults.yaml`) the desired value was written in, when the build
    /// inherits it (filled in by [`via::trace`]).
    pub via: Option<String>,
}

/// How a field differs, as shown. Never holds a secret.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Rendered values (compact JSON); `old` is `None` when the field is added, `new` when it
    /// is removed.
    Set {
        old: Option<String>,
        new: Option<String>,
    },
    /// A credential, or a value whose difference lies inside a secret: reports say
    /// `(sensitive value changed)`.
    Sensitive,
    /// Multi-line text (`build_script`): a unified diff from live to desired.
    Text { diff: String },
}

impl FieldChange {
    /// The old value shown, for a [`Change::Set`].
    pub fn old_value(&self) -> Option<&str> {
        match &self.change {
            Change::Set { old, .. } => old.as_deref(),
            Change::Sensitive | Change::Text { .. } => None,
        }
    }

    /// The new value shown, for a [`Change::Set`].
    pub fn new_value(&self) -> Option<&str> {
        match &self.change {
            Change::Set { new, .. } => new.as_deref(),
            Change::Sensitive | Change::Text { .. } => None,
        }
    }

    /// The unified diff, for a [`Change::Text`].
    pub fn diff(&self) -> Option<&str> {
        match &self.change {
            Change::Text { diff } => Some(diff),
            Change::Set { .. } | Change::Sensitive => None,
        }
    }

    pub fn is_sensitive(&self) -> bool {
        self.change == Change::Sensitive
    }
}

/// The JSON shape of a [`FieldChange`], kept from the first format version.
#[derive(Serialize, Deserialize)]
struct FieldChangeJson {
    path: String,
    old: Option<String>,
    new: Option<String>,
    sensitive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    via: Option<String>,
}

impl From<FieldChange> for FieldChangeJson {
    fn from(field: FieldChange) -> Self {
        let (old, new, sensitive, diff) = match field.change {
            Change::Set { old, new } => (old, new, false, None),
            Change::Sensitive => (None, None, true, None),
            Change::Text { diff } => (None, None, false, Some(diff)),
        };
        FieldChangeJson {
            path: field.path,
            old,
            new,
            sensitive,
            diff,
            via: field.via,
        }
    }
}

impl From<FieldChangeJson> for FieldChange {
    fn from(json: FieldChangeJson) -> Self {
        let change = match (json.sensitive, json.diff) {
            (true, _) => Change::Sensitive,
            (false, Some(diff)) => Change::Text { diff },
            (false, None) => Change::Set {
                old: json.old,
                new: json.new,
            },
        };
        FieldChange {
            path: json.path,
            change,
            via: json.via,
        }
    }
}

impl Plan {
    /// A plan with no project and no step (for a run stopped before planning).
    pub fn empty() -> Self {
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            projects: Vec::new(),
            steps: Vec::new(),
            errors: Vec::new(),
            notes: Vec::new(),
            prune: false,
        }
    }

    pub fn has_changes(&self) -> bool {
        self.steps.iter().any(|s| s.action().is_write())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.steps.iter().any(|s| s.action() == Action::Error)
    }

    /// How many steps have this action.
    pub fn count(&self, action: Action) -> usize {
        self.steps.iter().filter(|s| s.action() == action).count()
    }
}
