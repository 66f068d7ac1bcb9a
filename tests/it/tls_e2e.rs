//! TLS end to end: the real binary against the emulator behind HTTPS with a certificate from
//! a private CA (both made in-process). The certificate is refused (once, without retries)
//! until `--ca-file` names that CA; then the whole plan goes through the TLS connection.

use std::net::SocketAddr;
use std::process::Output;

use crate::util::cli::{command, describe, failed, succeeded, workspace};
use crate::util::emulator::{TOKEN, start_default};
use crate::util::tls::{TlsFront, private_ca};

const BUILD: &str = "\
name: tls-api
project_key: shop
infrastructure: vm
build_os: ubuntu 22.04
script_type: shell
build_script: make
";

/// Runs `zadig-sync plan --url URL EXTRA…` in `dir` without blocking the runtime that
/// serves the emulator and the TLS front.
async fn plan(dir: &std::path::Path, url: &str, extra: &[&str]) -> Output {
    let mut plan = command(dir);
    plan.args(["plan", "--url", url])
        .args(extra)
        .env("ZADIG_TOKEN", TOKEN);
    tokio::process::Command::from(plan)
        .output()
        .await
        .expect("run zadig-sync")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_is_trusted_only_with_ca_file() {
    let emulator = start_default().await;
    let backend: SocketAddr = emulator
        .url()
        .trim_start_matches("http://")
        .parse()
        .expect("emulator address");
    let ca = private_ca();
    let front = TlsFront::start(&ca, backend).await;
    let dir = workspace(&[("api.yaml", BUILD)]);

    let text = failed(&plan(dir.path(), &front.url(), &[]).await);
    assert!(text.contains("certificate"), "{text}");
    assert!(
        text.contains("(after 1 attempt)"),
        "an untrusted certificate is not retried: {text}"
    );

    let ca_file = ca.write_ca(dir.path());
    let ca_arg = ca_file.to_str().expect("utf-8 path");
    let output = plan(dir.path(), &front.url(), &["--ca-file", ca_arg]).await;
    let text = succeeded(&output);
    assert!(
        text.contains("+ shop/tls-api (custom): create"),
        "the plan was made from Zadig's answers over TLS: {}",
        describe(&output)
    );
}
