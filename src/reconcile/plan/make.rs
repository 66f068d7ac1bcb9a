//! Policy: the desired set and the live state into a [`Plan`]. Owns the safety rules of
//! docs/architecture.md §5 (deletion is opt-in, only marked builds, never after a failed read,
//! at most `max_deletes`), ownership (builds whose marker does not name them are kept, and
//! adopted when a file names them), why each step is planned (a change of the files, drift,
//! an adoption), what is held back (drift with `--drift report`, builds backing off), the
//! order of the writes (phases), and what the plan may show: every secret is redacted once,
//! when the steps are built. Pure, no I/O.
//!
//! Each build first becomes a [`Draft`] (what it plans, its raw differences and notes); the
//! policies that span builds (the delete guard, global names, holds) adjust the drafts; then
//! every step is built once from its draft.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::reconcile::BuildId;
use crate::reconcile::desired::{DesiredBuild, DesiredSet};
use crate::reconcile::diff::{Comparison, Difference, compare, compare_bodies};
use crate::reconcile::live::{LiveBuild, LiveProject};
use crate::reconcile::marker::Ownership;
use crate::reconcile::model::{DesiredCanonical, LiveCanonical};
use crate::reconcile::normalize::{from_live, from_spec};
use crate::reconcile::plan::shown::shown_change;
use crate::reconcile::plan::via;
use crate::reconcile::plan::{
    Action, Cause, Hold, PLAN_FORMAT_VERSION, Phase, Plan, Planned, Problem, Refusal, Step,
};
use crate::reconcile::redact::Secrets;
use crate::reconcile::spec::{BuildKind, BuildSpec};
use crate::reconcile::unobservable::{fields_a_create_also_writes, fingerprint_only_note};

/// The note of a kept build that zadig-sync wrote and no file describes any more: `--prune`
/// would delete it.
pub const PRUNABLE_NOTE: &str = "not in the files; would be deleted with --prune";

/// The choices of the user that change the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// `--prune`: delete marked builds that no file describes.
    pub prune: bool,
    /// `--max-deletes`: above this many deletions, refuse them all.
    pub max_deletes: usize,
    /// What to do with drift: write the files' version back, or only report it.
    pub drift: DriftPolicy,
}

/// `daemon --drift`: what to do with a build changed (or deleted) in Zadig while its file did
/// not change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DriftPolicy {
    /// Write the files' version back.
    #[default]
    Correct,
    /// Report it; write nothing to that build.
    Report,
}

/// What earlier passes knew of each build: the daemon's states. `plan` and `apply` have none
/// ([`NoHistory`]).
pub trait History {
    /// The fingerprint of the files' spec this build was last seen in sync with. Template
    /// builds carry no marker saying what they were written with, and a build deleted in
    /// Zadig carries nothing at all: only this tells drift from a change of the files then.
    fn synced_with(&self, build: &BuildId) -> Option<&str>;
    /// Whether this build's writes are held back in this pass (it is backing off).
    fn backing_off(&self, build: &BuildId) -> bool;
}

/// No earlier pass: every difference is taken at face value.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHistory;

impl History for NoHistory {
    fn synced_with(&self, _: &BuildId) -> Option<&str> {
        None
    }

    fn backing_off(&self, _: &BuildId) -> bool {
        false
    }
}

/// One step per desired build and per live build the files do not describe. Every value of
/// `secrets` is shown as `(sensitive)` wherever it would appear.
pub fn make_plan(
    desired: &DesiredSet,
    live: &[LiveProject],
    options: &PlanOptions,
    history: &dyn History,
    secrets: &Secrets,
) -> Plan {
    let live_by_project: BTreeMap<&str, Listing> = live
        .iter()
        .map(|p| (p.project.as_str(), index(p)))
        .collect();
    let mut drafts: Vec<Draft> = desired
        .builds
        .iter()
        .map(|build| {
            let listing = live_by_project.get(build.spec.project_key());
            plan_desired(build, listing, history)
        })
        .collect();
    let (undescribed, errors) = plan_undescribed_builds(desired, live, options);
    drafts.extend(undescribed);
    hold_back(&mut drafts, options.drift, history);
    guard_deletes(&mut drafts, !errors.is_empty(), options.max_deletes);
    check_names_free(&mut drafts, live);
    let deleted: BTreeSet<String> = drafts
        .iter()
        .filter(|d| d.planned.action() == Action::Delete)
        .map(|d| d.build.name.clone())
        .collect();
    let mut steps: Vec<Step> = drafts
        .into_iter()
        .map(|draft| draft.into_step(&deleted, secrets))
        .collect();
    via::trace(&mut steps, desired);
    steps.sort_by(|a, b| {
        let destructive = |s: &Step| !s.action().is_destructive();
        (destructive(a), &a.build).cmp(&(destructive(b), &b.build))
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
        prune: options.prune,
    }
}

/// A project's list, its builds by name (the first of a name, as a scan in list order finds),
/// so that matching N files to N listed builds costs N look-ups, not N × N / projects.
type Listing<'a> = Result<HashMap<&'a str, &'a LiveBuild>, &'a str>;

fn index(project: &LiveProject) -> Listing<'_> {
    let builds = project
        .listing
        .as_ref()
        .map_err(|failure| failure.kind.as_str())?;
    let mut by_name = HashMap::with_capacity(builds.len());
    for build in builds {
        by_name.entry(build.name.as_str()).or_insert(build);
    }
    Ok(by_name)
}

/// A step before the policies that span builds have run: raw differences, unredacted notes.
struct Draft {
    build: BuildId,
    kind: BuildKind,
    planned: Planned,
    cause: Option<Cause>,
    differences: Vec<Difference>,
    origin: Option<String>,
    notes: Vec<String>,
    updated_by: Option<String>,
}

impl Draft {
    /// The step, built once: the phase of a create, and everything it shows redacted.
    fn into_step(self, deleted: &BTreeSet<String>, secrets: &Secrets) -> Step {
        let creating = self.planned.action() == Action::Create;
        let planned = match self.planned {
            Planned::Create { fingerprint, .. } if deleted.contains(&self.build.name) => {
                Planned::Create {
                    fingerprint,
                    phase: Phase::AfterDeletes,
                }
            }
            planned => planned,
        };
        Step {
            changes: (self.differences.into_iter())
                .map(|difference| shown_change(difference, creating, secrets))
                .collect(),
            notes: (self.notes.iter())
                .map(|note| secrets.redact(note).into_owned())
                .collect(),
            build: self.build,
            kind: self.kind,
            planned,
            cause: self.cause,
            origin: self.origin,
            updated_by: self.updated_by,
        }
    }

    fn note(&mut self, note: String) {
        self.notes.push(note);
    }
}

/// The draft of a build the files describe, from what its project's list and detail say.
fn plan_desired(build: &DesiredBuild, project: Option<&Listing>, history: &dyn History) -> Draft {
    let spec = &build.spec;
    let desired = from_spec(spec);
    let id = BuildId::new(spec.project_key(), spec.name());
    let fingerprint = &desired.fingerprint;
    let mut draft = Draft {
        kind: spec.kind(),
        // Replaced below; a value that costs no allocation meanwhile.
        planned: Planned::Kept {
            read_at: 0,
            prunable: false,
        },
        cause: None,
        differences: Vec::new(),
        origin: Some(build.origin.to_string()),
        notes: Vec::new(),
        updated_by: None,
        build: id,
    };
    let unreadable = |kind: &str| Planned::Error {
        fingerprint: Some(fingerprint.clone()),
        read_at: None,
        problem: Problem::ReadFailed { kind: kind.into() },
    };
    let listed = match project {
        None => {
            draft.planned = unreadable("not_read");
            draft.note("its project was not read from Zadig".into());
            return draft;
        }
        // The reason is in the plan's errors once; repeating it on every build of a large
        // project (a wrong token: hundreds of times) would bury it.
        Some(Err(kind)) => {
            draft.planned = unreadable(kind);
            draft.note("the list of its project failed to read (see the plan's errors)".into());
            return draft;
        }
        Some(Ok(by_name)) => by_name.get(spec.name()).copied(),
    };
    let Some(listed) = listed else {
        plan_create(&mut draft, spec, &desired, history);
        return draft;
    };
    match &listed.detail {
        Err(failure) => {
            draft.planned = Planned::Error {
                fingerprint: Some(fingerprint.clone()),
                read_at: Some(listed.update_time),
                problem: Problem::ReadFailed {
                    kind: failure.kind.clone(),
                },
            };
            draft.note(format!("its detail could not be read: {failure}"));
        }
        Ok(detail) => {
            draft.updated_by = Some(detail.base().update_by.clone());
            let live = from_live(detail);
            let comparison = compare(&live, &desired);
            plan_existing(&mut draft, &live, &desired, comparison, listed.update_time);
            if draft.planned.action() == Action::Update {
                let synced = history.synced_with(&draft.build);
                draft.cause = update_cause(&live, fingerprint, synced);
                if draft.cause == Some(Cause::Adoption) {
                    draft.notes.extend(adoption_note(&live.ownership));
                }
            }
            let note = fingerprint_only_note(spec, &draft.differences);
            draft.notes.extend(note);
        }
    }
    draft
}

/// A build the files describe and Zadig does not have: new in the files, or deleted in Zadig
/// since an earlier pass saw it in sync with these very files (drift of kind "missing").
fn plan_create(
    draft: &mut Draft,
    spec: &BuildSpec,
    desired: &DesiredCanonical,
    history: &dyn History,
) {
    let fingerprint = desired.fingerprint.clone();
    draft.cause = Some(if history.synced_with(&draft.build) == Some(&fingerprint) {
        draft.note("deleted in Zadig; the files still describe it".into());
        Cause::MissingInZadig
    } else {
        Cause::FileChanged
    });
    draft.planned = Planned::Create {
        fingerprint,
        phase: Phase::Writes,
    };
    let comparison = fields_to_create(spec, desired);
    draft.differences = comparison.differences;
    draft.notes.extend(comparison.notes);
}

/// Update, replace or unchanged, with the notes that explain a replace.
fn plan_existing(
    draft: &mut Draft,
    live: &LiveCanonical,
    desired: &DesiredCanonical,
    comparison: Comparison,
    read_at: i64,
) {
    let fingerprint = desired.fingerprint.clone();
    let (live_kind, desired_kind) = (live.build.kind(), desired.build.kind());
    draft.differences = comparison.differences;
    draft.notes.extend(comparison.notes);
    draft.planned = if live_kind != desired_kind {
        draft.note(format!(
            "the {} build is converted into a {} build in place (Zadig's update route for \
             the new kind); its {} settings stop applying",
            live_kind.as_str(),
            desired_kind.as_str(),
            live_kind.as_str()
        ));
        draft.cause = Some(Cause::FileChanged);
        Planned::Replace {
            fingerprint,
            read_at,
        }
    } else if draft.differences.is_empty() {
        Planned::Unchanged {
            fingerprint,
            read_at,
        }
    } else {
        Planned::Update {
            fingerprint,
            read_at,
        }
    };
}

/// Why a build that differs from its file is updated. A custom build's marker says which
/// spec it was written from: the files' own means the difference was made in Zadig. Without
/// a marker (a template build, or a marker line removed in Zadig), what an earlier pass saw
/// in sync tells the same; with neither, a custom build is being adopted and a template
/// build's cause is unknown.
fn update_cause(live: &LiveCanonical, fingerprint: &str, synced: Option<&str>) -> Option<Cause> {
    let drift = || (synced == Some(fingerprint)).then_some(Cause::Drift);
    match &live.ownership {
        Ownership::Ours {
            fingerprint: written,
        } if written == fingerprint => Some(Cause::Drift),
        Ownership::Ours { .. } => Some(Cause::FileChanged),
        _ if live.build.kind() == BuildKind::Template => {
            drift().or_else(|| synced.is_some().then_some(Cause::FileChanged))
        }
        _ => drift().or(Some(Cause::Adoption)),
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
            Err(failure) => errors.push(format!(
                "project {}: the list of builds could not be read ({failure}); \
                 nothing is deleted in this run",
                project.project
            )),
        }
    }
    (drafts, errors)
}

/// A live build no file describes: a deletion candidate only when it is ours (marked).
fn plan_undescribed(project: &str, build: &LiveBuild, options: &PlanOptions) -> Draft {
    let read_at = build.update_time;
    let mut draft = Draft {
        build: BuildId::new(project, &build.name),
        kind: BuildKind::Custom,
        planned: Planned::Kept {
            read_at,
            prunable: false,
        },
        cause: Some(Cause::NotInFiles),
        differences: Vec::new(),
        origin: None,
        notes: Vec::new(),
        updated_by: None,
    };
    match &build.detail {
        Err(failure) => {
            draft.planned = Planned::Error {
                fingerprint: None,
                read_at: Some(read_at),
                problem: Problem::ReadFailed {
                    kind: failure.kind.clone(),
                },
            };
            draft.note(format!("its detail could not be read: {failure}"));
        }
        Ok(detail) => {
            let live = from_live(detail);
            let (planned, note) = undescribed_policy(&live, options.prune, read_at);
            draft.kind = live.build.kind();
            draft.updated_by = Some(detail.base().update_by.clone());
            draft.planned = planned;
            draft.note(note);
        }
    }
    draft
}

/// Delete or keep a build no file describes, and why.
fn undescribed_policy(live: &LiveCanonical, prune: bool, read_at: i64) -> (Planned, String) {
    let kept = |prunable| Planned::Kept { read_at, prunable };
    if live.build.kind() == BuildKind::Template {
        let note = "not in the files; template builds carry no marker, so zadig-sync does not \
                    prune them";
        return (kept(false), note.into());
    }
    match (&live.ownership, prune) {
        (Ownership::Unmarked, _) => (
            kept(false),
            "not in the files; not written by zadig-sync (no marker), so it is never deleted"
                .into(),
        ),
        (Ownership::Foreign { owner }, _) => (
            kept(false),
            format!(
                "not in the files; the marker belongs to {owner}, not to this build (its \
                 script was copied), so it is not zadig-sync's and is never deleted"
            ),
        ),
        (Ownership::Ours { .. }, false) => (kept(true), PRUNABLE_NOTE.into()),
        (Ownership::Ours { .. }, true) => (
            Planned::Delete { read_at },
            "not in the files; written by zadig-sync (marked)".into(),
        ),
    }
}

/// Writes held back on purpose: drift with `--drift report` (reported, never written), and
/// the writes of builds backing off after failures (retried once their backoff has passed).
fn hold_back(drafts: &mut [Draft], drift: DriftPolicy, history: &dyn History) {
    for draft in drafts.iter_mut() {
        let wanted = draft.planned.action();
        if !wanted.is_write() {
            continue;
        }
        let reported = drift == DriftPolicy::Report && draft.cause.is_some_and(Cause::is_drift);
        let hold = if reported {
            Hold::DriftReported
        } else if history.backing_off(&draft.build) {
            Hold::BackingOff
        } else {
            continue;
        };
        draft.planned = Planned::Held {
            wanted,
            hold,
            fingerprint: draft.planned.fingerprint().map(str::to_string),
            read_at: draft.planned.read_at(),
        };
    }
}

/// Zadig's build names are global: a create fails while another project holds the name. When
/// this plan deletes that build (a build moved between projects), apply deletes it first;
/// otherwise the create is an error now rather than a failure later.
fn check_names_free(drafts: &mut [Draft], live: &[LiveProject]) {
    let deleted: BTreeSet<BuildId> = drafts
        .iter()
        .filter(|d| d.planned.action() == Action::Delete)
        .map(|d| d.build.clone())
        .collect();
    let holders = holders_by_name(live);
    for draft in drafts.iter_mut() {
        let Planned::Create { fingerprint, .. } = &draft.planned else {
            continue;
        };
        let fingerprint = fingerprint.clone();
        let found = holders.get(draft.build.name.as_str()).into_iter().flatten();
        let others: Vec<&str> = found
            .copied()
            .filter(|&h| h != draft.build.project)
            .collect();
        for holder in others {
            if deleted.contains(&BuildId::new(holder, &draft.build.name)) {
                draft.note(format!(
                    "moved from project {holder}: the build there is deleted first, since \
                     build names are global in Zadig"
                ));
            } else {
                draft.note(format!(
                    "project {holder} already has a build named {}, and build names are \
                     global in Zadig; if it moved here, run with --prune so the old one is \
                     deleted first, otherwise rename one of them",
                    draft.build.name
                ));
                draft.planned = Planned::Error {
                    fingerprint: Some(fingerprint.clone()),
                    read_at: None,
                    problem: Problem::NameHeldElsewhere {
                        holder: holder.to_string(),
                    },
                };
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

/// No deletion after any failed read (the missing build might be in the part of a list that
/// could not be seen), and none at all when there are more than `max_deletes`.
fn guard_deletes(drafts: &mut [Draft], list_failed: bool, max_deletes: usize) {
    let read_failed = drafts
        .iter()
        .any(|d| matches!(&d.planned, Planned::Error { problem, .. } if problem.is_read_failure()));
    let deletes = drafts
        .iter()
        .filter(|d| d.planned.action() == Action::Delete)
        .count();
    let (refusal, reason) = if list_failed || read_failed {
        let reason =
            "refused: a list or a detail failed to read in this run, so nothing is deleted";
        (Refusal::ReadFailed, reason.to_string())
    } else if deletes > max_deletes {
        let counted = if deletes == 1 {
            "1 deletion exceeds".to_string()
        } else {
            format!("{deletes} deletions exceed")
        };
        let reason = format!(
            "refused: {counted} --max-deletes {max_deletes}; \
             run with --max-deletes {deletes} to allow them"
        );
        (Refusal::OverMaxDeletes, reason)
    } else {
        return;
    };
    for draft in drafts.iter_mut() {
        if let Planned::Delete { read_at } = draft.planned {
            draft.planned = Planned::Refused { read_at, refusal };
            draft.note(reason.clone());
        }
    }
}
