//! What the emulator checks, and in which order, where Zadig's code decides: the gateway's
//! token before any routing, the list's query before its permission, the `gpu_limit`
//! quantity, and which stored value a `********` parameter keeps.

use crate::util::emulator::{Answer, Client, custom_body, start_default};
use serde_json::{Value, json};
use zadig_sync::emulator::LIMITED_TOKEN;

const QUANTITY_FORMAT: &str = "failed to parse resource quantity, err: quantities must match \
     the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// Status, business code and description of an error answer.
fn refusal(answer: &Answer) -> (u16, Value, Value) {
    let body = &answer.body;
    (
        answer.status,
        body["code"].clone(),
        body["description"].clone(),
    )
}

/// Sends a create that must be refused with 6520; returns the description.
async fn create_refused(client: &Client, body: &Value) -> Value {
    let answer = client.send("POST", "/openapi/build", Some(body)).await;
    let (status, code, description) = refusal(&answer);
    assert_eq!((status, code), (400, json!(6520)), "{description}");
    description
}

fn with_gpu(name: &str, gpu_limit: &str) -> Value {
    let mut body = custom_body(name, "yaml");
    body["advanced_settings"] = json!({
        "cluster_name": "local-20250523164625",
        "resource_spec": {"cpu_limit": 1000, "memory_limit": 512, "gpu_limit": gpu_limit},
    });
    body
}

#[tokio::test]
async fn a_gpu_limit_is_one_colon_then_a_kubernetes_quantity() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    for (gpu, description) in [
        ("nvidia.com/gpu: x", QUANTITY_FORMAT),
        ("nvidia.com/gpu: 1x", QUANTITY_FORMAT),
        (
            "nvidia.com/gpu: 1e",
            "failed to parse resource quantity, err: unable to parse quantity's suffix",
        ),
        ("a: 1: 2", "format of gpu request is incorrect"),
        ("1", "format of gpu request is incorrect"),
    ] {
        let refused = create_refused(&client, &with_gpu("g", gpu)).await;
        assert_eq!(refused, description, "{gpu}");
    }
    for (name, gpu) in [("g1", "nvidia.com/gpu: 1"), ("g2", "amd.com/gpu:500m")] {
        let answer = client
            .send("POST", "/openapi/build", Some(&with_gpu(name, gpu)))
            .await;
        assert_eq!(answer.status, 200, "{gpu}: {}", answer.body);
    }
    let body = with_gpu("g1", "nvidia.com/gpu: x");
    let update = client.send("PUT", "/openapi/build", Some(&body)).await;
    assert_eq!(refusal(&update), (400, json!(6521), json!(QUANTITY_FORMAT)));
}

#[tokio::test]
async fn lookups_fail_in_zadig_s_order_with_its_descriptions() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let mut body = with_gpu("b", "nvidia.com/gpu: x");
    body["advanced_settings"]["cluster_name"] = "elsewhere".into();
    body["build_os"] = "focal".into();
    body["repo_info"] = json!([{"codehost_name": "bitbucket", "repo_name": "app"}]);
    body["docker_build_step"] = json!({"dockerfile_source": "template", "template_name": "x"});
    // Each lookup that fails hides the ones after it; fixing it shows the next.
    assert_eq!(
        create_refused(&client, &body).await,
        "failed to find cluster of name: elsewhere, error: mongo: no documents in result"
    );
    body["advanced_settings"]["cluster_name"] = "local-20250523164625".into();
    assert_eq!(
        create_refused(&client, &body).await,
        "failed to find the basic image of name: focal, error is: mongo: no documents in result"
    );
    body["build_os"] = "ubuntu 22.04".into();
    assert_eq!(
        create_refused(&client, &body).await,
        "failed to convert user repository input info into system repository, \
         codehostName: [bitbucket], repoName[app], err: failed to find codehost with name \
         [bitbucket], error is: mongo: no documents in result"
    );
    body["repo_info"] = json!([]);
    assert_eq!(
        create_refused(&client, &body).await,
        "failed to find the dockerfile template of name: [x], err: mongo: no documents in result"
    );
    body["docker_build_step"]["template_name"] = "go-dockerfile".into();
    assert_eq!(create_refused(&client, &body).await, QUANTITY_FORMAT);
}

#[tokio::test]
async fn a_masked_parameter_keeps_the_last_value_stored_under_its_key() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let with_parameters = |values: &[&str]| {
        let mut body = custom_body("b", "yaml");
        body["parameters"] = values
            .iter()
            .map(|value| json!({"key": "TOKEN", "default_value": value}))
            .collect();
        body
    };
    let create = client
        .send(
            "POST",
            "/openapi/build",
            Some(&with_parameters(&["first", "last"])),
        )
        .await;
    assert_eq!(create.status, 200);
    let update = client
        .send(
            "PUT",
            "/openapi/build",
            Some(&with_parameters(&["********"])),
        )
        .await;
    assert_eq!(update.status, 200);
    let detail = client.detail("b", "yaml").await.body;
    assert_eq!(detail["parameters"][0]["value"], "last");
}

#[tokio::test]
async fn a_bad_page_number_is_400_before_the_permission_check() {
    let emulator = start_default().await;
    let limited = Client::with_authorization(&emulator, Some(format!("Bearer {LIMITED_TOKEN}")));
    let list = |query: &'static str| limited.send("GET", query, None);
    let bad_page = list("/openapi/build?projectKey=other&pageNum=x").await;
    assert_eq!((bad_page.status, bad_page.body), (400, json!("")));
    let bad_size = list("/openapi/build?projectKey=other&pageSize=1.5").await;
    assert_eq!((bad_size.status, bad_size.body), (400, json!("")));
    let forbidden = list("/openapi/build?projectKey=other&pageNum=1").await;
    assert_eq!((forbidden.status, forbidden.body), (403, json!("")));
}

#[tokio::test]
async fn without_a_valid_token_every_path_is_401_before_any_routing() {
    let emulator = start_default().await;
    let anonymous = Client::with_authorization(&emulator, None);
    let wrong = Client::with_authorization(&emulator, Some("Bearer wrong".to_owned()));
    for client in [&anonymous, &wrong] {
        for (method, path) in [
            ("GET", "/nope"),
            ("GET", "/openapi/builds"),
            ("POST", "/openapi/build/x/detail"),
            ("GET", "/openapi/build/?projectKey=yaml"),
            ("PUT", "/openapi/build/"),
        ] {
            let answer = client.send(method, path, None).await;
            assert_eq!(
                (answer.status, &answer.body),
                (401, &json!("")),
                "{method} {path}"
            );
            assert!(!answer.headers.contains_key("location"), "{method} {path}");
        }
    }
    // Counted under the route they named: each client's POST to a detail path once.
    let stats = Client::new(&emulator).stats().await;
    let refused = json!({"method": "POST", "route": "/openapi/build/:name/detail",
                         "status": 401, "count": 2});
    assert!(
        stats["requests"].as_array().unwrap().contains(&refused),
        "{stats}"
    );
}
