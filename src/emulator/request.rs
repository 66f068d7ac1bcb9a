//! The emulator's own request types for the build routes, written from `docs/zadig-api.md`
//! §2 (Go's `OpenAPIBuildCreationReq` and `OpenAPIBuildCreationFromTemplateReq`), and their
//! binding: wrong types and missing top-level required strings fail as gin's `BindJSON`
//! does; `required` inside slices is not enforced, as in Zadig. No I/O.

use super::json::{self, BindError, Fields};

/// The body of POST and PUT `/openapi/build` (a custom build).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomBuildRequest {
    pub name: String,
    pub project_key: String,
    pub services: Vec<ServiceRef>,
    pub infrastructure: String,
    pub build_os: String,
    pub installs: Vec<Install>,
    pub repo_info: Vec<RepoInput>,
    pub parameters: Vec<ParameterInput>,
    pub script_type: String,
    pub build_script: String,
    pub docker_build_step: Option<DockerBuildStepInput>,
    pub advanced_settings: Option<AdvancedSettingsInput>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceRef {
    pub service_name: String,
    pub service_module: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Install {
    pub name: String,
    pub version: String,
}

/// `OpenAPIRepoInput`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepoInput {
    pub codehost_name: String,
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
}

/// `ParameterSetting`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParameterInput {
    pub key: String,
    pub kind: String,
    pub default_value: String,
    pub choice_option: Vec<String>,
    pub choice_value: Vec<String>,
    pub is_credential: bool,
    pub description: String,
}

/// `OpenAPIDockerBuildStep`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DockerBuildStepInput {
    pub build_context_dir: String,
    pub dockerfile_source: String,
    pub dockerfile_directory: String,
    pub template_name: String,
    pub build_args: String,
    pub enable_buildkit: bool,
    pub platforms: String,
}

/// `OpenAPIAdvancedSetting`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdvancedSettingsInput {
    pub timeout: i64,
    pub cache_enabled: bool,
    pub cache_dir: String,
    pub cluster_name: String,
    pub resource_spec: Option<ResourceSpecInput>,
    pub strategy_name: String,
    pub storages: Option<serde_json::Value>,
    pub use_host_docker_daemon: bool,
    pub privileged_mode: bool,
    pub custom_annotations: Vec<(String, serde_json::Value)>,
    pub custom_labels: Vec<(String, serde_json::Value)>,
    pub outputs: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceSpecInput {
    pub cpu_limit: i64,
    pub memory_limit: i64,
    pub cpu_req: i64,
    pub memory_req: i64,
    pub gpu_limit: String,
}

/// The body of POST `?source=template` and PUT `/openapi/build/:name/template`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateBuildRequest {
    pub name: String,
    pub project_key: String,
    pub template_name: String,
    pub target_services: Vec<ServiceBuildArgs>,
}

/// `OpenAPIServiceBuildArgs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceBuildArgs {
    pub service_name: String,
    pub service_module: String,
    pub repo_info: Vec<RepoInput>,
    pub inputs: Vec<InputKv>,
}

/// `KV`; `file_id`, `file_name` and `file_path` are accepted and dropped, as in Zadig.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputKv {
    pub key: String,
    pub value: String,
    pub kind: String,
    pub is_credential: bool,
}

impl CustomBuildRequest {
    pub fn bind(body: &[u8]) -> Result<Self, BindError> {
        let document = json::parse(body)?;
        let fields = document.fields("body")?;
        Ok(Self {
            name: fields.required_string("name")?,
            project_key: fields.required_string("project_key")?,
            services: fields.structs("services", service_ref)?,
            infrastructure: fields.required_string("infrastructure")?,
            build_os: fields.required_string("build_os")?,
            installs: fields.structs("installs", install)?,
            repo_info: fields.structs("repo_info", repo_input)?,
            parameters: fields.structs("parameters", parameter)?,
            script_type: fields.required_string("script_type")?,
            build_script: fields.string("build_script")?,
            docker_build_step: fields
                .object("docker_build_step")?
                .map(docker_step)
                .transpose()?,
            advanced_settings: fields
                .object("advanced_settings")?
                .map(advanced)
                .transpose()?,
        })
    }
}

impl TemplateBuildRequest {
    pub fn bind(body: &[u8]) -> Result<Self, BindError> {
        let document = json::parse(body)?;
        let fields = document.fields("body")?;
        let target_services = fields
            .list("target_services", |item| {
                service_args(item.fields("target_services")?)
            })?
            .ok_or_else(|| BindError::new("target_services is required"))?;
        Ok(Self {
            name: fields.required_string("name")?,
            project_key: fields.required_string("project_key")?,
            template_name: fields.required_string("template_name")?,
            target_services,
        })
    }
}

fn service_ref(fields: Fields<'_>) -> Result<ServiceRef, BindError> {
    Ok(ServiceRef {
        service_name: fields.string("service_name")?,
        service_module: fields.string("service_module")?,
    })
}

fn install(fields: Fields<'_>) -> Result<Install, BindError> {
    Ok(Install {
        name: fields.string("name")?,
        version: fields.string("version")?,
    })
}

fn repo_input(fields: Fields<'_>) -> Result<RepoInput, BindError> {
    // Perforce fields (stream, view_mapping, changelist_id, shelve_id) are type-checked
    // like Zadig does, and not kept: no seeded code host is Perforce.
    fields.string("stream")?;
    fields.string("view_mapping")?;
    fields.int("changelist_id")?;
    fields.int("shelve_id")?;
    Ok(RepoInput {
        codehost_name: fields.string("codehost_name")?,
        repo_namespace: fields.string("repo_namespace")?,
        repo_name: fields.string("repo_name")?,
        branch: fields.string("branch")?,
        pr: fields.int("pr")?,
        prs: fields.ints("prs")?,
        enable_commit: fields.bool("enable_commit")?,
        commit_id: fields.string("commit_id")?,
        remote_name: fields.string("remote_name")?,
        checkout_path: fields.string("checkout_path")?,
        submodules: fields.bool("submodules")?,
    })
}

fn parameter(fields: Fields<'_>) -> Result<ParameterInput, BindError> {
    Ok(ParameterInput {
        key: fields.string("key")?,
        kind: fields.string("type")?,
        default_value: fields.string("default_value")?,
        choice_option: fields.strings("choice_option")?,
        choice_value: fields.strings("choice_value")?,
        is_credential: fields.bool("is_credential")?,
        description: fields.string("description")?,
    })
}

fn docker_step(fields: Fields<'_>) -> Result<DockerBuildStepInput, BindError> {
    Ok(DockerBuildStepInput {
        build_context_dir: fields.string("build_context_dir")?,
        dockerfile_source: fields.string("dockerfile_source")?,
        dockerfile_directory: fields.string("dockerfile_directory")?,
        template_name: fields.string("template_name")?,
        build_args: fields.string("build_args")?,
        enable_buildkit: fields.bool("enable_buildkit")?,
        platforms: fields.string("platforms")?,
    })
}

fn advanced(fields: Fields<'_>) -> Result<AdvancedSettingsInput, BindError> {
    let cache = fields.object("cache_setting")?;
    Ok(AdvancedSettingsInput {
        timeout: fields.int("timeout")?,
        cache_enabled: cache
            .as_ref()
            .map(|cache| cache.bool("enabled"))
            .transpose()?
            .unwrap_or(false),
        cache_dir: cache
            .map(|cache| cache.string("cache_dir"))
            .transpose()?
            .unwrap_or_default(),
        cluster_name: fields.string("cluster_name")?,
        resource_spec: fields
            .object("resource_spec")?
            .map(resource_spec)
            .transpose()?,
        strategy_name: fields.string("strategy_name")?,
        storages: fields.object("storages")?.map(storages).transpose()?,
        use_host_docker_daemon: fields.bool("use_host_docker_daemon")?,
        privileged_mode: fields.bool("privileged_mode")?,
        custom_annotations: fields.structs("custom_annotations", key_any)?,
        custom_labels: fields.structs("custom_labels", key_any)?,
        outputs: fields.strings("outputs")?,
    })
}

fn resource_spec(fields: Fields<'_>) -> Result<ResourceSpecInput, BindError> {
    Ok(ResourceSpecInput {
        cpu_limit: fields.int("cpu_limit")?,
        memory_limit: fields.int("memory_limit")?,
        cpu_req: fields.int("cpu_req")?,
        memory_req: fields.int("memory_req")?,
        gpu_limit: fields.string("gpu_limit")?,
    })
}

/// Storages are stored and never returned, so they are kept as checked JSON.
fn storages(fields: Fields<'_>) -> Result<serde_json::Value, BindError> {
    let properties = fields.structs("storages_properties", |item| {
        Ok(serde_json::json!({
            "provision_type": item.string("provision_type")?,
            "storage_class": item.string("storage_class")?,
            "storage_size_in_gib": item.int("storage_size_in_gib")?,
            "pvc": item.string("pvc")?,
            "access_mode": item.string("access_mode")?,
            "subpath": item.string("subpath")?,
            "mount_path": item.string("mount_path")?,
            "is_temporary": item.bool("is_temporary")?,
        }))
    })?;
    Ok(serde_json::json!({
        "enabled": fields.bool("enabled")?,
        "storages_properties": properties,
    }))
}

fn key_any(fields: Fields<'_>) -> Result<(String, serde_json::Value), BindError> {
    Ok((fields.string("key")?, fields.any("value")?))
}

fn service_args(fields: Fields<'_>) -> Result<ServiceBuildArgs, BindError> {
    Ok(ServiceBuildArgs {
        service_name: fields.string("service_name")?,
        service_module: fields.string("service_module")?,
        repo_info: fields.structs("repo_info", repo_input)?,
        inputs: fields.structs("inputs", input_kv)?,
    })
}

fn input_kv(fields: Fields<'_>) -> Result<InputKv, BindError> {
    fields.string("file_id")?;
    fields.string("file_name")?;
    fields.string("file_path")?;
    Ok(InputKv {
        key: fields.string("key")?,
        value: fields.string("value")?,
        kind: fields.string("type")?,
        is_credential: fields.bool("is_credential")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"name":"m","project_key":"p","infrastructure":"vm","build_os":"ubuntu 22.04","script_type":"shell"}"#;

    #[test]
    fn a_minimal_custom_body_binds() {
        let request = CustomBuildRequest::bind(MINIMAL.as_bytes()).unwrap();
        assert_eq!(request.name, "m");
        assert_eq!(request.advanced_settings, None);
    }

    #[test]
    fn missing_required_strings_do_not_bind_but_nested_required_fields_are_not_enforced() {
        for field in [
            "name",
            "project_key",
            "infrastructure",
            "build_os",
            "script_type",
        ] {
            let body = MINIMAL.replace(&format!(r#""{field}":"#), r#""ignored":"#);
            assert!(
                CustomBuildRequest::bind(body.as_bytes()).is_err(),
                "{field}"
            );
        }
        let body = MINIMAL.replace('}', r#","repo_info":[{}]}"#);
        assert_eq!(
            CustomBuildRequest::bind(body.as_bytes())
                .unwrap()
                .repo_info
                .len(),
            1
        );
    }

    #[test]
    fn wrong_types_do_not_bind() {
        for extra in [
            r#""installs":"go""#,
            r#""advanced_settings":[]"#,
            r#""docker_build_step":[]"#,
            r#""advanced_settings":{"timeout":"60"}"#,
            r#""advanced_settings":{"timeout":1.5}"#,
        ] {
            let body = MINIMAL.replace('}', &format!(",{extra}}}"));
            assert!(
                CustomBuildRequest::bind(body.as_bytes()).is_err(),
                "{extra}"
            );
        }
    }

    #[test]
    fn template_bodies_need_a_non_null_target_services() {
        let base = r#"{"name":"t","project_key":"p","template_name":"java-template""#;
        assert!(TemplateBuildRequest::bind(format!("{base}}}").as_bytes()).is_err());
        let null = format!(r#"{base},"target_services":null}}"#);
        assert!(TemplateBuildRequest::bind(null.as_bytes()).is_err());
        let empty =
            TemplateBuildRequest::bind(format!(r#"{base},"target_services":[]}}"#).as_bytes());
        assert_eq!(empty.unwrap().target_services, vec![]);
    }
}
