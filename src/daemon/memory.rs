//! What the daemon remembers between passes so that a steady state is cheap: each build's
//! detail with its `update_time` and desired fingerprint, trusted only once *settled*. In
//! memory only, never on disk (Zadig returns credential values in details). Rebuilt from each
//! pass's reads, so it holds only what Zadig listed last time and does not grow with the
//! number of passes; a pass that ends early (Zadig unreachable, shutdown) gives back what it
//! did not use, so the next pass need not read it all again. No I/O.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use crate::reconcile::BuildId;
use crate::reconcile::live::{LiveDetail, LiveProject, is_settled};
use crate::remote::fetch::{Remembered, unix_seconds};

#[derive(Debug)]
struct Entry {
    update_time: i64,
    desired: Option<String>,
    detail: LiveDetail,
}

#[derive(Debug, Default)]
pub struct Memory {
    /// Settled details only.
    settled: HashMap<BuildId, Entry>,
    /// The fingerprints the entries lent to a pass were remembered with, to put back the
    /// ones it returns unused.
    lent: HashMap<BuildId, Option<String>>,
}

impl Memory {
    /// Lends the remembered details to a pass: none on a full re-read, and only those whose
    /// desired fingerprint is still what the files say (`desired`).
    pub fn recall(&mut self, desired: &HashMap<BuildId, String>, full: bool) -> Arc<Remembered> {
        let mut entries = std::mem::take(&mut self.settled);
        if full {
            entries.clear();
        }
        entries.retain(|key, entry| entry.desired.as_ref() == desired.get(key));
        self.lent = (entries.iter())
            .map(|(key, entry)| (key.clone(), entry.desired.clone()))
            .collect();
        let entries = (entries.into_iter())
            .map(|(key, entry)| (key, (entry.update_time, entry.detail)))
            .collect();
        Arc::new(Remembered::new(entries))
    }

    /// Takes back what a pass did not use (all of it, when it ended before reading
    /// anything), of the builds `keep` accepts.
    pub fn give_back(&mut self, recall: Arc<Remembered>, keep: impl Fn(&BuildId) -> bool) {
        let lent = std::mem::take(&mut self.lent);
        let Ok(remembered) = Arc::try_unwrap(recall) else {
            return;
        };
        let leftovers = remembered.into_leftovers();
        for (key, (update_time, detail)) in leftovers.into_iter().filter(|(key, _)| keep(key)) {
            let desired = lent.get(&key).cloned().flatten();
            self.settled.entry(key).or_insert(Entry {
                update_time,
                desired,
                detail,
            });
        }
    }

    /// Keeps the details this pass read or reused, except those of builds it wrote (their
    /// detail changed) and those not settled yet (read again next time).
    pub fn remember(
        &mut self,
        live: Vec<LiveProject>,
        listed_at: &[Option<SystemTime>],
        desired: &HashMap<BuildId, String>,
        written: &HashSet<BuildId>,
    ) {
        self.settled.clear();
        for (project, date) in live.into_iter().zip(listed_at) {
            let Ok(builds) = project.listing else {
                continue;
            };
            let Some(now) = date.and_then(unix_seconds) else {
                continue;
            };
            for build in builds {
                let key = BuildId::new(&project.project, build.name);
                let Ok(detail) = build.detail else { continue };
                let settled = is_settled(build.update_time, detail.base().update_time, now);
                if settled && !written.contains(&key) {
                    let entry = Entry {
                        update_time: build.update_time,
                        desired: desired.get(&key).cloned(),
                        detail,
                    };
                    self.settled.insert(key, entry);
                }
            }
        }
    }

    /// How many details are remembered.
    pub fn len(&self) -> usize {
        self.settled.len()
    }

    pub fn is_empty(&self) -> bool {
        self.settled.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::live::LiveBuild;
    use crate::reconcile::wire::DetailResponse;
    use crate::remote::fetch::testing::{at, listed};

    const NOW: i64 = 1_700_000_000;

    fn project(name: &str, update_time: i64) -> LiveProject {
        let detail = LiveDetail::custom(DetailResponse {
            name: name.into(),
            update_time,
            ..DetailResponse::default()
        });
        LiveProject {
            project: "p".into(),
            listing: Ok(vec![LiveBuild {
                name: name.into(),
                update_time,
                detail: Ok(detail),
            }]),
        }
    }

    fn key(name: &str) -> BuildId {
        BuildId::new("p", name)
    }

    fn desired(name: &str, fingerprint: &str) -> HashMap<BuildId, String> {
        HashMap::from([(key(name), fingerprint.to_string())])
    }

    fn remembering(name: &str, update_time: i64, fp: &HashMap<BuildId, String>) -> Memory {
        let mut memory = Memory::default();
        let live = vec![project(name, update_time)];
        memory.remember(live, &[at(NOW)], fp, &HashSet::new());
        memory
    }

    #[test]
    fn a_settled_detail_is_reused_while_nothing_changed() {
        let fp = desired("a", "f1");
        let mut memory = remembering("a", NOW - 10, &fp);
        let recall = memory.recall(&fp, false);
        assert!(
            recall.take("p", &listed("a", NOW - 9)).is_none(),
            "edited in Zadig"
        );
        assert!(recall.take("p", &listed("a", NOW - 10)).is_some());
        assert_eq!(recall.used(), 1);
    }

    #[test]
    fn an_unsettled_or_written_detail_is_read_again() {
        let fp = desired("a", "f1");
        assert!(remembering("a", NOW - 1, &fp).is_empty(), "not settled");
        let mut memory = Memory::default();
        let written = HashSet::from([key("a")]);
        memory.remember(vec![project("a", NOW - 10)], &[at(NOW)], &fp, &written);
        assert!(memory.is_empty(), "written in this pass");
        memory.remember(vec![project("a", NOW - 10)], &[None], &fp, &HashSet::new());
        assert!(memory.is_empty(), "no Date header: nothing can be settled");
    }

    #[test]
    fn a_changed_file_or_a_full_resync_reads_again() {
        let fp = desired("a", "f1");
        let mut memory = remembering("a", NOW - 10, &fp);
        let recall = memory.recall(&desired("a", "f2"), false);
        assert!(recall.take("p", &listed("a", NOW - 10)).is_none());
        let mut memory = remembering("a", NOW - 10, &fp);
        let recall = memory.recall(&fp, true);
        assert!(recall.take("p", &listed("a", NOW - 10)).is_none());
    }

    #[test]
    fn memory_holds_only_what_the_last_pass_listed() {
        let fp = desired("a", "f1");
        let mut memory = Memory::default();
        for round in 0..50 {
            let live = vec![project(&format!("b{round}"), NOW - 10)];
            memory.remember(live, &[at(NOW)], &fp, &HashSet::new());
        }
        assert_eq!(memory.len(), 1);
    }

    // A pass that could not read Zadig used nothing: the next one must not read every
    // detail again (5,000 builds at 50 requests a second is 100 s).
    #[test]
    fn a_pass_that_ends_early_gives_back_what_it_did_not_use() {
        let fp = desired("a", "f1");
        let mut memory = remembering("a", NOW - 10, &fp);
        let recall = memory.recall(&fp, false);
        memory.give_back(recall, |_| true);
        assert_eq!(memory.len(), 1);
        let recall = memory.recall(&fp, false);
        assert!(recall.take("p", &listed("a", NOW - 10)).is_some());
        memory.give_back(recall, |_| true);
        assert!(memory.is_empty(), "handed out and not remembered again");
    }
}
