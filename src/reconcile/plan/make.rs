//! Policy: the desired set and the live state into a [`Plan`]. Owns the safety rules of
//! docs/architecture.md §5 (deletion is opt-in, only marked builds, never after a failed read,
//! at most `max_deletes`), ownership (builds whose marker does not name them are kept, and
//! adopted when a file names them), the order of the writes (phases), and what the plan may
//! show: every secret is redacted once, when the steps are built. Pure, no I/O.
//!
//! Each build first becomes a [`Draft`] (its action, raw differences and notes); the policies
//! that span builds (the delete guard, global names) adjust the drafts; then every step is built
//! once from its draft.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::reconcile::desired::{DesiredBuild, DesiredSet};
use crate::reconcile::diff::{Comparison, Difference, compare, compare_bodies};
use crate::reconcile::live::{LiveBuild, LiveProject};
use crate::reconcile::marker::Ownership;
use crate::reconcile::model::{DesiredCanonical, LiveCanonical};
use crate::reconcile::normalize::{from_live, from_spec};
use crate::reconcile::plan::shown::shown_change;
use crate::reconcile::plan::via;
use crate::reconcile::plan::{Action, PLAN_FORMAT_VERSION, Phase, Plan, Step};
use crate::reconcile::redact::Secrets;
use crate::reconcile::spec::{BuildKind, BuildSpec};
use crate::reconcile::unobservable::{fields_a_create_also_writes, fingerprint_only_note};

/// The note of a kept build that zadig-sync wrote and no file describes any more: `--prune`
/// would delete it. Reports show such builds even when they only count the other kept ones.
pub const PRUNABLE_NOTE: &str = "not in the files; would be deleted with --prune";

/// The choices of the user that change the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--prune`: delete marked builds that no file describes.
    pub prune: bool,
    /// `--max-deletes`: above this many deletions, refuse them all.
    pub max_deletes: usize,
}

/// One step per desired build and per live build the files do not describe. Every value of
/// `secrets` is shown as `(sensitive)` wherever it would appear.
pub fn make_plan(
    desired: &DesiredSet,
    live: &[LiveProject],
    options: &PlanOptions,
    secrets: &Secrets,
) -> Plan {
    let live_by_project: BTreeMap<&str, Listing> = live
        .iter()
        .map(|p| (p.project.as_str(), index(p)))
        .collect();
    let mut drafts: Vec<Draft> = desired
        .builds
        .iter()
        .map(|build| plan_desired(build, live_by_project.get(build.spec.project_key())))
        .collect();
    let (undescribed, errors) = plan_undescribed_builds(desired, live, options);
    drafts.extend(undescribed);
    guard_deletes(&mut drafts, !errors.is_empty(), options.max_deletes);
    check_names_free(&mut drafts, live);
    let deleted: BTreeSet<String> = drafts
        .iter()
        .filter(|d| d.action == Action::Delete)
        .map(|d| d.name.clone())
        .collect();
    let mut steps: Vec<Step> = drafts
        .into_iter()
        .map(|draft| draft.into_step(&deleted, secrets))
        .collect();
    via::trace(&mut steps, desired);
    steps.sort_by_cached_key(|s| {
        (
            !s.action.is_destructive(),
            s.project.clone(),
            s.name.clone(),
        )
    });
    let mut projects: BTreeSet<String> = live.iter().map(|p| p.project.clone()).collect();
    projects.extend(desired.projects());
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        projects: projects.into_iter().collect(),
        steps,
        errors: errors
            .iter()
            .map(|e| secrets.redact(e).into_owned())
            .collect(),
        notes: Vec::new(),
    }
}

/// A project's list, its builds by name (the first of a name, as a scan in list order finds),
/// so that matching N files to N listed builds costs N look-ups, not N × N / projects.
type Listing<'a> = Result<HashMap<&'a str, &'a LiveBuild>, ()>;

fn index(project: &LiveProject) -> Listing<'_> {
    let builds = project.listing.as_ref().map_err(|_| ())?;
    let mut by_name = HashMap::with_capacity(builds.len());
    for build in builds {
        by_name.entry(build.name.as_str()).or_insert(build);
    }
    Ok(by_name)
}

/// A step before the policies that span builds have run: raw differences, unredacted notes.
struct Draft {
    project: String,
    name: String,
    action: Action,
    kind: BuildKind,
    differences: Vec<Difference>,
    live_update_time: Option<i64>,
    desired_fingerprint: Option<String>,
    origin: Option<String>,
    notes: Vec<String>,
}

impl Draft {
    /// The step, built once: its phase, and everything it shows redacted.
    fn into_step(self, deleted: &BTreeSet<String>, secrets: &Secrets) -> Step {
        let creating = self.action == Action::Create;
        let phase = match self.action {
            Action::Delete => Phase::Deletes,
            Action::Create if deleted.contains(&self.name) => Phase::AfterDeletes,
            _ => Phase::Writes,
        };
        Step {
            changes: (self.differences.into_iter())
                .map(|difference| shown_change(difference, creating, secrets))
                .collect(),
            notes: (self.notes.iter())
                .map(|note| secrets.redact(note).into_owned())
                .collect(),
            project: self.project,
            name: self.name,
            action: self.action,
            kind: self.kind,
            phase,
            live_update_time: self.live_update_time,
            desired_fingerprint: self.desired_fingerprint,
            origin: self.origin,
        }
    }

    fn refuse(&mut self, action: Action, reason: String) {
        self.action = action;
        self.notes.push(reason);
    }
}

/// The draft of a build the files describe, from what its project's list and detail say.
fn plan_desired(build: &DesiredBuild, project: Option<&Listing>) -> Draft {
    let spec = &build.spec;
    let desired = from_spec(spec);
    let draft = |action, live_update_time, comparison: Comparison| Draft {
        project: spec.project_key().to_string(),
        name: spec.name().to_string(),
        action,
        kind: spec.kind(),
        differences: comparison.differences,
        live_update_time,
        desired_fingerprint: Some(desired.fingerprint.clone()),
        origin: Some(build.origin.to_string()),
        notes: comparison.notes,
    };
    let error = |live_update_time, note: String| {
        let notes = vec![note];
        let comparison = Comparison {
            differences: Vec::new(),
            notes,
        };
        draft(Action::Error, live_update_time, comparison)
    };
    let listed = match project {
        None => return error(None, "its project was not read from Zadig".into()),
        // The reason is in the plan's errors once; repeating it on every build of a large
        // project (a wrong token: hundreds of times) would bury it.
        Some(Err(_)) => {
            let note = "the list of its project failed to read (see the plan's errors)";
            return error(None, note.into());
        }
        Some(Ok(by_name)) => by_name.get(spec.name()).copied(),
    };
    let Some(listed) = listed else {
        return draft(Action::Create, None, fields_to_create(spec, &desired));
    };
    let time = Some(listed.update_time);
    match &listed.detail {
        Err(reason) => error(time, format!("its detail could not be read: {reason}")),
        Ok(detail) => {
            let live = from_live(detail);
            let mut comparison = compare(&live, &desired);
            let action = action_for(&live, &desired, &mut comparison);
            let note = fingerprint_only_note(spec, &comparison.differences);
            comparison.notes.extend(note);
            draft(action, time, comparison)
        }
    }
}

/// What a create will write, field by field (as `terraform plan` lists a new resource's
/// attributes): the differences from a build with nothing set, then the fields such a
/// comparison cannot see (those Zadig does not return).
fn fields_to_create(spec: &BuildSpec, desired: &DesiredCanonical) -> Comparison {
    let mut comparison = compare_bodies(&desired.build.blank_like(), &desired.build);
    comparison
        .differences
        .extend(fields_a_create_also_writes(spec));
    comparison
}

/// Update, replace or unchanged, with the notes that explain a replace or an adoption.
fn action_for(
    live: &LiveCanonical,
    desired: &DesiredCanonical,
    comparison: &mut Comparison,
) -> Action {
    let (live_kind, desired_kind) = (live.build.kind(), desired.build.kind());
    if live_kind != desired_kind {
        comparison.notes.push(format!(
            "the {} build is converted into a {} build in place (Zadig's update route for \
             the new kind); its {} settings stop applying",
            live_kind.as_str(),
            desired_kind.as_str(),
            live_kind.as_str()
        ));
        return Action::Replace;
    }
    if comparison.differences.is_empty() {
        return Action::Unchanged;
    }
    if live_kind == BuildKind::Custom {
        comparison.notes.extend(adoption_note(&live.ownership));
    }
    Action::Update
}

/// Why a build the files name is not ours yet: no marker, or another build's.
fn adoption_note(ownership: &Ownership) -> Option<String> {
    match ownership {
        Ownership::Ours { .. } => None,
        Ownership::Unmarked => Some(
            "adopted: this build was not written by zadig-sync (no marker); \
             the update adds the marker, and from then on zadig-sync owns it"
                .into(),
        ),
        Ownership::Foreign { owner } => Some(format!(
            "adopted: the marker belongs to {owner}, not to this build (its script was \
             copied); the update rewrites the marker, and from then on zadig-sync owns it"
        )),
    }
}

/// A draft per listed build no file describes, and an error per project whose list failed.
fn plan_undescribed_builds(
    desired: &DesiredSet,
    live: &[LiveProject],
    options: &PlanOptions,
) -> (Vec<Draft>, Vec<String>) {
    let described: BTreeSet<(&str, &str)> = desired
        .builds
        .iter()
        .map(|b| (b.spec.project_key(), b.spec.name()))
        .collect();
    let (mut drafts, mut errors) = (Vec::new(), Vec::new());
    for project in live {
        match &project.listing {
            Ok(builds) => drafts.extend(
                builds
                    .iter()
                    .filter(|b| !described.contains(&(project.project.as_str(), b.name.as_str())))
                    .map(|b| plan_undescribed(&project.project, b, options)),
            ),
            Err(reason) => errors.push(format!(
                "project {}: the list of builds could not be read ({reason}); \
                 nothing is deleted in this run",
                project.project
            )),
        }
    }
    (drafts, errors)
}

/// A live build no file describes: a deletion candidate only when it is ours (marked).
fn plan_undescribed(project: &str, build: &LiveBuild, options: &PlanOptions) -> Draft {
    let (action, kind, note) = match &build.detail {
        Err(reason) => (
            Action::Error,
            BuildKind::Custom,
            format!("its detail could not be read: {reason}"),
        ),
        Ok(detail) => {
            let live = from_live(detail);
            let (action, note) = undescribed_policy(&live, options.prune);
            (action, live.build.kind(), note)
        }
    };
    Draft {
        project: project.to_string(),
        name: build.name.clone(),
        action,
        kind,
        differences: Vec::new(),
        live_update_time: Some(build.update_time),
        desired_fingerprint: None,
        origin: None,
        notes: vec![note],
    }
}

/// Delete or keep a build no file describes, and why.
fn undescribed_policy(live: &LiveCanonical, prune: bool) -> (Action, String) {
    if live.build.kind() == BuildKind::Template {
        let note = "not in the files; template builds carry no marker, so zadig-sync does not \
                    prune them";
        return (Action::Kept, note.into());
    }
    match (&live.ownership, prune) {
        (Ownership::Unmarked, _) => (
            Action::Kept,
            "not in the files; not written by zadig-sync (no marker), so it is never deleted"
                .into(),
        ),
        (Ownership::Foreign { owner }, _) => (
            Action::Kept,
            format!(
                "not in the files; the marker belongs to {owner}, not to this build (its \
                 script was copied), so it is not zadig-sync's and is never deleted"
            ),
        ),
        (Ownership::Ours { .. }, false) => (Action::Kept, PRUNABLE_NOTE.into()),
        (Ownership::Ours { .. }, true) => (
            Action::Delete,
            "not in the files; written by zadig-sync (marked)".into(),
        ),
    }
}

/// Zadig's build names are global: a create fails while another project holds the name. When
/// this plan deletes that build (a build moved between projects), apply deletes it first;
/// otherwise the create is an error now rather than a failure later.
fn check_names_free(drafts: &mut [Draft], live: &[LiveProject]) {
    let deleted: BTreeSet<(String, String)> = drafts
        .iter()
        .filter(|d| d.action == Action::Delete)
        .map(|d| (d.project.clone(), d.name.clone()))
        .collect();
    let holders = holders_by_name(live);
    for draft in drafts.iter_mut().filter(|d| d.action == Action::Create) {
        let found = holders.get(draft.name.as_str()).into_iter().flatten();
        let others: Vec<&str> = found.copied().filter(|&h| h != draft.project).collect();
        for holder in others {
            if deleted.contains(&(holder.to_string(), draft.name.clone())) {
                draft.notes.push(format!(
                    "moved from project {holder}: the build there is deleted first, since \
                     build names are global in Zadig"
                ));
            } else {
                let reason = format!(
                    "project {holder} already has a build named {}, and build names are \
                     global in Zadig; if it moved here, run with --prune so the old one is \
                     deleted first, otherwise rename one of them",
                    draft.name
                );
                draft.refuse(Action::Error, reason);
            }
        }
    }
}

/// For each build name, the managed projects whose list holds it (each once, in list order).
fn holders_by_name(live: &[LiveProject]) -> HashMap<&str, Vec<&str>> {
    let mut holders: HashMap<&str, Vec<&str>> = HashMap::new();
    for project in live {
        for build in project.listing.iter().flatten() {
            let projects = holders.entry(build.name.as_str()).or_default();
            if projects.last() != Some(&project.project.as_str()) {
                projects.push(project.project.as_str());
            }
        }
    }
    holders
}

/// No deletion after any failed read (the missing build might be in the files' view of a list we
/// could not see), and none at all when there are more than `max_deletes`.
fn guard_deletes(drafts: &mut [Draft], list_failed: bool, max_deletes: usize) {
    let detail_failed = drafts.iter().any(|d| d.action == Action::Error);
    let deletes = drafts.iter().filter(|d| d.action == Action::Delete).count();
    let reason = if list_failed || detail_failed {
        "refused: a list or a detail failed to read in this run, so nothing is deleted".to_string()
    } else if deletes > max_deletes {
        let counted = if deletes == 1 {
            "1 deletion exceeds".to_string()
        } else {
            format!("{deletes} deletions exceed")
        };
        format!(
            "refused: {counted} --max-deletes {max_deletes}; \
             run with --max-deletes {deletes} to allow them"
        )
    } else {
        return;
    };
    for draft in drafts.iter_mut().filter(|d| d.action == Action::Delete) {
        draft.refuse(Action::Refused, reason.clone());
    }
}
