//! Plans saved by `plan --out` and executed by `apply --plan`: the plan, the server it was
//! made against, and the checks that refuse a saved plan whole when it no longer holds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::reconcile::desired::DesiredSet;
use crate::reconcile::marker::fingerprint;
use crate::reconcile::plan::saved::{Guards, refusals, unplanned};
use crate::reconcile::plan::{PLAN_FORMAT_VERSION, Plan};
use crate::session::connection::server_name;
use crate::session::plan::managed_projects;
use crate::session::{Loaded, Settings};

use super::pipeline::Planned;

/// The largest saved plan read (`apply --plan`, `show`): a plan creating 10,000 builds takes
/// about 15 MiB.
pub const MAX_SAVED_PLAN_BYTES: u64 = 64 * crate::fsio::MIB;

/// The file `plan --out` writes. `plan` is the same document `plan --output json` prints.
#[derive(Debug, Deserialize)]
pub struct SavedPlan {
    /// The Zadig server the plan was made against (`emulator` for `--emulator`).
    pub server: String,
    pub plan: Plan,
}

impl SavedPlan {
    /// Saves `plan`, made against `server`, without copying it.
    pub fn write(path: &Path, server: &str, plan: &Plan) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(&serde_json::json!({
            "server": server,
            "plan": plan,
        }))?;
        crate::fsio::write_atomically(path, json.as_bytes(), crate::fsio::Readers::Owner)
            .with_context(|| format!("saving the plan to {}", path.display()))
    }

    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = crate::fsio::read_text(path, MAX_SAVED_PLAN_BYTES)
            .with_context(|| format!("reading the saved plan {}", path.display()))?;
        let saved: SavedPlan = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a plan saved by `zadig-sync plan --out`",
                path.display()
            )
        })?;
        if saved.plan.format_version != PLAN_FORMAT_VERSION {
            bail!(
                "{} has plan format {}, this zadig-sync reads format {PLAN_FORMAT_VERSION}: \
                 make the plan again",
                path.display(),
                saved.plan.format_version
            );
        }
        Ok(saved)
    }

    /// A saved plan is input from outside: it runs only against the server it was made for,
    /// and every step must be one a fresh plan could make from the files, the scope and the
    /// flags as they are now, or nothing runs. Checked before Zadig is read.
    pub fn ensure_guards_hold(
        &self,
        loaded: &Loaded,
        settings: &Settings,
        path: &Path,
    ) -> anyhow::Result<()> {
        let server = server_name(settings).unwrap_or_default();
        if self.server != server {
            bail!(
                "{} was made against {}, not {server}; nothing was applied. Make the plan against \
                 this server.",
                path.display(),
                self.server
            );
        }
        let managed = managed_projects(loaded, &[])?;
        let guards = Guards {
            desired: &loaded.desired,
            managed: &managed,
            max_deletes: settings.max_deletes,
        };
        let refused = refusals(&self.plan, &guards);
        if refused.is_empty() {
            return Ok(());
        }
        bail!(
            "nothing was applied: {} holds what the files, the scope and the flags would not \
             plan now ({}); make the plan again",
            path.display(),
            refused.join("; ")
        )
    }

    /// A saved plan is executed only if the files still say exactly what they said then
    /// (same builds, same fingerprints), and a plan made now (`fresh`, from the same files,
    /// projects and `--prune`) holds each of its writes.
    pub fn ensure_still_valid(&self, fresh: &Planned, path: &Path) -> anyhow::Result<()> {
        let changed = builds_changed_since(&self.plan, &fresh.desired);
        if !changed.is_empty() {
            bail!(
                "the files no longer produce the plan in {} (changed since: {}); nothing was \
                 applied. Run plan again.",
                path.display(),
                changed.join(", ")
            );
        }
        let unplanned = unplanned(&self.plan, &fresh.plan);
        if unplanned.is_empty() {
            return Ok(());
        }
        bail!(
            "nothing was applied: {} holds what a plan made now would not ({}); make the plan \
             again",
            path.display(),
            unplanned.join("; ")
        )
    }
}

/// Names of the builds whose fingerprint differs between the saved plan and the files now,
/// including builds only one side has.
fn builds_changed_since(plan: &Plan, desired: &DesiredSet) -> Vec<String> {
    let now: BTreeMap<&str, String> = desired
        .builds
        .iter()
        .map(|b| (b.spec.name(), fingerprint(&b.spec)))
        .collect();
    let then: BTreeMap<&str, String> = plan
        .steps
        .iter()
        .filter_map(|s| Some((s.build.name.as_str(), s.planned.fingerprint()?.to_string())))
        .collect();
    let names: BTreeSet<&str> = now.keys().chain(then.keys()).copied().collect();
    names
        .into_iter()
        .filter(|name| now.get(name) != then.get(name))
        .map(str::to_string)
        .collect()
}
