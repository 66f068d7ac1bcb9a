//! Zadig's behaviours the client relies on, as the emulator reproduces them and the client
//! reads them: credential values in plain text, `update_time` in seconds, and template inputs
//! the template does not define dropped.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::util::emulator_client::{billing, full_spec, spec, started, template_body};

fn now_seconds() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since_epoch.as_secs()).unwrap()
}

#[tokio::test]
async fn a_credential_parameter_comes_back_in_plain_text() {
    let (_emulator, client) = started().await;
    client.create_build(&full_spec()).await.unwrap();

    let detail = client.get_build("yaml", "api-test").await.unwrap();

    let secret = detail.parameters.iter().find(|p| p.key == "bb").unwrap();
    assert!(secret.is_credential);
    assert_eq!(secret.value, "abc123");
}

#[tokio::test]
async fn update_time_is_in_seconds_in_list_and_detail() {
    let (_emulator, client) = started().await;
    let before = now_seconds();
    client.create_build(&full_spec()).await.unwrap();
    let after = now_seconds();

    let detail = client.get_build("yaml", "api-test").await.unwrap();
    let listing = client.list_builds("yaml").await.unwrap();

    assert!(
        (before..=after).contains(&detail.update_time),
        "{before} <= {} <= {after}",
        detail.update_time
    );
    assert_eq!(listing.builds[0].update_time, detail.update_time);
}

#[tokio::test]
async fn template_inputs_the_template_does_not_define_are_dropped() {
    let (_emulator, client) = started().await;
    let body = template_body();
    assert_eq!(
        body["target_services"][0]["inputs"][1]["key"],
        "NOT_IN_TEMPLATE"
    );
    client.create_build(&spec(body)).await.unwrap();

    let target = client
        .get_build_target("yaml", "java-svc", &billing())
        .await
        .unwrap();

    let keys: Vec<_> = target.parameters.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["JAVA_VERSION", "MVN_ARGS", "DEPLOY_TOKEN"]);
}
