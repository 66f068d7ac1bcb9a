//! The plan: what one pass would do to each build, with the reasons, as a serialisable value
//! that leaves `apply` no decision to make. The types live here; `make_plan` (policy: prune,
//! ownership, the delete guard, partial lists) turns canonical pairs into a plan. Pure.

use serde::{Deserialize, Serialize};

use crate::reconcile::spec::BuildKind;

pub mod make;
pub mod shown;
pub mod via;

pub use make::{PlanOptions, make_plan};

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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub project: String,
    pub name: String,
    pub action: Action,
    /// The kind the files want (create, update, replace, unchanged) or the live kind (delete, kept).
    pub kind: BuildKind,
    /// Field-level changes, for updates and replaces.
    pub changes: Vec<FieldChange>,
    /// When apply runs the step; see [`Phase`].
    pub phase: Phase,
    /// `update_time` of the live build when it was read; `apply` refuses the step if it moved.
    /// Required for update, replace and delete: apply refuses such a step without it.
    pub live_update_time: Option<i64>,
    /// Fingerprint of the desired spec (none for delete and kept): `apply --plan` refuses a
    /// saved plan whose fingerprints the files no longer produce.
    pub desired_fingerprint: Option<String>,
    /// `path:line:column` of the build's document, when the files describe it.
    pub origin: Option<String>,
    /// Why a step is an error or a refusal, or a note on it (e.g. a template input Zadig drops).
    pub notes: Vec<String>,
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
        }
    }

    /// Whether this step needs the `update_time` the plan read, to refuse it when the build
    /// changed in Zadig since (every write to a build that exists).
    pub fn needs_live_update_time(self) -> bool {
        matches!(self, Action::Update | Action::Replace | Action::Delete)
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
        }
    }

    pub fn has_changes(&self) -> bool {
        self.steps.iter().any(|s| s.action.is_write())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.steps.iter().any(|s| s.action == Action::Error)
    }
}
