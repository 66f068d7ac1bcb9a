//! `plan`/`apply`'s detail cache: the *settled* details of one run kept on disk for the next,
//! so that a run whose builds did not change reads one list per project and no detail.
//!
//! One file per server (`details-<sha256 of the URL>.json`, naming the server inside too),
//! written atomically with mode 0600. A detail goes in only when settled
//! ([`crate::reconcile::live::is_settled`], the daemon's rule) and comes out only while the
//! build lists with the same `update_time`.
//!
//! What the cache trusts: nothing in its folder alone. Its keys are derived from the API
//! token (HMAC-SHA-256 of the token over a purpose and the server), never stored: each entry
//! carries a MAC over its contents, and an entry whose MAC fails (forged, damaged, or made
//! with another token) is dropped with a warning; so a cache shared between CI jobs is only
//! trusted by holders of the token. Credential values are never written: each is replaced by
//! a keyed digest with another token-derived key, and restored on reading to the file's value
//! when the digests agree, else to a marker no file holds, so that the comparison still sees
//! a change. A file that cannot be read, parsed, or is of another version or another server
//! is ignored with a warning (never trusted, never fatal).
//!
//! Beside it, `synced-<…>.json` ([`SyncedStore`]) remembers which version of the files each
//! build was last seen in sync with: the history one-shot commands plan with.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use hmac::{Hmac, KeyInit, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::fsio::{MIB, Readers, read_bytes, write_atomically};
use crate::reconcile::BuildId;
use crate::reconcile::desired::DesiredSet;
use crate::reconcile::live::{LiveDetail, LiveProject, is_settled};
use crate::reconcile::wire::{DetailParameter, ListedBuild};
use crate::remote::fetch::{KnownDetails, Remembered, unix_seconds};

/// The version of the cache file; another is ignored. 2: entries carry a MAC, keys come from
/// the API token.
pub const CACHE_VERSION: u32 = 2;
const FORMAT: &str = "zadig-sync-cache";
/// The largest cache file read: about 50,000 builds' details.
const MAX_CACHE_BYTES: u64 = 512 * MIB;
/// What a credential value becomes in memory when its digest matches no file's value.
const CHANGED_CREDENTIAL: &str = "(a credential value the build files do not hold)";

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("creating the cache folder {path}: {source}")]
    Folder { path: PathBuf, source: io::Error },
    #[error("writing the cache {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// One build's settled detail, credential values as digests.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    project: String,
    name: String,
    update_time: i64,
    detail: LiveDetail,
}

/// An entry as stored: its JSON, and the MAC over that JSON written with sorted keys (which
/// reading it back gives again, whatever the file's spacing).
#[derive(Debug, Serialize, Deserialize)]
struct Sealed {
    entry: serde_json::Value,
    mac: String,
}

/// A file of sealed entries: the detail cache, or the synced store.
#[derive(Debug, Serialize, Deserialize)]
struct SealedFile {
    format: String,
    version: u32,
    server: String,
    /// Which token made the keys (a MAC of a fixed text, revealing nothing of the token).
    key_id: String,
    builds: Vec<Sealed>,
}

/// What a file of sealed entries must say of itself to be read: its format and version, its
/// server, and the keys it was written with.
struct Header<'a> {
    format: &'static str,
    version: u32,
    server: &'a str,
    keys: &'a Keys,
}

impl Header<'_> {
    /// The entries of the file at `path` that authenticate, and how many did not;
    /// `Err(None)` when there is no file, `Err(Some(why))` when it cannot be used.
    fn read<T: DeserializeOwned>(
        &self,
        path: &Path,
        cap: u64,
    ) -> Result<(Vec<T>, usize), Option<String>> {
        let bytes = match read_bytes(path, cap) {
            Ok(bytes) => bytes,
            Err(error) if error.is_not_found() => return Err(None),
            Err(error) => return Err(Some(error.to_string())),
        };
        let file: SealedFile = serde_json::from_slice(&bytes)
            .map_err(|error| Some(format!("not a cache file ({error})")))?;
        if file.format != self.format || file.version != self.version {
            return Err(Some(format!(
                "version {} of {:?}, this zadig-sync reads version {} of {:?}",
                file.version, file.format, self.version, self.format,
            )));
        }
        if file.server != self.server {
            // Not named: the text is the file's, and need not be printable.
            return Err(Some("it is the cache of another server".into()));
        }
        if file.key_id != self.keys.id() {
            return Err(Some("it was written with another API token".into()));
        }
        let total = file.builds.len();
        let entries: Vec<T> = (file.builds.into_iter())
            .filter_map(|sealed| self.keys.open(sealed))
            .collect();
        let dropped = total - entries.len();
        Ok((entries, dropped))
    }

    /// Writes `entries`, each sealed, atomically and readable by the owner only; how many.
    fn write<T: Serialize>(&self, path: &Path, entries: &[T]) -> Result<usize, CacheError> {
        let builds: Vec<Sealed> = (entries.iter())
            .filter_map(|entry| self.keys.seal(entry))
            .collect();
        let count = builds.len();
        let file = SealedFile {
            format: self.format.to_string(),
            version: self.version,
            key_id: self.keys.id(),
            server: self.server.to_string(),
            builds,
        };
        let write_error = |source| CacheError::Write {
            path: path.to_path_buf(),
            source,
        };
        let bytes =
            serde_json::to_vec(&file).map_err(|error| write_error(io::Error::other(error)))?;
        write_atomically(path, &bytes, Readers::Owner).map_err(write_error)?;
        Ok(count)
    }
}

type Key = BuildId;

/// The keys of one server's cache, derived from the API token, never written anywhere.
#[derive(Clone)]
struct Keys {
    /// Seals each entry.
    entries: Vec<u8>,
    /// Digests credential values.
    credentials: Vec<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(***)")
    }
}

impl Keys {
    fn derive(token: &str, server: &str) -> Self {
        let derive =
            |purpose: &str| mac(token.as_bytes(), &[purpose.as_bytes(), server.as_bytes()]);
        Keys {
            entries: derive("zadig-sync cache entries v2"),
            credentials: derive("zadig-sync cache credentials v2"),
        }
    }

    /// Names the keys in the file without revealing them.
    fn id(&self) -> String {
        hex::encode(mac(&self.entries, &[b"zadig-sync cache key id"]))[..16].to_string()
    }

    fn seal<T: Serialize>(&self, entry: &T) -> Option<Sealed> {
        let entry = serde_json::to_value(entry).ok()?;
        let json = serde_json::to_vec(&entry).ok()?;
        let mac = hex::encode(mac(&self.entries, &[&json]));
        Some(Sealed { entry, mac })
    }

    /// The entry, when `sealed` carries the MAC this token gives its contents (checked in
    /// constant time).
    fn open<T: DeserializeOwned>(&self, sealed: Sealed) -> Option<T> {
        let json = serde_json::to_vec(&sealed.entry).ok()?;
        let tag = hex::decode(&sealed.mac).ok()?;
        let mut check = Hmac::<Sha256>::new_from_slice(&self.entries).ok()?;
        check.update(&json);
        check.update(&[0]);
        check.verify_slice(&tag).ok()?;
        serde_json::from_value(sealed.entry).ok()
    }
}

/// HMAC-SHA-256 of the parts (each followed by a zero byte) under `key`.
fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // An HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    for part in parts {
        mac.update(part);
        mac.update(&[0]);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The cache of one server, opened for a run.
#[derive(Debug)]
pub struct DetailCache {
    path: PathBuf,
    server: String,
    keys: Keys,
    /// Read from the file, for the projects this run does not read (kept as they were).
    entries: HashMap<Key, Entry>,
    /// The file holds exactly `entries`, each authenticated (nothing dropped, nothing new
    /// yet): saving them again would write the same file.
    as_read: bool,
}

impl DetailCache {
    /// Opens (creating the folder when missing) the cache of `server` in `dir`, its keys
    /// derived from `token`. The warning, when there is one, says why the file (or some of
    /// its entries) was not used.
    pub fn open(
        dir: &Path,
        server: &str,
        token: &str,
    ) -> Result<(Self, Option<String>), CacheError> {
        let path = server_file(dir, "details", server)?;
        let mut cache = DetailCache {
            path,
            server: server.to_string(),
            keys: Keys::derive(token, server),
            entries: HashMap::new(),
            as_read: false,
        };
        let warning = match cache.read_file() {
            Ok((entries, dropped)) => {
                cache.entries = entries;
                cache.as_read = dropped == 0;
                (dropped > 0).then(|| {
                    format!(
                        "dropped {dropped} entries of the cache {} that failed authentication \
                         (edited, damaged, or written with another API token); reading those \
                         builds",
                        cache.path.display()
                    )
                })
            }
            Err(reason) => reason.map(|reason| {
                format!(
                    "ignoring the cache {}: {reason}; reading every build",
                    cache.path.display()
                )
            }),
        };
        Ok((cache, warning))
    }

    /// The file's entries that authenticate, and how many did not; `Err(None)` when there is
    /// no file yet.
    fn read_file(&self) -> Result<(HashMap<Key, Entry>, usize), Option<String>> {
        let header = Header {
            format: FORMAT,
            version: CACHE_VERSION,
            server: &self.server,
            keys: &self.keys,
        };
        let (entries, dropped) = header.read::<Entry>(&self.path, MAX_CACHE_BYTES)?;
        let entries = (entries.into_iter())
            .map(|entry| (BuildId::new(&entry.project, &entry.name), entry))
            .collect();
        Ok((entries, dropped))
    }

    /// The details this run may take from the cache, credentials restored against the values
    /// the build files hold (`plain`: every string of the desired builds).
    pub fn recall(&self, plain: &[String]) -> CacheRecall {
        let by_digest = plain
            .iter()
            .map(|value| (digest(&self.keys.credentials, value), value.clone()))
            .collect();
        let entries = (self.entries.iter())
            .map(|(key, entry)| (key.clone(), (entry.update_time, entry.detail.clone())))
            .collect();
        CacheRecall {
            proven: !self.entries.is_empty(),
            remembered: Remembered::new(entries),
            by_digest,
        }
    }

    /// Writes the settled details of this run (`live`, listed at `listed_at`), keeping the
    /// entries of projects this run did not read successfully. A detail that holds one of
    /// `secrets` (the `${env:…}` values, the token) anywhere but in a credential value (a
    /// script quoting one) is left out: it is read every time instead.
    pub fn save(
        mut self,
        live: &[LiveProject],
        listed_at: &[Option<SystemTime>],
        secrets: &[String],
    ) -> Result<usize, CacheError> {
        for (project, date) in live.iter().zip(listed_at) {
            let Ok(builds) = &project.listing else {
                continue;
            };
            let (mut previous, others): (HashMap<Key, Entry>, _) =
                std::mem::take(&mut self.entries)
                    .into_iter()
                    .partition(|(key, _)| key.project == project.project);
            self.entries = others;
            let Some(now) = date.and_then(unix_seconds) else {
                self.as_read &= previous.is_empty();
                continue;
            };
            for build in builds {
                let Ok(detail) = &build.detail else { continue };
                if !is_settled(build.update_time, detail.base().update_time, now) {
                    continue;
                }
                let key = BuildId::new(&project.project, &build.name);
                let entry = match previous.remove(&key) {
                    // Still the detail this entry was made from. Kept as it was: a detail
                    // recalled from it holds a stand-in for a credential no file value
                    // matched, and digesting that again would lose the server's digest.
                    Some(entry) if entry.update_time == build.update_time => entry,
                    _ => {
                        self.as_read = false;
                        Entry {
                            project: project.project.clone(),
                            name: build.name.clone(),
                            update_time: build.update_time,
                            detail: map_credentials(detail.clone(), |v| {
                                digest(&self.keys.credentials, v)
                            }),
                        }
                    }
                };
                if quotes_a_secret(&entry.detail, secrets) {
                    self.as_read = false;
                    continue;
                }
                self.entries.insert(key, entry);
            }
            self.as_read &= previous.is_empty();
        }
        if self.as_read {
            // Every entry is the one read, sealed as it was: the file says it already.
            return Ok(self.entries.len());
        }
        let mut entries: Vec<Entry> = self.entries.into_values().collect();
        entries.sort_by(|a, b| (&a.project, &a.name).cmp(&(&b.project, &b.name)));
        let header = Header {
            format: FORMAT,
            version: CACHE_VERSION,
            server: &self.server,
            keys: &self.keys,
        };
        header.write(&self.path, &entries)
    }
}

/// The cached details one run may use (each handed out once, see [`Remembered`]), with
/// their credential digests turned back into the values the files hold.
#[derive(Debug)]
pub struct CacheRecall {
    remembered: Remembered,
    by_digest: HashMap<String, String>,
    /// The file held entries sealed with this token's keys, written after a read of Zadig.
    proven: bool,
}

impl CacheRecall {
    /// How many details came from the cache.
    pub fn used(&self) -> u64 {
        self.remembered.used()
    }
}

impl KnownDetails for CacheRecall {
    /// Only when the build lists with the `update_time` its settled detail was cached with.
    fn known(&self, project: &str, listed: &ListedBuild) -> Option<LiveDetail> {
        let detail = self.remembered.take(project, listed)?;
        Some(map_credentials(detail, |digest| {
            self.by_digest
                .get(digest)
                .cloned()
                .unwrap_or_else(|| CHANGED_CREDENTIAL.to_string())
        }))
    }

    /// Entries this token sealed after reading Zadig: it worked then.
    fn token_proven(&self) -> bool {
        self.proven
    }
}

/// Every string value of the desired builds: the candidates a cached credential digest is
/// matched against (held in memory only).
pub fn desired_strings(desired: &DesiredSet) -> Vec<String> {
    fn walk(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(text) => out.push(text.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = desired.secrets.clone();
    for build in &desired.builds {
        if let Ok(value) = serde_json::to_value(&build.spec) {
            walk(&value, &mut out);
        }
    }
    out
}

/// Whether `detail` (credentials already digested) holds any of `secrets`.
fn quotes_a_secret(detail: &LiveDetail, secrets: &[String]) -> bool {
    let Ok(text) = serde_json::to_string(detail) else {
        return true;
    };
    secrets.iter().any(|secret| {
        // As JSON escapes it, so that a secret with a quote or newline is still found.
        let escaped = serde_json::to_string(secret).unwrap_or_default();
        let escaped = escaped.trim_matches('"');
        !escaped.is_empty() && text.contains(escaped)
    })
}

/// The keyed digest of a credential value, as hex.
fn digest(key: &[u8], value: &str) -> String {
    hex::encode(mac(key, &[value.as_bytes()]))
}

/// Every credential parameter's value (base and targets) passed through `f`.
fn map_credentials(mut detail: LiveDetail, f: impl Fn(&str) -> String) -> LiveDetail {
    let apply = |parameters: &mut Vec<DetailParameter>| {
        for parameter in parameters.iter_mut().filter(|p| p.is_credential) {
            parameter.value = f(&parameter.value);
        }
    };
    match &mut detail {
        LiveDetail::Custom(base) => apply(&mut base.parameters),
        LiveDetail::Template { base, targets } => {
            apply(&mut base.parameters);
            for (_, target) in targets.iter_mut() {
                apply(&mut target.parameters);
            }
        }
    }
    detail
}

/// `dir/<kind>-<hash of the server's URL>.json`, the folder made (owner only) when missing.
fn server_file(dir: &Path, kind: &str, server: &str) -> Result<PathBuf, CacheError> {
    create_private_dir(dir)?;
    let digest = hex::encode(Sha256::digest(server.as_bytes()));
    Ok(dir.join(format!("{kind}-{}.json", &digest[..16])))
}

fn create_private_dir(dir: &Path) -> Result<(), CacheError> {
    let folder_error = |source| CacheError::Folder {
        path: dir.to_path_buf(),
        source,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(folder_error)
}

mod synced;
#[cfg(test)]
mod tests;

pub use synced::SyncedStore;
