//! Each of the six routes: the request the client sends (method, path, query, body, token)
//! and how it reads Zadig's answer.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{
    bearer_token, body_json, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zadig_sync::reconcile::spec::{BuildSpec, ServiceRef};
use zadig_sync::reconcile::wire::DetailResponse;

use zadig_sync::remote::{
    ClientConfig, Kind, LIST_PAGE_SIZE, Observation, RequestObserver, ZadigClient,
};

use crate::util::client::{
    TOKEN, answer_always, client, config, custom_spec, fixture, success, template_spec,
};

fn listed(count: usize, offset: usize) -> Vec<Value> {
    (offset..offset + count)
        .map(|i| {
            json!({"name": format!("b{i:03}"), "project_key": "yaml", "source": "zadig",
                        "update_by": "admin", "update_time": 1764115200 + i, "target_services": []})
        })
        .collect()
}

/// The page size of the paging tests: small, so that a few hundred builds make several pages.
const PAGE: u32 = 100;

/// A client asking for [`PAGE`] builds a page.
fn paged_client(server: &MockServer) -> ZadigClient {
    ZadigClient::new(ClientConfig {
        list_page_size: PAGE,
        ..config(server)
    })
    .unwrap()
}

fn list_page(page: u32, total: usize, builds: Vec<Value>) -> Mock {
    list_page_sized(page, PAGE, total, builds)
}

fn list_page_sized(page: u32, size: u32, total: usize, builds: Vec<Value>) -> Mock {
    Mock::given(method("GET"))
        .and(path("/openapi/build"))
        .and(query_param("projectKey", "yaml"))
        .and(query_param("pageNum", page.to_string()))
        .and(query_param("pageSize", size.to_string()))
        .and(bearer_token(TOKEN))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"total": total, "builds": builds})),
        )
        .expect(1)
}

#[tokio::test]
async fn list_reads_every_page_until_total() {
    let server = MockServer::start().await;
    list_page(1, 150, listed(100, 0)).mount(&server).await;
    list_page(2, 150, listed(50, 100)).mount(&server).await;

    let listing = paged_client(&server).list_builds("yaml").await.unwrap();

    assert_eq!(listing.total, 150);
    let names: Vec<_> = listing.builds.iter().map(|b| b.name.clone()).collect();
    let expected: Vec<_> = (0..150).map(|i| format!("b{i:03}")).collect();
    assert_eq!(names, expected);
    assert_eq!(listing.builds[149].update_time, 1764115200 + 149);
}

#[tokio::test]
async fn list_of_an_empty_project_is_one_request() {
    let server = MockServer::start().await;
    list_page_sized(1, LIST_PAGE_SIZE, 0, vec![])
        .mount(&server)
        .await;
    let listing = client(&server).list_builds("yaml").await.unwrap();
    assert!(listing.builds.is_empty());
}

#[tokio::test]
async fn list_asks_for_large_pages_by_default() {
    assert_eq!(LIST_PAGE_SIZE, 1_000, "Zadig has no maximum page size");
    let server = MockServer::start().await;
    let size = LIST_PAGE_SIZE as usize;
    list_page_sized(1, LIST_PAGE_SIZE, size + 5, listed(size, 0))
        .mount(&server)
        .await;
    list_page_sized(2, LIST_PAGE_SIZE, size + 5, listed(5, size))
        .mount(&server)
        .await;
    let listing = client(&server).list_builds("yaml").await.unwrap();
    assert_eq!(listing.builds.len(), size + 5);
}

/// How long each request took, in the order their answers came.
#[derive(Debug, Default)]
struct AnswerOrder(Mutex<Vec<Duration>>);

impl RequestObserver for AnswerOrder {
    fn observe(&self, observation: &Observation) {
        self.0.lock().unwrap().push(observation.elapsed);
    }
}

#[tokio::test]
async fn the_pages_after_the_first_are_read_at_once_and_kept_in_order() {
    let server = MockServer::start().await;
    list_page(1, 350, listed(100, 0)).mount(&server).await;
    // Page 2 answers last: read one after another, page 3 could not be asked for before it.
    Mock::given(method("GET"))
        .and(query_param("pageNum", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"total": 350, "builds": listed(100, 100)}))
                .set_delay(Duration::from_secs(1)),
        )
        .expect(1)
        .mount(&server)
        .await;
    list_page(3, 350, listed(100, 200)).mount(&server).await;
    list_page(4, 350, listed(50, 300)).mount(&server).await;
    let order = Arc::new(AnswerOrder::default());
    let client = ZadigClient::new(ClientConfig {
        list_page_size: PAGE,
        observer: Some(order.clone()),
        ..config(&server)
    })
    .unwrap();

    let listing = client.list_builds("yaml").await.unwrap();

    let names: Vec<_> = listing.builds.iter().map(|b| b.name.clone()).collect();
    let expected: Vec<_> = (0..350).map(|i| format!("b{i:03}")).collect();
    assert_eq!(names, expected, "every build, in page order");
    let elapsed = order.0.lock().unwrap().clone();
    assert_eq!(elapsed.len(), 4);
    assert!(
        elapsed[3] >= Duration::from_secs(1),
        "the slow page 2 answered last, after pages 3 and 4: {elapsed:?}"
    );
}

#[tokio::test]
async fn list_whose_pages_fall_short_of_total_is_incomplete() {
    // list_page.json is a page of 2 builds with total 4: with our page size, page 1 is short.
    let server = MockServer::start().await;
    let body = fixture("zadig/list_page.json")["response"]["body"].clone();
    let builds = body["builds"].as_array().unwrap().clone();
    list_page(1, 4, builds).mount(&server).await;

    let error = paged_client(&server).list_builds("yaml").await.unwrap_err();

    match error.kind() {
        Kind::IncompleteList { expected, got } => {
            assert_eq!(
                (error.call().subject.project(), *expected, *got),
                ("yaml", 4, 2)
            );
        }
        other => panic!("expected IncompleteList, got {other:?}"),
    }
    assert!(error.to_string().contains("nothing is deleted"));
}

#[tokio::test]
async fn list_whose_second_page_repeats_builds_is_incomplete() {
    let server = MockServer::start().await;
    list_page(1, 110, listed(100, 0)).mount(&server).await;
    list_page(2, 110, listed(10, 95)).mount(&server).await;
    let error = paged_client(&server).list_builds("yaml").await.unwrap_err();
    assert!(matches!(
        error.kind(),
        Kind::IncompleteList {
            expected: 110,
            got: 100,
        }
    ));
}

#[tokio::test]
async fn detail_is_read_with_the_project_key() {
    let server = MockServer::start().await;
    let body = fixture("zadig/full.json")["detail_response"]["body"].clone();
    Mock::given(method("GET"))
        .and(path("/openapi/build/api-test/detail"))
        .and(query_param("projectKey", "yaml"))
        .and(query_param_is_missing("serviceName"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(&body))
        .expect(1)
        .mount(&server)
        .await;

    let detail = client(&server).get_build("yaml", "api-test").await.unwrap();

    let expected: DetailResponse = serde_json::from_value(body).unwrap();
    assert_eq!(detail, expected);
    assert_eq!(detail.repos[0].repo_owner, "kr-test-org1");
}

#[tokio::test]
async fn detail_of_a_template_target_names_service_and_module() {
    let server = MockServer::start().await;
    let body = fixture("zadig/template.json")["detail_response_with_service"]["body"].clone();
    Mock::given(method("GET"))
        .and(path("/openapi/build/java-svc/detail"))
        .and(query_param("projectKey", "yaml"))
        .and(query_param("serviceName", "billing"))
        .and(query_param("serviceModule", "billing-mod"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&body))
        .expect(1)
        .mount(&server)
        .await;
    let service = ServiceRef {
        service_name: "billing".to_owned(),
        service_module: "billing-mod".to_owned(),
    };

    let detail = client(&server)
        .get_build_target("yaml", "java-svc", &service)
        .await
        .unwrap();

    assert_eq!(detail.template_name, "java-template");
    let keys: Vec<_> = detail.parameters.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["JAVA_VERSION", "MVN_ARGS", "DEPLOY_TOKEN"]);
}

#[tokio::test]
async fn names_and_keys_are_url_encoded() {
    let server = MockServer::start().await;
    answer_always(
        &server,
        "GET",
        ResponseTemplate::new(200)
            .set_body_json(json!({"name": "a b?#%é", "project_key": "p q&r"})),
    )
    .await;
    answer_always(&server, "DELETE", success()).await;
    let client = client(&server);

    client.get_build("p q&r", "a b?#%é").await.unwrap();
    client.delete_build("p q&r", "a+b=c").await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let sent: Vec<_> = requests
        .iter()
        .map(|r| r.url[url::Position::BeforePath..].to_owned())
        .collect();
    assert_eq!(
        sent,
        [
            "/openapi/build/a%20b%3F%23%25%C3%A9/detail?projectKey=p+q%26r",
            "/openapi/build?name=a%2Bb%3Dc&projectKey=p+q%26r",
        ]
    );
}

/// Expects exactly one `verb route?query` carrying the token and `body`, and answers success.
/// Without `source` in `query`, the request must not carry one.
async fn expect_write(
    server: &MockServer,
    verb: &str,
    route: &str,
    query: &[(&str, &str)],
    body: Value,
) {
    let mut mock = Mock::given(method(verb))
        .and(path(route))
        .and(bearer_token(TOKEN))
        .and(body_json(body));
    for (key, value) in query {
        mock = mock.and(query_param(*key, *value));
    }
    if !query.iter().any(|(key, _)| *key == "source") {
        mock = mock.and(query_param_is_missing("source"));
    }
    mock.respond_with(success()).expect(1).mount(server).await;
}

fn spec_json(spec: &BuildSpec) -> Value {
    serde_json::to_value(spec).unwrap()
}

#[tokio::test]
async fn create_custom_posts_the_spec_without_source() {
    let server = MockServer::start().await;
    let spec = custom_spec();
    let query = [("projectKey", "yaml")];
    expect_write(&server, "POST", "/openapi/build", &query, spec_json(&spec)).await;
    client(&server).create_build(&spec).await.unwrap();
}

#[tokio::test]
async fn create_template_posts_with_source_template() {
    let server = MockServer::start().await;
    let sent = fixture("zadig/template.json")["create_request"]["body"].clone();
    let query = [("source", "template"), ("projectKey", "yaml")];
    expect_write(&server, "POST", "/openapi/build", &query, sent).await;
    client(&server)
        .create_build(&template_spec())
        .await
        .unwrap();
}

#[tokio::test]
async fn update_custom_puts_to_the_collection() {
    let server = MockServer::start().await;
    let spec = custom_spec();
    let query = [("projectKey", "yaml")];
    expect_write(&server, "PUT", "/openapi/build", &query, spec_json(&spec)).await;
    client(&server).update_build(&spec).await.unwrap();
}

#[tokio::test]
async fn update_template_uses_the_template_route_never_source_template() {
    let server = MockServer::start().await;
    let spec = template_spec();
    let query = [("projectKey", "yaml")];
    let route = "/openapi/build/java-svc/template";
    expect_write(&server, "PUT", route, &query, spec_json(&spec)).await;
    client(&server).update_build(&spec).await.unwrap();
}

#[tokio::test]
async fn delete_of_a_missing_build_succeeds_like_zadig_does() {
    let server = MockServer::start().await;
    let answer = fixture("zadig/errors.json")["delete_missing"]["body"].clone();
    Mock::given(method("DELETE"))
        .and(path("/openapi/build"))
        .and(query_param("name", "missing"))
        .and(query_param("projectKey", "yaml"))
        .and(bearer_token(TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .delete_build("yaml", "missing")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_keeps_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/zadig/openapi/build/x/detail"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"name": "x", "project_key": "yaml"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut config = crate::util::client::config(&server);
    config.base_url = format!("{}/zadig/", server.uri());
    let client = zadig_sync::remote::ZadigClient::new(config).unwrap();
    let detail = client.get_build("yaml", "x").await.unwrap();
    assert_eq!(detail.name, "x");
}
