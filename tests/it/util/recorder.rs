//! A recording front for a Zadig (the emulator): every request is forwarded as it came, and
//! every write (create, update, delete) is logged twice, when it arrives and when its answer
//! leaves, so that a test can check the order of calls a run made, concurrency included.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A write as Zadig sees it: `create`, `update` or `delete` of `project/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub verb: &'static str,
    pub project: String,
    pub name: String,
}

impl Write {
    pub fn new(verb: &'static str, build: &str) -> Write {
        let (project, name) = build.split_once('/').expect("project/name");
        Write {
            verb,
            project: project.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// One line of the log: a write arriving (`started`) or answered (`!started`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub write: Write,
    pub started: bool,
}

struct Shared {
    backend: String,
    http: reqwest::Client,
    log: Mutex<Vec<Event>>,
}

/// The front, serving until dropped.
pub struct Recorder {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Recorder {
    /// Listens on an ephemeral loopback port, forwarding to `backend` (`http://HOST:PORT`).
    pub async fn start(backend: String) -> Recorder {
        let shared = Arc::new(Shared {
            backend,
            http: reqwest::Client::new(),
            log: Mutex::default(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Recorder { addr, shared, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every write event so far, in the order they happened.
    pub fn events(&self) -> Vec<Event> {
        self.shared.log.lock().expect("log").clone()
    }

    /// The writes, in the order they arrived.
    pub fn writes(&self) -> Vec<Write> {
        self.events()
            .into_iter()
            .filter(|event| event.started)
            .map(|event| event.write)
            .collect()
    }

    /// Forgets what was recorded (the set-up's writes, say).
    pub fn clear(&self) {
        self.shared.log.lock().expect("log").clear();
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    let headers = request.headers().clone();
    let body = to_bytes(request.into_body(), usize::MAX)
        .await
        .expect("request body");
    let write = write_of(&method, uri.query(), &body);
    let record = |started: bool| {
        if let Some(write) = &write {
            let event = Event {
                write: write.clone(),
                started,
            };
            shared.log.lock().expect("log").push(event);
        }
    };
    record(true);
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut outgoing = shared
        .http
        .request(method.clone(), format!("{}{path}", shared.backend))
        .body(body.to_vec());
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE] {
        if let Some(value) = headers.get(&name) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.send().await.expect("backend answered");
    let response = into_response(answer).await;
    record(false);
    response
}

async fn into_response(answer: reqwest::Response) -> Response {
    let status = StatusCode::from_u16(answer.status().as_u16()).expect("status");
    let mut headers = HeaderMap::new();
    for name in [header::CONTENT_TYPE, header::RETRY_AFTER, header::LOCATION] {
        if let Some(value) = answer.headers().get(name.as_str()) {
            let value = value
                .to_str()
                .expect("ASCII header")
                .parse()
                .expect("header");
            headers.insert(name, value);
        }
    }
    let bytes = answer.bytes().await.expect("backend body");
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// What a request writes, read the way Zadig does: the body's `name` and `project_key` for
/// create (POST) and update (PUT), `?name=` and `?projectKey=` for delete.
fn write_of(method: &Method, query: Option<&str>, body: &[u8]) -> Option<Write> {
    let verb = match *method {
        Method::POST => "create",
        Method::PUT => "update",
        Method::DELETE => "delete",
        _ => return None,
    };
    let (project, name) = if *method == Method::DELETE {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query?.as_bytes())
            .into_owned()
            .collect();
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        (get("projectKey")?, get("name")?)
    } else {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let get = |key: &str| value.get(key)?.as_str().map(str::to_owned);
        (get("project_key")?, get("name")?)
    };
    Some(Write {
        verb,
        project,
        name,
    })
}
