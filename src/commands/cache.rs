//! `plan`/`apply`'s detail cache as a command sees it: which folder (`--cache DIR` or
//! `ZADIG_SYNC_CACHE`; `.zadig-sync/cache` with `--emulator`; else the user's cache folder,
//! `$XDG_CACHE_HOME/zadig-sync` or the platform's; none with `--no-cache`), saying once where
//! it lives when it is first made, and every problem with it a warning on stderr: a run never
//! fails for its cache (`crate::cache` owns the files). The same folder keeps which version
//! of the files each build was last in sync with (`SyncedStore`), noted after each plan and
//! each apply.

use std::path::{Path, PathBuf};

use std::collections::HashSet;

use crate::apply::outcome::{ApplyReport, OutcomeStatus};
use crate::cache::{CacheError, DetailCache, SyncedStore};
use crate::cli::CacheArgs;
use crate::reconcile::plan::Plan;
use crate::session::{Connection, LivePlan};

use super::output::errln;

/// Where `--emulator` keeps its cache when none is given.
pub const EMULATOR_CACHE: &str = ".zadig-sync/cache";

/// The folder this run caches details in, or none.
pub fn folder(args: &CacheArgs, emulator: bool) -> Option<PathBuf> {
    if args.no_cache {
        return None;
    }
    if let Some(dir) = &args.cache {
        return Some(dir.clone());
    }
    if emulator {
        return Some(PathBuf::from(EMULATOR_CACHE));
    }
    user_cache_dir().map(|dir| dir.join("zadig-sync"))
}

/// The user's cache folder: `$XDG_CACHE_HOME`, else `~/.cache` (Linux and other Unixes),
/// `~/Library/Caches` (macOS), `%LOCALAPPDATA%` (Windows). An empty variable counts as unset.
fn user_cache_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        return var("LOCALAPPDATA");
    }
    if let Some(xdg) = var("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return Some(xdg);
    }
    let home = var("HOME")?;
    Some(if cfg!(target_os = "macos") {
        home.join("Library/Caches")
    } else {
        home.join(".cache")
    })
}

/// The cache of the connection's server in `folder`, or none (no folder, or it cannot be
/// used: a warning). Says where the cache lives when this run creates its folder (`tell`: a
/// text run; JSON and Markdown runs keep stderr for problems).
pub fn open(folder: Option<&Path>, connection: &Connection, tell: bool) -> Option<DetailCache> {
    let dir = folder?;
    let new = tell && !dir.exists();
    let opened = DetailCache::open(dir, &connection.server, connection.token_secret());
    let cache = warned(opened, "; reading every build")?;
    if new {
        errln(format_args!(
            "Keeping the details of unchanged builds in {} between runs (--no-cache reads \
             every build; --cache DIR moves it).",
            dir.display()
        ));
    }
    Some(cache)
}

/// What was opened, its warning (if any) said; none when it could not be, with why and
/// `then` (what the run does instead) said.
fn warned<T>(opened: Result<(T, Option<String>), CacheError>, then: &str) -> Option<T> {
    match opened {
        Ok((opened, warning)) => {
            if let Some(warning) = warning {
                errln(format_args!("warning: {warning}"));
            }
            Some(opened)
        }
        Err(error) => {
            errln(format_args!("warning: {error}{then}"));
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

/// The in-sync records of the connection's server in `folder`, or none (no folder, or they
/// cannot be used: a warning).
pub fn open_synced(folder: Option<&Path>, connection: &Connection) -> Option<SyncedStore> {
    let opened = SyncedStore::open(folder?, &connection.server, connection.token_secret());
    warned(
        opened,
        "; changes of template builds are taken at face value",
    )
}

/// Notes what `plan` showed in sync, and saves.
pub fn note_plan(store: &mut SyncedStore, plan: &Plan) {
    store.note_plan(plan);
    save_synced(store);
}

/// Notes which builds `apply` wrote and checked (or found already so), and saves.
pub fn note_applied(store: &mut SyncedStore, plan: &Plan, report: &ApplyReport) {
    let done: HashSet<_> = (report.outcomes.iter())
        .filter(|o| {
            matches!(
                o.status,
                OutcomeStatus::Done | OutcomeStatus::AlreadyDone(_)
            )
        })
        .map(|o| &o.build)
        .collect();
    store.note_applied(plan, &done);
    save_synced(store);
}

fn save_synced(store: &mut SyncedStore) {
    match store.save() {
        Ok(count) => tracing::debug!(records = count, "saved the in-sync records"),
        Err(error) => errln(format_args!(
            "warning: {error}; changes of template builds are taken at face value next time"
        )),
    }
}
