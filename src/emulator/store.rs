//! The build collection (insertion order, names unique across all projects, as Zadig's
//! `module_build` is in practice) and its optional state file, loaded at start and written
//! atomically (temp file + rename) after each change. Only `load` and `save` do I/O.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::BuildDoc;
use crate::fsio::{self, MIB, ReadError, Readers};

/// All builds, in the order they were inserted (Mongo's natural order, in practice).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Store {
    builds: Vec<BuildDoc>,
}

/// What the state file holds; `version` lets a later format refuse an older file clearly.
#[derive(Debug, Deserialize)]
struct StateFile {
    version: u32,
    builds: Vec<BuildDoc>,
}

/// [`StateFile`] for writing, borrowing the builds instead of copying them under the lock.
#[derive(Serialize)]
struct StateFileRef<'a> {
    version: u32,
    builds: &'a [BuildDoc],
}

const STATE_VERSION: u32 = 1;

/// The largest state file read: far above 100,000 builds, far below what `/dev/zero` would
/// fill memory with.
pub const MAX_STATE_BYTES: u64 = 256 * MIB;

/// The state file could not be read or written; names the file.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read emulator state {path} (--state)")]
    Read {
        path: PathBuf,
        #[source]
        source: ReadError,
    },
    #[error("emulator state {path} is not a valid state file")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "emulator state {path} has version {found}, this emulator reads version {STATE_VERSION}"
    )]
    Version { path: PathBuf, found: u32 },
    #[error("cannot write emulator state {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Store {
    /// The build with this exact name in this project (update and detail lookups).
    pub fn find(&self, name: &str, project: &str) -> Option<&BuildDoc> {
        self.builds
            .iter()
            .find(|build| build.name == name && build.product_name == project)
    }

    /// The build with this name in any project: names are global.
    pub fn find_any_project(&self, name: &str) -> Option<&BuildDoc> {
        self.builds.iter().find(|build| build.name == name)
    }

    pub fn insert(&mut self, build: BuildDoc) {
        self.builds.push(build);
    }

    /// Replaces the stored build with the same name and project, keeping its place.
    pub fn replace(&mut self, build: BuildDoc) {
        if let Some(slot) = self
            .builds
            .iter_mut()
            .find(|stored| stored.name == build.name && stored.product_name == build.product_name)
        {
            *slot = build;
        }
    }

    /// `DeleteMany({name, product_name})`; no project deletes by name everywhere. Returns how many.
    pub fn delete(&mut self, name: &str, project: Option<&str>) -> usize {
        let before = self.builds.len();
        self.builds.retain(|build| {
            build.name != name || project.is_some_and(|key| build.product_name != key)
        });
        before - self.builds.len()
    }

    /// The builds of one project, in insertion order.
    pub fn in_project<'a>(&'a self, project: &'a str) -> impl Iterator<Item = &'a BuildDoc> + 'a {
        self.builds
            .iter()
            .filter(move |build| build.product_name == project)
    }

    pub fn clear(&mut self) {
        self.builds.clear();
    }

    /// Reads the state file; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<Self, StateError> {
        let bytes = match fsio::read_bytes(path, MAX_STATE_BYTES) {
            Ok(bytes) => bytes,
            Err(error) if error.is_not_found() => return Ok(Self::default()),
            Err(source) => {
                return Err(StateError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let state: StateFile =
            serde_json::from_slice(&bytes).map_err(|source| StateError::Parse {
                path: path.to_owned(),
                source,
            })?;
        if state.version != STATE_VERSION {
            return Err(StateError::Version {
                path: path.to_owned(),
                found: state.version,
            });
        }
        Ok(Self {
            builds: state.builds,
        })
    }

    /// Writes the state file atomically (a reader sees the old file or the new one, never
    /// half) and readable by its owner only: credentials sit in it in plain text, as in Zadig.
    pub async fn save(&self, path: &Path) -> Result<(), StateError> {
        let write_error = |source| StateError::Write {
            path: path.to_owned(),
            source,
        };
        let state = StateFileRef {
            version: STATE_VERSION,
            builds: &self.builds,
        };
        let bytes = serde_json::to_vec_pretty(&state)
            .map_err(|error| write_error(std::io::Error::other(error)))?;
        let target = path.to_owned();
        tokio::task::spawn_blocking(move || fsio::write_atomically(&target, &bytes, Readers::Owner))
            .await
            .map_err(|error| write_error(std::io::Error::other(error)))?
            .map_err(write_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(name: &str, project: &str) -> BuildDoc {
        BuildDoc {
            name: name.to_owned(),
            product_name: project.to_owned(),
            ..BuildDoc::default()
        }
    }

    #[test]
    fn delete_is_scoped_to_the_project_unless_none_is_given() {
        let mut store = Store::default();
        store.insert(build("a", "p"));
        store.insert(build("a", "q"));
        store.insert(build("b", "p"));
        assert_eq!(store.delete("a", Some("p")), 1);
        assert_eq!(store.delete("a", Some("p")), 0);
        assert_eq!(store.delete("a", None), 1);
        assert_eq!(store.in_project("p").count(), 1);
    }

    #[tokio::test]
    async fn state_round_trips_through_the_file_and_a_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert_eq!(Store::load(&path).unwrap(), Store::default());
        let mut store = Store::default();
        store.insert(build("a", "p"));
        store.save(&path).await.unwrap();
        assert_eq!(Store::load(&path).unwrap(), store);
        assert!(!dir.path().join("state.json.tmp").exists());
    }

    #[test]
    fn a_corrupt_state_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{").unwrap();
        let error = Store::load(&path).unwrap_err();
        assert!(error.to_string().contains("state.json"), "{error}");
    }
}
