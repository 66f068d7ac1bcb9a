//! The daemon's Prometheus metrics (prometheus-client), every name starting `zadig_sync_`.
//! docs/daemon.md lists them with their meaning. Label values are fixed words (results,
//! states, routes, actions), HTTP methods and statuses, a commit or a hash: never a build
//! name, a value from a file, or the token. No I/O (http.rs serves the text).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::remote::{Observation, RequestObserver};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    /// `success`, `partial`, `failed` or `invalid`.
    pub result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    /// `in_sync`, `pending`, `drifted`, `failed` (builds failing), `refused` or `held`.
    pub state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// The stable word of what went wrong (`transport`, `rejected`, `not_converged`, …).
    pub kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ZadigLabel {
    /// `ok`, `unauthorized`, `forbidden`, `unreachable` or `deadline`.
    pub status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// `list`, `detail`, `create`, `update`, `update_template` or `delete`.
    pub route: &'static str,
    /// The HTTP status, or `error` when no answer came.
    pub status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabel {
    /// `create`, `update`, `replace` or `delete`.
    pub action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NotificationLabels {
    /// The sink's name (`name:` in its configuration, else its kind).
    pub sink: String,
    /// `sent`, `failed` (refused, or still failing after the retries) or `dropped` (the
    /// sink's queue was full).
    pub result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IdentityLabels {
    /// The git commit checked out in the directory, or empty when it is not a checkout.
    pub commit: String,
    /// `sha256:…` of the desired state (every build's fingerprint), never empty.
    pub tree: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GitRevisionLabels {
    /// The commit in force (fetched, verified when --git-verify is given).
    pub commit: String,
    /// The ref it was read from (`refs/heads/main`).
    pub r#ref: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusedLabels {
    /// The commit --git-verify refused.
    pub commit: String,
    /// `unsigned`, `untrusted`, `malformed`, `wrong_kind` or `keys` (the trusted keys could
    /// not be read).
    pub reason: &'static str,
}

/// Every metric, and the registry that renders them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub passes: Family<ResultLabel, Counter>,
    pub pass_duration: Histogram,
    pub builds: Family<StateLabel, Gauge>,
    pub requests: Family<RequestLabels, Counter>,
    pub last_success: Gauge<f64, AtomicU64>,
    pub desired_state: Family<IdentityLabels, Gauge>,
    pub changes: Family<ActionLabel, Counter>,
    pub drift: Counter,
    pub details_reused: Counter,
    pub step_failures: Family<KindLabel, Counter>,
    pub zadig: Family<ZadigLabel, Gauge>,
    pub tree_reads: Counter,
    pub git_fetches: Family<ResultLabel, Counter>,
    pub git_revision: Family<GitRevisionLabels, Gauge>,
    pub git_refused: Family<RefusedLabels, Gauge>,
    pub webhooks: Family<ResultLabel, Counter>,
    pub notifications: Family<NotificationLabels, Counter>,
    /// Every request sent to Zadig, to count a pass's (not a metric of its own).
    pub requests_sent: Arc<AtomicU64>,
}

/// The results `zadig_sync_passes_total` always reports, zero included.
pub const PASS_RESULTS: [&str; 4] = ["success", "partial", "failed", "invalid"];

/// The states `zadig_sync_builds` always reports, zero included. A failing build is counted
/// as `failed`, the name this metric has always used.
pub const BUILD_STATES: [&str; 6] = ["in_sync", "pending", "drifted", "failed", "refused", "held"];

/// What `zadig_sync_zadig` says of the last attempt to read Zadig.
pub const ZADIG_STATUSES: [&str; 5] =
    ["ok", "unauthorized", "forbidden", "unreachable", "deadline"];

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut metrics = Metrics {
            registry: Registry::default(),
            passes: Family::default(),
            pass_duration: Histogram::new(exponential_buckets(0.05, 2.0, 14)),
            builds: Family::default(),
            requests: Family::default(),
            last_success: Gauge::default(),
            desired_state: Family::default(),
            changes: Family::default(),
            drift: Counter::default(),
            details_reused: Counter::default(),
            step_failures: Family::default(),
            zadig: Family::default(),
            tree_reads: Counter::default(),
            git_fetches: Family::default(),
            git_revision: Family::default(),
            git_refused: Family::default(),
            webhooks: Family::default(),
            notifications: Family::default(),
            requests_sent: Arc::default(),
        };
        metrics.register();
        for result in PASS_RESULTS {
            let _ = metrics.passes.get_or_create(&ResultLabel { result });
        }
        for state in BUILD_STATES {
            metrics.builds.get_or_create(&StateLabel { state }).set(0);
        }
        for status in ZADIG_STATUSES {
            metrics.zadig.get_or_create(&ZadigLabel { status }).set(0);
        }
        metrics
    }

    fn register(&mut self) {
        let r = &mut self.registry;
        r.register("zadig_sync_passes", "Passes run, by result: success (every build converged), partial (some builds failed or were refused), failed (Zadig could not be read), invalid (the files have errors; nothing written)", self.passes.clone());
        r.register(
            "zadig_sync_pass_duration_seconds",
            "Duration of passes that read Zadig",
            self.pass_duration.clone(),
        );
        r.register("zadig_sync_builds", "Managed builds by state after the last pass: in_sync, pending (a write not made yet), drifted (changed in Zadig; with --drift report they stay so), failed (failing, retried with backoff), refused, held (the files have errors)", self.builds.clone());
        r.register("zadig_sync_api_requests", "Requests sent to Zadig (every attempt, retries included), by method, route and status (error: no answer)", self.requests.clone());
        r.register(
            "zadig_sync_last_success_timestamp_seconds",
            "Unix time at which the last successful pass ended",
            self.last_success.clone(),
        );
        r.register("zadig_sync_desired_state", "Identity of the desired state last loaded: the git commit (when the directory is a checkout) and a hash of the builds (value always 1)", self.desired_state.clone());
        r.register(
            "zadig_sync_changes_applied",
            "Writes made to Zadig that succeeded, by action",
            self.changes.clone(),
        );
        r.register("zadig_sync_drift_detected", "Builds found changed in Zadig while their file had not changed (each time one is found)", self.drift.clone());
        r.register("zadig_sync_detail_reads_saved", "Build details taken from memory (settled and unchanged) instead of being read from Zadig", self.details_reused.clone());
        r.register(
            "zadig_sync_step_failures",
            "Steps that failed (a write, or the read of a build's detail), by the kind of error",
            self.step_failures.clone(),
        );
        r.register("zadig_sync_zadig", "The last attempt to read Zadig, by outcome (the one at 1): ok, unauthorized (the token is refused), forbidden, unreachable, deadline", self.zadig.clone());
        r.register("zadig_sync_git_fetch", "Fetches from --git, by result: changed (a new commit), unchanged, refused (not signed by a trusted key), failed", self.git_fetches.clone());
        r.register(
            "zadig_sync_git_revision",
            "The commit in force from --git, and its ref (value always 1)",
            self.git_revision.clone(),
        );
        r.register("zadig_sync_git_refused", "The commit of the watched ref that --git-verify refuses, and why (value 1 while it is refused)", self.git_refused.clone());
        r.register("zadig_sync_webhooks", "Requests to POST /hooks/git, by result: fetch, ignored, unauthorized, too_large, bad_request", self.webhooks.clone());
        r.register("zadig_sync_notifications", "Notifications by sink and result: sent, failed (refused, or failing after the retries), dropped (the sink's queue was full)", self.notifications.clone());
        r.register("zadig_sync_tree_reads", "Times the build files were read (a change, a resync or a retry; never the daemon's own reads)", self.tree_reads.clone());
    }

    /// The OpenMetrics text of every metric.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    /// The hook that counts every request the client sends.
    pub fn request_observer(&self) -> Arc<dyn RequestObserver> {
        Arc::new(RequestCounter {
            requests: self.requests.clone(),
            sent: self.requests_sent.clone(),
        })
    }

    /// Sets `zadig_sync_zadig` to `status` (one of [`ZADIG_STATUSES`]), the others to 0.
    pub fn set_zadig_status(&self, status: &'static str) {
        for each in ZADIG_STATUSES {
            let value = i64::from(each == status);
            self.zadig
                .get_or_create(&ZadigLabel { status: each })
                .set(value);
        }
    }

    /// Sets `zadig_sync_builds` to these counts.
    pub fn set_build_states(&self, counts: &[(&'static str, i64)]) {
        for &(state, value) in counts {
            self.builds.get_or_create(&StateLabel { state }).set(value);
        }
    }

    /// Sets the info metric to the identity of the desired state just loaded.
    pub fn set_desired_state(&self, commit: Option<&str>, tree: &str) {
        self.desired_state.clear();
        let labels = IdentityLabels {
            commit: commit.unwrap_or_default().to_string(),
            tree: tree.to_string(),
        };
        self.desired_state.get_or_create(&labels).set(1);
    }
}

/// Counts each attempt under `zadig_sync_api_requests_total`.
#[derive(Debug)]
struct RequestCounter {
    requests: Family<RequestLabels, Counter>,
    sent: Arc<AtomicU64>,
}

impl RequestObserver for RequestCounter {
    fn observe(&self, observation: &Observation) {
        let labels = RequestLabels {
            method: observation.method.as_str().to_string(),
            route: observation.route.as_str(),
            status: observation
                .status
                .map_or("error".to_string(), |s| s.as_u16().to_string()),
        };
        self.requests.get_or_create(&labels).inc();
        self.sent.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::Route;

    #[test]
    fn names_start_with_zadig_sync_and_requests_are_counted_by_route() {
        let metrics = Metrics::new();
        let observer = metrics.request_observer();
        let record = Observation {
            route: Route::List,
            method: reqwest::Method::GET,
            status: Some(reqwest::StatusCode::OK),
            attempt: 1,
            elapsed: std::time::Duration::from_millis(3),
        };
        observer.observe(&record);
        observer.observe(&record);
        observer.observe(&Observation {
            status: None,
            ..record
        });
        metrics.set_desired_state(None, "sha256:ab");
        metrics.set_desired_state(Some("0123abc"), "sha256:cd");
        let text = metrics.render().unwrap();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(line.starts_with("zadig_sync_"), "{line}");
        }
        assert!(
            text.contains(
                r#"zadig_sync_api_requests_total{method="GET",route="list",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"status="error"} 1"#), "{text}");
        assert!(
            text.contains(r#"zadig_sync_desired_state{commit="0123abc",tree="sha256:cd"} 1"#),
            "{text}"
        );
        assert!(
            !text.contains("sha256:ab"),
            "the old identity is gone: {text}"
        );
        assert!(
            text.contains(r#"zadig_sync_builds{state="drifted"} 0"#),
            "{text}"
        );
    }
}
