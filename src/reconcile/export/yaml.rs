//! An exported build as YAML text: fields in the order of Zadig's *Create Build* docs (as in
//! `examples/zadig-docs-create-build.yaml`), values equal to what Zadig assumes for an absent
//! field left out, each inferred field followed by a comment saying so. Written by hand rather
//! than through a serialiser, for the order and the comments. Pure, no I/O.

use std::collections::BTreeMap;

use super::scalar::{BLOCK_INDENT, Scalar, double_quoted, escape_references, scalar};
use super::{ExportedBuild, Inferred};
use crate::reconcile::marker::escape_controls;
use crate::reconcile::spec::{
    AdvancedSettings, BuildSpec, CustomBuild, DockerBuildStep, DockerfileSource, Infrastructure,
    Parameter, ParameterType, RepoInfo, ScriptType, TargetService, TemplateBuild,
};

/// Where a custom build's script goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptPlacement<'a> {
    /// In the YAML, as `build_script`.
    Inline,
    /// In its own file, named (relative to the YAML file) by `build_script_file`.
    File(&'a str),
}

/// What Zadig keeps but never returns, so export cannot write it.
const NOT_EXPORTED: &str = "\
# Zadig does not return these, so they were not exported: parameter descriptions and choices,
# storages, privileged_mode, custom labels and annotations, and repos' commit_id,
# enable_commit, pr and prs. Add any the build has: apply writes the whole build.";

/// The YAML text of one exported build.
pub fn to_yaml(build: &ExportedBuild, script: ScriptPlacement<'_>) -> String {
    let mut w = Writer::new(&build.inferred);
    w.header(&build.spec);
    match &build.spec {
        BuildSpec::Custom(custom) => w.custom(custom, script),
        BuildSpec::Template(template) => w.template(template),
    }
    w.out
}

struct Writer {
    out: String,
    /// Inferred fields by path, for their comments.
    inferred: BTreeMap<String, String>,
    /// The next line opens a list item: its indentation ends in `- `.
    item: bool,
}

impl Writer {
    fn new(inferred: &[Inferred]) -> Self {
        Writer {
            out: String::new(),
            inferred: inferred
                .iter()
                .map(|i| (i.path.clone(), i.reason.clone()))
                .collect(),
            item: false,
        }
    }

    fn header(&mut self, spec: &BuildSpec) {
        let owner = format!(
            "{}/{}",
            escape_controls(spec.project_key()),
            escape_controls(spec.name())
        );
        self.out.push_str(&format!(
            "# Exported from Zadig by `zadig-sync export` (build {owner}).\n\
             # Check every line marked \"inferred\": Zadig does not return those fields.\n"
        ));
        if matches!(spec, BuildSpec::Custom(_)) {
            self.out.push_str(NOT_EXPORTED);
            self.out.push('\n');
        } else {
            self.out.push_str(
                "# The inputs are every variable of the template, as Zadig merged them.\n",
            );
        }
    }

    fn indentation(&mut self, indent: usize) {
        if self.item {
            self.out.push_str(&" ".repeat(indent - 2));
            self.out.push_str("- ");
            self.item = false;
        } else {
            self.out.push_str(&" ".repeat(indent));
        }
    }

    /// The comment for an inferred field at `path`, if it is one.
    fn comment(&self, path: &str) -> String {
        self.inferred
            .get(path)
            .map(|reason| format!("  # inferred: {}", escape_controls(reason)))
            .unwrap_or_default()
    }

    /// `key: value`, the value from a text field (references escaped).
    fn text(&mut self, indent: usize, key: &str, value: &str, path: &str) {
        self.raw(indent, key, &escape_references(value), path);
    }

    /// `key: value` for text already escaped (or a reference meant as one).
    fn raw(&mut self, indent: usize, key: &str, value: &str, path: &str) {
        let comment = self.comment(path);
        self.indentation(indent);
        match scalar(value) {
            Scalar::Inline(inline) => {
                self.out.push_str(&format!("{key}: {inline}{comment}\n"));
            }
            Scalar::Block { header, lines } => {
                self.out.push_str(&format!("{key}: {header}{comment}\n"));
                for line in lines {
                    if !line.is_empty() {
                        self.out.push_str(&" ".repeat(indent + BLOCK_INDENT));
                        self.out.push_str(&line);
                    }
                    self.out.push('\n');
                }
            }
        }
    }

    fn text_if(&mut self, indent: usize, key: &str, value: &str, path: &str) {
        if !value.is_empty() {
            self.text(indent, key, value, path);
        }
    }

    fn number(&mut self, indent: usize, key: &str, value: i64) {
        if value != 0 {
            self.indentation(indent);
            self.out.push_str(&format!("{key}: {value}\n"));
        }
    }

    fn flag(&mut self, indent: usize, key: &str, value: bool) {
        if value {
            self.indentation(indent);
            self.out.push_str(&format!("{key}: true\n"));
        }
    }

    fn key(&mut self, indent: usize, key: &str) {
        self.indentation(indent);
        self.out.push_str(&format!("{key}:\n"));
    }

    /// Starts a list item whose fields are at `indent`.
    fn item(&mut self) {
        self.item = true;
    }

    fn custom(&mut self, build: &CustomBuild, script: ScriptPlacement<'_>) {
        self.text(0, "name", &build.name, "name");
        self.text(0, "project_key", &build.project_key, "project_key");
        let infrastructure = match build.infrastructure {
            Infrastructure::Kubernetes => "kubernetes",
            Infrastructure::Vm => "vm",
        };
        self.raw(0, "infrastructure", infrastructure, "infrastructure");
        self.text(0, "build_os", &build.build_os, "build_os");
        if !build.installs.is_empty() {
            self.key(0, "installs");
            for install in &build.installs {
                self.item();
                self.text(4, "name", &install.name, "");
                self.text(4, "version", &install.version, "");
            }
        }
        let script_type = match build.script_type {
            ScriptType::Shell => "shell",
            ScriptType::BatchFile => "batch_file",
            ScriptType::Powershell => "powershell",
        };
        self.raw(0, "script_type", script_type, "script_type");
        match script {
            _ if build.build_script.is_empty() => {}
            ScriptPlacement::Inline => self.text(0, "build_script", &build.build_script, ""),
            ScriptPlacement::File(path) => self.raw(0, "build_script_file", path, ""),
        }
        self.repos(0, "repo_info", &build.repo_info, "repo_info");
        self.parameters(&build.parameters);
        if !build.services.is_empty() {
            self.key(0, "services");
            for service in &build.services {
                self.item();
                self.text(4, "service_name", &service.service_name, "");
                self.text(4, "service_module", &service.service_module, "");
            }
        }
        if let Some(docker) = &build.docker_build_step {
            self.docker(docker);
        }
        if let Some(advanced) = &build.advanced_settings {
            self.advanced(advanced);
        }
    }

    fn repos(&mut self, indent: usize, key: &str, repos: &[RepoInfo], path: &str) {
        if repos.is_empty() {
            return;
        }
        self.key(indent, key);
        let at = indent + 4;
        for repo in repos {
            let repo_path = format!("{path}[{}/{}]", repo.repo_namespace, repo.repo_name);
            self.item();
            let codehost = format!("{repo_path}.codehost_name");
            self.text(at, "codehost_name", &repo.codehost_name, &codehost);
            self.text(at, "repo_namespace", &repo.repo_namespace, "");
            self.text(at, "repo_name", &repo.repo_name, "");
            self.text(at, "branch", &repo.branch, "");
            self.text_if(at, "remote_name", &repo.remote_name, "");
            self.text_if(at, "checkout_path", &repo.checkout_path, "");
            self.flag(at, "submodules", repo.submodules);
        }
    }

    fn parameters(&mut self, parameters: &[Parameter]) {
        if parameters.is_empty() {
            return;
        }
        self.key(0, "parameters");
        for parameter in parameters {
            let path = format!("parameters[{}]", parameter.key);
            self.item();
            self.text(4, "key", &parameter.key, "");
            self.kind(4, parameter.kind, &path);
            let value_path = format!("{path}.default_value");
            let value = &parameter.default_value;
            self.value(
                4,
                "default_value",
                value,
                parameter.is_credential,
                &value_path,
            );
            self.flag(4, "is_credential", parameter.is_credential);
        }
    }

    /// A parameter's or input's type; an unknown type left out, with its comment.
    fn kind(&mut self, indent: usize, kind: Option<ParameterType>, path: &str) {
        let type_path = format!("{path}.type");
        let choices = format!("{path}.choice_option");
        let name = kind.and_then(|k| serde_json::to_value(k).ok());
        match name.as_ref().and_then(|v| v.as_str()) {
            Some(name) if self.inferred.contains_key(&choices) => {
                let comment = self.comment(&choices);
                self.indentation(indent);
                self.out.push_str(&format!("type: {name}{comment}\n"));
            }
            Some(name) => self.raw(indent, "type", name, &type_path),
            None if self.inferred.contains_key(&type_path) => {
                let comment = self.comment(&type_path);
                self.indentation(indent);
                self.out.push_str(&format!("# type left out{comment}\n"));
            }
            None => {}
        }
    }

    /// A credential's value is a reference to a variable and stays one; any other is text.
    fn value(&mut self, indent: usize, key: &str, value: &str, is_credential: bool, path: &str) {
        if value.is_empty() {
            return;
        }
        if is_credential {
            self.raw(indent, key, value, path);
        } else {
            self.text(indent, key, value, path);
        }
    }

    fn docker(&mut self, docker: &DockerBuildStep) {
        const PATH: &str = "docker_build_step";
        self.key(0, PATH);
        let source = match docker.dockerfile_source {
            DockerfileSource::Local => "local",
            DockerfileSource::Template => "template",
        };
        self.raw(
            2,
            "dockerfile_source",
            source,
            "docker_build_step.dockerfile_source",
        );
        self.text_if(2, "build_context_dir", &docker.build_context_dir, "");
        self.text_if(2, "dockerfile_directory", &docker.dockerfile_directory, "");
        self.text_if(2, "build_args", &docker.build_args, "");
        self.flag(2, "enable_buildkit", docker.enable_buildkit);
        self.text_if(2, "platforms", &docker.platforms, "");
        self.text_if(2, "template_name", &docker.template_name, "");
    }

    fn advanced(&mut self, advanced: &AdvancedSettings) {
        self.key(0, "advanced_settings");
        self.text(2, "cluster_name", &advanced.cluster_name, "");
        self.text_if(2, "strategy_name", &advanced.strategy_name, "");
        self.number(2, "timeout", advanced.timeout);
        if let Some(spec) = &advanced.resource_spec {
            self.key(2, "resource_spec");
            self.number(4, "cpu_limit", spec.cpu_limit);
            self.number(4, "cpu_req", spec.cpu_req);
            self.number(4, "memory_limit", spec.memory_limit);
            self.number(4, "memory_req", spec.memory_req);
            self.text_if(4, "gpu_limit", &spec.gpu_limit, "");
        }
        if let Some(cache) = &advanced.cache_setting {
            self.key(2, "cache_setting");
            self.flag(4, "enabled", cache.enabled);
            self.text_if(4, "cache_dir", &cache.cache_dir, "");
        }
        self.flag(2, "use_host_docker_daemon", advanced.use_host_docker_daemon);
        if !advanced.outputs.is_empty() {
            self.key(2, "outputs");
            for output in &advanced.outputs {
                self.indentation(4);
                self.out.push_str("- ");
                self.text_value(output);
            }
        }
    }

    /// A text list item's value, after its `- `.
    fn text_value(&mut self, value: &str) {
        match scalar(&escape_references(value)) {
            Scalar::Inline(inline) => self.out.push_str(&format!("{inline}\n")),
            // Outputs are parameter keys; one with a line break is quoted instead.
            Scalar::Block { .. } => {
                let quoted = double_quoted(&escape_references(value));
                self.out.push_str(&format!("{quoted}\n"));
            }
        }
    }

    fn template(&mut self, build: &TemplateBuild) {
        self.text(0, "name", &build.name, "name");
        self.text(0, "project_key", &build.project_key, "project_key");
        self.text(0, "template_name", &build.template_name, "template_name");
        self.key(0, "target_services");
        for target in &build.target_services {
            self.target(target);
        }
    }

    fn target(&mut self, target: &TargetService) {
        let path = format!(
            "target_services[{}/{}]",
            target.service_name, target.service_module
        );
        self.item();
        self.text(4, "service_name", &target.service_name, "");
        self.text(4, "service_module", &target.service_module, "");
        let repos = format!("{path}.repo_info");
        self.repos(4, "repo_info", &target.repo_info, &repos);
        if target.inputs.is_empty() {
            return;
        }
        self.key(4, "inputs");
        for input in &target.inputs {
            let input_path = format!("{path}.inputs[{}]", input.key);
            self.item();
            self.text(8, "key", &input.key, "");
            let value_path = format!("{input_path}.value");
            self.value(8, "value", &input.value, input.is_credential, &value_path);
            self.kind(8, input.kind, &input_path);
            self.flag(8, "is_credential", input.is_credential);
        }
    }
}
