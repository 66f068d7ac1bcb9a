//! Custom-build request bodies into stored documents, as Zadig's
//! `generateBuildModuleFromOpenAPIRequest` does it: look up images, code hosts, clusters,
//! strategies and Dockerfile templates by name, fill defaults, and keep `********`
//! parameters. A failed lookup is a [`LookupError`]; the caller picks its code. No I/O.

use super::model::{
    BuildDoc, DockerBuildDoc, InstallDoc, KeyAnyDoc, KeyValDoc, OutputDoc, PostBuildDoc,
    PreBuildDoc, RepoDoc, ResourceSpecDoc, TargetDoc,
};
use super::request::{
    AdvancedSettingsInput, CustomBuildRequest, DockerBuildStepInput, Install, ParameterInput,
    RepoInput, ResourceSpecInput, ServiceRef,
};
use super::seeds::{BasicImage, Seeds};
use crate::reconcile::quantity::check_gpu_limit;

/// A name in the body that names nothing; `description` is what Zadig puts in the error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{description}")]
pub struct LookupError {
    pub description: String,
}

impl LookupError {
    fn new(description: String) -> Self {
        Self { description }
    }
}

/// What MongoDB's driver says when a lookup finds nothing; Zadig quotes it.
const NO_DOCUMENT: &str = "mongo: no documents in result";

/// The value a client sends to mean "keep the stored one".
pub const MASK: &str = "********";

/// The labels of Zadig's own basic images.
const KODEROVER_LABELS: [&str; 2] = ["ubuntu 18.04", "ubuntu 20.04"];
const DEFAULT_TIMEOUT_MINUTES: i64 = 60;
pub(super) const LOW_SPEC: ResourceSpecDoc = ResourceSpecDoc {
    cpu_limit: 1000,
    memory_limit: 512,
    cpu_req: 0,
    memory_req: 0,
    gpu_limit: String::new(),
};

/// A custom build's document, without `update_by`/`update_time` (the caller stamps them).
/// The lookups fail in Zadig's order: the cluster, the image, the repos' code hosts, the
/// Dockerfile template; `CreateBuild`/`UpdateBuild` check the GPU limit after all of them.
pub fn custom_build(seeds: &Seeds, request: &CustomBuildRequest) -> Result<BuildDoc, LookupError> {
    let mut build = match &request.advanced_settings {
        Some(settings) => with_advanced_settings(seeds, settings)?,
        None => with_default_settings(seeds),
    };
    let image = seeds.image_by_label(&request.build_os).ok_or_else(|| {
        LookupError::new(format!(
            "failed to find the basic image of name: {}, error is: {NO_DOCUMENT}",
            request.build_os
        ))
    })?;
    let repos = repos(seeds, &request.repo_info)?;
    let docker_build = request
        .docker_build_step
        .as_ref()
        .map(|step| docker_build(seeds, step))
        .transpose()?;
    check_gpu_limit(&build.pre_build.res_req_spec.gpu_limit)
        .map_err(|error| LookupError::new(error.to_string()))?;
    set_image(&mut build.pre_build, image);
    build.pre_build.installs = request.installs.iter().map(install).collect();
    build.pre_build.envs = request.parameters.iter().map(parameter).collect();
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
        .map(|service| service_target(&request.project_key, service))
        .collect();
    Ok(build)
}

/// Zadig's own images keep their label as `build_os`; others store the image address.
fn set_image(pre_build: &mut PreBuildDoc, image: &BasicImage) {
    let koderover = KODEROVER_LABELS.contains(&image.label.as_str());
    pre_build.image_id = image.id.clone();
    pre_build.image_from = if koderover { "koderover" } else { "custom" }.to_owned();
    pre_build.build_os = if koderover {
        image.label.clone()
    } else {
        image.value.clone()
    };
}

fn install(install: &Install) -> InstallDoc {
    InstallDoc {
        name: install.name.clone(),
        version: install.version.clone(),
    }
}

fn service_target(project_key: &str, service: &ServiceRef) -> TargetDoc {
    TargetDoc {
        product_name: project_key.to_owned(),
        service_name: service.service_name.clone(),
        service_module: service.service_module.clone(),
        ..TargetDoc::default()
    }
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
        .ok_or_else(|| {
            LookupError::new(format!(
                "failed to find cluster of name: {}, error: {NO_DOCUMENT}",
                settings.cluster_name
            ))
        })?;
    // No match leaves the strategy empty; of several matches the last wins, as in Zadig.
    let strategy = cluster
        .strategies
        .iter()
        .rev()
        .find(|strategy| strategy.name == settings.strategy_name);
    // An omitted spec is stored as all zeros.
    let spec = resource_spec(settings.resource_spec.clone().unwrap_or_default());
    // The cache directory is kept only when caching is on.
    let (cache_dir_type, cache_user_dir) = match settings.cache_enabled {
        true => ("user_defined", settings.cache_dir.clone()),
        false => ("workspace", String::new()),
    };
    Ok(BuildDoc {
        timeout: settings.timeout,
        outputs: outputs(&settings.outputs),
        cache_enable: settings.cache_enabled,
        cache_dir_type: cache_dir_type.to_owned(),
        cache_user_dir,
        advanced_setting_modified: true,
        pre_build: PreBuildDoc {
            cluster_id: cluster.id.clone(),
            strategy_id: strategy
                .map(|strategy| strategy.id.clone())
                .unwrap_or_default(),
            res_req: "define".to_owned(),
            res_req_spec: spec,
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

fn resource_spec(spec: ResourceSpecInput) -> ResourceSpecDoc {
    ResourceSpecDoc {
        cpu_limit: spec.cpu_limit,
        memory_limit: spec.memory_limit,
        cpu_req: spec.cpu_req,
        memory_req: spec.memory_req,
        gpu_limit: spec.gpu_limit,
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
                .ok_or_else(|| {
                    LookupError::new(format!(
                        "failed to find the dockerfile template of name: [{}], err: {NO_DOCUMENT}",
                        step.template_name
                    ))
                })?;
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
pub(super) fn repos(seeds: &Seeds, inputs: &[RepoInput]) -> Result<Vec<RepoDoc>, LookupError> {
    inputs.iter().map(|input| repo(seeds, input)).collect()
}

fn repo(seeds: &Seeds, input: &RepoInput) -> Result<RepoDoc, LookupError> {
    let host = seeds
        .system_code_host(&input.codehost_name)
        .ok_or_else(|| {
            LookupError::new(format!(
                "failed to convert user repository input info into system repository, \
                 codehostName: [{alias}], repoName[{repo}], err: failed to find codehost with \
                 name [{alias}], error is: {NO_DOCUMENT}",
                alias = input.codehost_name,
                repo = input.repo_name
            ))
        })?;
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

/// `EnsureSecretEnvs`: a `********` value takes the stored value of the same key (any key,
/// not only credentials); an unknown key becomes empty; with nothing stored, nothing changes.
/// Zadig reads the stored values into a map, so of a key stored twice the last value counts.
pub fn keep_masked_values(stored: &[KeyValDoc], incoming: &mut [KeyValDoc]) {
    if stored.is_empty() {
        return;
    }
    for env in incoming.iter_mut().filter(|env| env.value == MASK) {
        env.value = stored
            .iter()
            .rfind(|old| old.key == env.key)
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
    fn a_key_stored_twice_gives_its_last_value() {
        let stored = [env("token", "first"), env("token", "last")];
        let mut incoming = [env("token", MASK)];
        keep_masked_values(&stored, &mut incoming);
        assert_eq!(incoming[0].value, "last");
    }

    #[test]
    fn with_nothing_stored_the_mask_is_saved_literally() {
        let mut incoming = [env("token", MASK)];
        keep_masked_values(&[], &mut incoming);
        assert_eq!(incoming[0].value, MASK);
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
