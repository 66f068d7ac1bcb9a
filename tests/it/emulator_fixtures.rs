//! Replays every golden fixture of `tests/fixtures/zadig/` against a started emulator and
//! compares status and body (ids and times aside): the emulator answers what Zadig answers.

use crate::util::emulator::{Client, TOKEN, assert_answer, fixture, start, start_default};
use serde_json::{Value, json};
use zadig_sync::emulator::{Edition, EmulatorConfig, LIMITED_TOKEN};

/// Creates a fixture's build and checks the create answer.
async fn create(client: &Client, fixture: &Value, name: &str) {
    let answer = client.replay(&fixture["create_request"]).await;
    assert_answer(&answer, &json!(200), &json!({"message": "success"}), name);
}

async fn replay_custom_fixture(file: &str) {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let fixture = fixture(file);
    let expected = &fixture["create_response"];
    let answer = client.replay(&fixture["create_request"]).await;
    assert_answer(&answer, &expected["status"], &expected["body"], file);
    let name = fixture["create_request"]["body"]["name"].as_str().unwrap();
    let detail = client.detail(name, "yaml").await;
    let expected = &fixture["detail_response"];
    assert_answer(&detail, &expected["status"], &expected["body"], file);
    emulator.shutdown().await.unwrap();
}

#[tokio::test]
async fn minimal_build_reads_back_with_the_default_settings() {
    replay_custom_fixture("minimal.json").await;
}

#[tokio::test]
async fn full_build_reads_back_renamed_and_with_omissions() {
    replay_custom_fixture("full.json").await;
}

#[tokio::test]
async fn advanced_settings_without_a_spec_read_back_as_zeros() {
    replay_custom_fixture("advanced-without-spec.json").await;
}

#[tokio::test]
async fn template_build_reads_back_merged_and_only_with_its_service() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    let fixture = fixture("template.json");
    create(&client, &fixture, "template create").await;
    let without = client.detail("java-svc", "yaml").await;
    let expected = &fixture["detail_response_without_service"];
    assert_answer(
        &without,
        &expected["status"],
        &expected["body"],
        "without service",
    );
    let path =
        "/openapi/build/java-svc/detail?projectKey=yaml&serviceName=billing&serviceModule=billing";
    let with = client.send("GET", path, None).await;
    let expected = &fixture["detail_response_with_service"];
    assert_answer(
        &with,
        &expected["status"],
        &expected["body"],
        "with service",
    );
}

#[tokio::test]
async fn list_page_shows_the_first_builds_in_insertion_order() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    for file in [
        "full.json",
        "minimal.json",
        "advanced-without-spec.json",
        "template.json",
    ] {
        create(&client, &fixture(file), file).await;
    }
    let fixture = fixture("list_page.json");
    let answer = client.replay(&fixture["request"]).await;
    let expected = &fixture["response"];
    assert_answer(&answer, &expected["status"], &expected["body"], "list page");
}

/// Every error case whose fixture carries its own request, against an emulator holding `minimal`.
#[tokio::test]
async fn error_cases_with_requests_answer_as_zadig_does() {
    let emulator = start_default().await;
    let client = Client::new(&emulator);
    create(&client, &fixture("minimal.json"), "minimal").await;
    let errors = fixture("errors.json");
    let mut replayed = 0;
    for (name, case) in errors.as_object().unwrap() {
        if let Some(request) = case.get("request") {
            let answer = client.replay(request).await;
            assert_answer(&answer, &case["status"], &case["body"], name);
            replayed += 1;
        }
    }
    assert_eq!(replayed, 7, "every error case with a request was replayed");
}

#[tokio::test]
async fn licence_error_on_template_routes_of_the_open_source_edition() {
    let config = EmulatorConfig {
        edition: Edition::Oss,
        ..EmulatorConfig::new(TOKEN)
    };
    let emulator = start(config).await;
    let client = Client::new(&emulator);
    let case = &fixture("errors.json")["licence_missing_on_template_routes"];
    let template = fixture("template.json");
    let create = client.replay(&template["create_request"]).await;
    assert_answer(&create, &case["status"], &case["body"], "template create");
    let update = client
        .send(
            "PUT",
            "/openapi/build/java-svc/template",
            Some(&template["create_request"]["body"]),
        )
        .await;
    assert_answer(&update, &case["status"], &case["body"], "template update");
    // Custom builds need no licence.
    create_custom_still_works(&client).await;
}

async fn create_custom_still_works(client: &Client) {
    let answer = client
        .replay(&fixture("minimal.json")["create_request"])
        .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn unauthorized_with_a_bad_token() {
    let emulator = start_default().await;
    let case = &fixture("errors.json")["unauthorized"];
    for header in [
        Some("Bearer wrong".to_owned()),
        None,
        Some(TOKEN.to_owned()),
    ] {
        let client = Client::with_authorization(&emulator, header.clone());
        let answer = client.detail("minimal", "yaml").await;
        assert_answer(
            &answer,
            &case["status"],
            &case["body"],
            &format!("{header:?}"),
        );
    }
}

#[tokio::test]
async fn forbidden_for_a_limited_token() {
    let emulator = start_default().await;
    let client = Client::with_authorization(&emulator, Some(format!("Bearer {LIMITED_TOKEN}")));
    let case = &fixture("errors.json")["forbidden"];
    let answer = client
        .replay(&fixture("minimal.json")["create_request"])
        .await;
    assert_answer(&answer, &case["status"], &case["body"], "limited create");
}
