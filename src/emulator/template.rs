//! Template build requests into stored documents, as Zadig's
//! `generateBuildModuleFromOpenAPITemplateRequest` does: the template's variables merged with
//! each service's inputs, and a hard-coded stub for everything else. No I/O.

use super::convert::{LOW_SPEC, LookupError, repos};
use super::model::{BuildDoc, KeyValDoc, PreBuildDoc, TargetDoc};
use super::request::{InputKv, ServiceBuildArgs, TemplateBuildRequest};
use super::seeds::{BuildTemplate, Seeds, TemplateVariable};

/// The image id of the template stub: a constant that exists on almost no install.
const TEMPLATE_STUB_IMAGE_ID: &str = "61af6b575c9beafb9ab130dc";

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

#[cfg(test)]
mod tests {
    use super::*;

    fn variable(key: &str, value: &str) -> TemplateVariable {
        TemplateVariable {
            key: key.to_owned(),
            value: value.to_owned(),
            kind: "string".to_owned(),
            is_credential: false,
            choice_option: vec!["a".to_owned()],
            description: "from the template".to_owned(),
        }
    }

    #[test]
    fn inputs_override_template_variables_and_unknown_inputs_are_dropped() {
        let variables = [variable("KEEP", "default"), variable("SET", "default")];
        let inputs = [
            InputKv {
                key: "SET".to_owned(),
                value: "mine".to_owned(),
                ..InputKv::default()
            },
            InputKv {
                key: "UNKNOWN".to_owned(),
                value: "x".to_owned(),
                ..InputKv::default()
            },
        ];
        let merged = merge_template_envs(&variables, &inputs);
        let keys: Vec<_> = merged.iter().map(|env| env.key.as_str()).collect();
        assert_eq!(keys, ["KEEP", "SET"]);
        assert_eq!(
            (merged[0].value.as_str(), merged[0].kind.as_str()),
            ("default", "string")
        );
        assert_eq!(
            (merged[1].value.as_str(), merged[1].kind.as_str()),
            ("mine", "")
        );
        assert_eq!(merged[1].choice_option, ["a"]);
        assert_eq!(merged[1].description, "from the template");
    }
}
