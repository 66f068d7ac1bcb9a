//! Field-level comparison of two canonical builds: each difference with its path in the build
//! FILE's terms (`advanced_settings.timeout`, `parameters[TOKEN].default_value`,
//! `repo_info[shop/billing].branch`), live value → desired value. Pure, no I/O.
//!
//! Values are rendered as compact JSON (strings quoted). Credential values are never rendered:
//! such a change is `sensitive`, with no old or new. Values of `${env:…}` references are shown
//! as `(sensitive)` inside whatever holds them, and a change that this would hide entirely is
//! `sensitive` too. Set-like lists are matched by identity,
//! so an item shows as added, removed, or changed field by field, never as a shifted list.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use serde::Serialize;
use similar::TextDiff;

use crate::reconcile::model::{
    CanonicalAdvanced, CanonicalBody, CanonicalBuild, CanonicalCustom, CanonicalDockerBuild,
    CanonicalParameter, CanonicalRepo, CanonicalTarget, CanonicalTemplate,
};
use crate::reconcile::plan::FieldChange;
use crate::reconcile::redact::Redactor;

/// The path of the one change that stands for every field Zadig does not return: the
/// fingerprint in the marker differs from the file's.
pub const UNOBSERVABLE_PATH: &str = "(fields Zadig does not return)";

/// What comparing two builds found: the changes, and notes on differences that are not changes
/// (re-applying would not remove them, e.g. a template input Zadig drops).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    pub changes: Vec<FieldChange>,
    pub notes: Vec<String>,
}

/// The changes that would make `live` equal to `desired`, nothing redacted but credentials.
pub fn diff(desired: &CanonicalBuild, live: &CanonicalBuild) -> Vec<FieldChange> {
    compare(desired, live, &Redactor::default()).changes
}

/// The changes and notes from `live` to `desired`, every secret of `redactor` shown as
/// `(sensitive)`; a change that redaction would hide entirely is `sensitive`. The fingerprint
/// change is reported when it is the only one (a field Zadig does not return changed) or when
/// the live build is not ours (the marker will be written); otherwise the observable changes
/// already say why the build is written, and the new fingerprint comes with that write.
pub fn compare(desired: &CanonicalBuild, live: &CanonicalBuild, redactor: &Redactor) -> Comparison {
    let mut found = Collector::new(redactor);
    match (&desired.body, &live.body) {
        (CanonicalBody::Custom(want), CanonicalBody::Custom(have)) => {
            compare_custom(&mut found, want, have)
        }
        (CanonicalBody::Template(want), CanonicalBody::Template(have)) => {
            compare_template(&mut found, want, have)
        }
        _ => {
            found.value("kind", &live.kind(), &desired.kind());
            return found.finish();
        }
    }
    let fingerprint_moved = desired.fingerprint != live.fingerprint;
    if fingerprint_moved && (found.changes.is_empty() || live.fingerprint.is_none()) {
        let old = match (&live.fingerprint, &live.foreign_marker) {
            (Some(fingerprint), _) => fingerprint.clone(),
            (None, Some(_)) => "marked for another build".into(),
            (None, None) => "unmarked".into(),
        };
        let new = desired
            .fingerprint
            .clone()
            .unwrap_or_else(|| "unmarked".into());
        found.push(UNOBSERVABLE_PATH.to_string(), Some(old), Some(new));
    }
    found.finish()
}

struct Collector<'r> {
    redactor: &'r Redactor,
    changes: Vec<FieldChange>,
    notes: Vec<String>,
}

impl<'r> Collector<'r> {
    fn new(redactor: &'r Redactor) -> Self {
        Collector {
            redactor,
            changes: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn finish(mut self) -> Comparison {
        self.redactor.redact_all(&mut self.notes);
        Comparison {
            changes: self.changes,
            notes: self.notes,
        }
    }

    /// A change of rendered values, redacted; when redaction leaves both sides equal, the
    /// difference was inside a secret and only its existence is reported.
    fn push(&mut self, path: String, old: Option<String>, new: Option<String>) {
        let redact = |value: Option<String>| value.map(|v| self.redactor.redact(&v).into_owned());
        let (old, new) = (redact(old), redact(new));
        if old.is_some() && old == new {
            return self.sensitive(path);
        }
        self.changes.push(FieldChange {
            path,
            old,
            new,
            sensitive: false,
            diff: None,
        });
    }

    fn sensitive(&mut self, path: String) {
        self.changes.push(FieldChange {
            path,
            old: None,
            new: None,
            sensitive: true,
            diff: None,
        });
    }

    fn value<T: Serialize + PartialEq>(&mut self, path: &str, old: &T, new: &T) {
        if old != new {
            self.push(path.to_string(), Some(render(old)), Some(render(new)));
        }
    }

    fn secret(&mut self, path: &str, old: &str, new: &str) {
        if old != new {
            self.sensitive(path.to_string());
        }
    }

    /// A unified diff of the redacted texts: redacting before diffing hides a secret that
    /// spans lines, which the diff's line prefixes would otherwise split past recognition.
    fn text(&mut self, path: &str, old: &str, new: &str) {
        if old == new {
            return;
        }
        let (old, new) = (self.redactor.redact(old), self.redactor.redact(new));
        if old == new {
            return self.sensitive(path.to_string());
        }
        let unified = TextDiff::from_lines(old.as_ref(), new.as_ref())
            .unified_diff()
            .context_radius(3)
            .header("zadig", "files")
            .to_string();
        self.changes.push(FieldChange {
            path: path.to_string(),
            old: None,
            new: None,
            sensitive: false,
            diff: Some(unified),
        });
    }

    /// Every field of a flat struct, compared one by one, in name order.
    fn each_field<T: Serialize>(&mut self, prefix: &str, old: &T, new: &T) {
        let old = json_fields(old);
        for (field, new_value) in json_fields(new) {
            let old_value = old.get(&field).unwrap_or(&serde_json::Value::Null);
            self.value(&format!("{prefix}.{field}"), old_value, &new_value);
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

fn compare_custom(found: &mut Collector, want: &CanonicalCustom, have: &CanonicalCustom) {
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

fn compare_template(found: &mut Collector, want: &CanonicalTemplate, have: &CanonicalTemplate) {
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
    live: &BTreeMap<crate::reconcile::model::RepoKey, CanonicalRepo>,
    desired: &BTreeMap<crate::reconcile::model::RepoKey, CanonicalRepo>,
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
        (Some(old), Some(new)) => found.each_field(PATH, old, new),
        (None, None) => {}
    }
}

/// The fields of a flat struct as JSON values, by name.
fn json_fields<T: Serialize>(value: &T) -> BTreeMap<String, serde_json::Value> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
        _ => BTreeMap::new(),
    }
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
    let resource_spec = format!("{PATH}.resource_spec");
    found.each_field(&resource_spec, &have.resource_spec, &want.resource_spec);
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
