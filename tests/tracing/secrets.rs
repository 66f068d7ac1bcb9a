//! The token goes into the `Authorization` header and nowhere else: not into logs (even at
//! `trace`), not into errors, not into `Debug` output.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use wiremock::matchers::{bearer_token, method};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zadig_sync::remote::ZadigClient;

use crate::support::{TOKEN, answer_always, client, config, custom_spec, zadig_error};

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn the_token_appears_in_no_log_line_at_trace() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .finish();
    // A current-thread runtime: every task of the client runs on this thread, under this
    // subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests run on other threads without a subscriber; one that registered a callsite
    // while this subscriber was being installed could leave it cached as disabled.
    tracing::callsite::rebuild_interest_cache();

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(bearer_token(TOKEN))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"name": "x", "project_key": "yaml"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    answer_always(&server, "GET", ResponseTemplate::new(503)).await;
    answer_always(&server, "PUT", zadig_error("unauthorized")).await;
    let client = client(&server);

    client.get_build("yaml", "x").await.unwrap();
    let errors = [
        client.get_build("yaml", "x").await.unwrap_err(),
        client.update_build(&custom_spec()).await.unwrap_err(),
    ];

    let logs = logs.text();
    assert!(
        logs.contains("Zadig answered"),
        "nothing was logged: {logs}"
    );
    assert!(logs.contains("retrying Zadig request"), "{logs}");
    assert!(!logs.contains(TOKEN), "the token was logged");
    // The request body holds a credential parameter (`bb`); it is not logged either.
    assert!(!logs.contains("abc123"), "a request body was logged");
    for error in errors {
        assert!(!error.to_string().contains(TOKEN));
        assert!(!format!("{error:?}").contains(TOKEN));
    }
}

#[tokio::test]
async fn debug_output_hides_the_token() {
    let server = MockServer::start().await;
    let config = config(&server);
    let shown = format!(
        "{config:?} {:?} {} {:?}",
        config.token,
        config.token,
        ZadigClient::new(config.clone()).unwrap()
    );
    assert!(shown.contains("***"), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert_eq!(config.token.expose(), TOKEN);
}
