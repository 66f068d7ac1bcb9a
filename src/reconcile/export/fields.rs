//! The parts of a custom build that need no inference: Zadig's order for lists the canonical
//! model keeps as sets, the services, and `advanced_settings` with its defaults left out.
//! Pure, no I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::reconcile::model::CanonicalAdvanced;
use crate::reconcile::spec::{
    AdvancedSettings, CacheSetting, ResourceSpec, ScriptType, ServiceRef,
};

/// A marker written for a batch file starts with `REM`; nothing else tells the script type.
pub(super) fn script_type_of(live_script: &str) -> ScriptType {
    let last = live_script.trim_end_matches(['\r', '\n']).lines().last();
    match last {
        Some(line) if line.starts_with("REM managed by zadig-sync") => ScriptType::BatchFile,
        _ => ScriptType::Shell,
    }
}

pub(super) fn services(wire: &[ServiceRef], canonical: &BTreeSet<ServiceRef>) -> Vec<ServiceRef> {
    let mut seen = BTreeSet::new();
    wire.iter()
        .filter(|s| canonical.contains(*s) && seen.insert(*s))
        .cloned()
        .collect()
}

/// The settings as the file writes them; values equal to what Zadig stores for an absent
/// field (zeros, `false`, `""`) are left out.
pub(super) fn advanced(canonical: &CanonicalAdvanced, outputs: &[String]) -> AdvancedSettings {
    let spec = &canonical.resource_spec;
    let resource_spec = ResourceSpec {
        cpu_limit: spec.cpu_limit,
        memory_limit: spec.memory_limit,
        cpu_req: spec.cpu_req,
        memory_req: spec.memory_req,
        gpu_limit: spec.gpu_limit.clone(),
    };
    let cache_setting = CacheSetting {
        enabled: canonical.cache_enabled,
        cache_dir: canonical.cache_dir.clone(),
    };
    AdvancedSettings {
        cluster_name: canonical.cluster_name.clone().unwrap_or_default(),
        strategy_name: canonical.strategy_name.clone().unwrap_or_default(),
        timeout: canonical.timeout,
        resource_spec: (resource_spec != ResourceSpec::default()).then_some(resource_spec),
        cache_setting: (cache_setting != CacheSetting::default()).then_some(cache_setting),
        storages: None,
        use_host_docker_daemon: canonical.use_host_docker_daemon,
        privileged_mode: false,
        custom_annotations: Vec::new(),
        custom_labels: Vec::new(),
        outputs: outputs.to_vec(),
    }
}

/// The entries of `map` in the order their keys first appear in `order` (Zadig's order),
/// then any the order did not name, each once.
pub(super) fn in_order<'m, 'k, K: Ord + 'k, V>(
    order: impl Iterator<Item = &'k K>,
    map: &'m BTreeMap<K, V>,
) -> impl Iterator<Item = (&'m K, &'m V)> {
    let mut seen = BTreeSet::new();
    let mut ordered: Vec<(&'m K, &'m V)> = order
        .filter_map(|key| map.get_key_value(key))
        .filter(|(key, _)| seen.insert(*key))
        .collect();
    ordered.extend(map.iter().filter(|(key, _)| !seen.contains(key)));
    ordered.into_iter()
}
