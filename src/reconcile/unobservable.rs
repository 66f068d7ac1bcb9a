//! The fields Zadig stores but never returns (`docs/zadig-api.md` §3 and §10 item 12:
//! `infrastructure`, `script_type`, a repo's code host name, commit and PRs, a custom build's
//! parameter descriptions and choices, `storages`, `privileged_mode`, custom annotations and
//! labels), listed as the build file sets them. The plan compares them only through the
//! marker's fingerprint, so it shows them from the file instead: each one a create writes, and
//! the new values behind an update whose only change is the fingerprint. Pure, no I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::reconcile::diff::{Difference, UNOBSERVABLE_PATH, render};
use crate::reconcile::spec::{
    AdvancedSettings, BuildSpec, CustomBuild, Parameter, RepoInfo, TemplateBuild,
};

/// Every field Zadig does not return that `spec` sets, as `(path, value)`: the path in the
/// build file's terms (as `diff` writes them), the value as compact JSON. Unset and default
/// values (false, 0, empty) are left out; repos and parameters come in identity order, and an
/// identity the file repeats counts once (the last one), as everywhere else in the plan.
pub fn unobservable_fields(spec: &BuildSpec) -> Vec<(String, String)> {
    let mut fields = Fields::default();
    match spec {
        BuildSpec::Custom(custom) => custom_fields(&mut fields, custom),
        BuildSpec::Template(template) => template_fields(&mut fields, template),
    }
    fields.0
}

/// What a create writes that comparing with a blank build cannot list: the unobservable
/// fields, as added fields.
pub fn fields_a_create_also_writes(spec: &BuildSpec) -> Vec<Difference> {
    unobservable_fields(spec)
        .into_iter()
        .map(|(path, value)| Difference::Value {
            path,
            old: None,
            new: Some(value),
        })
        .collect()
}

/// For an update whose only change is the fingerprint (a field Zadig does not return
/// changed, or a build being adopted), the values the files set for those fields, which the
/// fingerprint alone cannot show. `None` when other changes already explain the update.
pub fn fingerprint_only_note(spec: &BuildSpec, differences: &[Difference]) -> Option<String> {
    let [only] = differences else { return None };
    if only.path() != UNOBSERVABLE_PATH {
        return None;
    }
    let fields = unobservable_fields(spec);
    if fields.is_empty() {
        return None;
    }
    let listed: Vec<String> = fields
        .iter()
        .map(|(path, value)| format!("{path}: {value}"))
        .collect();
    Some(format!(
        "Zadig does not return these fields, so their old values are unknown; the files set: {}",
        listed.join(", ")
    ))
}

/// The fields found so far, in the order they are shown.
#[derive(Default)]
struct Fields(Vec<(String, String)>);

impl Fields {
    fn text(&mut self, path: &str, value: &str) {
        if !value.is_empty() {
            self.0.push((path.to_string(), render(value)));
        }
    }

    fn flag(&mut self, path: &str, value: bool) {
        if value {
            self.0.push((path.to_string(), render(&value)));
        }
    }

    fn number(&mut self, path: &str, value: i64) {
        if value != 0 {
            self.0.push((path.to_string(), render(&value)));
        }
    }

    fn list<T: Serialize>(&mut self, path: &str, items: &[T]) {
        if !items.is_empty() {
            self.0.push((path.to_string(), render(items)));
        }
    }
}

fn custom_fields(fields: &mut Fields, build: &CustomBuild) {
    fields
        .0
        .push(("infrastructure".into(), render(&build.infrastructure)));
    fields
        .0
        .push(("script_type".into(), render(&build.script_type)));
    repo_fields(fields, "repo_info", &build.repo_info);
    let parameters: BTreeMap<&str, &Parameter> = build
        .parameters
        .iter()
        .map(|p| (p.key.as_str(), p))
        .collect();
    for (key, parameter) in parameters {
        let path = format!("parameters[{key}]");
        fields.text(&format!("{path}.description"), &parameter.description);
        fields.list(&format!("{path}.choice_option"), &parameter.choice_option);
        fields.list(&format!("{path}.choice_value"), &parameter.choice_value);
    }
    if let Some(advanced) = &build.advanced_settings {
        advanced_fields(fields, advanced);
    }
}

fn advanced_fields(fields: &mut Fields, advanced: &AdvancedSettings) {
    const PATH: &str = "advanced_settings";
    if let Some(storages) = advanced
        .storages
        .as_ref()
        .filter(|s| **s != Default::default())
    {
        fields
            .0
            .push((format!("{PATH}.storages"), render(storages)));
    }
    fields.flag(&format!("{PATH}.privileged_mode"), advanced.privileged_mode);
    let annotations = format!("{PATH}.custom_annotations");
    fields.list(&annotations, &advanced.custom_annotations);
    fields.list(&format!("{PATH}.custom_labels"), &advanced.custom_labels);
}

/// A template build's unobservable fields are its repos': the code host name above all.
fn template_fields(fields: &mut Fields, build: &TemplateBuild) {
    let targets: BTreeMap<(&str, &str), &[RepoInfo]> = build
        .target_services
        .iter()
        .map(|t| {
            let key = (t.service_name.as_str(), t.service_module.as_str());
            (key, t.repo_info.as_slice())
        })
        .collect();
    for ((service, module), repos) in targets {
        let prefix = format!("target_services[{service}/{module}].repo_info");
        repo_fields(fields, &prefix, repos);
    }
}

fn repo_fields(fields: &mut Fields, prefix: &str, repos: &[RepoInfo]) {
    let by_identity: BTreeMap<(&str, &str), &RepoInfo> = repos
        .iter()
        .map(|r| ((r.repo_namespace.as_str(), r.repo_name.as_str()), r))
        .collect();
    for ((namespace, name), repo) in by_identity {
        let path = format!("{prefix}[{namespace}/{name}]");
        fields.text(&format!("{path}.codehost_name"), &repo.codehost_name);
        fields.flag(&format!("{path}.enable_commit"), repo.enable_commit);
        fields.text(&format!("{path}.commit_id"), &repo.commit_id);
        fields.number(&format!("{path}.pr"), repo.pr);
        fields.list(&format!("{path}.prs"), &repo.prs);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn custom(extra: serde_json::Value) -> BuildSpec {
        let mut body = json!({
            "name": "api", "project_key": "shop", "infrastructure": "vm",
            "build_os": "ubuntu 20.04", "script_type": "batch_file",
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        serde_json::from_value(body).expect("a custom build")
    }

    fn paths(spec: &BuildSpec) -> Vec<String> {
        unobservable_fields(spec)
            .into_iter()
            .map(|(p, _)| p)
            .collect()
    }

    #[test]
    fn a_bare_custom_build_shows_its_infrastructure_and_script_type() {
        assert_eq!(
            unobservable_fields(&custom(json!({}))),
            [
                ("infrastructure".to_string(), "\"vm\"".to_string()),
                ("script_type".to_string(), "\"batch_file\"".to_string()),
            ]
        );
    }

    #[test]
    fn defaults_are_left_out() {
        let spec = custom(json!({
            "repo_info": [{"codehost_name": "gl", "repo_namespace": "o", "repo_name": "r",
                           "branch": "main", "enable_commit": false, "pr": 0}],
            "parameters": [{"key": "K", "default_value": "v", "description": ""}],
            "advanced_settings": {"cluster_name": "c", "privileged_mode": false,
                                  "storages": {"enabled": false, "storages_properties": []}},
        }));
        assert_eq!(
            paths(&spec),
            [
                "infrastructure",
                "script_type",
                "repo_info[o/r].codehost_name"
            ]
        );
    }

    #[test]
    fn repos_and_parameters_come_in_identity_order_and_a_repeat_counts_once() {
        let spec = custom(json!({
            "repo_info": [
                {"codehost_name": "old", "repo_namespace": "z", "repo_name": "r", "branch": "m"},
                {"codehost_name": "gl", "repo_namespace": "a", "repo_name": "r", "branch": "m",
                 "enable_commit": true, "commit_id": "c0ffee", "pr": 7, "prs": [7, 8]},
                {"codehost_name": "new", "repo_namespace": "z", "repo_name": "r", "branch": "m"},
            ],
            "parameters": [
                {"key": "b", "description": "second"},
                {"key": "a", "choice_option": ["x", "y"], "choice_value": ["x"]},
            ],
        }));
        let fields = unobservable_fields(&spec);
        let shown: Vec<String> = fields.iter().map(|(p, v)| format!("{p}: {v}")).collect();
        assert_eq!(
            shown[2..],
            [
                "repo_info[a/r].codehost_name: \"gl\"",
                "repo_info[a/r].enable_commit: true",
                "repo_info[a/r].commit_id: \"c0ffee\"",
                "repo_info[a/r].pr: 7",
                "repo_info[a/r].prs: [7,8]",
                "repo_info[z/r].codehost_name: \"new\"",
                "parameters[a].choice_option: [\"x\",\"y\"]",
                "parameters[a].choice_value: [\"x\"]",
                "parameters[b].description: \"second\"",
            ]
        );
    }

    #[test]
    fn a_template_build_shows_the_code_hosts_of_its_services_repos() {
        let spec: BuildSpec = serde_json::from_value(json!({
            "name": "java", "project_key": "shop", "template_name": "maven",
            "target_services": [{"service_name": "billing", "service_module": "api",
                "repo_info": [{"codehost_name": "gh", "repo_namespace": "o", "repo_name": "r",
                               "branch": "main"}],
                "inputs": [{"key": "JDK", "value": "17"}]}],
        }))
        .expect("a template build");
        assert_eq!(
            unobservable_fields(&spec),
            [(
                "target_services[billing/api].repo_info[o/r].codehost_name".to_string(),
                "\"gh\"".to_string()
            )]
        );
    }

    #[test]
    fn a_create_also_writes_the_unobservable_fields() {
        let spec = custom(json!({"advanced_settings": {
            "cluster_name": "c", "strategy_name": "spread",
            "custom_labels": [{"key": "token", "value": "tok-1"}],
        }}));
        let shown: Vec<String> = fields_a_create_also_writes(&spec)
            .into_iter()
            .map(|difference| match difference {
                Difference::Value { path, old, new } => format!("{path} {old:?} {new:?}"),
                other => panic!("not a value: {other:?}"),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "infrastructure None Some(\"\\\"vm\\\"\")",
                "script_type None Some(\"\\\"batch_file\\\"\")",
                "advanced_settings.custom_labels None \
                 Some(\"[{\\\"key\\\":\\\"token\\\",\\\"value\\\":\\\"tok-1\\\"}]\")",
            ]
        );
    }

    fn change(path: &str) -> Difference {
        Difference::Value {
            path: path.to_string(),
            old: Some("a".into()),
            new: Some("b".into()),
        }
    }

    #[test]
    fn the_note_comes_only_with_a_fingerprint_only_update() {
        let spec = custom(json!({"advanced_settings": {"cluster_name": "c",
                                                       "privileged_mode": true}}));
        let fingerprint = change(UNOBSERVABLE_PATH);
        let note = fingerprint_only_note(&spec, std::slice::from_ref(&fingerprint));
        assert_eq!(
            note.as_deref(),
            Some(
                "Zadig does not return these fields, so their old values are unknown; the files \
                 set: infrastructure: \"vm\", script_type: \"batch_file\", \
                 advanced_settings.privileged_mode: true"
            )
        );
        let with_timeout = [fingerprint, change("advanced_settings.timeout")];
        assert_eq!(fingerprint_only_note(&spec, &with_timeout), None);
        let timeout_only = [change("advanced_settings.timeout")];
        assert_eq!(fingerprint_only_note(&spec, &timeout_only), None);
        assert_eq!(fingerprint_only_note(&spec, &[]), None);
    }
}
