//! `--hooks-listen`: `POST /hooks/git`, on a listener of its own (hooks come from outside,
//! while the admin port may stay on loopback) and a thread of its own. A push webhook that
//! proves it knows `--hook-secret-file` and names the watched ref makes the fetch loop fetch
//! at once; anything else is answered and counted, and never fetched on: 401 when the
//! signature or token is wrong or missing, 413 past the body cap, 202 for an event or a ref
//! that is not watched. Understood: GitHub (and Gitea, Forgejo: `X-Hub-Signature-256`),
//! GitLab (`X-Gitlab-Token`), Gitee (`X-Gitee-Token`, its password or its signature with
//! `X-Gitee-Timestamp`) and a generic `X-Signature-256: sha256=<hex>` (HMAC-SHA256 of the
//! body). Every comparison with the secret is constant-time. Does I/O.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use crate::daemon::git::feed::GitFeed;
use crate::daemon::metrics::{Metrics, ResultLabel};
use crate::git::GitRef;

/// The largest webhook body read; a push of many commits stays far below it.
pub const MAX_BODY: usize = 4 << 20;

/// The webhook secret. Never shown: its `Debug` says only that there is one.
#[derive(Clone)]
pub struct HookSecret(Arc<Vec<u8>>);

impl HookSecret {
    /// The secret as read from `--hook-secret-file` (surrounding whitespace removed), hidden
    /// from every log line from now on.
    pub fn new(text: &str) -> Option<Self> {
        let secret = text.trim();
        if secret.is_empty() {
            return None;
        }
        crate::logs::hide(&[secret.to_string()]);
        Some(HookSecret(Arc::new(secret.as_bytes().to_vec())))
    }
}

impl fmt::Debug for HookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HookSecret(…)")
    }
}

#[derive(Debug, Clone)]
pub struct HooksConfig {
    pub listen: SocketAddr,
    pub secret: HookSecret,
}

/// What a webhook request leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Fetch,
    Ignored(String),
    Unauthorized(String),
}

/// Decides a request from its headers and body alone. `watched`: the refs a push must name
/// (empty: any push; `None`: the watched ref is a commit, which no push moves).
pub fn judge(
    headers: &HeaderMap,
    body: &[u8],
    secret: &HookSecret,
    watched: Option<&[String]>,
) -> Verdict {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let key = secret.0.as_slice();
    let (proven, event) = if let Some(signature) = header("x-hub-signature-256") {
        let event = header("x-github-event").or(header("x-gitea-event"));
        (
            hmac_matches(key, body, signature),
            event.map(|e| e == "push"),
        )
    } else if let Some(token) = header("x-gitlab-token") {
        let event = header("x-gitlab-event");
        (same_secret(key, token.as_bytes()), event.map(is_push_hook))
    } else if let Some(token) = header("x-gitee-token") {
        let proven = match header("x-gitee-timestamp") {
            Some(timestamp) => gitee_signature_matches(key, timestamp, token),
            None => same_secret(key, token.as_bytes()),
        };
        (proven, header("x-gitee-event").map(is_push_hook))
    } else if let Some(signature) = header("x-signature-256") {
        (hmac_matches(key, body, signature), None)
    } else {
        return Verdict::Unauthorized("no signature or token header".into());
    };
    if !proven {
        return Verdict::Unauthorized("the signature or token does not match the secret".into());
    }
    if event == Some(false) {
        return Verdict::Ignored("not a push event".into());
    }
    let Some(watched) = watched else {
        return Verdict::Ignored("the watched ref is a commit, which no push moves".into());
    };
    match pushed_ref(body) {
        Some(pushed) if !watched.is_empty() && !watched.contains(&pushed) => {
            Verdict::Ignored(format!("a push to {pushed}, which is not watched"))
        }
        _ => Verdict::Fetch,
    }
}

fn is_push_hook(event: &str) -> bool {
    matches!(event, "Push Hook" | "Tag Push Hook")
}

/// `sha256=<hex>` (or the bare hex) equals the HMAC-SHA256 of `body` under `key`.
fn hmac_matches(key: &[u8], body: &[u8], signature: &str) -> bool {
    let hex_part = signature
        .trim()
        .strip_prefix("sha256=")
        .unwrap_or(signature.trim());
    let Ok(given) = hex::decode(hex_part) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// Whether `given` is the secret, in time that does not depend on where they differ (both
/// are hashed first, so their lengths do not show either).
fn same_secret(key: &[u8], given: &[u8]) -> bool {
    Sha256::digest(key).ct_eq(&Sha256::digest(given)).into()
}

/// Gitee's signature: base64 of HMAC-SHA256(secret, "<timestamp>\n<secret>"), sent as is or
/// URL-encoded.
fn gitee_signature_matches(key: &[u8], timestamp: &str, token: &str) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(key);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let encoded = expected
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    same_secret(expected.as_bytes(), token.as_bytes())
        | same_secret(encoded.as_bytes(), token.as_bytes())
}

/// The `ref` a push payload names, when the body is JSON and has one.
fn pushed_ref(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("ref")?.as_str().map(str::to_string)
}

/// The refs a push must name to be fetched on: the watched branch or tag (before the first
/// fetch, a bare name may be either), the branch the remote's HEAD named at the last fetch
/// (empty before it: any push), or `None` for a commit.
pub fn watched_refs(reference: &GitRef, feed: &GitFeed) -> Option<Vec<String>> {
    match reference {
        GitRef::Commit(_) => None,
        GitRef::Full(full) => Some(vec![full.clone()]),
        GitRef::Name(name) => Some(vec![
            format!("refs/heads/{name}"),
            format!("refs/tags/{name}"),
        ]),
        GitRef::RemoteHead => Some(feed.status().reference.into_iter().collect()),
    }
}

/// What the handler needs.
#[derive(Clone)]
struct Hooks {
    secret: HookSecret,
    reference: GitRef,
    feed: Arc<GitFeed>,
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
}

pub fn router(
    secret: HookSecret,
    reference: GitRef,
    feed: Arc<GitFeed>,
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
) -> Router {
    let hooks = Hooks {
        secret,
        reference,
        feed,
        wake,
        metrics,
    };
    Router::new()
        .route("/hooks/git", post(hook))
        .with_state(hooks)
}

async fn hook(State(hooks): State<Hooks>, headers: HeaderMap, body: Body) -> Response {
    let count = |result: &'static str| {
        hooks
            .metrics
            .webhooks
            .get_or_create(&ResultLabel { result })
            .inc()
    };
    let body: Bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            count("too_large");
            warn!(limit = MAX_BODY, "webhook refused: body too large");
            return (StatusCode::PAYLOAD_TOO_LARGE, "body too large\n").into_response();
        }
    };
    let watched = watched_refs(&hooks.reference, &hooks.feed);
    match judge(&headers, &body, &hooks.secret, watched.as_deref()) {
        Verdict::Fetch => {
            count("fetch");
            info!("webhook: a push to the watched ref; fetching now");
            hooks.wake.notify_one();
            (StatusCode::OK, "fetching\n").into_response()
        }
        Verdict::Ignored(why) => {
            count("ignored");
            debug!(%why, "webhook ignored");
            (StatusCode::ACCEPTED, format!("ignored: {why}\n")).into_response()
        }
        Verdict::Unauthorized(why) => {
            count("unauthorized");
            warn!(%why, "webhook refused");
            (StatusCode::UNAUTHORIZED, format!("{why}\n")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SECRET: &str = "It's a Secret to Everybody";
    const PUSH: &[u8] = br#"{"ref":"refs/heads/main","after":"abc"}"#;

    fn secret() -> HookSecret {
        HookSecret::new(SECRET).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn sign(body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    fn main_only() -> Vec<String> {
        vec!["refs/heads/main".into()]
    }

    // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
    #[test]
    fn githubs_documented_signature_is_accepted() {
        let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(hmac_matches(SECRET.as_bytes(), b"Hello, World!", signature));
        assert!(!hmac_matches(
            SECRET.as_bytes(),
            b"Hello, World?",
            signature
        ));
    }

    #[test]
    fn a_signed_push_to_the_watched_ref_fetches_and_anything_else_does_not() {
        let signed = headers(&[
            ("x-hub-signature-256", &sign(PUSH)),
            ("x-github-event", "push"),
        ]);
        let watched = main_only();
        assert_eq!(
            judge(&signed, PUSH, &secret(), Some(&watched)),
            Verdict::Fetch
        );
        let other = br#"{"ref":"refs/heads/dev"}"#;
        let signed_other = headers(&[("x-hub-signature-256", &sign(other))]);
        assert!(matches!(
            judge(&signed_other, other, &secret(), Some(&watched)),
            Verdict::Ignored(_)
        ));
        let ping = headers(&[
            ("x-hub-signature-256", &sign(PUSH)),
            ("x-github-event", "ping"),
        ]);
        assert!(matches!(
            judge(&ping, PUSH, &secret(), Some(&watched)),
            Verdict::Ignored(_)
        ));
        let tampered = br#"{"ref":"refs/heads/main","after":"evil"}"#;
        assert!(matches!(
            judge(&signed, tampered, &secret(), Some(&watched)),
            Verdict::Unauthorized(_)
        ));
        assert!(matches!(
            judge(&HeaderMap::new(), PUSH, &secret(), Some(&watched)),
            Verdict::Unauthorized(_)
        ));
    }

    #[test]
    fn gitlab_gitee_and_the_generic_header() {
        let watched = main_only();
        let gitlab = headers(&[("x-gitlab-token", SECRET), ("x-gitlab-event", "Push Hook")]);
        assert_eq!(
            judge(&gitlab, PUSH, &secret(), Some(&watched)),
            Verdict::Fetch
        );
        let wrong = headers(&[("x-gitlab-token", "guess"), ("x-gitlab-event", "Push Hook")]);
        assert!(matches!(
            judge(&wrong, PUSH, &secret(), Some(&watched)),
            Verdict::Unauthorized(_)
        ));
        let gitee_password = headers(&[("x-gitee-token", SECRET), ("x-gitee-event", "Push Hook")]);
        assert_eq!(
            judge(&gitee_password, PUSH, &secret(), Some(&watched)),
            Verdict::Fetch
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("1700000000000\n{SECRET}").as_bytes());
        let gitee_sign =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let gitee_signed = headers(&[
            ("x-gitee-token", &gitee_sign),
            ("x-gitee-timestamp", "1700000000000"),
            ("x-gitee-event", "Push Hook"),
        ]);
        assert_eq!(
            judge(&gitee_signed, PUSH, &secret(), Some(&watched)),
            Verdict::Fetch
        );
        let stale = headers(&[
            ("x-gitee-token", &gitee_sign),
            ("x-gitee-timestamp", "1"),
            ("x-gitee-event", "Push Hook"),
        ]);
        assert!(matches!(
            judge(&stale, PUSH, &secret(), Some(&watched)),
            Verdict::Unauthorized(_)
        ));
        let generic = headers(&[("x-signature-256", &sign(b"{}"))]);
        assert_eq!(
            judge(&generic, b"{}", &secret(), Some(&watched)),
            Verdict::Fetch
        );
        assert!(matches!(
            judge(&generic, b"{}", &secret(), None),
            Verdict::Ignored(_)
        ));
    }

    #[tokio::test]
    async fn a_body_past_the_cap_is_refused_counted_and_never_fetched_on() {
        let metrics = Arc::new(Metrics::new());
        let source = crate::git::GitSource {
            url: crate::git::RepoUrl::parse("https://git.example.com/a.git", false).unwrap(),
            reference: GitRef::RemoteHead,
            path: "builds.d".into(),
            timeout: std::time::Duration::from_secs(1),
            auth: crate::git::GitAuth::None,
            trust: None,
            state_dir: "/nonexistent".into(),
        };
        let hooks = Hooks {
            secret: secret(),
            reference: GitRef::RemoteHead,
            feed: Arc::new(GitFeed::new(&source, None)),
            wake: Arc::new(Notify::new()),
            metrics: metrics.clone(),
        };
        let big = vec![b' '; MAX_BODY + 1];
        let signed = headers(&[("x-signature-256", &sign(&big))]);
        let answer = hook(State(hooks.clone()), signed, Body::from(big)).await;
        assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
        // A fetch asked for leaves a permit, which the first poll takes.
        let woken = tokio::select! {
            biased;
            () = hooks.wake.notified() => true,
            () = std::future::ready(()) => false,
        };
        assert!(!woken, "no fetch was asked for");
        assert!(
            metrics
                .render()
                .unwrap()
                .contains(r#"zadig_sync_webhooks_total{result="too_large"} 1"#)
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        assert!(!format!("{:?}", secret()).contains("Secret to"));
    }
}
