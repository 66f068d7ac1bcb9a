//! What Zadig sends back on the read routes (list and detail), field for field as
//! `docs/zadig-api.md` §6–7 describes them. Pure data, no I/O.
//!
//! Every field has a default so that an older or newer Zadig that omits one still parses; a
//! missing field then reads as empty, which `normalize` treats like Zadig's own zero value.

use serde::{Deserialize, Serialize};

use crate::reconcile::spec::ServiceRef;

/// `GET /openapi/build?projectKey=…` (one page).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListResponse {
    /// Count of all builds in the project, independent of paging.
    pub total: i64,
    pub builds: Vec<ListedBuild>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListedBuild {
    pub name: String,
    pub project_key: String,
    /// `zadig` or `jenkins`; template builds also say `zadig`.
    pub source: String,
    pub update_by: String,
    /// Unix seconds.
    pub update_time: i64,
    pub target_services: Vec<ServiceRef>,
}

/// `GET /openapi/build/{name}/detail?projectKey=…[&serviceName=…&serviceModule=…]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailResponse {
    pub project_key: String,
    pub name: String,
    pub source: String,
    pub target_services: Vec<ServiceRef>,
    /// `""` for custom builds.
    pub template_name: String,
    pub update_by: String,
    /// Unix seconds.
    pub update_time: i64,
    pub repos: Vec<DetailRepo>,
    pub build_env: BuildEnv,
    pub advanced_settings: DetailAdvancedSettings,
    pub build_script: String,
    pub parameters: Vec<DetailParameter>,
    pub outputs: Vec<DetailOutput>,
    pub post_build: PostBuild,
}

impl DetailResponse {
    /// Gives back the spare room of every list. A JSON array is parsed into a vector that
    /// grows as it goes (one repo leaves room for four), and the daemon keeps thousands of
    /// details for months: that room would be most of their size.
    pub fn shrink_to_fit(&mut self) {
        self.target_services.shrink_to_fit();
        self.repos.shrink_to_fit();
        self.build_env.installs.shrink_to_fit();
        let advanced = &mut self.advanced_settings;
        advanced.custom_annotations.shrink_to_fit();
        advanced.custom_labels.shrink_to_fit();
        advanced.outputs.shrink_to_fit();
        self.parameters.shrink_to_fit();
        for parameter in &mut self.parameters {
            parameter.choice_option.shrink_to_fit();
            parameter.choice_value.shrink_to_fit();
        }
        self.outputs.shrink_to_fit();
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailRepo {
    /// The code host's TYPE (`github`, `gitlab`, …), not its name.
    pub source: String,
    /// The create body's `repo_namespace`.
    pub repo_owner: String,
    pub repo_name: String,
    pub branch: String,
    pub remote_name: String,
    pub checkout_path: String,
    pub submodules: bool,
    pub hidden: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BuildEnv {
    pub basic_image_id: String,
    /// The create body's `build_os`.
    pub basic_image_label: String,
    pub installs: Vec<crate::reconcile::spec::Install>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailAdvancedSettings {
    pub timeout: i64,
    pub cache_setting: DetailCacheSetting,
    pub cluster_name: String,
    pub resource_spec: DetailResourceSpec,
    pub strategy_name: String,
    /// Always `null`: storages are stored but never returned.
    pub storages: Option<serde_json::Value>,
    pub use_host_docker_daemon: bool,
    /// Always `false`, whatever is stored.
    pub privileged_mode: bool,
    pub custom_annotations: Vec<serde_json::Value>,
    pub custom_labels: Vec<serde_json::Value>,
    /// Always `[]`: the outputs come back in the top-level `outputs`.
    pub outputs: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailCacheSetting {
    pub enabled: bool,
    pub cache_dir: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailResourceSpec {
    pub cpu_limit: i64,
    pub memory_limit: i64,
    pub cpu_req: i64,
    pub memory_req: i64,
    pub gpu_limit: String,
}

/// A parameter as detail returns it: `default_value` is renamed `value`, and (custom builds)
/// `description`, `choice_option` and `choice_value` are not returned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailParameter {
    pub key: String,
    /// Plain text even when `is_credential` is true.
    pub value: String,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choice_option: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choice_value: Vec<String>,
    pub is_credential: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailOutput {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PostBuild {
    pub docker_build: Option<DetailDockerBuild>,
    pub object_storage_upload: Option<serde_json::Value>,
    pub scripts: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailDockerBuild {
    /// The create body's `build_context_dir`, space-trimmed.
    pub work_dir: String,
    /// The create body's `dockerfile_directory` (local only).
    pub docker_file: String,
    pub build_args: String,
    /// The create body's `dockerfile_source`.
    pub source: String,
    pub template_id: String,
    pub template_name: String,
    pub enable_buildkit: bool,
    /// The create body's `platforms`.
    pub platform: String,
}
