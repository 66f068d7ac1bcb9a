//! Desired and live into one canonical model: the renames, defaults and omissions of
//! `docs/zadig-api.md` §3, applied so that a build created from a file and read back compares
//! equal to that file. Pure, no I/O.
//!
//! Choices made here, each because the alternative would never converge or would be noise:
//! - no `advanced_settings` in the file: Zadig's defaults (timeout 60, resource spec 1000/512,
//!   cache off, no host docker) are expected, and the cluster and strategy, which Zadig picks
//!   and a client cannot know, are not compared;
//! - `advanced_settings` without `resource_spec`: all zeros, as Zadig stores it;
//! - a strategy name that matched nothing reads back `""`; `diff` treats that as equal with a
//!   note (re-applying would never change it), while any other live strategy is a change.

use std::collections::{BTreeMap, BTreeSet};

use crate::reconcile::live::LiveDetail;
use crate::reconcile::marker::{Ownership, fingerprint, split_marker};
use crate::reconcile::model::{
    CanonicalAdvanced, CanonicalBody, CanonicalBuild, CanonicalCustom, CanonicalDockerBuild,
    CanonicalParameter, CanonicalRepo, CanonicalResourceSpec, CanonicalTarget, CanonicalTemplate,
    DEFAULT_TIMEOUT, DesiredCanonical, LiveCanonical, RepoKey,
};
use crate::reconcile::spec::{
    AdvancedSettings, BuildSpec, CustomBuild, DockerBuildStep, DockerfileSource, ParameterType,
    RepoInfo, ServiceRef, TemplateBuild,
};
use crate::reconcile::wire::{
    DetailAdvancedSettings, DetailCacheSetting, DetailDockerBuild, DetailParameter, DetailRepo,
    DetailResourceSpec, DetailResponse,
};

/// The outputs Zadig puts in front of the file's own `advanced_settings.outputs`.
const FIXED_OUTPUTS: [&str; 2] = ["IMAGE", "PKG_FILE"];

/// The canonical form of a build file's document, with the fingerprint of the whole spec.
pub fn from_spec(spec: &BuildSpec) -> DesiredCanonical {
    let body = match spec {
        BuildSpec::Custom(custom) => CanonicalBody::Custom(custom_from_spec(custom)),
        BuildSpec::Template(template) => CanonicalBody::Template(template_from_spec(template)),
    };
    DesiredCanonical {
        build: CanonicalBuild {
            project: spec.project_key().to_string(),
            name: spec.name().to_string(),
            body,
        },
        fingerprint: fingerprint(spec),
    }
}

/// The canonical form of what Zadig returned for a build. Its marker counts only when it names
/// this very build: one naming another build came with a copied script.
pub fn from_live(detail: &LiveDetail) -> LiveCanonical {
    let base = detail.base();
    let (body, ownership) = match detail {
        LiveDetail::Template { targets, .. } => (
            CanonicalBody::Template(template_from_live(base, targets)),
            Ownership::Unmarked,
        ),
        LiveDetail::Custom(base) => {
            let split = split_marker(&base.build_script);
            let ownership = Ownership::of_marker(split.marker, &base.project_key, &base.name);
            (
                CanonicalBody::Custom(custom_from_live(base, split.script)),
                ownership,
            )
        }
    };
    LiveCanonical {
        build: CanonicalBuild {
            project: base.project_key.clone(),
            name: base.name.clone(),
            body,
        },
        ownership,
    }
}

fn custom_from_spec(build: &CustomBuild) -> CanonicalCustom {
    let advanced = build.advanced_settings.as_ref();
    CanonicalCustom {
        build_os: build.build_os.clone(),
        installs: installs(&build.installs),
        build_script: split_marker(&build.build_script).script,
        repos: repos_from_spec(&build.repo_info),
        parameters: build
            .parameters
            .iter()
            .map(|p| {
                let parameter = parameter(p.kind, &p.default_value, p.is_credential);
                (p.key.clone(), parameter)
            })
            .collect(),
        services: services(&build.services),
        docker_build: build.docker_build_step.as_ref().map(docker_from_spec),
        advanced: advanced.map_or_else(zadig_default_advanced, advanced_from_spec),
        outputs: advanced.map(|a| a.outputs.clone()).unwrap_or_default(),
    }
}

fn custom_from_live(base: &DetailResponse, script: String) -> CanonicalCustom {
    CanonicalCustom {
        build_os: base.build_env.basic_image_label.clone(),
        installs: installs(&base.build_env.installs),
        build_script: script,
        repos: repos_from_live(&base.repos),
        parameters: parameters_from_live(&base.parameters),
        services: services(&base.target_services),
        docker_build: base.post_build.docker_build.as_ref().map(docker_from_live),
        advanced: advanced_from_live(&base.advanced_settings),
        outputs: outputs_from_live(base),
    }
}

fn template_from_spec(build: &TemplateBuild) -> CanonicalTemplate {
    let targets = build.target_services.iter().map(|target| {
        let inputs = target
            .inputs
            .iter()
            .map(|i| (i.key.clone(), parameter(i.kind, &i.value, i.is_credential)))
            .collect();
        let key = ServiceRef {
            service_name: target.service_name.clone(),
            service_module: target.service_module.clone(),
        };
        let repos = repos_from_spec(&target.repo_info);
        (key, CanonicalTarget { repos, inputs })
    });
    CanonicalTemplate {
        template_name: build.template_name.clone(),
        targets: targets.collect(),
    }
}

/// Services come from the base detail; each one's repos and inputs from its own detail call.
/// A service whose detail the fetch stage did not provide compares as empty.
fn template_from_live(
    base: &DetailResponse,
    targets: &[(ServiceRef, DetailResponse)],
) -> CanonicalTemplate {
    let targets = base.target_services.iter().map(|service| {
        let target = targets
            .iter()
            .find(|(reference, _)| reference == service)
            .map(|(_, response)| CanonicalTarget {
                repos: repos_from_live(&response.repos),
                inputs: parameters_from_live(&response.parameters),
            })
            .unwrap_or_default();
        (service.clone(), target)
    });
    CanonicalTemplate {
        template_name: base.template_name.clone(),
        targets: targets.collect(),
    }
}

fn installs(list: &[crate::reconcile::spec::Install]) -> BTreeMap<String, String> {
    list.iter()
        .map(|i| (i.name.clone(), i.version.clone()))
        .collect()
}

fn services(list: &[ServiceRef]) -> BTreeSet<ServiceRef> {
    list.iter().cloned().collect()
}

/// The file's repos as Zadig returns them (`repo_namespace` becomes `repo_owner`; the code
/// host name, commit and PRs are not returned), then as the live side.
fn repos_from_spec(list: &[RepoInfo]) -> BTreeMap<RepoKey, CanonicalRepo> {
    let as_returned: Vec<DetailRepo> = list
        .iter()
        .map(|r| DetailRepo {
            repo_owner: r.repo_namespace.clone(),
            repo_name: r.repo_name.clone(),
            branch: r.branch.clone(),
            remote_name: r.remote_name.clone(),
            checkout_path: r.checkout_path.clone(),
            submodules: r.submodules,
            ..DetailRepo::default()
        })
        .collect();
    repos_from_live(&as_returned)
}

fn repos_from_live(list: &[DetailRepo]) -> BTreeMap<RepoKey, CanonicalRepo> {
    list.iter()
        .map(|r| {
            let repo = CanonicalRepo {
                branch: r.branch.clone(),
                remote_name: r.remote_name.clone(),
                checkout_path: r.checkout_path.clone(),
                submodules: r.submodules,
            };
            (repo_key(&r.repo_owner, &r.repo_name), repo)
        })
        .collect()
}

fn repo_key(namespace: &str, name: &str) -> RepoKey {
    RepoKey {
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}

fn parameter(kind: Option<ParameterType>, value: &str, is_credential: bool) -> CanonicalParameter {
    CanonicalParameter {
        kind: kind
            .map(parameter_type_name)
            .unwrap_or_default()
            .to_string(),
        value: value.to_string(),
        is_credential,
    }
}

fn parameters_from_live(list: &[DetailParameter]) -> BTreeMap<String, CanonicalParameter> {
    list.iter()
        .map(|p| {
            let parameter = CanonicalParameter {
                kind: p.kind.clone(),
                value: p.value.clone(),
                is_credential: p.is_credential,
            };
            (p.key.clone(), parameter)
        })
        .collect()
}

/// The name Zadig stores for a parameter type (the serde name in `spec`).
fn parameter_type_name(kind: ParameterType) -> &'static str {
    match kind {
        ParameterType::String => "string",
        ParameterType::Choice => "choice",
        ParameterType::MultiSelect => "multi-select",
        ParameterType::Image => "image",
        ParameterType::Script => "script",
        ParameterType::File => "file",
        ParameterType::External => "external",
    }
}

fn docker_from_spec(step: &DockerBuildStep) -> CanonicalDockerBuild {
    let (source, dockerfile, template_name) = match step.dockerfile_source {
        DockerfileSource::Local => ("local", step.dockerfile_directory.trim(), ""),
        DockerfileSource::Template => ("template", "", step.template_name.as_str()),
    };
    CanonicalDockerBuild {
        dockerfile_source: source.to_string(),
        build_context_dir: step.build_context_dir.trim().to_string(),
        dockerfile_directory: dockerfile.to_string(),
        template_name: template_name.to_string(),
        build_args: step.build_args.clone(),
        enable_buildkit: step.enable_buildkit,
        platforms: step.platforms.clone(),
    }
}

fn docker_from_live(docker: &DetailDockerBuild) -> CanonicalDockerBuild {
    CanonicalDockerBuild {
        dockerfile_source: docker.source.clone(),
        build_context_dir: docker.work_dir.clone(),
        dockerfile_directory: docker.docker_file.clone(),
        template_name: docker.template_name.clone(),
        build_args: docker.build_args.clone(),
        enable_buildkit: docker.enable_buildkit,
        platforms: docker.platform.clone(),
    }
}

fn zadig_default_advanced() -> CanonicalAdvanced {
    CanonicalAdvanced {
        timeout: DEFAULT_TIMEOUT,
        cluster_name: None,
        strategy_name: None,
        resource_spec: CanonicalResourceSpec::zadig_default(),
        cache_enabled: false,
        cache_dir: String::new(),
        use_host_docker_daemon: false,
    }
}

/// The file's settings as Zadig returns them (an omitted resource spec or cache is stored as
/// zeros), then as the live side.
fn advanced_from_spec(settings: &AdvancedSettings) -> CanonicalAdvanced {
    let spec = settings.resource_spec.clone().unwrap_or_default();
    let cache = settings.cache_setting.clone().unwrap_or_default();
    advanced_from_live(&DetailAdvancedSettings {
        timeout: settings.timeout,
        cache_setting: DetailCacheSetting {
            enabled: cache.enabled,
            cache_dir: cache.cache_dir,
        },
        cluster_name: settings.cluster_name.clone(),
        resource_spec: DetailResourceSpec {
            cpu_limit: spec.cpu_limit,
            memory_limit: spec.memory_limit,
            cpu_req: spec.cpu_req,
            memory_req: spec.memory_req,
            gpu_limit: spec.gpu_limit,
        },
        strategy_name: settings.strategy_name.clone(),
        use_host_docker_daemon: settings.use_host_docker_daemon,
        ..DetailAdvancedSettings::default()
    })
}

fn advanced_from_live(settings: &DetailAdvancedSettings) -> CanonicalAdvanced {
    let spec = &settings.resource_spec;
    let cache = &settings.cache_setting;
    CanonicalAdvanced {
        timeout: settings.timeout,
        cluster_name: Some(settings.cluster_name.clone()),
        strategy_name: Some(settings.strategy_name.clone()),
        resource_spec: CanonicalResourceSpec {
            cpu_limit: spec.cpu_limit,
            memory_limit: spec.memory_limit,
            cpu_req: spec.cpu_req,
            memory_req: spec.memory_req,
            gpu_limit: spec.gpu_limit.clone(),
        },
        cache_dir: cache.cache_dir.clone(),
        cache_enabled: cache.enabled,
        use_host_docker_daemon: settings.use_host_docker_daemon,
    }
}

/// Top-level outputs without the fixed `IMAGE`, `PKG_FILE` prefix (only where they are in
/// front, so that a file's own output named `IMAGE` still compares).
fn outputs_from_live(base: &DetailResponse) -> Vec<String> {
    let names: Vec<&str> = base.outputs.iter().map(|o| o.name.as_str()).collect();
    let own = names.strip_prefix(&FIXED_OUTPUTS[..]).unwrap_or(&names);
    own.iter().map(|name| name.to_string()).collect()
}
