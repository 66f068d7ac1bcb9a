//! The daemon's notification sinks, from the scope file's `notify:` and `--notify-config
//! FILE`: resolved once at start (a missing variable or file stops the start, naming it), their
//! URLs and secrets handed to the log's redaction before anything can log them, and the
//! sender started. Reads files.

use std::path::Path;

use anyhow::bail;
use tracing::info;

use crate::cli::DaemonOwnArgs;
use crate::daemon::metrics::Metrics;
use crate::daemon::notify::{Delivery, Notifier, Options, QUEUE_CAPACITY, Sink, resolve_sinks};
use crate::load::diagnostic::Diagnostic;
use crate::load::files::{self, MAX_FILE_BYTES};
use crate::load::notify::parse_notify_file;
use crate::load::scope::Scope;
use crate::logs;

/// The notifier of every sink configured, or `None` when there is none.
pub fn start(
    scope: Option<&Scope>,
    args: &DaemonOwnArgs,
    metrics: &Metrics,
) -> anyhow::Result<Option<Notifier>> {
    let env = |name: &str| std::env::var(name).ok();
    let mut sinks = Vec::new();
    if let Some(scope) = scope.filter(|s| !s.notify.is_empty()) {
        sinks.extend(resolved(resolve_sinks(&scope.notify, &scope.path, &env))?);
    }
    if let Some(path) = &args.notify_config {
        sinks.extend(resolved(from_file(path, &env))?);
    }
    if sinks.is_empty() {
        return Ok(None);
    }
    if let Some(twice) = repeated_name(&sinks) {
        bail!(
            "two notification sinks are named `{twice}` (one in the scope file, one in \
             --notify-config); give each a different `name:`"
        );
    }
    for sink in &sinks {
        logs::hide(&sink.secrets());
    }
    let names: Vec<&str> = sinks.iter().map(|s| s.name.as_str()).collect();
    info!(sinks = %names.join(", "), "sending notifications");
    let options = Options {
        external_url: args.external_url.clone(),
        counters: metrics.notifications.clone(),
        capacity: QUEUE_CAPACITY,
        delivery: Delivery::DEFAULT,
    };
    Ok(Some(Notifier::start(sinks, options)?))
}

fn from_file(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Sink>, Vec<Diagnostic>> {
    let text = files::read_text(path, MAX_FILE_BYTES).map_err(|error| {
        vec![Diagnostic::error(
            "notify-file",
            None,
            format!("--notify-config: {error}"),
        )]
    })?;
    resolve_sinks(&parse_notify_file(&text, path)?, path, env)
}

fn resolved(sinks: Result<Vec<Sink>, Vec<Diagnostic>>) -> anyhow::Result<Vec<Sink>> {
    match sinks {
        Ok(sinks) => Ok(sinks),
        Err(problems) => {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            bail!(
                "the notification sinks cannot be used:\n{}",
                lines.join("\n")
            )
        }
    }
}

fn repeated_name(sinks: &[Sink]) -> Option<&str> {
    let mut seen = std::collections::BTreeSet::new();
    (sinks.iter())
        .map(|sink| sink.name.as_str())
        .find(|name| !seen.insert(*name))
}
