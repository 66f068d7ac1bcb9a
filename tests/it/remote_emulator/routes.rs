//! Every route of the client against the emulator: create (custom and template), list over
//! several pages, detail, detail of a template target, update (custom full replace, template
//! through its own route), delete, and names and projects that need URL-encoding.

use std::collections::BTreeSet;

use zadig_sync::reconcile::spec::BuildSpec;
use zadig_sync::remote::{ClientConfig, Token, ZadigClient};

use crate::util::emulator::TOKEN;

use crate::util::emulator_client::{
    answered, billing, custom, full_spec, spec, started, template_body,
};

#[tokio::test]
async fn a_custom_build_is_created_and_read_back_in_detail() {
    let (emulator, client) = started().await;

    client.create_build(&full_spec()).await.unwrap();
    let detail = client.get_build("yaml", "api-test").await.unwrap();

    assert_eq!(
        (detail.name.as_str(), detail.project_key.as_str()),
        ("api-test", "yaml")
    );
    assert_eq!(detail.template_name, "");
    assert_eq!(detail.build_env.basic_image_label, "ubuntu 20.04");
    assert_eq!(detail.repos[0].repo_owner, "kr-test-org1");
    assert_eq!(detail.repos[0].source, "gitlab");
    let keys: Vec<_> = detail.parameters.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["aa", "bb"]);
    assert_eq!(detail.advanced_settings.timeout, 30);
    assert_eq!(
        answered(&emulator, "POST", "/openapi/build", Some(200)).await,
        1
    );
}

#[tokio::test]
async fn listing_pages_until_total_over_several_pages() {
    let (emulator, client) = started().await;
    // Small pages, so that a few dozen builds make several (the default is LIST_PAGE_SIZE).
    let page_size = 10;
    let count = 2 * page_size as usize + 3;
    let names: BTreeSet<String> = (0..count).map(|i| format!("paged-{i:03}")).collect();
    for name in &names {
        client.create_build(&custom(name, "paged")).await.unwrap();
    }
    client
        .create_build(&custom("elsewhere", "other"))
        .await
        .unwrap();

    let config = ClientConfig {
        list_page_size: page_size,
        rate_limit: 0,
        ..ClientConfig::new(emulator.url(), Token::generated(TOKEN.to_owned()))
    };
    let listing = ZadigClient::new(config)
        .unwrap()
        .list_builds("paged")
        .await
        .unwrap();

    assert_eq!(listing.total, count as i64);
    let listed: BTreeSet<String> = listing.builds.iter().map(|b| b.name.clone()).collect();
    assert_eq!(listed, names);
    assert!(listing.builds.iter().all(|b| b.project_key == "paged"));
    assert_eq!(
        answered(&emulator, "GET", "/openapi/build", Some(200)).await,
        3
    );
}

#[tokio::test]
async fn a_template_build_shows_its_target_only_when_asked_for_it() {
    let (_emulator, client) = started().await;
    client.create_build(&spec(template_body())).await.unwrap();

    let whole = client.get_build("yaml", "java-svc").await.unwrap();
    assert_eq!(whole.template_name, "java-template");
    assert!(whole.repos.is_empty() && whole.parameters.is_empty());

    let target = client
        .get_build_target("yaml", "java-svc", &billing())
        .await
        .unwrap();
    let repo = &target.repos[0];
    let repo_fields = (
        repo.repo_owner.as_str(),
        repo.repo_name.as_str(),
        repo.branch.as_str(),
    );
    assert_eq!(repo_fields, ("shop", "billing", "release"));
    let values: Vec<_> = target
        .parameters
        .iter()
        .map(|p| (p.key.as_str(), p.value.as_str()))
        .collect();
    // The target's input overrides the template's 17; the other variables keep their defaults.
    assert_eq!(
        values,
        [
            ("JAVA_VERSION", "21"),
            ("MVN_ARGS", ""),
            ("DEPLOY_TOKEN", "")
        ]
    );
}

#[tokio::test]
async fn a_custom_update_replaces_the_whole_build() {
    let (_emulator, client) = started().await;
    client.create_build(&full_spec()).await.unwrap();

    // Same name and project, every optional section left out.
    client
        .update_build(&custom("api-test", "yaml"))
        .await
        .unwrap();
    let detail = client.get_build("yaml", "api-test").await.unwrap();

    assert_eq!(detail.build_env.basic_image_label, "ubuntu 22.04");
    assert_eq!(detail.build_script, "make");
    assert!(detail.repos.is_empty(), "{:?}", detail.repos);
    assert!(detail.parameters.is_empty(), "{:?}", detail.parameters);
    assert!(detail.target_services.is_empty());
    assert!(detail.build_env.installs.is_empty());
    assert_eq!(detail.post_build.docker_build, None);
    // No advanced_settings: Zadig's defaults again, not the 30 minutes and 2000 MiB sent first.
    assert_eq!(detail.advanced_settings.timeout, 60);
    assert_eq!(detail.advanced_settings.resource_spec.memory_limit, 512);
}

#[tokio::test]
async fn a_template_update_goes_through_the_template_route() {
    let (emulator, client) = started().await;
    client.create_build(&spec(template_body())).await.unwrap();
    let mut body = template_body();
    body["target_services"][0]["repo_info"][0]["branch"] = "main".into();
    body["target_services"][0]["inputs"][0]["value"] = "25".into();

    client.update_build(&spec(body)).await.unwrap();

    let target = client
        .get_build_target("yaml", "java-svc", &billing())
        .await
        .unwrap();
    assert_eq!(target.repos[0].branch, "main");
    assert_eq!(target.parameters[0].value, "25");
    let template_route = "/openapi/build/:name/template";
    assert_eq!(
        answered(&emulator, "PUT", template_route, Some(200)).await,
        1
    );
    // `PUT /openapi/build?source=template` would have created, and failed on the name.
    assert_eq!(answered(&emulator, "PUT", "/openapi/build", None).await, 0);
}

#[tokio::test]
async fn delete_removes_the_build_and_a_missing_build_is_ok() {
    let (_emulator, client) = started().await;
    client
        .create_build(&custom("doomed", "yaml"))
        .await
        .unwrap();

    client.delete_build("yaml", "doomed").await.unwrap();

    let error = client.get_build("yaml", "doomed").await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
    client.delete_build("yaml", "doomed").await.unwrap();
    client.delete_build("yaml", "never-existed").await.unwrap();
}

/// Characters that mean something in a path or a query: each must arrive as written.
const AWKWARD_NAMES: [&str; 6] = [
    "with space",
    "a&b=c",
    "what?",
    "hash#tag",
    "构建-中文",
    "c++",
];
const AWKWARD_PROJECT: &str = "项目 x&y?#+";

#[tokio::test]
async fn names_and_projects_that_need_encoding_reach_every_route_intact() {
    let (_emulator, client) = started().await;
    for name in AWKWARD_NAMES {
        client
            .create_build(&custom(name, AWKWARD_PROJECT))
            .await
            .unwrap();
    }

    let listing = client.list_builds(AWKWARD_PROJECT).await.unwrap();
    let listed: BTreeSet<&str> = listing.builds.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(listed, BTreeSet::from(AWKWARD_NAMES));

    for name in AWKWARD_NAMES {
        let mut body = crate::util::emulator::custom_body(name, AWKWARD_PROJECT);
        body["build_script"] = format!("echo {name}").into();
        client.update_build(&spec(body)).await.unwrap();
        let detail = client.get_build(AWKWARD_PROJECT, name).await.unwrap();
        assert_eq!(
            (detail.name.as_str(), detail.project_key.as_str()),
            (name, AWKWARD_PROJECT)
        );
        assert_eq!(detail.build_script, format!("echo {name}"));
        client.delete_build(AWKWARD_PROJECT, name).await.unwrap();
        let error = client.get_build(AWKWARD_PROJECT, name).await.unwrap_err();
        assert!(error.is_not_found(), "{name}: {error}");
    }
}

#[tokio::test]
async fn a_template_build_with_an_awkward_name_is_updated_and_read_per_target() {
    let (_emulator, client) = started().await;
    let name = "模板 #1 & c++?";
    let mut body = template_body();
    body["name"] = name.into();
    body["project_key"] = AWKWARD_PROJECT.into();
    client.create_build(&spec(body.clone())).await.unwrap();
    body["target_services"][0]["repo_info"][0]["branch"] = "main".into();

    let updated: BuildSpec = spec(body);
    client.update_build(&updated).await.unwrap();

    let target = client
        .get_build_target(AWKWARD_PROJECT, name, &billing())
        .await
        .unwrap();
    assert_eq!(target.name, name);
    assert_eq!(target.repos[0].branch, "main");
}
