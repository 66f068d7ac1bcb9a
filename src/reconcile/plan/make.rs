//! Policy: the desired set and the live state into a [`Plan`]. Owns the safety rules of design
//! §5 (deletion is opt-in, only marked builds, never after a failed read, at most
//! `max_deletes`) and ownership (builds whose marker does not name them are kept, and adopted
//! when a file names them), and keeps the values of `${env:…}` references out of the plan.
//! Pure, no I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::reconcile::desired::{DesiredBuild, DesiredSet};
use crate::reconcile::diff::compare;
use crate::reconcile::live::{LiveBuild, LiveProject};
use crate::reconcile::marker::fingerprint;
use crate::reconcile::model::CanonicalBuild;
use crate::reconcile::normalize::{from_live, from_spec};
use crate::reconcile::plan::{Action, FieldChange, PLAN_FORMAT_VERSION, Plan, Step};
use crate::reconcile::redact::Redactor;
use crate::reconcile::spec::{BuildKind, BuildSpec};
use crate::reconcile::unobservable::{fields_a_create_also_writes, fingerprint_only_note};

/// The choices of the user that change the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--prune`: delete marked builds that no file describes.
    pub prune: bool,
    /// `--max-deletes`: above this many deletions, refuse them all.
    pub max_deletes: usize,
}

/// The managed projects: those named by at least one file, plus `--project` (sorted, unique).
/// Only these are listed, so only these can ever see a deletion.
pub fn managed_projects(desired: &DesiredSet, extra: &[String]) -> Vec<String> {
    let mut projects: BTreeSet<String> = desired.projects().into_iter().collect();
    projects.extend(extra.iter().cloned());
    projects.into_iter().collect()
}

/// One step per desired build and per live build the files do not describe. Every value in
/// `desired.secrets` is shown as `(sensitive)` wherever it would appear.
pub fn make_plan(desired: &DesiredSet, live: &[LiveProject], options: &PlanOptions) -> Plan {
    let live_by_project: BTreeMap<&str, &LiveProject> =
        live.iter().map(|p| (p.project.as_str(), p)).collect();
    let secrets = Secrets {
        values: &desired.secrets,
        redactor: Redactor::new(&desired.secrets),
    };
    let mut steps: Vec<Step> = desired
        .builds
        .iter()
        .map(|build| {
            let project = live_by_project.get(build.spec.project_key());
            plan_desired(build, project, &secrets)
        })
        .collect();
    let (undescribed, mut errors) = plan_undescribed_builds(desired, live, options);
    steps.extend(undescribed);
    guard_deletes(&mut steps, !errors.is_empty(), options.max_deletes);
    check_names_free(&mut steps, live);
    // Notes and errors quote Zadig's errors and the files' names: redact them all.
    for step in &mut steps {
        secrets.redactor.redact_all(&mut step.notes);
    }
    secrets.redactor.redact_all(&mut errors);
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
        errors,
        notes: Vec::new(),
    }
}

/// A step per listed build no file describes, and a warning per project whose list failed.
fn plan_undescribed_builds(
    desired: &DesiredSet,
    live: &[LiveProject],
    options: &PlanOptions,
) -> (Vec<Step>, Vec<String>) {
    let described: BTreeSet<(&str, &str)> = desired
        .builds
        .iter()
        .map(|b| (b.spec.project_key(), b.spec.name()))
        .collect();
    let (mut steps, mut errors) = (Vec::new(), Vec::new());
    for project in live {
        match &project.listing {
            Ok(builds) => steps.extend(
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
    (steps, errors)
}

/// The values of `${env:…}` references: left out of fingerprints, redacted from what is shown.
struct Secrets<'a> {
    values: &'a [String],
    redactor: Redactor,
}

fn plan_desired(
    build: &DesiredBuild,
    project: Option<&&LiveProject>,
    secrets: &Secrets<'_>,
) -> Step {
    let spec = &build.spec;
    let desired = from_spec(spec, secrets.values);
    let mut step = Step {
        project: spec.project_key().to_string(),
        name: spec.name().to_string(),
        action: Action::Error,
        kind: spec.kind(),
        changes: Vec::new(),
        live_update_time: None,
        // Computed once: the canonical custom build carries it already.
        desired_fingerprint: Some(
            desired
                .fingerprint
                .clone()
                .unwrap_or_else(|| fingerprint(spec, secrets.values)),
        ),
        origin: Some(build.origin.to_string()),
        notes: Vec::new(),
    };
    let listed = match project.map(|p| &p.listing) {
        None => return with_error(step, "its project was not read from Zadig".into()),
        // The reason is in the plan's errors once; repeating it on every build of a large
        // project (a wrong token: hundreds of times) would bury it.
        Some(Err(_)) => {
            let note = "the list of its project failed to read (the error is shown above)";
            return with_error(step, note.into());
        }
        Some(Ok(builds)) => builds.iter().find(|b| b.name == step.name),
    };
    let Some(listed) = listed else {
        step.action = Action::Create;
        step.changes = fields_to_create(spec, &desired, &secrets.redactor);
        return step;
    };
    step.live_update_time = Some(listed.update_time);
    match &listed.detail {
        Err(reason) => with_error(step, format!("its detail could not be read: {reason}")),
        Ok(detail) => {
            let mut step = compare_step(step, &desired, &from_live(detail), &secrets.redactor);
            let note = fingerprint_only_note(spec, &step.changes, &secrets.redactor);
            step.notes.extend(note);
            step
        }
    }
}

/// What a create will write, field by field (as `terraform plan` lists a new resource's
/// attributes): the changes from a build with nothing set, with no old values, then the
/// fields such a comparison cannot see (those Zadig does not return).
fn fields_to_create(
    spec: &BuildSpec,
    desired: &CanonicalBuild,
    redactor: &Redactor,
) -> Vec<FieldChange> {
    let comparison = compare(desired, &desired.blank_like(), redactor);
    let mut fields: Vec<FieldChange> = comparison
        .changes
        .into_iter()
        .map(|change| FieldChange {
            old: None,
            diff: change.diff.as_deref().map(added_lines),
            ..change
        })
        .collect();
    fields.extend(fields_a_create_also_writes(spec, redactor));
    fields
}

/// A new script's unified diff without its headers: every line an addition.
fn added_lines(diff: &str) -> String {
    diff.lines()
        .filter(|line| line.starts_with('+') && !line.starts_with("+++"))
        .map(|line| format!("{line}\n"))
        .collect()
}

fn compare_step(
    mut step: Step,
    desired: &CanonicalBuild,
    live: &CanonicalBuild,
    redactor: &Redactor,
) -> Step {
    let comparison = compare(desired, live, redactor);
    step.changes = comparison.changes;
    step.notes = comparison.notes;
    if desired.kind() != live.kind() {
        step.action = Action::Replace;
        step.notes.push(format!(
            "the {} build is converted into a {} build in place (Zadig's update route for \
             the new kind); its {} settings stop applying",
            live.kind().as_str(),
            desired.kind().as_str(),
            live.kind().as_str()
        ));
    } else if step.changes.is_empty() {
        step.action = Action::Unchanged;
    } else {
        step.action = Action::Update;
        if live.kind() == BuildKind::Custom && live.fingerprint.is_none() {
            step.notes.push(adoption_note(live));
        }
    }
    step
}

/// Why a build the files name is not ours yet: no marker, or another build's.
fn adoption_note(live: &CanonicalBuild) -> String {
    match &live.foreign_marker {
        None => "adopted: this build was not written by zadig-sync (no marker); \
                 the update adds the marker, and from then on zadig-sync owns it"
            .into(),
        Some(owner) => format!(
            "adopted: the marker belongs to {owner}, not to this build (its script was \
             copied); the update rewrites the marker, and from then on zadig-sync owns it"
        ),
    }
}

/// Zadig's build names are global: a create fails while another project holds the name. When
/// this plan deletes that build (a build moved between projects), apply deletes it first;
/// otherwise the create is an error now rather than a failure later.
fn check_names_free(steps: &mut [Step], live: &[LiveProject]) {
    let deleted: BTreeSet<(String, String)> = steps
        .iter()
        .filter(|s| s.action == Action::Delete)
        .map(|s| (s.project.clone(), s.name.clone()))
        .collect();
    for step in steps.iter_mut().filter(|s| s.action == Action::Create) {
        for holder in holders_of(&step.name, &step.project, live) {
            if deleted.contains(&(holder.to_string(), step.name.clone())) {
                step.notes.push(format!(
                    "moved from project {holder}: the build there is deleted first, since \
                     build names are global in Zadig"
                ));
            } else {
                step.action = Action::Error;
                step.notes.push(format!(
                    "project {holder} already has a build named {}, and build names are \
                     global in Zadig; if it moved here, run with --prune so the old one is \
                     deleted first, otherwise rename one of them",
                    step.name
                ));
            }
        }
    }
}

/// The other managed projects that hold a build called `name`.
fn holders_of<'a>(name: &str, project: &str, live: &'a [LiveProject]) -> Vec<&'a str> {
    live.iter()
        .filter(|p| p.project != project)
        .filter(|p| {
            p.listing
                .as_ref()
                .is_ok_and(|builds| builds.iter().any(|b| b.name == name))
        })
        .map(|p| p.project.as_str())
        .collect()
}

fn with_error(mut step: Step, reason: String) -> Step {
    step.action = Action::Error;
    step.notes.push(reason);
    step
}

/// A live build no file describes: a deletion candidate only when it is ours (marked).
fn plan_undescribed(project: &str, build: &LiveBuild, options: &PlanOptions) -> Step {
    let mut step = Step {
        project: project.to_string(),
        name: build.name.clone(),
        action: Action::Kept,
        kind: BuildKind::Custom,
        changes: Vec::new(),
        live_update_time: Some(build.update_time),
        desired_fingerprint: None,
        origin: None,
        notes: Vec::new(),
    };
    let detail = match &build.detail {
        Ok(detail) => detail,
        Err(reason) => return with_error(step, format!("its detail could not be read: {reason}")),
    };
    let live = from_live(detail);
    step.kind = live.kind();
    let note = match (live.kind(), &live.fingerprint, options.prune) {
        (BuildKind::Template, _, _) => {
            "not in the files; template builds carry no marker, so zadig-sync does not prune them"
                .to_string()
        }
        (BuildKind::Custom, None, _) => match &live.foreign_marker {
            None => "not in the files; not written by zadig-sync (no marker), so it is never \
                     deleted"
                .to_string(),
            Some(owner) => format!(
                "not in the files; the marker belongs to {owner}, not to this build (its \
                 script was copied), so it is not zadig-sync's and is never deleted"
            ),
        },
        (BuildKind::Custom, Some(_), false) => {
            "not in the files; would be deleted with --prune".to_string()
        }
        (BuildKind::Custom, Some(_), true) => {
            step.action = Action::Delete;
            "not in the files; written by zadig-sync (marked)".to_string()
        }
    };
    step.notes.push(note);
    step
}

/// No deletion after any failed read (the missing build might be in the files' view of a list we
/// could not see), and none at all when there are more than `max_deletes`.
fn guard_deletes(steps: &mut [Step], list_failed: bool, max_deletes: usize) {
    let detail_failed = steps.iter().any(|s| s.action == Action::Error);
    let deletes = steps.iter().filter(|s| s.action == Action::Delete).count();
    let reason = if list_failed || detail_failed {
        "refused: a list or a detail failed to read in this run, so nothing is deleted".to_string()
    } else if deletes > max_deletes {
        format!(
            "refused: {deletes} deletions exceed --max-deletes {max_deletes}; \
             run with --max-deletes {deletes} to allow them"
        )
    } else {
        return;
    };
    for step in steps.iter_mut().filter(|s| s.action == Action::Delete) {
        step.action = Action::Refused;
        step.notes.push(reason.clone());
    }
}
