//! With `--drift report`: for each build changed in Zadig and left so, the patch that would
//! take the change into its file (what `zadig-sync pull --build NAME` writes), for the status
//! API and page. Made by `src/pull/` exactly as the command makes it, the files read from the
//! pass's folder and named from the repository's root (with `--git`, the checkout stands for
//! `--git-path`). Reads files.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::pull::{PatchRoot, PullRequest, pull};
use crate::reconcile::BuildId;
use crate::reconcile::desired::DesiredSet;
use crate::reconcile::live::LiveProject;
use crate::reconcile::plan::{Hold, Plan, Planned};
use crate::reconcile::pull::command::pull_command;
use crate::reconcile::pull::outcome::{BuildOutcome, Outcome};
use crate::reconcile::redact::Secrets;

/// How a drifted build is taken into its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftPull {
    /// `zadig-sync pull --build NAME`.
    pub command: String,
    /// The unified diff `pull` would write (`git apply` takes it); empty when nothing can be.
    pub patch: String,
    /// Each field (or the whole build) that cannot be pulled, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_pulled: Vec<String>,
}

/// The files of a pass and the plan made from them.
pub struct DriftInputs<'a> {
    pub dir: &'a Path,
    pub root: &'a PatchRoot,
    pub desired: &'a DesiredSet,
    pub plan: &'a Plan,
    pub live: &'a [LiveProject],
    pub secrets: &'a Secrets,
}

/// The pull of every build whose drift this plan holds back (none when there is none, and
/// the files are then not read).
pub fn drift_pulls(inputs: &DriftInputs<'_>) -> BTreeMap<BuildId, DriftPull> {
    let held = |planned: &Planned| {
        matches!(
            planned,
            Planned::Held {
                hold: Hold::DriftReported,
                ..
            }
        )
    };
    if !inputs.plan.steps.iter().any(|step| held(&step.planned)) {
        return BTreeMap::new();
    }
    let request = PullRequest {
        dir: inputs.dir,
        desired: inputs.desired,
        plan: inputs.plan,
        live: inputs.live,
        builds: &[],
        override_defaults: false,
        secrets: inputs.secrets,
    };
    let report = pull(&request);
    // A build deleted in Zadig (left) has nothing to pull: pull deletes no file.
    (report.builds.into_iter())
        .filter(|build| !matches!(build.result, Outcome::Left(_)))
        .map(|build| {
            let pull = drift_pull(&build, inputs.root, inputs.secrets);
            (build.build, pull)
        })
        .collect()
}

/// The command, patch and fields left of one build's pull.
fn drift_pull(build: &BuildOutcome, root: &PatchRoot, secrets: &Secrets) -> DriftPull {
    let (patch, not_pulled) = match &build.result {
        Outcome::Pulled {
            changes, skipped, ..
        } => {
            let lines = skipped.iter().map(|s| format!("{}: {}", s.path, s.why));
            (root.patch(changes), lines.collect())
        }
        Outcome::Left(why) | Outcome::Failed(why) => (String::new(), vec![why.clone()]),
    };
    let mut pull = DriftPull {
        command: pull_command(&build.build.name),
        patch,
        not_pulled,
    };
    secrets.redact_all(&mut pull.not_pulled);
    // A patch cannot be shown in part: one that would show a secret is not shown at all.
    if secrets.redact(&pull.patch) != pull.patch.as_str() {
        pull.patch.clear();
        pull.not_pulled.push(
            "the patch would show a secret, so it is not shown; run the command where the \
             files are"
                .into(),
        );
    }
    pull
}
