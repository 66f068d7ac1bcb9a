//! The emulator's own response types: list, detail (`OpenAPIBuildDetailResp`) and the error
//! envelopes, with Zadig's field names, `omitempty`s and nils-as-`[]`. No I/O.

use serde::Serialize;

/// `{"message":"success"}`: all that create, update and delete return.
#[derive(Debug, Serialize)]
pub struct Success {
    pub message: &'static str,
}

pub const SUCCESS: Success = Success { message: "success" };

/// An `*HTTPError` body: sent with status 400 when `code` is in 6000–7999, else `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: &'static str,
    pub code: u16,
    pub description: String,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A non-`HTTPError` failure: no `type`, no `extra`, and a message ending in ": ".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InternalErrorBody {
    pub message: &'static str,
    pub code: u16,
    pub description: String,
}

#[derive(Debug, Serialize)]
pub struct ListResponse {
    pub total: usize,
    pub builds: Vec<ListedBuild>,
}

#[derive(Debug, Serialize)]
pub struct ListedBuild {
    pub name: String,
    pub project_key: String,
    pub source: String,
    pub update_by: String,
    pub update_time: i64,
    pub target_services: Vec<TargetService>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetService {
    pub service_name: String,
    pub service_module: String,
}

#[derive(Debug, Serialize)]
pub struct DetailResponse {
    pub project_key: String,
    pub name: String,
    pub source: String,
    pub target_services: Vec<TargetService>,
    pub template_name: String,
    pub update_by: String,
    pub update_time: i64,
    pub repos: Vec<DetailRepo>,
    pub build_env: BuildEnv,
    pub advanced_settings: DetailAdvancedSettings,
    pub build_script: String,
    pub parameters: Vec<DetailParameter>,
    pub outputs: Vec<DetailOutput>,
    pub post_build: DetailPostBuild,
}

#[derive(Debug, Serialize)]
pub struct DetailRepo {
    pub source: String,
    pub repo_owner: String,
    pub repo_name: String,
    pub branch: String,
    pub remote_name: String,
    pub checkout_path: String,
    pub submodules: bool,
    pub hidden: bool,
}

#[derive(Debug, Serialize)]
pub struct BuildEnv {
    pub basic_image_id: String,
    pub basic_image_label: String,
    pub installs: Vec<DetailInstall>,
}

#[derive(Debug, Serialize)]
pub struct DetailInstall {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Serialize)]
pub struct DetailAdvancedSettings {
    pub timeout: i64,
    pub cache_setting: CacheSetting,
    pub cluster_name: String,
    pub resource_spec: ResourceSpec,
    pub strategy_name: String,
    /// Stored, never returned.
    pub storages: Option<()>,
    pub use_host_docker_daemon: bool,
    /// Stored, never returned: always false.
    pub privileged_mode: bool,
    pub custom_annotations: Vec<()>,
    pub custom_labels: Vec<()>,
    /// Always empty: the outputs show up in the top-level `outputs`.
    pub outputs: Vec<()>,
}

#[derive(Debug, Serialize)]
pub struct CacheSetting {
    pub enabled: bool,
    pub cache_dir: String,
}

#[derive(Debug, Serialize)]
pub struct ResourceSpec {
    pub cpu_limit: i64,
    pub memory_limit: i64,
    pub cpu_req: i64,
    pub memory_req: i64,
    pub gpu_limit: String,
}

#[derive(Debug, Serialize)]
pub struct DetailParameter {
    pub key: String,
    pub value: String,
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choice_option: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choice_value: Vec<String>,
    pub is_credential: bool,
}

#[derive(Debug, Serialize)]
pub struct DetailOutput {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Serialize)]
pub struct DetailPostBuild {
    pub docker_build: Option<DetailDockerBuild>,
    /// The OpenAPI never sets object storage upload.
    pub object_storage_upload: Option<()>,
    pub scripts: String,
}

#[derive(Debug, Serialize)]
pub struct DetailDockerBuild {
    pub work_dir: String,
    pub docker_file: String,
    pub build_args: String,
    pub source: String,
    pub template_id: String,
    pub template_name: String,
    pub enable_buildkit: bool,
    pub platform: String,
}
