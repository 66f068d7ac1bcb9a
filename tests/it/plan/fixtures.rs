//! Builders over the golden fixtures: create bodies as specs, detail bodies as live values.

use std::path::PathBuf;

use serde_json::Value;
use zadig_sync::reconcile::desired::{DesiredBuild, DesiredSet, Inherited, Origin};
use zadig_sync::reconcile::diff::compare;
use zadig_sync::reconcile::live::{LiveBuild, LiveDetail, LiveProject};
use zadig_sync::reconcile::marker::request_body;
use zadig_sync::reconcile::model::{DesiredCanonical, LiveCanonical};
use zadig_sync::reconcile::plan::shown::shown_change;
use zadig_sync::reconcile::plan::{FieldChange, NoHistory, Plan, PlanOptions};
use zadig_sync::reconcile::redact::Secrets;
use zadig_sync::reconcile::spec::{BuildSpec, ServiceRef};
use zadig_sync::reconcile::wire::DetailResponse;

/// The plan of `desired` against `live`, redacting the values of its `${env:…}` references
/// (as the commands do, less the API token).
pub fn make_plan(desired: &DesiredSet, live: &[LiveProject], options: &PlanOptions) -> Plan {
    let secrets = Secrets::new(&desired.secrets);
    zadig_sync::reconcile::plan::make_plan(desired, live, options, &NoHistory, &secrets)
}

/// The changes that would make `live` equal to `desired`, as the plan shows them (nothing
/// redacted but credentials).
pub fn diff(desired: &DesiredCanonical, live: &LiveCanonical) -> Vec<FieldChange> {
    compare(live, desired)
        .differences
        .into_iter()
        .map(|difference| shown_change(difference, false, &Secrets::default()))
        .collect()
}

pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/zadig")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// The create body of a fixture, as the file would hold it.
pub fn create_body(name: &str) -> Value {
    fixture(name)["create_request"]["body"].clone()
}

pub fn spec_from(body: Value) -> BuildSpec {
    serde_json::from_value(body).expect("create body parses as a build spec")
}

pub fn spec(name: &str) -> BuildSpec {
    spec_from(create_body(name))
}

pub fn detail_body(name: &str, key: &str) -> DetailResponse {
    serde_json::from_value(fixture(name)[key]["body"].clone()).expect("detail parses")
}

/// A custom build's detail as Zadig returns it (fixture scripts carry no marker).
pub fn custom_detail(name: &str) -> LiveDetail {
    LiveDetail::custom(detail_body(name, "detail_response"))
}

/// The detail Zadig returns after zadig-sync wrote `spec`: the fixture's detail whose script is
/// the request body's (the file's script plus the marker).
pub fn written_detail(name: &str, spec: &BuildSpec) -> LiveDetail {
    let mut detail = custom_detail(name);
    if let BuildSpec::Custom(custom) = request_body(spec) {
        detail.base_mut().build_script = custom.build_script;
    }
    detail
}

/// template.json's detail: the base without a service, and the billing target's detail.
pub fn template_detail() -> LiveDetail {
    let billing = ServiceRef {
        service_name: "billing".into(),
        service_module: "billing".into(),
    };
    LiveDetail::template(
        detail_body("template", "detail_response_without_service"),
        vec![(
            billing,
            detail_body("template", "detail_response_with_service"),
        )],
    )
}

/// `minimal.json` renamed, in another project if asked: a small custom build for plan tests.
pub fn minimal_named(project: &str, name: &str) -> BuildSpec {
    let mut body = create_body("minimal");
    body["name"] = name.into();
    body["project_key"] = project.into();
    spec_from(body)
}

/// What Zadig holds after zadig-sync wrote `spec` (marker included).
pub fn live_written(spec: &BuildSpec, update_time: i64) -> LiveBuild {
    let mut detail = written_detail("minimal", spec);
    detail.base_mut().name = spec.name().to_string();
    detail.base_mut().project_key = spec.project_key().to_string();
    LiveBuild {
        name: spec.name().to_string(),
        update_time,
        detail: Ok(detail),
    }
}

/// A build made by hand in Zadig's UI: no marker.
pub fn live_unmarked(project: &str, name: &str) -> LiveBuild {
    let mut detail = custom_detail("minimal");
    detail.base_mut().name = name.to_string();
    detail.base_mut().project_key = project.to_string();
    LiveBuild {
        name: name.to_string(),
        update_time: 1_700_000_000,
        detail: Ok(detail),
    }
}

pub fn desired(specs: Vec<BuildSpec>) -> DesiredSet {
    let builds = specs
        .into_iter()
        .enumerate()
        .map(|(index, spec)| DesiredBuild {
            origin: Origin {
                path: PathBuf::from(format!("builds.d/{}.yaml", spec.name())),
                line: 1 + index,
                column: 1,
            },
            spec,
            inherited: Inherited::default(),
        })
        .collect();
    DesiredSet {
        builds,
        file_count: 1,
        secrets: Vec::new(),
    }
}

pub fn project(name: &str, builds: Vec<LiveBuild>) -> LiveProject {
    LiveProject {
        project: name.to_string(),
        listing: Ok(builds),
    }
}
