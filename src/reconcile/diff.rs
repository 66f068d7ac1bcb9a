//! Field-level comparison of two canonical builds: each difference with its path in the build
//! FILE's terms (`advanced_settings.timeout`, `parameters[TOKEN].default_value`,
//! `repo_info[shop/billing].branch`), from the live value to the desired one. Pure, no I/O.
//!
//! Every function takes the live side first, then the desired side. Values are rendered as
//! compact JSON (strings quoted); a credential's values are never rendered: such a difference
//! is [`Difference::Credential`]. This module knows nothing of other secrets: the plan redacts
//! what it shows once, at the end (`plan::make`). Set-like lists are matched by identity, so
//! an item shows as added, removed, or changed field by field, never as a shifted list.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use serde::Serialize;

use crate::reconcile::marker::Ownership;
use crate::reconcile::model::{
    CanonicalAdvanced, CanonicalBody, CanonicalBuild, CanonicalCustom, CanonicalDockerBuild,
    CanonicalParameter, CanonicalRepo, CanonicalResourceSpec, CanonicalTarget, CanonicalTemplate,
    DesiredCanonical, LiveCanonical, RepoKey,
};

/// The path of the one change that stands for every field Zadig does not return: the
/// fingerprint in the marker differs from the file's.
pub const UNOBSERVABLE_PATH: &str = "(fields Zadig does not return)";

/// One field that differs, with the raw values (secrets included: redacted by the plan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// Rendered values; `None` on the side where the field (or list item) is absent.
    Value {
        path: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// A credential's value differs; its values are never rendered.
    Credential { path: String },
    /// Multi-line text (`build_script`) differs; the plan shows it as a unified diff.
    Text {
        path: String,
        old: String,
        new: String,
    },
}

impl Difference {
    pub fn path(&self) -> &str {
        match self {
            Difference::Value { path, .. }
            | Difference::Credential { path }
            | Difference::Text { path, .. } => path,
        }
    }
}

/// What comparing two builds found: the differences, and notes on differences that are not
/// changes (re-applying would not remove them, e.g. a template input Zadig drops).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    pub differences: Vec<Difference>,
    pub notes: Vec<String>,
}

/// The differences between a live build and the desired one, fingerprint included. The
/// fingerprint difference is reported when it is the only one (a field Zadig does not return
/// changed) or when the live build is not ours (the marker will be written); otherwise the
/// observable differences already say why the build is written.
pub fn compare(live: &LiveCanonical, desired: &DesiredCanonical) -> Comparison {
    let mut comparison = compare_bodies(&live.build, &desired.build);
    let custom = matches!(
        (&live.build.body, &desired.build.body),
        (CanonicalBody::Custom(_), CanonicalBody::Custom(_))
    );
    let ours = live.ownership.fingerprint();
    let moved = ours != Some(desired.fingerprint.as_str());
    if custom && moved && (comparison.differences.is_empty() || ours.is_none()) {
        let old = match &live.ownership {
            Ownership::Ours { fingerprint } => fingerprint.clone(),
            Ownership::Foreign { .. } => "marked for another build".into(),
            Ownership::Unmarked => "unmarked".into(),
        };
        comparison.differences.push(Difference::Value {
            path: UNOBSERVABLE_PATH.to_string(),
            old: Some(old),
            new: Some(desired.fingerprint.clone()),
        });
    }
    comparison
}

/// The differences between the observable bodies of two builds (no fingerprint): what a
/// create writes when `live` is [`CanonicalBuild::blank_like`].
pub fn compare_bodies(live: &CanonicalBuild, desired: &CanonicalBuild) -> Comparison {
    let mut found = Collector::default();
    match (&live.body, &desired.body) {
        (CanonicalBody::Custom(have), CanonicalBody::Custom(want)) => {
            compare_custom(&mut found, have, want)
        }
        (CanonicalBody::Template(have), CanonicalBody::Template(want)) => {
            compare_template(&mut found, have, want)
        }
        _ => found.value("kind", &live.kind(), &desired.kind()),
    }
    Comparison {
        differences: found.differences,
        notes: found.notes,
    }
}

#[derive(Default)]
struct Collector {
    differences: Vec<Difference>,
    notes: Vec<String>,
}

impl Collector {
    fn push(&mut self, path: String, old: Option<String>, new: Option<String>) {
        self.differences.push(Difference::Value { path, old, new });
    }

    fn value<T: Serialize + PartialEq>(&mut self, path: &str, old: &T, new: &T) {
        if old != new {
            self.push(path.to_string(), Some(render(old)), Some(render(new)));
        }
    }

    fn secret(&mut self, path: &str, old: &str, new: &str) {
        if old != new {
            let path = path.to_string();
            self.differences.push(Difference::Credential { path });
        }
    }

    fn text(&mut self, path: &str, old: &str, new: &str) {
        if old != new {
            self.differences.push(Difference::Text {
                path: path.to_string(),
                old: old.to_string(),
                new: new.to_string(),
            });
        }
    }

    /// Items of a set-like list matched by key: added, removed, or compared by `fields`.
    fn keyed<K: Display + Ord, V>(
        &mut self,
        prefix: &str,
        live: &BTreeMap<K, V>,
        desired: &BTreeMap<K, V>,
        render_item: impl Fn(&V) -> String,
        fields: impl Fn(&mut Self, &str, &V, &V),
    ) {
        let keys: BTreeSet<&K> = live.keys().chain(desired.keys()).collect();
        for key in keys {
            let path = format!("{prefix}[{key}]");
            match (live.get(key), desired.get(key)) {
                (None, Some(new)) => self.push(path, None, Some(render_item(new))),
                (Some(old), None) => self.push(path, Some(render_item(old)), None),
                (Some(old), Some(new)) => fields(self, &path, old, new),
                (None, None) => {}
            }
        }
    }
}

/// Compact JSON: strings quoted, lists and objects on one line.
pub(crate) fn render<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_value(value)
        .map(|v| v.to_string())
        .unwrap_or_else(|error| format!("(cannot render: {error})"))
}

fn compare_custom(found: &mut Collector, have: &CanonicalCustom, want: &CanonicalCustom) {
    found.value("build_os", &have.build_os, &want.build_os);
    found.keyed(
        "installs",
        &have.installs,
        &want.installs,
        render,
        |f, path, old, new| f.value(&format!("{path}.version"), old, new),
    );
    found.text("build_script", &have.build_script, &want.build_script);
    compare_repos(found, "repo_info", &have.repos, &want.repos);
    compare_parameters(
        found,
        "parameters",
        "default_value",
        &have.parameters,
        &want.parameters,
    );
    compare_services(found, "services", &have.services, &want.services);
    compare_docker(
        found,
        have.docker_build.as_ref(),
        want.docker_build.as_ref(),
    );
    compare_advanced(found, &have.advanced, &want.advanced);
    found.value("advanced_settings.outputs", &have.outputs, &want.outputs);
}

fn compare_template(found: &mut Collector, have: &CanonicalTemplate, want: &CanonicalTemplate) {
    found.value("template_name", &have.template_name, &want.template_name);
    // Inputs with their values (a credential's withheld), so that a create shows what it sets.
    let render_target = |target: &CanonicalTarget| {
        let repos: Vec<String> = target.repos.keys().map(|k| k.to_string()).collect();
        let inputs: BTreeMap<&String, &str> = target
            .inputs
            .iter()
            .map(|(key, input)| (key, shown_value(input)))
            .collect();
        render(&serde_json::json!({ "repo_info": repos, "inputs": inputs }))
    };
    found.keyed(
        "target_services",
        &have.targets,
        &want.targets,
        render_target,
        |f, path, old, new| {
            compare_repos(f, &format!("{path}.repo_info"), &old.repos, &new.repos);
            compare_inputs(f, &format!("{path}.inputs"), &old.inputs, &new.inputs);
        },
    );
}

fn compare_repos(
    found: &mut Collector,
    prefix: &str,
    live: &BTreeMap<RepoKey, CanonicalRepo>,
    desired: &BTreeMap<RepoKey, CanonicalRepo>,
) {
    found.keyed(prefix, live, desired, render, |f, path, old, new| {
        f.value(&format!("{path}.branch"), &old.branch, &new.branch);
        f.value(
            &format!("{path}.remote_name"),
            &old.remote_name,
            &new.remote_name,
        );
        f.value(
            &format!("{path}.checkout_path"),
            &old.checkout_path,
            &new.checkout_path,
        );
        f.value(
            &format!("{path}.submodules"),
            &old.submodules,
            &new.submodules,
        );
    });
}

fn compare_parameters(
    found: &mut Collector,
    prefix: &str,
    value_field: &str,
    live: &BTreeMap<String, CanonicalParameter>,
    desired: &BTreeMap<String, CanonicalParameter>,
) {
    let render_item = |p: &CanonicalParameter| render_parameter(p, value_field);
    found.keyed(prefix, live, desired, render_item, |f, path, old, new| {
        compare_parameter(f, path, value_field, old, new)
    });
}

/// Template inputs: only the keys the file sets are compared (the others hold the template's
/// defaults, which a client cannot know); a key the template does not define is a note, since
/// Zadig drops it on every write and a change would never converge.
fn compare_inputs(
    found: &mut Collector,
    prefix: &str,
    live: &BTreeMap<String, CanonicalParameter>,
    desired: &BTreeMap<String, CanonicalParameter>,
) {
    for (key, want) in desired {
        let path = format!("{prefix}[{key}]");
        match live.get(key) {
            Some(have) => compare_parameter(found, &path, "value", have, want),
            None => found.notes.push(format!(
                "{path}: the template does not define input {key}; Zadig drops it"
            )),
        }
    }
}

fn compare_parameter(
    found: &mut Collector,
    path: &str,
    value_field: &str,
    old: &CanonicalParameter,
    new: &CanonicalParameter,
) {
    found.value(&format!("{path}.type"), &old.kind, &new.kind);
    let value_path = format!("{path}.{value_field}");
    if old.is_credential || new.is_credential {
        found.secret(&value_path, &old.value, &new.value);
    } else {
        found.value(&value_path, &old.value, &new.value);
    }
    found.value(
        &format!("{path}.is_credential"),
        &old.is_credential,
        &new.is_credential,
    );
}

/// A parameter's value as shown: `(sensitive)` for a credential.
fn shown_value(parameter: &CanonicalParameter) -> &str {
    if parameter.is_credential {
        "(sensitive)"
    } else {
        parameter.value.as_str()
    }
}

/// A parameter as one line of JSON, its value withheld when it is a credential.
fn render_parameter(parameter: &CanonicalParameter, value_field: &str) -> String {
    let value = shown_value(parameter);
    let mut object = serde_json::Map::new();
    if !parameter.kind.is_empty() {
        object.insert("type".into(), parameter.kind.clone().into());
    }
    object.insert(value_field.into(), value.into());
    object.insert("is_credential".into(), parameter.is_credential.into());
    serde_json::Value::Object(object).to_string()
}

fn compare_services<K: Display + Ord + Clone>(
    found: &mut Collector,
    prefix: &str,
    live: &BTreeSet<K>,
    desired: &BTreeSet<K>,
) {
    // Each service as `service/module`, which is how its key reads too.
    let as_map = |set: &BTreeSet<K>| -> BTreeMap<K, String> {
        set.iter().map(|k| (k.clone(), k.to_string())).collect()
    };
    found.keyed(
        prefix,
        &as_map(live),
        &as_map(desired),
        |service| format!("service/module {service}"),
        |_, _, _, _| {},
    );
}

fn compare_docker(
    found: &mut Collector,
    live: Option<&CanonicalDockerBuild>,
    desired: Option<&CanonicalDockerBuild>,
) {
    const PATH: &str = "docker_build_step";
    match (live, desired) {
        (None, Some(new)) => found.push(PATH.into(), None, Some(render(new))),
        (Some(old), None) => found.push(PATH.into(), Some(render(old)), None),
        (Some(old), Some(new)) => compare_docker_fields(found, old, new),
        (None, None) => {}
    }
}

fn compare_docker_fields(
    found: &mut Collector,
    have: &CanonicalDockerBuild,
    want: &CanonicalDockerBuild,
) {
    const PATH: &str = "docker_build_step";
    let path = |field: &str| format!("{PATH}.{field}");
    found.value(&path("build_args"), &have.build_args, &want.build_args);
    found.value(
        &path("build_context_dir"),
        &have.build_context_dir,
        &want.build_context_dir,
    );
    found.value(
        &path("dockerfile_directory"),
        &have.dockerfile_directory,
        &want.dockerfile_directory,
    );
    found.value(
        &path("dockerfile_source"),
        &have.dockerfile_source,
        &want.dockerfile_source,
    );
    found.value(
        &path("enable_buildkit"),
        &have.enable_buildkit,
        &want.enable_buildkit,
    );
    found.value(&path("platforms"), &have.platforms, &want.platforms);
    found.value(
        &path("template_name"),
        &have.template_name,
        &want.template_name,
    );
}

fn compare_resource_spec(
    found: &mut Collector,
    have: &CanonicalResourceSpec,
    want: &CanonicalResourceSpec,
) {
    const PATH: &str = "advanced_settings.resource_spec";
    let path = |field: &str| format!("{PATH}.{field}");
    found.value(&path("cpu_limit"), &have.cpu_limit, &want.cpu_limit);
    found.value(&path("cpu_req"), &have.cpu_req, &want.cpu_req);
    found.value(&path("gpu_limit"), &have.gpu_limit, &want.gpu_limit);
    found.value(
        &path("memory_limit"),
        &have.memory_limit,
        &want.memory_limit,
    );
    found.value(&path("memory_req"), &have.memory_req, &want.memory_req);
}

fn compare_advanced(found: &mut Collector, have: &CanonicalAdvanced, want: &CanonicalAdvanced) {
    const PATH: &str = "advanced_settings";
    found.value(&format!("{PATH}.timeout"), &have.timeout, &want.timeout);
    if let Some(cluster) = &want.cluster_name {
        let live = have.cluster_name.clone().unwrap_or_default();
        found.value(&format!("{PATH}.cluster_name"), &live, cluster);
    }
    if let Some(strategy) = &want.strategy_name {
        let live = have.strategy_name.clone().unwrap_or_default();
        // Zadig stored no strategy (`Some("")`) although the file names one: it matched
        // none of the cluster's. A blank build (`None`, what a create starts from) is not that.
        if have.strategy_name.as_deref() == Some("") && !strategy.is_empty() {
            let cluster = want.cluster_name.clone().unwrap_or_default();
            found.notes.push(format!(
                "{PATH}.strategy_name: cluster {cluster:?} has no strategy {strategy:?}; \
                 Zadig stored none, and applying again will not change that"
            ));
        } else {
            found.value(&format!("{PATH}.strategy_name"), &live, strategy);
        }
    }
    compare_resource_spec(found, &have.resource_spec, &want.resource_spec);
    let cache = format!("{PATH}.cache_setting");
    found.value(
        &format!("{cache}.enabled"),
        &have.cache_enabled,
        &want.cache_enabled,
    );
    if want.cache_enabled {
        let path = format!("{cache}.cache_dir");
        found.value(&path, &have.cache_dir, &want.cache_dir);
    }
    found.value(
        &format!("{PATH}.use_host_docker_daemon"),
        &have.use_host_docker_daemon,
        &want.use_host_docker_daemon,
    );
}
