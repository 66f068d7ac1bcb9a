//! Each class of Zadig error becomes its own variant, with an explanation a user can act on,
//! and keeps method, path, status and Zadig's own text.

use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};
use zadig_sync::remote::{Kind, RemoteError, ZadigClient};

use crate::util::client::{client, custom_spec, template_spec, zadig_error};

async fn server_answering(verb: &str, answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

async fn detail_error(answer: ResponseTemplate) -> RemoteError {
    let server = server_answering("GET", answer).await;
    client(&server)
        .get_build("yaml", "missing")
        .await
        .unwrap_err()
}

async fn update_error(answer: ResponseTemplate) -> RemoteError {
    let server = server_answering("PUT", answer).await;
    client(&server)
        .update_build(&custom_spec())
        .await
        .unwrap_err()
}

async fn create_error(answer: ResponseTemplate) -> RemoteError {
    let server = server_answering("POST", answer).await;
    client(&server)
        .create_build(&custom_spec())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn unauthorized_with_an_empty_body_says_the_token_is_bad() {
    let server = server_answering("GET", zadig_error("unauthorized")).await;
    let error = client(&server).list_builds("yaml").await.unwrap_err();
    assert!(matches!(error.kind(), Kind::Unauthorized));
    assert_eq!(
        error.to_string(),
        "GET /openapi/build?projectKey=yaml&pageNum=1&pageSize=1000 (project \"yaml\"): \
         401 Unauthorized: the API token is invalid or expired, or was regenerated in Zadig; \
         copy a new one from Account Settings → API Token [Zadig sent an empty body]"
    );
}

#[tokio::test]
async fn forbidden_on_update_names_build_create() {
    let error = update_error(zadig_error("forbidden")).await;
    assert!(matches!(error.kind(), Kind::Forbidden));
    assert_eq!(
        error.to_string(),
        "PUT /openapi/build?projectKey=yaml (build \"api-test\" in project \"yaml\"): \
         403 Forbidden: the token's user lacks the permission in project \"yaml\" \
         (updating a build needs Build.Create, not only Build.Edit) [Zadig sent an empty body]"
    );
}

#[tokio::test]
async fn forbidden_names_the_permission_each_route_needs() {
    let server = server_answering("DELETE", zadig_error("forbidden")).await;
    let error = client(&server).delete_build("yaml", "x").await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("deleting a build needs Build.Delete")
    );
    let error = create_error(zadig_error("forbidden")).await;
    assert!(
        error
            .to_string()
            .contains("creating a build needs Build.Create")
    );
    let error = detail_error(zadig_error("forbidden")).await;
    assert!(error.to_string().contains("Build.View"));
}

#[tokio::test]
async fn same_name_names_the_project_that_owns_it() {
    let error = create_error(zadig_error("duplicate_name_other_project")).await;
    match error.kind() {
        Kind::NameTaken { owner_project } => {
            assert_eq!(subject_name(&error), "api-test");
            assert_eq!(owner_project.as_deref(), Some("yaml"));
        }
        other => panic!("expected NameTaken, got {other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.contains("already taken by a build in project \"yaml\""),
        "{text}"
    );
    assert!(
        text.contains("6520") && text.contains("yaml项目中有相同的构建名称存在"),
        "{text}"
    );
}

#[tokio::test]
async fn missing_build_on_detail_is_not_found() {
    let error = detail_error(zadig_error("detail_missing")).await;
    assert!(error.is_not_found());
    assert!(matches!(error.kind(), Kind::NotFound), "{error:?}");
    assert_eq!(
        (
            error.call().subject.project(),
            subject_name(&error),
            error.status().map(|s| s.as_u16())
        ),
        ("yaml", "missing", Some(400))
    );
    assert!(error.to_string().contains("mongo: no documents in result"));
}

#[tokio::test]
async fn missing_build_on_update_is_not_found() {
    let error = update_error(zadig_error("update_missing")).await;
    assert!(error.is_not_found(), "{error:?}");
    assert!(error.to_string().contains("6521"));
}

#[tokio::test]
async fn an_empty_400_explains_what_it_usually_means() {
    let error = create_error(zadig_error("binding_error_installs_as_string")).await;
    assert!(matches!(error.kind(), Kind::Rejected));
    let text = error.to_string();
    assert!(text.contains("400 Bad Request"), "{text}");
    assert!(text.contains("wrong JSON type"), "{text}");
}

#[tokio::test]
async fn a_failed_lookup_keeps_zadigs_description() {
    let error = create_error(zadig_error("unknown_build_os")).await;
    assert!(matches!(error.kind(), Kind::Rejected), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("failed to find the basic image of name: focal"),
        "{text}"
    );
    assert!(text.contains("新建编译模块失败"), "{text}");
}

#[tokio::test]
async fn template_routes_without_licence_say_so() {
    let server = server_answering("POST", zadig_error("licence_missing_on_template_routes")).await;
    let error = client(&server)
        .create_build(&template_spec())
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), Kind::LicenceRequired));
    assert!(error.to_string().contains("ZadigX"));
    assert!(
        error
            .to_string()
            .starts_with("POST /openapi/build?source=template&projectKey=yaml")
    );
}

#[tokio::test]
async fn method_not_allowed_on_put_means_zadig_is_older_than_4_2() {
    let answer =
        ResponseTemplate::new(405).set_body_string("Method not allowed: PUT /openapi/build");
    let error = update_error(answer).await;
    assert!(matches!(error.kind(), Kind::UpdateUnsupported));
    let text = error.to_string();
    assert!(text.contains("older than v4.2"), "{text}");
    assert!(
        text.contains("[Zadig: \"Method not allowed: PUT /openapi/build\"]"),
        "{text}"
    );
}

#[tokio::test]
async fn internal_errors_keep_zadigs_description() {
    let server = server_answering("POST", zadig_error("template_not_found")).await;
    let error = client(&server)
        .create_build(&template_spec())
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), Kind::Status), "{error:?}");
    // Zadig's own 500 body is its verdict on the request: not retried.
    assert_eq!(
        (error.status().map(|s| s.as_u16()), error.attempts()),
        (Some(500), 1)
    );
    assert!(
        error
            .to_string()
            .contains("template name: [no-such-template]")
    );
}

#[tokio::test]
async fn an_unknown_route_hints_at_the_url() {
    let answer = ResponseTemplate::new(404).set_body_string("Invalid path: /openapi/build");
    let error = detail_error(answer).await;
    let text = error.to_string();
    assert!(
        text.contains("404 Not Found") && text.contains("check --url"),
        "{text}"
    );
}

#[tokio::test]
async fn a_redirect_is_reported_not_followed() {
    let answer = ResponseTemplate::new(301).insert_header("location", "https://zadig.example.com/");
    let error = detail_error(answer).await;
    assert!(error.to_string().contains("redirected"), "{error}");
}

#[tokio::test]
async fn an_answer_that_is_not_json_is_a_decode_error() {
    let error =
        detail_error(ResponseTemplate::new(200).set_body_string("<html>login</html>")).await;
    assert!(matches!(error.kind(), Kind::Decode(_)), "{error:?}");
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_sending() {
    let server = MockServer::start().await;
    let mut config = crate::util::client::config(&server);
    config.base_url = "http://zadig.example.com".to_owned();
    let error = ZadigClient::new(config.clone()).unwrap_err();
    assert!(error.to_string().contains("--insecure-http"), "{error}");
    config.insecure_http = true;
    assert!(ZadigClient::new(config).is_ok());
}

/// https:// spoken to a server that answers in plain HTTP says so and what to do, instead of
/// rustls's "received corrupt message of type InvalidContentType" alone.
#[tokio::test]
async fn https_to_a_plain_http_server_says_to_use_http() {
    let server = MockServer::start().await;
    let https = server.uri().replacen("http://", "https://", 1);
    let config = zadig_sync::remote::ClientConfig {
        retry: crate::util::client::fast_retry(),
        rate_limit: 0,
        ..zadig_sync::remote::ClientConfig::new(https, crate::util::client::token())
    };
    let error = ZadigClient::new(config)
        .unwrap()
        .get_build("yaml", "api")
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(
            "the server answers in plain HTTP: use http:// on loopback, or check the port"
        ),
        "{text}"
    );
}

/// The build name an error's call was about.
fn subject_name(error: &RemoteError) -> &str {
    match &error.call().subject {
        zadig_sync::remote::Subject::Build { name, .. } => name,
        zadig_sync::remote::Subject::Project { .. } => "",
    }
}
