//! Git repositories built in the test with the real `git`: a bare "remote" and a work
//! clone that commits (plainly, or signed with an SSH key or an OpenPGP key) and pushes,
//! force-pushes included; served over `file://` or over smart HTTP on loopback through
//! `git http-backend` (behind Basic authentication when a token is given).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// Runs `git` in `dir` with a clean, fixed identity; panics with its output on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_with(dir, args, &[])
}

pub fn git_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Tester",
            "-c",
            "user.email=tester@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A bare repository (`root/remote.git`, what a server holds) and a clone that pushes to it.
pub struct Repo {
    pub root: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        let root = tempfile::tempdir().expect("tempdir");
        git(root.path(), &["init", "-q", "--bare", "remote.git"]);
        git(root.path(), &["init", "-q", "work"]);
        let work = root.path().join("work");
        git(&work, &["remote", "add", "origin", "../remote.git"]);
        Repo { root }
    }

    pub fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    pub fn bare(&self) -> PathBuf {
        self.root.path().join("remote.git")
    }

    pub fn file_url(&self) -> String {
        format!("file://{}", self.bare().display())
    }

    /// Writes `content` at `path` in the work tree.
    pub fn write(&self, path: &str, content: &str) -> &Self {
        let full = self.work().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, content).expect("write");
        self
    }

    /// Commits everything and pushes it to `main`; returns the commit.
    pub fn commit(&self, message: &str) -> String {
        self.commit_with(message, &[], &[])
    }

    /// [`Repo::commit`] signed with the SSH private key at `key` (git runs `ssh-keygen -Y sign`).
    pub fn commit_signed_ssh(&self, message: &str, key: &Path) -> String {
        let key = format!("user.signingkey={}", key.display());
        self.commit_with(
            message,
            &["-c", "gpg.format=ssh", "-c", &key, "commit", "-S"],
            &[],
        )
    }

    /// [`Repo::commit`] signed by `gpg` with the key `fingerprint` of `keys`.
    pub fn commit_signed_gpg(&self, message: &str, keys: &GpgKeys) -> String {
        let key = format!("user.signingkey={}", keys.fingerprint);
        let home = keys.home.path().display().to_string();
        self.commit_with(
            message,
            &["-c", "gpg.format=openpgp", "-c", &key, "commit", "-S"],
            &[("GNUPGHOME", &home)],
        )
    }

    fn commit_with(&self, message: &str, commit: &[&str], env: &[(&str, &str)]) -> String {
        let work = self.work();
        git(&work, &["add", "-A"]);
        let commit = if commit.is_empty() {
            &["commit"][..]
        } else {
            commit
        };
        let args: Vec<&str> = [commit, &["-q", "--allow-empty", "-m", message]].concat();
        git_with(&work, &args, env);
        git(
            &work,
            &["push", "-q", "-f", "origin", "HEAD:refs/heads/main"],
        );
        git(&work, &["rev-parse", "HEAD"])
    }

    /// Moves `main` on the remote to `commit`, as `git push --force` of an older commit does.
    pub fn force_push(&self, commit: &str) {
        let refspec = format!("{commit}:refs/heads/main");
        git(&self.work(), &["push", "-q", "-f", "origin", &refspec]);
    }

    pub fn tag(&self, name: &str) {
        git(&self.work(), &["tag", "-a", name, "-m", name]);
        git(&self.work(), &["push", "-q", "origin", name]);
    }
}

/// An SSH key pair made by `ssh-keygen`, and an allowed-signers file trusting it.
pub struct SshKey {
    pub dir: tempfile::TempDir,
}

impl SshKey {
    pub fn new() -> SshKey {
        let dir = tempfile::tempdir().expect("tempdir");
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "tester", "-f"])
            .arg(dir.path().join("id"))
            .status()
            .expect("ssh-keygen");
        assert!(status.success());
        let public = std::fs::read_to_string(dir.path().join("id.pub")).expect("public key");
        let line = format!("tester@example.com {}", public.trim());
        std::fs::write(dir.path().join("allowed_signers"), line).expect("allowed signers");
        SshKey { dir }
    }

    pub fn private(&self) -> PathBuf {
        self.dir.path().join("id")
    }

    pub fn allowed_signers(&self) -> PathBuf {
        self.dir.path().join("allowed_signers")
    }
}

/// A `gpg` home with one signing key, and that key exported (armored) as a keyring file.
pub struct GpgKeys {
    pub home: tempfile::TempDir,
    pub fingerprint: String,
}

impl GpgKeys {
    pub fn new() -> GpgKeys {
        let home = tempfile::Builder::new()
            .prefix("g")
            .tempdir_in("/tmp")
            .expect("tempdir");
        let gpg = |args: &[&str]| {
            let output = Command::new("gpg")
                .env("GNUPGHOME", home.path())
                .args([
                    "--batch",
                    "--quiet",
                    "--pinentry-mode",
                    "loopback",
                    "--passphrase",
                    "",
                ])
                .args(args)
                .output()
                .expect("gpg");
            assert!(
                output.status.success(),
                "gpg {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout).into_owned()
        };
        gpg(&[
            "--quick-gen-key",
            "Tester <tester@example.com>",
            "ed25519",
            "sign",
            "never",
        ]);
        let listing = gpg(&["--with-colons", "--list-keys"]);
        let fingerprint = (listing.lines())
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|f| !f.is_empty()))
            .expect("a fingerprint")
            .to_string();
        let armored = gpg(&["--armor", "--export", &fingerprint]);
        std::fs::write(home.path().join("keyring.asc"), armored).expect("keyring");
        GpgKeys { home, fingerprint }
    }

    pub fn keyring(&self) -> PathBuf {
        self.home.path().join("keyring.asc")
    }
}

impl Drop for GpgKeys {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}

/// `git http-backend` behind a loopback HTTP server, answering 401 until the request carries
/// `Authorization: Basic user:token` when a token is required. Stops when dropped.
pub struct GitHttp {
    pub addr: String,
    /// Every `Authorization` header received, to prove the token was sent.
    pub authorizations: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Clone)]
struct Backend {
    root: PathBuf,
    expected: Option<String>,
    authorizations: Arc<Mutex<Vec<String>>>,
}

impl GitHttp {
    /// Serves the repositories under `root` (`/remote.git` for a [`Repo`]'s).
    pub fn serve(root: &Path, user_and_token: Option<(&str, &str)>) -> GitHttp {
        GitHttp::serve_at("127.0.0.1:0", root, user_and_token)
    }

    pub fn serve_at(listen: &str, root: &Path, user_and_token: Option<(&str, &str)>) -> GitHttp {
        let listener = std::net::TcpListener::bind(listen).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address").to_string();
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let backend = Backend {
            root: root.to_path_buf(),
            expected: user_and_token.map(|(user, token)| {
                let pair = format!("{user}:{token}");
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }),
            authorizations: authorizations.clone(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().fallback(cgi).with_state(backend);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        GitHttp {
            addr,
            authorizations,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/remote.git", self.addr)
    }
}

impl Drop for GitHttp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn cgi(State(backend): State<Backend>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let header = |name: &str| {
        (parts.headers.get(name))
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let authorization = header("authorization");
    if !authorization.is_empty() {
        backend
            .authorizations
            .lock()
            .unwrap()
            .push(authorization.clone());
    }
    if backend
        .expected
        .as_ref()
        .is_some_and(|e| *e != authorization)
    {
        return (
            StatusCode::UNAUTHORIZED,
            [("WWW-Authenticate", "Basic realm=\"git\"")],
            "",
        )
            .into_response();
    }
    let body = axum::body::to_bytes(body, 64 << 20).await.expect("body");
    let env = [
        ("GIT_PROJECT_ROOT", backend.root.display().to_string()),
        ("GIT_HTTP_EXPORT_ALL", "1".into()),
        ("REQUEST_METHOD", parts.method.to_string()),
        ("PATH_INFO", parts.uri.path().to_string()),
        (
            "QUERY_STRING",
            parts.uri.query().unwrap_or_default().to_string(),
        ),
        ("CONTENT_TYPE", header("content-type")),
        ("CONTENT_LENGTH", body.len().to_string()),
        ("HTTP_CONTENT_ENCODING", header("content-encoding")),
        ("GIT_PROTOCOL", header("git-protocol")),
        ("REMOTE_ADDR", "127.0.0.1".into()),
    ];
    let output = tokio::task::spawn_blocking(move || run_backend(&env, &body))
        .await
        .expect("backend thread");
    cgi_response(&output)
}

fn run_backend(env: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("git")
        .arg("http-backend")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("git http-backend");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(body).expect("write the request body");
    drop(stdin);
    child
        .wait_with_output()
        .expect("http-backend output")
        .stdout
}

/// A CGI answer (headers, a blank line, the body) as an HTTP response.
fn cgi_response(output: &[u8]) -> Response {
    let split = (output
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4)))
    .or_else(|| output.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, gap)) = split else {
        return (StatusCode::BAD_GATEWAY, "no CGI headers").into_response();
    };
    let mut status = StatusCode::OK;
    let mut headers = HeaderMap::new();
    for line in String::from_utf8_lossy(&output[..end]).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().and_then(|c| c.parse().ok());
            status = code
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::OK);
        } else if let (Ok(name), Ok(value)) =
            (name.parse::<axum::http::HeaderName>(), value.parse())
        {
            headers.insert(name, value);
        }
    }
    let body = Body::from(output[end + gap..].to_vec());
    (status, headers, body).into_response()
}

/// The address in the daemon's "serving POST /hooks/git" log line.
pub fn hooks_address(logs: &str) -> Option<String> {
    super::daemon::logged_address(logs, "serving POST /hooks/git")
}

/// Sends a webhook: `headers` and `body` as given; returns the status.
pub fn post_hook(addr: &str, headers: &[(&str, String)], body: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let request = format!(
        "POST /hooks/git HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("receive");
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status")
}

/// `sha256=<hex>` of HMAC-SHA256(`secret`, `body`), as GitHub signs.
pub fn github_signature(secret: &str, body: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Every file under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                stack.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                found.push(path);
            }
        }
    }
    found
}
