//! Request bodies into stored documents, as Zadig's `generateBuildModuleFromOpenAPIRequest`
//! and `generateBuildModuleFromOpenAPITemplateRequest` do it: look up images, code hosts,
//! clusters, strategies and templates by name, fill defaults, merge template inputs, and keep
//! `********` parameters. A failed lookup is a [`LookupError`]; the caller picks its code. No I/O.

use super::model::{
    BuildDoc, DockerBuildDoc, InstallDoc, KeyAnyDoc, KeyValDoc, OutputDoc, PostBuildDoc,
    PreBuildDoc, RepoDoc, ResourceSpecDoc, TargetDoc,
};
use super::request::{
    AdvancedSettingsInput, CustomBuildRequest, DockerBuildStepInput, InputKv, ParameterInput,
    RepoInput, ServiceBuildArgs, TemplateBuildRequest,
};
use super::seeds::{BuildTemplate, Seeds, TemplateVariable};

/// A name in the body that names nothing; `description` is what Zadig puts in the error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{description}")]
pub struct LookupError {
    pub description: String,
}

fn not_found(what: &str, name: &str) -> LookupError {
    LookupError {
        description: format!(
            "failed to find the {what} of name: {name}, error is: mongo: no documents in result"
        ),
    }
}

/// The value a client sends to mean "keep the stored one".
pub const MASK: &str = "********";

/// Zadig's own images keep their label as `build_os`; others store the image address.
const KODEROVER_LABELS: [&str; 2] = ["ubuntu 18.04", "ubuntu 20.04"];
/// The image id of the template stub: a constant that exists on almost no install.
const TEMPLATE_STUB_IMAGE_ID: &str = "61af6b575c9beafb9ab130dc";
const DEFAULT_TIMEOUT_MINUTES: i64 = 60;
const LOW_SPEC: ResourceSpecDoc = ResourceSpecDoc {
    cpu_limit: 1000,
    memory_limit: 512,
    cpu_req: 0,
    memory_req: 0,
    gpu_limit: String::new(),
};

/// A custom build's document, without `update_by`/`update_time` (the caller stamps them).
pub fn custom_build(seeds: &Seeds, request: &CustomBuildRequest) -> Result<BuildDoc, LookupError> {
    let image = seeds
        .image_by_label(&request.build_os)
        .ok_or_else(|| not_found("basic image", &request.build_os))?;
    let koderover = KODEROVER_LABELS.contains(&image.label.as_str());
    let repos = repos(seeds, &request.repo_info)?;
    let docker_build = request
        .docker_build_step
        .as_ref()
        .map(|step| docker_build(seeds, step))
        .transpose()?;
    let mut build = match &request.advanced_settings {
        Some(settings) => with_advanced_settings(seeds, settings)?,
        None => with_default_settings(seeds),
    };
    build.name = request.name.clone();
    build.product_name = request.project_key.clone();
    build.source = "zadig".to_owned();
    build.infrastructure = request.infrastructure.clone();
    build.script_type = request.script_type.clone();
    build.scripts = request.build_script.clone();
    build.repos = repos;
    build.post_build = PostBuildDoc {
        docker_build,
        scripts: String::new(),
    };
    build.targets = request
        .services
        .iter()
        .map(|service| TargetDoc {
            product_name: request.project_key.clone(),
            service_name: service.service_name.clone(),
            service_module: service.service_module.clone(),
            ..TargetDoc::default()
        })
        .collect();
    let pre_build = &mut build.pre_build;
    pre_build.image_id = image.id.clone();
    pre_build.image_from = if koderover { "koderover" } else { "custom" }.to_owned();
    pre_build.build_os = if koderover {
        &image.label
    } else {
        &image.value
    }
    .clone();
    pre_build.installs = request
        .installs
        .iter()
        .map(|install| InstallDoc {
            name: install.name.clone(),
            version: install.version.clone(),
        })
        .collect();
    pre_build.envs = request.parameters.iter().map(parameter).collect();
    Ok(build)
}

fn with_default_settings(seeds: &Seeds) -> BuildDoc {
    let local = seeds.local_cluster();
    let default_strategy = local
        .and_then(|cluster| cluster.strategies.iter().find(|strategy| strategy.default))
        .map(|strategy| strategy.id.clone());
    BuildDoc {
        timeout: DEFAULT_TIMEOUT_MINUTES,
        outputs: outputs(&[]),
        cache_dir_type: "workspace".to_owned(),
        pre_build: PreBuildDoc {
            cluster_id: local.map(|cluster| cluster.id.clone()).unwrap_or_default(),
            strategy_id: default_strategy.unwrap_or_default(),
            res_req: "low".to_owned(),
            res_req_spec: LOW_SPEC,
            ..PreBuildDoc::default()
        },
        ..BuildDoc::default()
    }
}

fn with_advanced_settings(
    seeds: &Seeds,
    settings: &AdvancedSettingsInput,
) -> Result<BuildDoc, LookupError> {
    let cluster = seeds
        .cluster_by_name(&settings.cluster_name)
        .ok_or_else(|| not_found("cluster", &settings.cluster_name))?;
    // No match leaves the strategy empty; of several matches the last wins, as in Zadig.
    let strategy = cluster
        .strategies
        .iter()
        .rev()
        .find(|strategy| strategy.name == settings.strategy_name);
    let spec = settings.resource_spec.clone().unwrap_or_default();
    check_gpu_limit(&spec.gpu_limit)?;
    Ok(BuildDoc {
        timeout: settings.timeout,
        outputs: outputs(&settings.outputs),
        cache_enable: settings.cache_enabled,
        cache_dir_type: if settings.cache_enabled {
            "user_defined"
        } else {
            "workspace"
        }
        .to_owned(),
        cache_user_dir: if settings.cache_enabled {
            settings.cache_dir.clone()
        } else {
            String::new()
        },
        advanced_setting_modified: true,
        pre_build: PreBuildDoc {
            cluster_id: cluster.id.clone(),
            strategy_id: strategy
                .map(|strategy| strategy.id.clone())
                .unwrap_or_default(),
            res_req: "define".to_owned(),
            res_req_spec: ResourceSpecDoc {
                cpu_limit: spec.cpu_limit,
                memory_limit: spec.memory_limit,
                cpu_req: spec.cpu_req,
                memory_req: spec.memory_req,
                gpu_limit: spec.gpu_limit,
            },
            storages: settings.storages.clone(),
            custom_annotations: key_any(&settings.custom_annotations),
            custom_labels: key_any(&settings.custom_labels),
            enable_privileged_mode: settings.privileged_mode,
            use_host_docker_daemon: settings.use_host_docker_daemon,
            ..PreBuildDoc::default()
        },
        ..BuildDoc::default()
    })
}

/// `gpu_limit` must read `<resource>: <quantity>`, e.g. `nvidia.com/gpu: 1`.
fn check_gpu_limit(limit: &str) -> Result<(), LookupError> {
    if limit.is_empty() {
        return Ok(());
    }
    match limit.split_once(':') {
        Some((resource, quantity))
            if !resource.trim().is_empty() && !quantity.trim().is_empty() =>
        {
            Ok(())
        }
        _ => Err(LookupError {
            description: format!(
                "invalid gpu limit: {limit}, it should be like `nvidia.com/gpu: 1`"
            ),
        }),
    }
}

fn outputs(extra: &[String]) -> Vec<OutputDoc> {
    ["IMAGE", "PKG_FILE"]
        .into_iter()
        .map(str::to_owned)
        .chain(extra.iter().cloned())
        .map(|name| OutputDoc {
            name,
            description: String::new(),
        })
        .collect()
}

fn key_any(pairs: &[(String, serde_json::Value)]) -> Vec<KeyAnyDoc> {
    pairs
        .iter()
        .map(|(key, value)| KeyAnyDoc {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

fn parameter(input: &ParameterInput) -> KeyValDoc {
    KeyValDoc {
        key: input.key.clone(),
        value: input.default_value.clone(),
        kind: input.kind.clone(),
        choice_option: input.choice_option.clone(),
        choice_value: input.choice_value.clone(),
        is_credential: input.is_credential,
        description: input.description.clone(),
    }
}

fn docker_build(seeds: &Seeds, step: &DockerBuildStepInput) -> Result<DockerBuildDoc, LookupError> {
    let mut doc = DockerBuildDoc {
        work_dir: step.build_context_dir.trim().to_owned(),
        build_args: step.build_args.clone(),
        source: step.dockerfile_source.clone(),
        enable_buildkit: step.enable_buildkit,
        platform: step.platforms.clone(),
        ..DockerBuildDoc::default()
    };
    match step.dockerfile_source.as_str() {
        "local" => doc.docker_file = step.dockerfile_directory.trim().to_owned(),
        "template" => {
            let template = seeds
                .dockerfile_template(&step.template_name)
                .ok_or_else(|| not_found("dockerfile template", &step.template_name))?;
            doc.template_id = template.id.clone();
            doc.template_name = template.name.clone();
        }
        _ => {
            return Err(LookupError {
                description: "unsupported dockerfile type, it can only be local or template"
                    .to_owned(),
            });
        }
    }
    Ok(doc)
}

/// `ToBuildRepository`: the code host by alias among system-level hosts.
fn repos(seeds: &Seeds, inputs: &[RepoInput]) -> Result<Vec<RepoDoc>, LookupError> {
    inputs.iter().map(|input| repo(seeds, input)).collect()
}

fn repo(seeds: &Seeds, input: &RepoInput) -> Result<RepoDoc, LookupError> {
    let host = seeds
        .system_code_host(&input.codehost_name)
        .ok_or_else(|| not_found("codehost", &input.codehost_name))?;
    let trim = |text: &str| {
        if host.kind == "other" {
            text.trim_matches('/')
        } else {
            text
        }
        .to_owned()
    };
    Ok(RepoDoc {
        source: host.kind.clone(),
        codehost_id: host.id,
        repo_owner: trim(&input.repo_namespace),
        repo_namespace: trim(&input.repo_namespace),
        repo_name: trim(&input.repo_name),
        branch: input.branch.clone(),
        pr: input.pr,
        prs: input.prs.clone(),
        enable_commit: input.enable_commit,
        commit_id: input.commit_id.clone(),
        remote_name: input.remote_name.clone(),
        checkout_path: input.checkout_path.clone(),
        submodules: input.submodules,
        hidden: false,
    })
}

/// The build template a template request names; Zadig answers its absence with a plain 500.
pub fn build_template<'a>(seeds: &'a Seeds, name: &str) -> Result<&'a BuildTemplate, LookupError> {
    seeds.build_template_by_name(name).ok_or_else(|| LookupError {
        description: format!(
            "failed to find the build template specified by the user, template name: [{name}], err: mongo: no documents in result"
        ),
    })
}

/// The targets of a template build: per service, its repos and the template-merged envs.
pub fn template_targets(
    seeds: &Seeds,
    template: &BuildTemplate,
    request: &TemplateBuildRequest,
) -> Result<Vec<TargetDoc>, LookupError> {
    request
        .target_services
        .iter()
        .map(|service| template_target(seeds, template, &request.project_key, service))
        .collect()
}

fn template_target(
    seeds: &Seeds,
    template: &BuildTemplate,
    project_key: &str,
    service: &ServiceBuildArgs,
) -> Result<TargetDoc, LookupError> {
    Ok(TargetDoc {
        product_name: project_key.to_owned(),
        service_name: service.service_name.clone(),
        service_module: service.service_module.clone(),
        repos: repos(seeds, &service.repo_info)?,
        envs: merge_template_envs(&template.variables, &service.inputs),
    })
}

/// `MergeBuildEnvs`: only the template's keys survive; an input's value, type and credential
/// flag win (its type may be empty); the template keeps its choices and description.
pub fn merge_template_envs(variables: &[TemplateVariable], inputs: &[InputKv]) -> Vec<KeyValDoc> {
    variables
        .iter()
        .map(|variable| {
            let mut env = KeyValDoc {
                key: variable.key.clone(),
                value: variable.value.clone(),
                kind: variable.kind.clone(),
                choice_option: variable.choice_option.clone(),
                is_credential: variable.is_credential,
                description: variable.description.clone(),
                ..KeyValDoc::default()
            };
            if let Some(input) = inputs.iter().rev().find(|input| input.key == variable.key) {
                env.value = input.value.clone();
                env.kind = input.kind.clone();
                env.is_credential = input.is_credential;
            }
            env
        })
        .collect()
}

/// A new template build: the targets plus Zadig's hard-coded stub for everything else.
pub fn template_build(
    seeds: &Seeds,
    request: &TemplateBuildRequest,
) -> Result<BuildDoc, LookupError> {
    let template = build_template(seeds, &request.template_name)?;
    let targets = template_targets(seeds, template, request)?;
    Ok(BuildDoc {
        name: request.name.clone(),
        product_name: request.project_key.clone(),
        source: "zadig".to_owned(),
        template_id: template.id.clone(),
        targets,
        advanced_setting_modified: true,
        pre_build: PreBuildDoc {
            cluster_id: seeds
                .local_cluster()
                .map(|cluster| cluster.id.clone())
                .unwrap_or_default(),
            res_req: "low".to_owned(),
            res_req_spec: LOW_SPEC,
            build_os: "focal".to_owned(),
            image_from: "koderover".to_owned(),
            image_id: TEMPLATE_STUB_IMAGE_ID.to_owned(),
            ..PreBuildDoc::default()
        },
        ..BuildDoc::default()
    })
}

/// `EnsureSecretEnvs`: a `********` value takes the stored value of the same key (any key,
/// not only credentials); an unknown key becomes empty; with nothing stored, nothing changes.
pub fn keep_masked_values(stored: &[KeyValDoc], incoming: &mut [KeyValDoc]) {
    if stored.is_empty() {
        return;
    }
    for env in incoming.iter_mut().filter(|env| env.value == MASK) {
        env.value = stored
            .iter()
            .find(|old| old.key == env.key)
            .map(|old| old.value.clone())
            .unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(key: &str, value: &str) -> KeyValDoc {
        KeyValDoc {
            key: key.to_owned(),
            value: value.to_owned(),
            ..KeyValDoc::default()
        }
    }

    #[test]
    fn masked_values_keep_the_stored_value_or_become_empty() {
        let stored = [env("token", "s3cret"), env("plain", "p")];
        let mut incoming = [
            env("token", MASK),
            env("plain", MASK),
            env("new", MASK),
            env("x", "y"),
        ];
        keep_masked_values(&stored, &mut incoming);
        let values: Vec<_> = incoming.iter().map(|env| env.value.as_str()).collect();
        assert_eq!(values, ["s3cret", "p", "", "y"]);
    }

    #[test]
    fn with_nothing_stored_the_mask_is_saved_literally() {
        let mut incoming = [env("token", MASK)];
        keep_masked_values(&[], &mut incoming);
        assert_eq!(incoming[0].value, MASK);
    }

    #[test]
    fn gpu_limits_need_a_resource_and_a_quantity() {
        assert!(check_gpu_limit("").is_ok());
        assert!(check_gpu_limit("nvidia.com/gpu: 1").is_ok());
        assert!(check_gpu_limit("1").is_err());
        assert!(check_gpu_limit("nvidia.com/gpu:").is_err());
    }

    #[test]
    fn an_unknown_image_label_is_a_lookup_error_naming_it() {
        let request = CustomBuildRequest {
            build_os: "focal".to_owned(),
            ..Default::default()
        };
        let error = custom_build(&Seeds::default(), &request).unwrap_err();
        assert_eq!(
            error.description,
            "failed to find the basic image of name: focal, error is: mongo: no documents in result"
        );
    }
}
