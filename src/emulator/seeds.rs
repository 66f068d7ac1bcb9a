//! What a Zadig installation has before any build exists: basic images, code hosts, clusters
//! with their scheduling strategies, build and Dockerfile templates, and API users with
//! per-project permissions. The defaults are what `tests/fixtures/zadig/README.md` assumes.
//! Reading a seed file is the only I/O here.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::fsio::{self, MIB, ReadError};

/// Everything the build routes look up by name. A seed file is this, as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seeds {
    #[serde(default)]
    pub images: Vec<BasicImage>,
    #[serde(default)]
    pub code_hosts: Vec<CodeHost>,
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    #[serde(default)]
    pub build_templates: Vec<BuildTemplate>,
    #[serde(default)]
    pub dockerfile_templates: Vec<DockerfileTemplate>,
    /// Tokens besides the admin's, limited to the permissions they list.
    #[serde(default)]
    pub users: Vec<SeedUser>,
}

/// A basic image; `build_os` in a create body must equal its `label`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicImage {
    pub id: String,
    pub label: String,
    /// The image address, stored as `pre_build.build_os` for images that are not Zadig's own.
    #[serde(default)]
    pub value: String,
}

/// A code host; `codehost_name` must equal the `alias` of a system-level one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeHost {
    pub id: i64,
    pub alias: String,
    /// `github`, `gitlab`, `gerrit`, `other`…: what detail shows as a repo's `source`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `system` or `project`; project-level hosts are invisible to the OpenAPI, as in Zadig.
    #[serde(default = "system_level")]
    pub level: String,
}

fn system_level() -> String {
    "system".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub id: String,
    pub name: String,
    /// The cluster used when a create body has no `advanced_settings`.
    #[serde(default)]
    pub local: bool,
    #[serde(default)]
    pub strategies: Vec<Strategy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub default: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildTemplate {
    pub id: String,
    pub name: String,
    /// The template's `pre_build.envs`, into which a template build's inputs are merged.
    #[serde(default)]
    pub variables: Vec<TemplateVariable>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateVariable {
    pub key: String,
    #[serde(default)]
    pub value: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub is_credential: bool,
    #[serde(default)]
    pub choice_option: Vec<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerfileTemplate {
    pub id: String,
    pub name: String,
}

/// A non-admin API user: `projects` maps a project key to its permissions there, such as
/// `Build.View`, `Build.Create`, `Build.Delete`, `Env.EditConfig`, or `admin` (project admin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub token: String,
    pub name: String,
    #[serde(default)]
    pub projects: BTreeMap<String, Vec<String>>,
}

/// A seed file that could not be used; it names the file.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seed file {path} (--seed)")]
    Read {
        path: String,
        #[source]
        source: ReadError,
    },
    #[error("seed file {path} is not a valid seed document")]
    Parse {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "seed file {path} has no cluster with \"local\": true; Zadig always has one, and builds \
         without advanced_settings are placed on it"
    )]
    NoLocalCluster { path: String },
}

/// The largest seed file read: seeds are a few lists of names, far smaller than this.
pub const MAX_SEED_BYTES: u64 = 16 * MIB;

/// The token of the default seeds' limited user `dev` (see `docs/emulator.md`).
pub const LIMITED_TOKEN: &str = "dev-limited-token";

impl Seeds {
    /// Reads a seed file (JSON, the shape of [`Seeds`]); it replaces the defaults entirely.
    pub fn from_file(path: &Path) -> Result<Self, SeedError> {
        let shown = path.display().to_string();
        let text = fsio::read_bytes(path, MAX_SEED_BYTES).map_err(|source| SeedError::Read {
            path: shown.clone(),
            source,
        })?;
        let seeds: Seeds = serde_json::from_slice(&text).map_err(|source| SeedError::Parse {
            path: shown.clone(),
            source,
        })?;
        // Checked now: otherwise creates succeed and every detail answers 500 later.
        if seeds.local_cluster().is_none() {
            return Err(SeedError::NoLocalCluster { path: shown });
        }
        Ok(seeds)
    }

    pub fn image_by_label(&self, label: &str) -> Option<&BasicImage> {
        self.images.iter().find(|image| image.label == label)
    }

    pub fn image_by_id(&self, id: &str) -> Option<&BasicImage> {
        self.images.iter().find(|image| image.id == id)
    }

    pub fn system_code_host(&self, alias: &str) -> Option<&CodeHost> {
        self.code_hosts
            .iter()
            .find(|host| host.alias == alias && host.level == "system")
    }

    pub fn cluster_by_name(&self, name: &str) -> Option<&Cluster> {
        self.clusters.iter().find(|cluster| cluster.name == name)
    }

    pub fn cluster_by_id(&self, id: &str) -> Option<&Cluster> {
        self.clusters.iter().find(|cluster| cluster.id == id)
    }

    pub fn local_cluster(&self) -> Option<&Cluster> {
        self.clusters.iter().find(|cluster| cluster.local)
    }

    pub fn build_template_by_name(&self, name: &str) -> Option<&BuildTemplate> {
        self.build_templates
            .iter()
            .find(|template| template.name == name)
    }

    pub fn build_template_by_id(&self, id: &str) -> Option<&BuildTemplate> {
        self.build_templates
            .iter()
            .find(|template| template.id == id)
    }

    pub fn dockerfile_template(&self, name: &str) -> Option<&DockerfileTemplate> {
        self.dockerfile_templates
            .iter()
            .find(|template| template.name == name)
    }

    pub fn user_by_token(&self, token: &str) -> Option<&SeedUser> {
        self.users.iter().find(|user| user.token == token)
    }
}

impl Default for Seeds {
    /// The seeds of `tests/fixtures/zadig/README.md`, a Dockerfile template, and one limited user.
    fn default() -> Self {
        serde_json::from_str(DEFAULT_SEEDS).unwrap_or_else(|_| Seeds::empty())
    }
}

impl Seeds {
    fn empty() -> Self {
        Seeds {
            images: Vec::new(),
            code_hosts: Vec::new(),
            clusters: Vec::new(),
            build_templates: Vec::new(),
            dockerfile_templates: Vec::new(),
            users: Vec::new(),
        }
    }
}

/// Kept as JSON so the defaults double as the example of the seed file format.
const DEFAULT_SEEDS: &str = include_str!("default_seeds.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_seeds_parse_and_hold_what_the_fixtures_assume() {
        let seeds: Seeds = serde_json::from_str(DEFAULT_SEEDS).unwrap();
        for label in ["ubuntu 18.04", "ubuntu 20.04", "ubuntu 22.04"] {
            assert!(seeds.image_by_label(label).is_some(), "{label}");
        }
        assert_eq!(seeds.system_code_host("gitlab").unwrap().kind, "gitlab");
        let local = seeds.local_cluster().unwrap();
        assert_eq!(local.name, "local-20250523164625");
        let default = local.strategies.iter().find(|s| s.default).unwrap();
        assert_eq!(default.name, "随机调度");
        assert!(seeds.build_template_by_name("java-template").is_some());
        assert!(!seeds.dockerfile_templates.is_empty());
        assert!(seeds.user_by_token(LIMITED_TOKEN).is_some());
    }

    #[test]
    fn a_bad_seed_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seeds.json");
        std::fs::write(&path, r#"{"images": 3}"#).unwrap();
        let error = Seeds::from_file(&path).unwrap_err();
        assert!(error.to_string().contains("seeds.json"), "{error}");
    }
}
