//! Each class of error the emulator answers, as the client reports it: the variant, and a
//! message that says what was tried, what went wrong and what Zadig itself said.

use reqwest::StatusCode;
use zadig_sync::emulator::{Edition, EmulatorConfig, LIMITED_TOKEN};
use zadig_sync::remote::{Kind, RemoteError};

use crate::util::emulator::{TOKEN, custom_body};
use crate::util::emulator_client::{
    answered, client_with, custom, fast_retry, spec, started, started_with, template_body,
};

#[track_caller]
fn assert_mentions(error: &RemoteError, words: &[&str]) {
    let message = error.to_string();
    for word in words {
        assert!(message.contains(word), "{word:?} missing from: {message}");
    }
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized() {
    let (emulator, _admin) = started().await;
    let client = client_with(&emulator, "not-the-token", fast_retry(2));

    let error = client.list_builds("yaml").await.unwrap_err();

    assert!(matches!(error.kind(), Kind::Unauthorized), "{error:?}");
    assert_mentions(&error, &["401", "API token is invalid", "empty body"]);
    assert!(!error.to_string().contains("not-the-token"));
}

#[tokio::test]
async fn the_limited_token_may_read_but_not_update() {
    let (emulator, admin) = started().await;
    admin
        .create_build(&custom("limited", "yaml"))
        .await
        .unwrap();
    let client = client_with(&emulator, LIMITED_TOKEN, fast_retry(2));

    client.get_build("yaml", "limited").await.unwrap();
    let error = client
        .update_build(&custom("limited", "yaml"))
        .await
        .unwrap_err();

    assert!(matches!(error.kind(), Kind::Forbidden), "{error:?}");
    assert_mentions(
        &error,
        &["403", "\"yaml\"", "Build.Create", "not only Build.Edit"],
    );
}

#[tokio::test]
async fn a_name_taken_in_another_project_names_that_project() {
    let (_emulator, client) = started().await;
    client
        .create_build(&custom("shared", "yaml"))
        .await
        .unwrap();

    let error = client
        .create_build(&custom("shared", "other"))
        .await
        .unwrap_err();

    match (error.kind(), &error.call().subject) {
        (Kind::NameTaken { owner_project }, zadig_sync::remote::Subject::Build { name, .. }) => {
            assert_eq!(
                (name.as_str(), owner_project.as_deref()),
                ("shared", Some("yaml"))
            )
        }
        (other, _) => panic!("expected NameTaken, got {other:?}"),
    }
    assert_mentions(
        &error,
        &["project \"yaml\"", "global across all projects", "6520"],
    );
}

#[tokio::test]
async fn a_missing_build_is_not_found_on_detail_and_on_both_updates() {
    let (_emulator, client) = started().await;

    let detail = client.get_build("yaml", "missing").await.unwrap_err();
    assert!(detail.is_not_found(), "{detail:?}");
    assert_mentions(
        &detail,
        &[
            "build \"missing\" does not exist in project \"yaml\"",
            "6523",
        ],
    );

    let update = client
        .update_build(&custom("missing", "yaml"))
        .await
        .unwrap_err();
    assert!(update.is_not_found(), "{update:?}");
    assert_mentions(&update, &["PUT", "does not exist", "6521"]);

    let template = client
        .update_build(&spec(template_body()))
        .await
        .unwrap_err();
    assert!(template.is_not_found(), "{template:?}");
    assert_mentions(&template, &["/openapi/build/java-svc/template", "6523"]);
}

#[tokio::test]
async fn both_template_routes_need_a_licence_on_the_open_source_edition() {
    let config = EmulatorConfig {
        edition: Edition::Oss,
        ..EmulatorConfig::new(TOKEN)
    };
    let (_emulator, client) = started_with(config).await;
    let template = spec(template_body());

    let create = client.create_build(&template).await.unwrap_err();
    let update = client.update_build(&template).await.unwrap_err();

    for error in [&create, &update] {
        assert!(matches!(error.kind(), Kind::LicenceRequired), "{error:?}");
        assert_mentions(error, &["licence", "use a custom build instead", "7050"]);
    }
    client.create_build(&custom("plain", "yaml")).await.unwrap();
}

/// The error of creating a minimal custom build on `build_os`, which must be refused as such.
async fn rejected_build_os(build_os: &str) -> RemoteError {
    let (_emulator, client) = started().await;
    let mut body = custom_body("bad-os", "yaml");
    body["build_os"] = build_os.into();
    let error = client.create_build(&spec(body)).await.unwrap_err();
    assert!(matches!(error.kind(), Kind::Rejected), "{error:?}");
    error
}

#[tokio::test]
async fn an_unknown_basic_image_is_rejected_with_zadigs_lookup_text() {
    let error = rejected_build_os("focal").await;
    let lookup = "failed to find the basic image of name: focal";
    assert_mentions(&error, &["400", "6520", lookup]);
}

#[tokio::test]
async fn an_empty_required_field_is_an_empty_400_with_a_hint() {
    // The typed spec cannot send a wrong JSON type, but it can send an empty required string,
    // which Zadig's binding refuses with a 400 and no body at all.
    let error = rejected_build_os("").await;
    let hint = "a required field is missing";
    assert_mentions(&error, &["400", hint, "zadig-sync validate", "empty body"]);
}

#[tokio::test]
async fn an_unknown_build_template_is_a_500_with_zadigs_description() {
    let (emulator, _admin) = started().await;
    let client = client_with(&emulator, TOKEN, fast_retry(1));
    let mut body = template_body();
    body["name"] = "t-missing".into();
    body["template_name"] = "no-such-template".into();

    let error = client.create_build(&spec(body)).await.unwrap_err();

    assert!(matches!(error.kind(), Kind::Status), "{error:?}");
    assert_eq!(
        (error.status(), error.attempts()),
        (Some(StatusCode::INTERNAL_SERVER_ERROR), 1),
        "Zadig's own 500 is its verdict, not a passing fault: no retry"
    );
    assert_mentions(
        &error,
        &[
            "500",
            "failed to find the build template specified by the user",
            "[no-such-template]",
        ],
    );
    // Zadig's own 500 is final: sent once, and nothing was created.
    assert_eq!(
        answered(&emulator, "POST", "/openapi/build", Some(500)).await,
        1
    );
    let missing = client.get_build("yaml", "t-missing").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}
