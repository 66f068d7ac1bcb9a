//! Stored documents into list items and detail responses, the way Zadig's
//! `OpenAPIGetBuildModule` does: renamed fields, defaults, and the fields it never returns
//! left out. No I/O.

use super::model::{BuildDoc, KeyValDoc, RepoDoc, TargetDoc};
use super::response::{
    BuildEnv, CacheSetting, DetailAdvancedSettings, DetailDockerBuild, DetailInstall, DetailOutput,
    DetailParameter, DetailPostBuild, DetailRepo, DetailResponse, ListedBuild, ResourceSpec,
    TargetService,
};
use super::seeds::Seeds;

/// What Zadig shows for an image that no longer exists (or the template stub's).
const MISSING_IMAGE_ID: &str = "000000000000000000000000";

/// Why a stored build cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// Answered with a plain 500, as Zadig does.
    #[error("failed to find cluster of id: {cluster_id}, err: mongo: no documents in result")]
    ClusterMissing { cluster_id: String },
    /// Answered 400/6523, as Zadig does for a deleted build template.
    #[error("mongo: no documents in result")]
    TemplateMissing { template_id: String },
}

/// Which target of a template build to show repos and parameters for.
#[derive(Debug, Clone, Copy)]
pub struct ServiceFilter<'a> {
    pub service_name: &'a str,
    pub service_module: &'a str,
}

pub fn listed(build: &BuildDoc) -> ListedBuild {
    ListedBuild {
        name: build.name.clone(),
        project_key: build.product_name.clone(),
        source: build.source.clone(),
        update_by: build.update_by.clone(),
        update_time: build.update_time,
        target_services: target_services(&build.targets),
    }
}

pub fn detail(
    seeds: &Seeds,
    build: &BuildDoc,
    service: ServiceFilter<'_>,
) -> Result<DetailResponse, RenderError> {
    let template_name = template_name(seeds, build)?;
    let (repos, parameters) = repos_and_parameters(build, service);
    Ok(DetailResponse {
        project_key: build.product_name.clone(),
        name: build.name.clone(),
        source: build.source.clone(),
        target_services: target_services(&build.targets),
        template_name,
        update_by: build.update_by.clone(),
        update_time: build.update_time,
        repos,
        build_env: build_env(seeds, build),
        advanced_settings: advanced_settings(seeds, build)?,
        build_script: build.scripts.clone(),
        parameters,
        outputs: build
            .outputs
            .iter()
            .map(|output| DetailOutput {
                name: output.name.clone(),
                description: output.description.clone(),
            })
            .collect(),
        post_build: post_build(build),
    })
}

fn template_name(seeds: &Seeds, build: &BuildDoc) -> Result<String, RenderError> {
    if !build.is_template() {
        return Ok(String::new());
    }
    seeds
        .build_template_by_id(&build.template_id)
        .map(|template| template.name.clone())
        .ok_or_else(|| RenderError::TemplateMissing {
            template_id: build.template_id.clone(),
        })
}

/// Zadig's choice of repos and parameters. The service names count only when both are given
/// and the build is a template build: repos then come from the target they name (none when
/// they name none), else from the build's own repos. Parameters come from that target, and
/// when it gives none, from the build's own environment: a custom build's parameters, the
/// template stub's empty one, or what a custom build converted to a template kept.
fn repos_and_parameters(
    build: &BuildDoc,
    service: ServiceFilter<'_>,
) -> (Vec<DetailRepo>, Vec<DetailParameter>) {
    let by_service = build.is_template()
        && !service.service_name.is_empty()
        && !service.service_module.is_empty();
    if !by_service {
        return (
            build.repos.iter().map(repo).collect(),
            own_parameters(build),
        );
    }
    let target = build.targets.iter().find(|target| {
        target.service_name == service.service_name
            && target.service_module == service.service_module
    });
    let repos = target.map_or_else(Vec::new, |target| target.repos.iter().map(repo).collect());
    let parameters: Vec<DetailParameter> = target.map_or_else(Vec::new, |target| {
        target.envs.iter().map(|env| parameter(env, true)).collect()
    });
    if parameters.is_empty() {
        return (repos, own_parameters(build));
    }
    (repos, parameters)
}

/// The build's `pre_build` environment, shown without choices.
fn own_parameters(build: &BuildDoc) -> Vec<DetailParameter> {
    let envs = build.pre_build.envs.iter();
    envs.map(|env| parameter(env, false)).collect()
}

fn target_services(targets: &[TargetDoc]) -> Vec<TargetService> {
    targets
        .iter()
        .map(|target| TargetService {
            service_name: target.service_name.clone(),
            service_module: target.service_module.clone(),
        })
        .collect()
}

fn repo(repo: &RepoDoc) -> DetailRepo {
    DetailRepo {
        source: repo.source.clone(),
        repo_owner: repo.repo_owner.clone(),
        repo_name: repo.repo_name.clone(),
        branch: repo.branch.clone(),
        remote_name: repo.remote_name.clone(),
        checkout_path: repo.checkout_path.clone(),
        submodules: repo.submodules,
        hidden: repo.hidden,
    }
}

/// A build's own environment is shown without choices; a template target's with its own
/// (the template's `choice_option`; the merge never sets `choice_value`).
fn parameter(env: &KeyValDoc, with_choices: bool) -> DetailParameter {
    let choices = |list: &Vec<String>| {
        if with_choices {
            list.clone()
        } else {
            Vec::new()
        }
    };
    DetailParameter {
        key: env.key.clone(),
        value: env.value.clone(),
        kind: env.kind.clone(),
        choice_option: choices(&env.choice_option),
        choice_value: choices(&env.choice_value),
        is_credential: env.is_credential,
    }
}

fn build_env(seeds: &Seeds, build: &BuildDoc) -> BuildEnv {
    let image = seeds.image_by_id(&build.pre_build.image_id);
    BuildEnv {
        basic_image_id: image.map_or(MISSING_IMAGE_ID, |image| &image.id).to_owned(),
        basic_image_label: image.map(|image| image.label.clone()).unwrap_or_default(),
        installs: build
            .pre_build
            .installs
            .iter()
            .map(|install| DetailInstall {
                name: install.name.clone(),
                version: install.version.clone(),
            })
            .collect(),
    }
}

fn advanced_settings(
    seeds: &Seeds,
    build: &BuildDoc,
) -> Result<DetailAdvancedSettings, RenderError> {
    let pre_build = &build.pre_build;
    let cluster =
        seeds
            .cluster_by_id(&pre_build.cluster_id)
            .ok_or_else(|| RenderError::ClusterMissing {
                cluster_id: pre_build.cluster_id.clone(),
            })?;
    let strategy_name = cluster
        .strategies
        .iter()
        .find(|strategy| strategy.id == pre_build.strategy_id)
        .map(|strategy| strategy.name.clone())
        .unwrap_or_default();
    let spec = &pre_build.res_req_spec;
    Ok(DetailAdvancedSettings {
        timeout: build.timeout,
        cache_setting: CacheSetting {
            enabled: build.cache_enable,
            cache_dir: build.cache_user_dir.clone(),
        },
        cluster_name: cluster.name.clone(),
        resource_spec: ResourceSpec {
            cpu_limit: spec.cpu_limit,
            memory_limit: spec.memory_limit,
            cpu_req: spec.cpu_req,
            memory_req: spec.memory_req,
            gpu_limit: spec.gpu_limit.clone(),
        },
        strategy_name,
        storages: None,
        use_host_docker_daemon: pre_build.use_host_docker_daemon,
        privileged_mode: false,
        custom_annotations: Vec::new(),
        custom_labels: Vec::new(),
        outputs: Vec::new(),
    })
}

fn post_build(build: &BuildDoc) -> DetailPostBuild {
    DetailPostBuild {
        docker_build: build
            .post_build
            .docker_build
            .as_ref()
            .map(|docker| DetailDockerBuild {
                work_dir: docker.work_dir.clone(),
                docker_file: docker.docker_file.clone(),
                build_args: docker.build_args.clone(),
                source: docker.source.clone(),
                template_id: docker.template_id.clone(),
                template_name: docker.template_name.clone(),
                enable_buildkit: docker.enable_buildkit,
                platform: docker.platform.clone(),
            }),
        object_storage_upload: None,
        scripts: build.post_build.scripts.clone(),
    }
}
