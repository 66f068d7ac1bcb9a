//! TLS end to end: a Zadig behind a certificate from a private CA is refused (once, without
//! retries) until `--ca-file` names that CA, and then the TLS handshake succeeds. The server
//! is `openssl s_server` (it answers every request with an HTML status page, which is enough
//! to prove the handshake); the test is skipped where openssl is not installed.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::cli::{TOKEN, command, describe, failed};
use crate::util::tls::private_ca;

/// `openssl s_server` on a free loopback port, killed when dropped.
struct TlsServer {
    child: Child,
    port: u16,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path) -> TlsServer {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-cert",
            "server.pem",
            "-key",
            "server.key",
        ])
        .args(["-accept", &port.to_string()])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let server = TlsServer { child, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

#[test]
fn a_private_ca_is_trusted_only_with_ca_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    if !private_ca(dir.path()) {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let server = start_server(dir.path());
    let url = format!("https://localhost:{}", server.port);
    let plan = |extra: &[&str]| {
        command(Path::new(env!("CARGO_MANIFEST_DIR")))
            .args(["plan", "--url", &url])
            .args(extra)
            .env("ZADIG_TOKEN", TOKEN)
            .output()
            .expect("run")
    };

    let text = failed(&plan(&[]));
    assert!(text.contains("certificate"), "{text}");
    assert!(
        text.contains("after 1 attempts"),
        "an untrusted certificate is not retried: {text}"
    );

    let ca = dir.path().join("ca.pem");
    let output = plan(&["--ca-file", ca.to_str().expect("utf-8 path")]);
    let text = describe(&output);
    assert!(!text.contains("certificate"), "{text}");
    // The handshake succeeded: what failed is s_server's HTML where Zadig's JSON belongs.
    assert!(text.contains("not the JSON expected"), "{text}");
}
