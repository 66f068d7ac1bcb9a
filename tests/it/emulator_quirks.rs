//! The build-route quirks of `docs/zadig-api.md` that the fixtures do not pin alone:
//! full-replace PUT, the `********` rule, `PUT ?source=template`, template conversion,
//! paging, idempotent delete, check order, key matching and name trimming.

use crate::util::emulator::{Client, TOKEN, custom_body, fixture, start, start_default};
use serde_json::{Value, json};
use zadig_sync::emulator::{EmulatorConfig, LIMITED_TOKEN};

async fn created(client: &Client, body: &Value) {
    let answer = client.send("POST", "/openapi/build", Some(body)).await;
    assert_eq!(answer.status, 200, "create: {}", answer.body);
}

async fn updated(client: &Client, body: &Value) {
    let answer = client.send("PUT", "/openapi/build", Some(body)).await;
    assert_eq!(answer.status, 200, "update: {}", answer.body);
}

fn parameters(body: Value, pairs: &[(&str, &str)]) -> Value {
    let mut body = body;
    body["parameters"] = pairs
        .iter()
        .map(|(key, value)| json!({"key": key, "default_value": value, "type": "string"}))
        .collect();
    body
}

fn values(detail: &Value) -> Vec<(String, String)> {
    detail["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["key"].as_str().unwrap().to_owned(),
                p["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn put_replaces_the_whole_build_and_resets_omitted_sections() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    created(&client, &fixture("full.json")["create_request"]["body"]).await;
    updated(&client, &custom_body("api-test", "yaml")).await;
    let detail = client.detail("api-test", "yaml").await.body;
    assert_eq!(detail["target_services"], json!([]));
    assert_eq!(detail["repos"], json!([]));
    assert_eq!(detail["parameters"], json!([]));
    assert_eq!(detail["post_build"]["docker_build"], Value::Null);
    assert_eq!(detail["advanced_settings"]["timeout"], 60);
    assert_eq!(detail["advanced_settings"]["strategy_name"], "随机调度");
    assert_eq!(detail["outputs"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn masked_parameters_keep_stored_values_and_unknown_keys_become_empty() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    created(
        &client,
        &parameters(
            custom_body("b", "yaml"),
            &[("tok", "s3cret"), ("plain", "p")],
        ),
    )
    .await;
    let masked = [
        ("tok", "********"),
        ("plain", "********"),
        ("new", "********"),
        ("x", "y"),
    ];
    updated(&client, &parameters(custom_body("b", "yaml"), &masked)).await;
    let detail = client.detail("b", "yaml").await.body;
    assert_eq!(
        values(&detail),
        pairs(&[("tok", "s3cret"), ("plain", "p"), ("new", ""), ("x", "y")])
    );
}

#[tokio::test]
async fn masked_parameters_are_saved_literally_when_nothing_was_stored() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    created(&client, &custom_body("b", "yaml")).await;
    updated(
        &client,
        &parameters(custom_body("b", "yaml"), &[("tok", "********")]),
    )
    .await;
    let detail = client.detail("b", "yaml").await.body;
    assert_eq!(values(&detail), pairs(&[("tok", "********")]));
}

#[tokio::test]
async fn put_with_source_template_creates_and_fails_on_an_existing_name() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let body = &fixture("template.json")["create_request"]["body"];
    let first = client
        .send("PUT", "/openapi/build?source=template", Some(body))
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(
        client.detail("java-svc", "yaml").await.body["template_name"],
        "java-template"
    );
    let again = client
        .send("PUT", "/openapi/build?source=template", Some(body))
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.body["code"], 6520);
    assert_eq!(
        again.body["description"],
        "yaml项目中有相同的构建名称存在,请检查!"
    );
}

#[tokio::test]
async fn template_update_converts_a_custom_build_and_keeps_the_rest() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    created(&client, &custom_body("java-svc", "yaml")).await;
    let body = &fixture("template.json")["create_request"]["body"];
    // The path name and `?projectKey` are ignored: the body decides.
    let answer = client
        .send(
            "PUT",
            "/openapi/build/ignored/template?projectKey=nope",
            Some(body),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let detail = client.detail("java-svc", "yaml").await.body;
    assert_eq!(detail["template_name"], "java-template");
    assert_eq!(
        detail["target_services"],
        json!([{"service_name": "billing", "service_module": "billing"}])
    );
    assert_eq!(
        detail["build_script"], "make",
        "the old script stays in the document"
    );
}

async fn converted_to(client: &Client, template: &str) {
    let mut body = fixture("template.json")["create_request"]["body"].clone();
    body["template_name"] = template.into();
    let answer = client
        .send("PUT", "/openapi/build/java-svc/template", Some(&body))
        .await;
    assert_eq!(answer.status, 200, "convert: {}", answer.body);
}

fn repo_names(detail: &Value) -> Vec<&str> {
    let repos = detail["repos"].as_array().unwrap();
    repos
        .iter()
        .map(|r| r["repo_name"].as_str().unwrap())
        .collect()
}

/// A custom build with one parameter and one repo, as converted builds start.
async fn custom_with_parameter_and_repo(client: &Client) {
    let mut body = parameters(custom_body("java-svc", "yaml"), &[("OLD", "kept")]);
    body["repo_info"] = json!([{"codehost_name": "gitlab", "repo_namespace": "team",
                                "repo_name": "old-app", "branch": "main"}]);
    created(client, &body).await;
}

const BILLING_DETAIL: &str =
    "/openapi/build/java-svc/detail?projectKey=yaml&serviceName=billing&serviceModule=billing";

#[tokio::test]
async fn a_converted_build_shows_its_old_parameters_and_repos_unless_its_service_is_named() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    custom_with_parameter_and_repo(&client).await;
    converted_to(&client, "java-template").await;
    let plain = client.detail("java-svc", "yaml").await.body;
    assert_eq!(values(&plain), pairs(&[("OLD", "kept")]));
    assert_eq!(repo_names(&plain), ["old-app"]);
    let named = client.send("GET", BILLING_DETAIL, None).await.body;
    let keys: Vec<String> = values(&named).into_iter().map(|(key, _)| key).collect();
    assert_eq!(keys, ["JAVA_VERSION", "MVN_ARGS", "DEPLOY_TOKEN"]);
    assert_eq!(repo_names(&named), ["billing"]);
    let path = "/openapi/build/java-svc/detail?projectKey=yaml&serviceName=x&serviceModule=x";
    let unknown = client.send("GET", path, None).await.body;
    assert_eq!(values(&unknown), pairs(&[("OLD", "kept")]));
    assert_eq!(unknown["repos"], json!([]));
}

#[tokio::test]
async fn a_target_without_variables_shows_the_builds_own_parameters() {
    let mut seeds = serde_json::to_value(zadig_sync::emulator::Seeds::default()).unwrap();
    let bare = json!({"id": "b2", "name": "bare-template", "variables": []});
    seeds["build_templates"].as_array_mut().unwrap().push(bare);
    let config = EmulatorConfig {
        seeds: serde_json::from_value(seeds).unwrap(),
        ..EmulatorConfig::new(TOKEN)
    };
    let emulator = start(config).await;
    let client = Client::new(&emulator);
    custom_with_parameter_and_repo(&client).await;
    converted_to(&client, "bare-template").await;
    let named = client.send("GET", BILLING_DETAIL, None).await.body;
    assert_eq!(values(&named), pairs(&[("OLD", "kept")]));
    assert_eq!(repo_names(&named), ["billing"]);
}

#[tokio::test]
async fn template_update_of_a_missing_build_and_an_empty_target_list_are_refused() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let mut body = fixture("template.json")["create_request"]["body"].clone();
    let missing = client
        .send("PUT", "/openapi/build/java-svc/template", Some(&body))
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.body["code"], 6523);
    body["target_services"] = json!([]);
    let empty = client
        .send("POST", "/openapi/build?source=template", Some(&body))
        .await;
    assert_eq!(empty.status, 400);
    assert_eq!(
        empty.body["description"],
        "target_service must have at least one item in it"
    );
}

fn listed_names(answer: &Value) -> Vec<&str> {
    answer["builds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn list_pages_start_at_one_and_non_positive_values_return_everything() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    for name in ["b1", "b2", "b3", "b4", "b5"] {
        created(&client, &custom_body(name, "yaml")).await;
    }
    created(&client, &custom_body("elsewhere", "other")).await;
    let list = |query: &'static str| client.send("GET", query, None);
    let page = list("/openapi/build?projectKey=yaml&pageNum=2&pageSize=2")
        .await
        .body;
    assert_eq!(
        (page["total"].clone(), listed_names(&page)),
        (json!(5), vec!["b3", "b4"])
    );
    for everything in ["pageSize=0", "pageNum=", "pageNum=-1&pageSize=1"] {
        let all = client
            .send(
                "GET",
                &format!("/openapi/build?projectKey=yaml&{everything}"),
                None,
            )
            .await;
        assert_eq!(
            listed_names(&all.body),
            ["b1", "b2", "b3", "b4", "b5"],
            "{everything}"
        );
    }
    let bad = list("/openapi/build?projectKey=yaml&pageNum=two").await;
    assert_eq!((bad.status, bad.body), (400, json!("")));
    let unknown = list("/openapi/build?projectKey=nobody").await;
    assert_eq!(unknown.body, json!({"total": 0, "builds": []}));
    let no_project = list("/openapi/build").await;
    assert_eq!(no_project.body["description"], "empty project key.");
}

#[tokio::test]
async fn delete_is_idempotent_and_needs_a_name() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    created(&client, &custom_body("b", "yaml")).await;
    for _ in 0..2 {
        let answer = client
            .send("DELETE", "/openapi/build?name=b&projectKey=yaml", None)
            .await;
        assert_eq!(
            (answer.status, answer.body),
            (200, json!({"message": "success"}))
        );
    }
    assert_eq!(client.detail("b", "yaml").await.body["code"], 6523);
    let nameless = client
        .send("DELETE", "/openapi/build?projectKey=yaml", None)
        .await;
    assert_eq!(
        (nameless.status, &nameless.body["description"]),
        (400, &json!("empty build name."))
    );
}

#[tokio::test]
async fn a_bad_body_from_a_forbidden_user_is_400_not_403() {
    let emulator = start_default().await;
    let admin = Client::new(&emulator);
    created(&admin, &custom_body("b", "yaml")).await;
    let limited = Client::with_authorization(&emulator, Some(format!("Bearer {LIMITED_TOKEN}")));
    let bad = limited
        .send_bytes("POST", "/openapi/build", Some(br#"{"name":"x"}"#.to_vec()))
        .await;
    assert_eq!((bad.status, bad.body), (400, json!("")));
    // Build.Edit is not enough to update; Build.View is enough to read.
    let update = limited
        .send("PUT", "/openapi/build", Some(&custom_body("b", "yaml")))
        .await;
    assert_eq!((update.status, update.body), (403, json!("")));
    assert_eq!(limited.detail("b", "yaml").await.status, 200);
    assert_eq!(limited.detail("b", "other").await.status, 403);
}

#[tokio::test]
async fn keys_match_case_insensitively_the_last_duplicate_wins_and_wrong_types_fail() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let body = br#"{"NAME":"first","Name":"cased","Project_Key":"yaml","infrastructure":"vm",
        "Build_OS":"ubuntu 22.04","script_type":"shell","unknown_key":1}"#;
    assert_eq!(
        client
            .send_bytes("POST", "/openapi/build", Some(body.to_vec()))
            .await
            .status,
        200
    );
    assert_eq!(client.detail("cased", "yaml").await.status, 200);
    let mut float_timeout = custom_body("t", "yaml");
    float_timeout["advanced_settings"] =
        json!({"cluster_name": "local-20250523164625", "timeout": 60.0});
    for bad in [serde_json::to_vec(&float_timeout).unwrap(), Vec::new()] {
        let answer = client.send_bytes("POST", "/openapi/build", Some(bad)).await;
        assert_eq!((answer.status, answer.body), (400, json!("")));
    }
}

#[tokio::test]
async fn names_are_trimmed_on_insert_but_not_on_update_lookup() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    created(&client, &custom_body("  spaced  ", "yaml")).await;
    assert_eq!(client.detail("spaced", "yaml").await.status, 200);
    let update = client
        .send(
            "PUT",
            "/openapi/build",
            Some(&custom_body("  spaced  ", "yaml")),
        )
        .await;
    assert_eq!((update.status, &update.body["code"]), (400, &json!(6521)));
}

#[tokio::test]
async fn update_stamps_the_caller_and_the_time_in_seconds() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    created(&client, &custom_body("b", "yaml")).await;
    let detail = client.detail("b", "yaml").await.body;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let created_at = detail["update_time"].as_u64().unwrap();
    assert!(
        now.abs_diff(created_at) < 60,
        "update_time {created_at} is not seconds near {now}"
    );
    assert_eq!(detail["update_by"], "admin");

    // A second later, an update stamps the time again (whole seconds: the clock moves one).
    let moved = client.advance_clock(1).await;
    assert!(moved > i64::try_from(created_at).unwrap(), "{moved}");
    let mut body = custom_body("b", "yaml");
    body["build_script"] = "make again".into();
    let update = client.send("PUT", "/openapi/build", Some(&body)).await;
    assert_eq!(update.status, 200);
    let updated = client.detail("b", "yaml").await.body;
    assert!(
        updated["update_time"].as_u64().unwrap() > created_at,
        "{updated}"
    );
    assert_eq!(updated["update_by"], "admin");
}

#[tokio::test]
async fn lookups_fail_with_the_create_or_update_code() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let mut body = custom_body("b", "yaml");
    body["repo_info"] = json!([{"codehost_name": "bitbucket", "repo_name": "r"}]);
    let create = client.send("POST", "/openapi/build", Some(&body)).await;
    assert_eq!((create.status, &create.body["code"]), (400, &json!(6520)));
    created(&client, &custom_body("b", "yaml")).await;
    body["repo_info"] = json!([]);
    body["advanced_settings"] = json!({"cluster_name": ""});
    let update = client.send("PUT", "/openapi/build", Some(&body)).await;
    assert_eq!((update.status, &update.body["code"]), (400, &json!(6521)));
    body["advanced_settings"] = json!({"cluster_name": "local-20250523164625"});
    body["docker_build_step"] = json!({"build_context_dir": "."});
    let docker = client.send("PUT", "/openapi/build", Some(&body)).await;
    assert_eq!(
        docker.body["description"],
        "unsupported dockerfile type, it can only be local or template"
    );
}
