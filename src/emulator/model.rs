//! The stored build, shaped like Zadig's Mongo document (`module_build`): `pre_build`,
//! `post_build`, `targets`, `repos` with `codehost_id`, envs with their descriptions and
//! choices, storages, labels, `infrastructure`, `script_type`. Detail is rendered from this,
//! so what Zadig stores but never returns stays stored and unreturned. No I/O.

use serde::{Deserialize, Serialize};

/// One document of `module_build`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildDoc {
    pub name: String,
    /// The project key.
    pub product_name: String,
    /// `zadig` for everything the OpenAPI creates.
    pub source: String,
    /// Empty for custom builds; a build template's id for template builds.
    pub template_id: String,
    /// Minutes at run time, whatever the source comments say.
    pub timeout: i64,
    pub infrastructure: String,
    pub script_type: String,
    /// The build script.
    pub scripts: String,
    pub update_by: String,
    /// Unix seconds.
    pub update_time: i64,
    pub targets: Vec<TargetDoc>,
    pub repos: Vec<RepoDoc>,
    pub pre_build: PreBuildDoc,
    pub post_build: PostBuildDoc,
    pub outputs: Vec<OutputDoc>,
    pub cache_enable: bool,
    pub cache_dir_type: String,
    pub cache_user_dir: String,
    pub advanced_setting_modified: bool,
}

/// A service bound to the build; template builds also keep per-service repos and envs here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetDoc {
    pub product_name: String,
    pub service_name: String,
    pub service_module: String,
    pub repos: Vec<RepoDoc>,
    pub envs: Vec<KeyValDoc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepoDoc {
    /// The code host's type, not its alias.
    pub source: String,
    pub codehost_id: i64,
    pub repo_owner: String,
    pub repo_namespace: String,
    pub repo_name: String,
    pub branch: String,
    pub pr: i64,
    pub prs: Vec<i64>,
    pub enable_commit: bool,
    pub commit_id: String,
    pub remote_name: String,
    pub checkout_path: String,
    pub submodules: bool,
    pub hidden: bool,
}

/// `KeyVal`: a parameter of a custom build or an env of a template target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyValDoc {
    pub key: String,
    pub value: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub choice_option: Vec<String>,
    pub choice_value: Vec<String>,
    pub is_credential: bool,
    pub description: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PreBuildDoc {
    pub cluster_id: String,
    pub strategy_id: String,
    pub res_req: String,
    pub res_req_spec: ResourceSpecDoc,
    pub build_os: String,
    pub image_from: String,
    pub image_id: String,
    pub installs: Vec<InstallDoc>,
    pub envs: Vec<KeyValDoc>,
    pub storages: Option<serde_json::Value>,
    pub custom_annotations: Vec<KeyAnyDoc>,
    pub custom_labels: Vec<KeyAnyDoc>,
    pub enable_privileged_mode: bool,
    pub use_host_docker_daemon: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceSpecDoc {
    pub cpu_limit: i64,
    pub memory_limit: i64,
    pub cpu_req: i64,
    pub memory_req: i64,
    pub gpu_limit: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstallDoc {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyAnyDoc {
    pub key: String,
    pub value: serde_json::Value,
}

/// The OpenAPI sets only `docker_build`; object storage, file archive and scripts stay empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostBuildDoc {
    pub docker_build: Option<DockerBuildDoc>,
    pub scripts: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DockerBuildDoc {
    pub work_dir: String,
    pub docker_file: String,
    pub build_args: String,
    pub source: String,
    pub template_id: String,
    pub template_name: String,
    pub enable_buildkit: bool,
    pub platform: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputDoc {
    pub name: String,
    pub description: String,
}

impl BuildDoc {
    pub fn is_template(&self) -> bool {
        !self.template_id.is_empty()
    }
}
