//! The plan: what one pass would do to each build, with the reasons, as a serialisable value
//! that leaves `apply` no decision to make. The types live here; `make_plan` (policy: prune,
//! ownership, the delete guard, partial lists) turns canonical pairs into a plan. Pure.

use serde::{Deserialize, Serialize};

use crate::reconcile::spec::BuildKind;

pub mod make;

pub use make::{PlanOptions, make_plan, managed_projects};

/// Bumped whenever the JSON shape of [`Plan`] changes incompatibly.
pub const PLAN_FORMAT_VERSION: u32 = 1;

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
    /// `update_time` of the live build when it was read; `apply` refuses the step if it moved.
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

/// One field that differs, by its path in the build file's terms (`advanced_settings.timeout`,
/// `parameters[TOKEN].default_value`, `repo_info[shop/billing].branch`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: String,
    /// Rendered old value; `None` when the field is added. Never a secret.
    pub old: Option<String>,
    /// Rendered new value; `None` when the field is removed. Never a secret.
    pub new: Option<String>,
    /// A credential: `old`/`new` are withheld and reports say `(sensitive value changed)`.
    pub sensitive: bool,
    /// For multi-line text (`build_script`): a unified diff from live to desired, in place of
    /// `old`/`new` (both `None` then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.steps.iter().any(|s| s.action.is_write())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.steps.iter().any(|s| s.action == Action::Error)
    }
}
