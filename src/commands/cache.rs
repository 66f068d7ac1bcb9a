//! `plan`/`apply --cache DIR` as a command sees it: which folder (the flag or
//! `ZADIG_SYNC_CACHE`, else `.zadig-sync/cache` with `--emulator`), and every problem with the
//! cache a warning on stderr: a run never fails for its cache (`crate::cache` owns the files).

use std::path::{Path, PathBuf};

use crate::cache::DetailCache;

use super::output::errln;
use crate::session::LivePlan;

/// Where `--emulator` keeps its `--cache` when none is given.
pub const EMULATOR_CACHE: &str = ".zadig-sync/cache";

/// The cache of `server` in the folder `--cache` names (or the emulator's), or none.
pub fn open(dir: Option<&Path>, emulator: bool, server: &str) -> Option<DetailCache> {
    let dir = dir
        .map(Path::to_path_buf)
        .or_else(|| emulator.then(|| PathBuf::from(EMULATOR_CACHE)))?;
    match DetailCache::open(&dir, server) {
        Ok((cache, warning)) => {
            if let Some(warning) = warning {
                errln(format_args!("warning: {warning}"));
            }
            Some(cache)
        }
        Err(error) => {
            errln(format_args!("warning: {error}; reading every build"));
            None
        }
    }
}

/// Saves the settled details of this run's read, never one quoting `secrets`.
pub fn save(cache: DetailCache, live_plan: &LivePlan, secrets: &[String]) {
    match cache.save(&live_plan.live, &live_plan.listed_at, secrets) {
        Ok(count) => tracing::debug!(details = count, "saved the cache"),
        Err(error) => errln(format_args!(
            "warning: {error}; the next run reads every build"
        )),
    }
}
