//! Golden parsing fixtures: the JSON examples of Zadig's own docs page
//! (`tests/fixtures/zadig-docs/`) and the answers of `tests/fixtures/zadig/` parse into the
//! client's wire types, extra keys like `address` included.

use serde_json::Value;
use zadig_sync::reconcile::wire::{DetailResponse, ListResponse};
use zadig_sync::remote::ZadigMessage;

use crate::util::client::fixture;

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

#[test]
fn the_docs_list_example_parses() {
    let list: ListResponse = parse(fixture("zadig-docs/list.json"));
    assert_eq!(list.total, 2);
    let names: Vec<_> = list.builds.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["s-build", "openapi-build"]);
    assert_eq!(list.builds[0].target_services[1].service_module, "service2");
    assert_eq!(list.builds[1].update_time, 1688040721);
}

#[test]
fn the_docs_detail_example_parses() {
    let detail: DetailResponse = parse(fixture("zadig-docs/detail.json"));
    assert_eq!(
        (detail.name.as_str(), detail.template_name.as_str()),
        ("openapi-build", "test")
    );
    assert_eq!(detail.repos[0].repo_owner, "liyue326");
    assert_eq!(detail.repos[0].remote_name, "origin");
    assert_eq!(detail.build_env.installs[0].version, "1.13");
    assert_eq!(detail.advanced_settings.resource_spec.memory_limit, 512);
    assert_eq!(detail.parameters[0].kind, "string");
    let outputs: Vec<_> = detail.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(outputs, ["IMAGE", "PKG_FILE", "xx"]);
    let docker = detail.post_build.docker_build.as_ref().unwrap();
    assert_eq!(
        (docker.source.as_str(), docker.work_dir.as_str()),
        ("local", "temp")
    );
    assert!(detail.post_build.object_storage_upload.is_some());
    assert_eq!(detail.post_build.scripts, "#!/bin/bash\nset -e");
}

#[test]
fn every_detail_answer_of_the_golden_fixtures_parses() {
    let answers = [
        ("zadig/full.json", "detail_response"),
        ("zadig/minimal.json", "detail_response"),
        ("zadig/advanced-without-spec.json", "detail_response"),
        ("zadig/template.json", "detail_response_without_service"),
        ("zadig/template.json", "detail_response_with_service"),
    ];
    for (file, key) in answers {
        let body = fixture(file)[key]["body"].clone();
        let detail: DetailResponse = parse(body.clone());
        // Nothing Zadig sends is lost: serialising again gives the same JSON back.
        assert_eq!(serde_json::to_value(&detail).unwrap(), body, "{file} {key}");
    }
}

#[test]
fn the_golden_list_page_parses() {
    let list: ListResponse = parse(fixture("zadig/list_page.json")["response"]["body"].clone());
    assert_eq!((list.total, list.builds.len()), (4, 2));
}

#[test]
fn every_json_error_body_parses_with_its_code() {
    let errors = fixture("zadig/errors.json");
    let mut codes = Vec::new();
    for (name, case) in errors.as_object().unwrap() {
        if case["status"].as_u64() == Some(200) || !case["body"].is_object() {
            continue;
        }
        let body = serde_json::to_vec(&case["body"]).unwrap();
        let message = ZadigMessage::parse(&body).unwrap_or_else(|| panic!("{name}"));
        codes.push(message.code);
    }
    codes.sort_unstable();
    assert_eq!(codes, [500, 6520, 6520, 6521, 6523, 7050]);
}
