//! The inverse of `normalize`: a build as Zadig's detail returns it → the canonical model
//! (through [`from_live`], the very function `plan` uses) → a build file's spec → YAML text
//! with comments. Pure, no I/O; `src/export/` writes the files.
//!
//! What cannot be read back is handled, never guessed silently:
//! - fields Zadig does not return and the file needs (`infrastructure`, `script_type`, a
//!   repo's code host alias, a parameter type zadig-sync does not know) get the best inference,
//!   listed as [`Inferred`] and commented "inferred" in the YAML;
//! - credential values become `${env:<PROJECT>_<BUILD>_<KEY>}` (see [`EnvNames`]), the value
//!   never leaves this module but as the variable's name;
//! - the zadig-sync marker line is dropped (`from_live` already splits it off);
//! - `advanced_settings` is always written: detail does not say whether the cluster is Zadig's
//!   local one, and leaving the settings out would move a build to it on the next `apply`.
//!
//! Lists keep Zadig's order (the canonical model holds them as sets, keyed by identity), so a
//! first `apply` does not reorder what people see in Zadig's UI.

pub mod factor;
mod fields;
pub mod names;
pub mod scalar;
mod yaml;

use std::collections::BTreeMap;

use fields::{advanced, in_order, script_type_of, services};
pub use names::{EnvNames, file_stem};
pub use yaml::{ScriptPlacement, to_yaml};

use crate::reconcile::live::LiveDetail;
use crate::reconcile::model::{
    CanonicalBody, CanonicalCustom, CanonicalDockerBuild, CanonicalParameter, CanonicalRepo,
    CanonicalTarget, CanonicalTemplate, RepoKey,
};
use crate::reconcile::normalize::from_live;
use crate::reconcile::spec::{
    BuildSpec, CustomBuild, DockerBuildStep, DockerfileSource, Infrastructure, Install, Parameter,
    ParameterType, RepoInfo, ScriptType, ServiceRef, TargetService, TemplateBuild, TemplateInput,
};
use crate::reconcile::wire::{DetailParameter, DetailRepo, DetailResponse};

/// What Zadig shows instead of a hidden value.
const MASK: &str = "********";

/// What the user told export about their Zadig.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Code host type (as detail's `repos[].source` reads) → the alias to write as
    /// `codehost_name` (`--codehost TYPE=ALIAS`).
    pub codehosts: BTreeMap<String, String>,
}

/// A field whose value Zadig did not return: what was written and why it must be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    /// In the build file's terms, as plans write paths (`repo_info[org/app].codehost_name`).
    pub path: String,
    /// What was written, as shown to the user (never a credential).
    pub value: String,
    /// Why it is a guess, for the YAML comment.
    pub reason: String,
}

/// One build, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedBuild {
    /// The file's spec: credential values are `${env:…}` references; other text is as Zadig
    /// returned it (YAML escaping of `${` happens when it is rendered).
    pub spec: BuildSpec,
    pub inferred: Vec<Inferred>,
    /// The environment variables the credentials now come from, in file order.
    pub env_vars: Vec<String>,
}

/// Exports one build. `names` hands out environment variable names unique across the run.
pub fn export_build(
    detail: &LiveDetail,
    options: &ExportOptions,
    names: &mut EnvNames,
) -> ExportedBuild {
    let canonical = from_live(detail).build;
    let mut out = Collected {
        options,
        names,
        project: canonical.project.clone(),
        name: canonical.name.clone(),
        inferred: Vec::new(),
        env_vars: Vec::new(),
    };
    let spec = match &canonical.body {
        CanonicalBody::Custom(custom) => BuildSpec::Custom(out.custom(detail.base(), custom)),
        CanonicalBody::Template(template) => BuildSpec::Template(out.template(detail, template)),
    };
    ExportedBuild {
        spec,
        inferred: out.inferred,
        env_vars: out.env_vars,
    }
}

/// The build being exported and what was found on the way.
struct Collected<'a> {
    options: &'a ExportOptions,
    names: &'a mut EnvNames,
    project: String,
    name: String,
    inferred: Vec<Inferred>,
    env_vars: Vec<String>,
}

impl Collected<'_> {
    fn infer(&mut self, path: &str, value: &str, reason: impl Into<String>) {
        self.inferred.push(Inferred {
            path: path.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        });
    }

    fn custom(&mut self, base: &DetailResponse, canonical: &CanonicalCustom) -> CustomBuild {
        let script_type = self.unreturned(base, canonical);
        let installs = base.build_env.installs.iter().map(|i| &i.name);
        CustomBuild {
            name: self.name.clone(),
            project_key: self.project.clone(),
            infrastructure: Infrastructure::Kubernetes,
            build_os: canonical.build_os.clone(),
            installs: in_order(installs, &canonical.installs)
                .map(|(name, version)| Install {
                    name: name.clone(),
                    version: version.clone(),
                })
                .collect(),
            script_type,
            build_script: canonical.build_script.clone(),
            repo_info: self.repos("repo_info", &base.repos, &canonical.repos),
            parameters: self.parameters(&base.parameters, &canonical.parameters),
            services: services(&base.target_services, &canonical.services),
            docker_build_step: canonical
                .docker_build
                .as_ref()
                .map(|docker| self.docker(docker)),
            advanced_settings: Some(advanced(&canonical.advanced, &canonical.outputs)),
        }
    }

    /// Infers what a custom build needs and Zadig does not return (or returned empty), and
    /// the script type to write.
    fn unreturned(&mut self, base: &DetailResponse, canonical: &CanonicalCustom) -> ScriptType {
        self.infer(
            "infrastructure",
            "kubernetes",
            "Zadig does not return it; use vm for a build on VMs",
        );
        let script_type = script_type_of(&base.build_script);
        let type_name = if script_type == ScriptType::BatchFile {
            "batch_file"
        } else {
            "shell"
        };
        self.infer(
            "script_type",
            type_name,
            "Zadig does not return it; batch_file or powershell for Windows scripts",
        );
        if canonical.build_os.is_empty() {
            self.infer(
                "build_os",
                "",
                "Zadig returned no image label (was the basic image deleted?); write the label \
                 of a basic image",
            );
        }
        script_type
    }

    fn template(&mut self, detail: &LiveDetail, canonical: &CanonicalTemplate) -> TemplateBuild {
        let order = detail.base().target_services.iter();
        let target_services = in_order(order, &canonical.targets)
            .map(|(service, target)| self.target(detail, service, target))
            .collect();
        TemplateBuild {
            name: self.name.clone(),
            project_key: self.project.clone(),
            template_name: canonical.template_name.clone(),
            target_services,
        }
    }

    fn target(
        &mut self,
        detail: &LiveDetail,
        service: &ServiceRef,
        canonical: &CanonicalTarget,
    ) -> TargetService {
        let targets = match detail {
            LiveDetail::Template { targets, .. } => targets.as_slice(),
            LiveDetail::Custom(_) => &[],
        };
        let response = targets
            .iter()
            .find(|(reference, _)| reference == service)
            .map(|(_, response)| response);
        let (wire_repos, wire_parameters) = response
            .map(|r| (r.repos.as_slice(), r.parameters.as_slice()))
            .unwrap_or_default();
        let path = format!("target_services[{service}]");
        let repo_info = self.repos(&format!("{path}.repo_info"), wire_repos, &canonical.repos);
        let keys = wire_parameters.iter().map(|p| &p.key);
        let inputs = in_order(keys, &canonical.inputs)
            .map(|(key, input)| {
                let input_path = format!("{path}.inputs[{key}]");
                let kind = self.parameter_type(&input_path, &input.kind);
                TemplateInput {
                    key: key.clone(),
                    value: self.value(&format!("{input_path}.value"), key, input),
                    kind,
                    is_credential: input.is_credential,
                }
            })
            .collect();
        TargetService {
            service_name: service.service_name.clone(),
            service_module: service.service_module.clone(),
            repo_info,
            inputs,
        }
    }

    fn repos(
        &mut self,
        path: &str,
        wire: &[DetailRepo],
        canonical: &BTreeMap<RepoKey, CanonicalRepo>,
    ) -> Vec<RepoInfo> {
        let key_of = |r: &DetailRepo| RepoKey {
            namespace: r.repo_owner.clone(),
            name: r.repo_name.clone(),
        };
        let keys: Vec<RepoKey> = wire.iter().map(key_of).collect();
        in_order(keys.iter(), canonical)
            .map(|(key, repo)| {
                // The last repo of that identity, the one the canonical model kept.
                let source = wire
                    .iter()
                    .rev()
                    .find(|r| key_of(r) == *key)
                    .map(|r| r.source.as_str())
                    .unwrap_or_default();
                let codehost = self.codehost(&format!("{path}[{key}].codehost_name"), source);
                RepoInfo {
                    codehost_name: codehost,
                    repo_namespace: key.namespace.clone(),
                    repo_name: key.name.clone(),
                    branch: repo.branch.clone(),
                    remote_name: repo.remote_name.clone(),
                    checkout_path: repo.checkout_path.clone(),
                    submodules: repo.submodules,
                    enable_commit: false,
                    commit_id: String::new(),
                    pr: 0,
                    prs: Vec::new(),
                }
            })
            .collect()
    }

    /// Detail gives the code host's type, never its alias: the user's mapping, else the type.
    fn codehost(&mut self, path: &str, source: &str) -> String {
        match self.options.codehosts.get(source) {
            Some(alias) => {
                let reason = format!(
                    "Zadig returns only the code host's type ({source}); --codehost mapped it"
                );
                self.infer(path, alias, reason);
                alias.clone()
            }
            None => {
                let reason = format!(
                    "Zadig returns only the code host's type; set the alias of your {source} \
                     code host (or export with --codehost {source}=ALIAS)"
                );
                self.infer(path, source, reason);
                source.to_string()
            }
        }
    }

    fn parameters(
        &mut self,
        wire: &[DetailParameter],
        canonical: &BTreeMap<String, CanonicalParameter>,
    ) -> Vec<Parameter> {
        let keys = wire.iter().map(|p| &p.key);
        in_order(keys, canonical)
            .map(|(key, parameter)| {
                let path = format!("parameters[{key}]");
                let kind = self.parameter_type(&path, &parameter.kind);
                if matches!(
                    kind,
                    Some(ParameterType::Choice | ParameterType::MultiSelect)
                ) {
                    self.infer(
                        &format!("{path}.choice_option"),
                        "(none)",
                        "Zadig does not return a custom build's choices; add choice_option \
                         and choice_value, or apply clears them",
                    );
                }
                Parameter {
                    key: key.clone(),
                    kind,
                    default_value: self.value(&format!("{path}.default_value"), key, parameter),
                    description: String::new(),
                    is_credential: parameter.is_credential,
                    choice_option: Vec::new(),
                    choice_value: Vec::new(),
                }
            })
            .collect()
    }

    /// A credential's value becomes a reference to a generated variable; an empty one stays
    /// empty (a reference would have to be set to "", which plan refuses for credentials).
    /// Zadig's mask as a value (stored by a client that sent it) is kept, and flagged: the
    /// loader refuses it, and only the user knows the value meant.
    fn value(&mut self, path: &str, key: &str, parameter: &CanonicalParameter) -> String {
        if !parameter.is_credential && parameter.value == MASK {
            let reason = "Zadig holds its mask ******** as the value, which zadig-sync refuses: \
                          write the value meant";
            self.infer(path, MASK, reason);
        }
        if !parameter.is_credential || parameter.value.is_empty() {
            return parameter.value.clone();
        }
        let name = self.names.allocate(&self.project, &self.name, key);
        self.env_vars.push(name.clone());
        format!("${{env:{name}}}")
    }

    fn parameter_type(&mut self, path: &str, kind: &str) -> Option<ParameterType> {
        if kind.is_empty() {
            return None;
        }
        let parsed = serde_json::from_value(serde_json::Value::String(kind.to_string())).ok();
        if parsed.is_none() {
            let reason =
                format!("Zadig returned the type {kind:?}, which zadig-sync does not know");
            self.infer(&format!("{path}.type"), "(none)", reason);
        }
        parsed
    }

    fn docker(&mut self, docker: &CanonicalDockerBuild) -> DockerBuildStep {
        let source = match docker.dockerfile_source.as_str() {
            "template" => DockerfileSource::Template,
            "local" => DockerfileSource::Local,
            other => {
                let reason = format!("Zadig returned the source {other:?}; local or template");
                self.infer("docker_build_step.dockerfile_source", "local", reason);
                DockerfileSource::Local
            }
        };
        DockerBuildStep {
            dockerfile_source: source,
            build_context_dir: docker.build_context_dir.clone(),
            dockerfile_directory: docker.dockerfile_directory.clone(),
            template_name: docker.template_name.clone(),
            build_args: docker.build_args.clone(),
            enable_buildkit: docker.enable_buildkit,
            platforms: docker.platforms.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
