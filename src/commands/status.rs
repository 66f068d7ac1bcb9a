//! `zadig-sync status`: ask a running daemon (`GET /api/v1/status`, with `--project` and
//! `--state` as its filters) how each build stands; print a table and a summary, or the
//! document itself. The exit code says whether all is well: 0 every build shown in sync, 2
//! something pending or drifted (or no pass has ended yet), 1 something failing, refused or
//! held, the last pass could not read Zadig or the files, or the daemon cannot be reached.
//! Does I/O (one HTTP request).

use std::time::Duration;

use anyhow::{Context, bail};

use super::Exit;
use super::output::{out, outln};
use crate::cli::{StatusArgs, StatusOutputArg};
use crate::daemon::status::doc::{BuildView, STATUS_FORMAT, StatusDoc, Time};
use crate::report::status::{Row, Summary, short_duration, short_revision, status_text};

/// The largest answer read (a daemon with tens of thousands of builds stays far below).
const ANSWER_CAP: usize = 64 * 1024 * 1024;

pub async fn run(args: StatusArgs) -> anyhow::Result<Exit> {
    let url = status_url(&args);
    let body = fetch(&url).await?;
    let doc: StatusDoc = match serde_json::from_slice(&body) {
        Ok(doc) => doc,
        Err(error) => bail!(
            "{url} did not answer with a status document ({error}); is --daemon a zadig-sync \
             daemon of version {} or later?",
            env!("CARGO_PKG_VERSION")
        ),
    };
    if doc.format != STATUS_FORMAT {
        bail!(
            "the daemon at {url} answers status format {}; this zadig-sync reads format \
             {STATUS_FORMAT}: use the same version for both",
            doc.format
        );
    }
    match args.output {
        StatusOutputArg::Json => outln(String::from_utf8_lossy(&body).trim_end()),
        StatusOutputArg::Text => out(status_text(&rows(&doc), &summary(&doc))),
    }
    Ok(exit_of(&doc))
}

/// `/api/v1/status` under the daemon's URL, with the filters.
fn status_url(args: &StatusArgs) -> url::Url {
    let mut url = args.daemon.clone();
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_path(&format!("{}api/v1/status", url.path()));
    url.set_query(None);
    {
        let mut query = url.query_pairs_mut();
        for project in &args.projects {
            query.append_pair("project", project);
        }
        for state in &args.states {
            query.append_pair("state", state.as_str());
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    url
}

async fn fetch(url: &url::Url) -> anyhow::Result<Vec<u8>> {
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30));
    if loopback {
        builder = builder.no_proxy();
    }
    let client = builder.build().context("making an HTTP client")?;
    let unreachable = || {
        format!(
            "cannot reach the daemon at {url}: is `zadig-sync daemon` running and listening \
             there? (--daemon URL, or ZADIG_SYNC_DAEMON; its --listen address)"
        )
    };
    let mut response = client
        .get(url.clone())
        .send()
        .await
        .with_context(unreachable)?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.with_context(unreachable)? {
        body.extend_from_slice(&chunk);
        if body.len() > ANSWER_CAP {
            bail!("the answer of {url} is larger than {ANSWER_CAP} bytes");
        }
    }
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body);
        bail!("the daemon at {url} answered {status}: {}", text.trim());
    }
    Ok(body)
}

fn rows(doc: &StatusDoc) -> Vec<Row> {
    doc.builds
        .iter()
        .map(|build| Row {
            project: build.project.clone(),
            build: build.name.clone(),
            state: build.state.clone(),
            since: age(build.since, doc.generated_at),
            message: message(build),
        })
        .collect()
}

/// The build's message, or for a build in sync what was last written to it.
fn message(build: &BuildView) -> String {
    if let Some(message) = &build.message {
        return message.clone();
    }
    match &build.last_write {
        Some(write) => match &write.revision {
            Some(revision) => format!(
                "{} applied at revision {}",
                write.action,
                short_revision(revision)
            ),
            None => format!("{} applied", write.action),
        },
        None => String::new(),
    }
}

fn summary(doc: &StatusDoc) -> Summary {
    let counts = &doc.counts;
    let all = [
        ("in_sync", counts.in_sync),
        ("pending", counts.pending),
        ("drifted", counts.drifted),
        ("failing", counts.failing),
        ("refused", counts.refused),
        ("held", counts.held),
    ];
    Summary {
        counts: all.into_iter().filter(|(_, n)| *n > 0).collect(),
        kept: counts.kept,
        last_pass: doc.last_pass.as_ref().map(|pass| {
            let plural = if pass.requests == 1 { "" } else { "s" };
            format!(
                "{} ago ({}, {}, {} request{plural})",
                age(pass.ended, doc.generated_at),
                pass.trigger,
                pass.result,
                pass.requests
            )
        }),
        revision: doc.revision.shown().map(str::to_string),
        next_pass: doc
            .next_pass_due
            .map(|due| match seconds_between(doc.generated_at, due) {
                Some(seconds) if seconds > 0 => format!("in {}", short_duration(seconds)),
                _ => "due now".to_string(),
            }),
        not_ready: doc.not_ready_because.clone(),
    }
}

/// `4m`: how long before `now` `then` was, on the daemon's clock.
fn age(then: Time, now: Time) -> String {
    short_duration(seconds_between(then, now).unwrap_or(0))
}

fn seconds_between(from: Time, to: Time) -> Option<u64> {
    to.0.duration_since(from.0).ok().map(|d| d.as_secs())
}

/// The exit code the builds shown and the last pass earn.
fn exit_of(doc: &StatusDoc) -> Exit {
    let failed_pass =
        (doc.last_pass.as_ref()).is_some_and(|p| matches!(p.result.as_str(), "failed" | "invalid"));
    let is = |states: &[&str]| {
        doc.builds
            .iter()
            .any(|b| states.contains(&b.state.as_str()))
    };
    if failed_pass || is(&["failing", "refused", "held"]) {
        Exit::Failure
    } else if doc.last_pass.is_none() || is(&["pending", "drifted"]) {
        Exit::Changes
    } else {
        Exit::Success
    }
}
