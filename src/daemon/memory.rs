//! What the daemon remembers between passes, so that a steady state is cheap: each build's
//! detail with its `update_time` and desired fingerprint (trusted only once *settled*), the
//! fingerprint each build was last in sync with (to tell drift from a change of the files),
//! and the backoff of builds whose writes keep failing. In memory only, never on disk (Zadig
//! returns credential values in details). Rebuilt from each pass's reads, so it holds only
//! what Zadig listed last time: it does not grow with the number of passes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::SystemTime;

use tokio::time::Instant;

use crate::daemon::backoff::Backoff;
use crate::reconcile::live::{LiveDetail, LiveProject, is_settled};
use crate::remote::fetch::{Remembered, unix_seconds};

/// `(project, build name)`.
pub type BuildKey = (String, String);

#[derive(Debug)]
struct Entry {
    update_time: i64,
    desired: Option<String>,
    detail: LiveDetail,
}

#[derive(Debug)]
struct Failing {
    backoff: Backoff,
    not_before: Instant,
}

#[derive(Debug, Default)]
pub struct Memory {
    /// Settled details only.
    settled: HashMap<BuildKey, Entry>,
    /// The desired fingerprint each template build matched at the end of the last pass
    /// (template builds carry no marker saying what they were written with).
    in_sync: HashMap<BuildKey, String>,
    failing: HashMap<BuildKey, Failing>,
}

impl Memory {
    /// Hands the remembered details to a pass: none on a full re-read, and only those whose
    /// desired fingerprint is still what the files say (`desired`).
    pub fn recall(&mut self, desired: &HashMap<BuildKey, String>, full: bool) -> Arc<Remembered> {
        let mut entries = std::mem::take(&mut self.settled);
        if full {
            entries.clear();
        }
        entries.retain(|key, entry| entry.desired.as_ref() == desired.get(key));
        let entries = (entries.into_iter())
            .map(|(key, entry)| (key, (entry.update_time, entry.detail)))
            .collect();
        Arc::new(Remembered::new(entries))
    }

    /// Keeps the details this pass read or reused, except those of builds it wrote (their
    /// detail changed) and those not settled yet (read again next time).
    pub fn remember(
        &mut self,
        live: Vec<LiveProject>,
        listed_at: &[Option<SystemTime>],
        desired: &HashMap<BuildKey, String>,
        written: &HashSet<BuildKey>,
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
                let key = (project.project.clone(), build.name);
                let Ok(detail) = build.detail else { continue };
                let settled = is_settled(build.update_time, detail.base().update_time, now);
                if settled && !written.contains(&key) {
                    let desired = desired.get(&key).cloned();
                    let update_time = build.update_time;
                    self.settled.insert(
                        key,
                        Entry {
                            update_time,
                            desired,
                            detail,
                        },
                    );
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

    /// The fingerprint template build `key` was last in sync with.
    pub fn in_sync_with(&self, key: &BuildKey) -> Option<&str> {
        self.in_sync.get(key).map(String::as_str)
    }

    /// Replaces the in-sync fingerprints with this pass's.
    pub fn set_in_sync(&mut self, in_sync: HashMap<BuildKey, String>) {
        self.in_sync = in_sync;
    }

    /// Whether a write to `key` may be tried now (it is not backing off).
    pub fn may_write(&self, key: &BuildKey, now: Instant) -> bool {
        self.failing.get(key).is_none_or(|f| now >= f.not_before)
    }

    /// Records how a write went: a failure backs this build off, alone.
    pub fn record_write(&mut self, key: &BuildKey, failed: bool, now: Instant) {
        if !failed {
            self.failing.remove(key);
            return;
        }
        let failing = self.failing.entry(key.clone()).or_insert_with(|| Failing {
            backoff: Backoff::new(Backoff::BUILD_BASE, Backoff::BUILD_CAP),
            not_before: now,
        });
        failing.not_before = now + failing.backoff.fail();
    }

    /// Forgets the backoff of builds no longer in the plan (`present` says which are).
    pub fn keep_failing_only(&mut self, present: impl Fn(&BuildKey) -> bool) {
        self.failing.retain(|key, _| present(key));
    }

    /// When the earliest backed-off build may be written again.
    pub fn next_build_retry(&self) -> Option<Instant> {
        self.failing.values().map(|f| f.not_before).min()
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

    fn key(name: &str) -> BuildKey {
        ("p".into(), name.into())
    }

    fn desired(name: &str, fingerprint: &str) -> HashMap<BuildKey, String> {
        HashMap::from([(key(name), fingerprint.to_string())])
    }

    #[test]
    fn a_settled_detail_is_reused_while_nothing_changed() {
        let mut memory = Memory::default();
        let fp = desired("a", "f1");
        memory.remember(
            vec![project("a", NOW - 10)],
            &[at(NOW)],
            &fp,
            &HashSet::new(),
        );
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
        let mut memory = Memory::default();
        let fp = desired("a", "f1");
        memory.remember(
            vec![project("a", NOW - 1)],
            &[at(NOW)],
            &fp,
            &HashSet::new(),
        );
        assert!(memory.is_empty(), "not settled");
        let written = HashSet::from([key("a")]);
        memory.remember(vec![project("a", NOW - 10)], &[at(NOW)], &fp, &written);
        assert!(memory.is_empty(), "written in this pass");
        memory.remember(vec![project("a", NOW - 10)], &[None], &fp, &HashSet::new());
        assert!(memory.is_empty(), "no Date header: nothing can be settled");
    }

    #[test]
    fn a_changed_file_or_a_full_resync_reads_again() {
        let mut memory = Memory::default();
        let fp = desired("a", "f1");
        memory.remember(
            vec![project("a", NOW - 10)],
            &[at(NOW)],
            &fp,
            &HashSet::new(),
        );
        let recall = memory.recall(&desired("a", "f2"), false);
        assert!(recall.take("p", &listed("a", NOW - 10)).is_none());
        memory.remember(
            vec![project("a", NOW - 10)],
            &[at(NOW)],
            &fp,
            &HashSet::new(),
        );
        let recall = memory.recall(&fp, true);
        assert!(recall.take("p", &listed("a", NOW - 10)).is_none());
    }

    #[test]
    fn memory_holds_only_what_the_last_pass_listed() {
        let mut memory = Memory::default();
        let fp = desired("a", "f1");
        for round in 0..50 {
            let name = format!("b{round}");
            memory.remember(
                vec![project(&name, NOW - 10)],
                &[at(NOW)],
                &fp,
                &HashSet::new(),
            );
        }
        assert_eq!(memory.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_build_backs_off_alone_and_recovers() {
        let mut memory = Memory::default();
        let now = Instant::now();
        memory.record_write(&key("bad"), true, now);
        assert!(!memory.may_write(&key("bad"), now));
        assert!(memory.may_write(&key("good"), now));
        let retry = memory.next_build_retry().expect("a retry time");
        assert!(retry > now && memory.may_write(&key("bad"), retry));
        memory.record_write(&key("bad"), false, retry);
        assert!(memory.next_build_retry().is_none());
    }
}
