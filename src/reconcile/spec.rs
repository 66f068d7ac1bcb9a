//! The build file's data: one document of a build file, exactly the JSON body of Zadig's
//! "Create Build" (custom) or "Create Build from Template" call, after the loader has resolved
//! `build_script_file`, `${env:…}` and `${file:…}`. Pure data, no I/O.
//!
//! These types serialise to the request bodies the client sends (field names as in Zadig's
//! docs), and are what `normalize` turns into the canonical model. Shapes follow Zadig's code,
//! not its docs (`docs/zadig-api.md` §2): `installs` is a list of objects, `docker_build_step`
//! and `advanced_settings` are objects.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A build as the files want it: custom (`build_script` and friends) or from a build template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[expect(
    clippy::large_enum_variant,
    reason = "one value per build in the files; boxing would only add noise at every use"
)]
pub enum BuildSpec {
    Template(TemplateBuild),
    Custom(CustomBuild),
}

impl BuildSpec {
    pub fn name(&self) -> &str {
        match self {
            BuildSpec::Custom(b) => &b.name,
            BuildSpec::Template(b) => &b.name,
        }
    }

    pub fn project_key(&self) -> &str {
        match self {
            BuildSpec::Custom(b) => &b.project_key,
            BuildSpec::Template(b) => &b.project_key,
        }
    }

    pub fn kind(&self) -> BuildKind {
        match self {
            BuildSpec::Custom(_) => BuildKind::Custom,
            BuildSpec::Template(_) => BuildKind::Template,
        }
    }
}

/// Custom builds are updated with `PUT /openapi/build`, template builds with
/// `PUT /openapi/build/{name}/template`; each route also converts a build of the other kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildKind {
    Custom,
    Template,
}

impl BuildKind {
    /// The name used in plans and messages, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            BuildKind::Custom => "custom",
            BuildKind::Template => "template",
        }
    }
}

/// Body of `POST /openapi/build` and `PUT /openapi/build`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomBuild {
    pub name: String,
    pub project_key: String,
    pub infrastructure: Infrastructure,
    /// The label of a basic image in Zadig, e.g. `ubuntu 20.04`.
    pub build_os: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub installs: Vec<Install>,
    pub script_type: ScriptType,
    #[serde(default)]
    pub build_script: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_info: Vec<RepoInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_build_step: Option<DockerBuildStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_settings: Option<AdvancedSettings>,
}

/// Body of `POST /openapi/build?source=template` and `PUT /openapi/build/{name}/template`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBuild {
    pub name: String,
    pub project_key: String,
    pub template_name: String,
    pub target_services: Vec<TargetService>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Infrastructure {
    Kubernetes,
    Vm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScriptType {
    Shell,
    BatchFile,
    Powershell,
}

/// The parameter types Zadig's model knows (`docs/zadig-api.md` §2.3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ParameterType {
    String,
    Choice,
    MultiSelect,
    Image,
    Script,
    File,
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DockerfileSource {
    Local,
    Template,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Install {
    pub name: String,
    pub version: String,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ServiceRef {
    pub service_name: String,
    pub service_module: String,
}

/// `service_name/service_module`, as in plan paths.
impl std::fmt::Display for ServiceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.service_name, self.service_module)
    }
}

/// One repository of a build. `codehost_name` is the alias of a system-level code host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepoInfo {
    pub codehost_name: String,
    pub repo_namespace: String,
    pub repo_name: String,
    pub branch: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remote_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub checkout_path: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub submodules: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub enable_commit: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub commit_id: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pr: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prs: Vec<i64>,
}

/// A custom build's variable. `default_value` is the value Zadig stores (and returns as `value`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    pub key: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<ParameterType>,
    #[serde(default)]
    pub default_value: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub is_credential: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choice_option: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choice_value: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DockerBuildStep {
    pub dockerfile_source: DockerfileSource,
    #[serde(default)]
    pub build_context_dir: String,
    /// The Dockerfile's path; used only with `dockerfile_source: local`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dockerfile_directory: String,
    /// A Dockerfile template's name; used only with `dockerfile_source: template`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub template_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub build_args: String,
    #[serde(default)]
    pub enable_buildkit: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub platforms: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvancedSettings {
    /// Required by Zadig whenever `advanced_settings` is given.
    pub cluster_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub strategy_name: String,
    /// Minutes. Zadig stores 0 when `advanced_settings` is given without it.
    #[serde(default)]
    pub timeout: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_spec: Option<ResourceSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_setting: Option<CacheSetting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storages: Option<Storages>,
    #[serde(default)]
    pub use_host_docker_daemon: bool,
    #[serde(default)]
    pub privileged_mode: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_annotations: Vec<KeyValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_labels: Vec<KeyValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    #[serde(default)]
    pub cpu_limit: i64,
    #[serde(default)]
    pub memory_limit: i64,
    #[serde(default)]
    pub cpu_req: i64,
    #[serde(default)]
    pub memory_req: i64,
    /// `<resource>: <quantity>`, e.g. `nvidia.com/gpu: 1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gpu_limit: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheSetting {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub cache_dir: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Storages {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub storages_properties: Vec<StorageProperties>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageProperties {
    #[serde(default)]
    pub provision_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub storage_class: String,
    #[serde(default)]
    pub storage_size_in_gib: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pvc: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub access_mode: String,
    #[serde(default)]
    pub subpath: String,
    #[serde(default)]
    pub mount_path: String,
    #[serde(default)]
    pub is_temporary: bool,
}

/// A custom annotation or label; Zadig takes any JSON value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyValue {
    pub key: String,
    pub value: serde_json::Value,
}

/// One service of a template build, with its repositories and template inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetService {
    pub service_name: String,
    pub service_module: String,
    #[serde(default)]
    pub repo_info: Vec<RepoInfo>,
    #[serde(default)]
    pub inputs: Vec<TemplateInput>,
}

/// A value for one of the build template's variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub key: String,
    #[serde(default)]
    pub value: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<ParameterType>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_credential: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}
