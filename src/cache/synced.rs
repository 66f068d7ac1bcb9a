//! Which version of the files each build was last seen in sync with, kept between runs
//! (`synced-<sha256 of the URL>.json`, beside the detail cache, sealed with the same
//! token-derived keys): the history `plan`, `apply` and `pull` plan with, as the daemon plans
//! with its states.
//!
//! Custom builds carry a marker saying which files they were written from; template builds
//! carry none, and a build deleted in Zadig carries nothing at all. For those, only this
//! record tells a change made in Zadig (the files still have the fingerprint the build was in
//! sync with: drift) from an edit of the files not applied yet. Without it (`--no-cache`, a
//! new machine, a record that fails its MAC) every such difference is taken at face value, as
//! before: losing the file loses labels, never a build.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CacheError, Header, Keys, server_file};
use crate::fsio::MIB;
use crate::reconcile::BuildId;
use crate::reconcile::plan::{Action, History, Plan, Planned};

const FORMAT: &str = "zadig-sync-synced";
const VERSION: u32 = 1;
/// The largest file read: about a million builds.
const MAX_BYTES: u64 = 256 * MIB;

/// One build's record: the fingerprint of the files' spec it was last seen in sync with.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    project: String,
    name: String,
    fingerprint: String,
}

/// The records of one server, opened for a run.
#[derive(Debug)]
pub struct SyncedStore {
    path: PathBuf,
    server: String,
    keys: Keys,
    records: BTreeMap<BuildId, String>,
    /// The records as the file holds them (none when it holds nothing usable): a save that
    /// would write the same is skipped.
    on_disk: Option<BTreeMap<BuildId, String>>,
}

impl SyncedStore {
    /// Opens the records of `server` in `dir` (created when missing), keyed by `token`. The
    /// warning, when there is one, says why the file (or some records) was not used.
    pub fn open(
        dir: &Path,
        server: &str,
        token: &str,
    ) -> Result<(Self, Option<String>), CacheError> {
        let mut store = SyncedStore {
            path: server_file(dir, "synced", server)?,
            server: server.to_string(),
            keys: Keys::derive(token, server),
            records: BTreeMap::new(),
            on_disk: None,
        };
        let read = store.header().read::<Record>(&store.path, MAX_BYTES);
        let warning = match read {
            Ok((records, dropped)) => {
                store.records = (records.into_iter())
                    .map(|r| (BuildId::new(&r.project, &r.name), r.fingerprint))
                    .collect();
                store.on_disk = (dropped == 0).then(|| store.records.clone());
                (dropped > 0).then(|| {
                    format!(
                        "dropped {dropped} records of {} that failed authentication; those \
                         builds' changes are taken at face value",
                        store.path.display()
                    )
                })
            }
            Err(None) => None,
            Err(Some(reason)) => Some(format!(
                "ignoring {}: {reason}; changes of template builds are taken at face value",
                store.path.display()
            )),
        };
        Ok((store, warning))
    }

    fn header(&self) -> Header<'_> {
        Header {
            format: FORMAT,
            version: VERSION,
            server: &self.server,
            keys: &self.keys,
        }
    }

    /// What a plan showed: a build found unchanged is in sync with its fingerprint; a build
    /// no file describes, or that neither side has any more, is forgotten.
    pub fn note_plan(&mut self, plan: &Plan) {
        let mut named = BTreeSet::new();
        for step in &plan.steps {
            named.insert(&step.build);
            match &step.planned {
                Planned::Unchanged { fingerprint, .. } => {
                    self.records.insert(step.build.clone(), fingerprint.clone());
                }
                _ if step.origin.is_none() => {
                    self.records.remove(&step.build);
                }
                _ => {}
            }
        }
        // Projects whose list was read (a failed list gives its project no step at all).
        let read: BTreeSet<&str> = (plan.steps.iter())
            .map(|step| step.build.project.as_str())
            .collect();
        self.records
            .retain(|build, _| named.contains(build) || !read.contains(build.project.as_str()));
    }

    /// What apply made of a plan (`done`: the builds whose write was made and checked, or
    /// found already made): each written build is in sync with the files it was written
    /// from; a deleted one is forgotten.
    pub fn note_applied(&mut self, plan: &Plan, done: &HashSet<&BuildId>) {
        for step in plan.steps.iter().filter(|s| done.contains(&s.build)) {
            match (step.planned.action(), step.planned.fingerprint()) {
                (Action::Delete, _) => {
                    self.records.remove(&step.build);
                }
                (_, Some(fingerprint)) => {
                    self.records
                        .insert(step.build.clone(), fingerprint.to_string());
                }
                (_, None) => {}
            }
        }
    }

    /// Writes the records, unless the file holds them already; how many.
    pub fn save(&mut self) -> Result<usize, CacheError> {
        if self.on_disk.as_ref() == Some(&self.records) {
            return Ok(self.records.len());
        }
        let records: Vec<Record> = (self.records.iter())
            .map(|(build, fingerprint)| Record {
                project: build.project.clone(),
                name: build.name.clone(),
                fingerprint: fingerprint.clone(),
            })
            .collect();
        let written = self.header().write(&self.path, &records)?;
        self.on_disk = Some(self.records.clone());
        Ok(written)
    }
}

impl History for SyncedStore {
    fn synced_with(&self, build: &BuildId) -> Option<&str> {
        self.records.get(build).map(String::as_str)
    }

    /// Backing off is the daemon's; a command tries every build it is asked to.
    fn backing_off(&self, _: &BuildId) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::plan::{Cause, Step};
    use crate::reconcile::spec::BuildKind;

    const SERVER: &str = "https://zadig.example.com";
    const TOKEN: &str = "the-api-token";

    fn step(project: &str, name: &str, planned: Planned, in_files: bool) -> Step {
        Step {
            build: BuildId::new(project, name),
            kind: BuildKind::Template,
            planned,
            cause: in_files.then_some(Cause::FileChanged),
            changes: Vec::new(),
            origin: in_files.then(|| format!("builds.d/{name}.yaml:1:1")),
            notes: Vec::new(),
            updated_by: None,
        }
    }

    fn unchanged(fingerprint: &str) -> Planned {
        Planned::Unchanged {
            fingerprint: fingerprint.into(),
            read_at: 1,
        }
    }

    fn update(fingerprint: &str) -> Planned {
        Planned::Update {
            fingerprint: fingerprint.into(),
            read_at: 1,
        }
    }

    fn plan(steps: Vec<Step>) -> Plan {
        Plan {
            format_version: 1,
            projects: vec!["shop".into(), "web".into()],
            steps,
            errors: Vec::new(),
            notes: Vec::new(),
            prune: false,
        }
    }

    fn open(dir: &Path, token: &str) -> (SyncedStore, Option<String>) {
        SyncedStore::open(dir, SERVER, token).unwrap()
    }

    fn synced<'a>(store: &'a SyncedStore, project: &str, name: &str) -> Option<&'a str> {
        store.synced_with(&BuildId::new(project, name))
    }

    #[test]
    fn what_a_plan_saw_in_sync_and_apply_wrote_comes_back_in_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, warning) = open(dir.path(), TOKEN);
        assert!(warning.is_none(), "{warning:?}");
        store.note_plan(&plan(vec![
            step("shop", "api", unchanged("f-api"), true),
            step("shop", "new", update("f-new"), true),
            step("web", "site", unchanged("f-site"), true),
        ]));
        let written = plan(vec![step("shop", "new", update("f-new"), true)]);
        let new = BuildId::new("shop", "new");
        store.note_applied(&written, &HashSet::from([&new]));
        store.save().unwrap();

        let (mut store, warning) = open(dir.path(), TOKEN);
        assert!(warning.is_none(), "{warning:?}");
        // Nothing noted since: saving does not write the file again.
        let path = store.path.clone();
        let identity = || std::fs::metadata(&path).unwrap().modified().unwrap();
        let before = identity();
        std::thread::sleep(std::time::Duration::from_millis(20));
        store.save().unwrap();
        assert_eq!(identity(), before, "not written again");
        assert_eq!(synced(&store, "shop", "api"), Some("f-api"));
        assert_eq!(synced(&store, "shop", "new"), Some("f-new"));
        assert!(!store.backing_off(&new));

        // The next plan reads shop only (web's list failed): api left the files (in Zadig,
        // in no file), new is neither here nor there; web's record stays.
        let kept = Planned::Kept {
            read_at: 1,
            prunable: false,
        };
        store.note_plan(&plan(vec![step("shop", "api", kept, false)]));
        assert_eq!(synced(&store, "shop", "api"), None);
        assert_eq!(synced(&store, "shop", "new"), None);
        assert_eq!(synced(&store, "web", "site"), Some("f-site"));
    }

    #[test]
    fn a_record_edited_by_hand_or_written_with_another_token_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = open(dir.path(), TOKEN);
        store.note_plan(&plan(vec![
            step("shop", "api", unchanged("f-api"), true),
            step("shop", "web", unchanged("f-web"), true),
        ]));
        store.save().unwrap();
        let text = std::fs::read_to_string(&store.path).unwrap();
        std::fs::write(&store.path, text.replace("f-api", "f-new")).unwrap();

        let (mut store, _) = open(dir.path(), TOKEN);
        assert_eq!(synced(&store, "shop", "api"), None, "forged");
        // The file is not what the store holds (a record was dropped): it is written again.
        let forged = std::fs::read_to_string(&store.path).unwrap();
        store.save().unwrap();
        assert_ne!(std::fs::read_to_string(&store.path).unwrap(), forged);
        std::fs::write(&store.path, &forged).unwrap();
        let (store, warning) = open(dir.path(), TOKEN);
        assert_eq!(synced(&store, "shop", "web"), Some("f-web"));
        assert!(warning.unwrap().contains("dropped 1 records"));

        let (store, warning) = open(dir.path(), "another-token");
        assert_eq!(synced(&store, "shop", "web"), None);
        assert!(warning.unwrap().contains("another API token"));

        std::fs::write(&store.path, "{ not json").unwrap();
        let (store, warning) = open(dir.path(), TOKEN);
        assert_eq!(synced(&store, "shop", "web"), None);
        assert!(warning.unwrap().contains("taken at face value"));
    }

    #[test]
    fn a_deleted_build_is_forgotten_and_a_failed_write_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = open(dir.path(), TOKEN);
        store.note_plan(&plan(vec![
            step("shop", "api", unchanged("f-api"), true),
            step("shop", "old", unchanged("f-old"), true),
        ]));
        let delete = Planned::Delete { read_at: 1 };
        let applied = plan(vec![
            step("shop", "old", delete, false),
            step("shop", "api", update("f-api-2"), true),
        ]);
        let old = BuildId::new("shop", "old");
        store.note_applied(&applied, &HashSet::from([&old]));
        assert_eq!(synced(&store, "shop", "old"), None);
        assert_eq!(synced(&store, "shop", "api"), Some("f-api"), "not written");
    }
}
