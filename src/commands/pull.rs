//! `zadig-sync pull`: load, plan against Zadig, pull the drifted builds into their files
//! (`src/pull/`), then write them or print the patch, print the summary, decide the exit code.

use super::Exit;
use super::output::{Output, err, out};
use super::pipeline::{load_for_server, plan_against_server, settings};
use crate::cli::choices::PullOutputArg;
use crate::cli::{PullArgs, ScopeArgs};
use crate::pull::{PatchRoot, PullRequest, pull, write_changes};
use crate::report::paint::ColorChoice;
use crate::report::{Format, Stage};

pub async fn run(args: PullArgs, color: ColorChoice) -> anyhow::Result<Exit> {
    let json = matches!(args.output, PullOutputArg::Json);
    let format = if json { Format::Json } else { Format::Text };
    let output = Output::new(format, color);
    let scope = ScopeArgs {
        projects: args.projects.clone(),
        prune: false,
        max_deletes: None,
    };
    let dir = &args.dir.dir;
    let Some(loaded) = load_for_server(dir, &scope, Stage::Plan, &output) else {
        return Ok(Exit::Failure);
    };
    let settings = settings(&args.server, &scope, &loaded);
    let planned = plan_against_server(loaded, &settings, &args.cache, &output).await?;
    planned.connection.close().await?;
    let request = PullRequest {
        dir,
        desired: &planned.desired,
        plan: &planned.plan,
        live: &planned.live,
        builds: &args.builds,
        override_defaults: args.override_defaults,
        secrets: &planned.secrets,
    };
    let report = pull(&request);
    let mut errors: Vec<String> = planned.plan.errors.clone();
    let patch = args
        .patch
        .then(|| PatchRoot::around(dir).patch(&report.changes));
    if !args.patch {
        for (path, error) in write_changes(&report.changes) {
            errors.push(format!("cannot write {}: {error}", path.display()));
        }
    }
    match (json, &patch) {
        (true, _) => out(crate::report::pull::json(
            &report,
            patch.as_deref(),
            &errors,
        )),
        (false, Some(patch)) => {
            out(patch);
            err(crate::report::pull::text(&report, true, &errors));
        }
        (false, None) => out(crate::report::pull::text(&report, false, &errors)),
    }
    Ok(if report.has_failures() || !errors.is_empty() {
        Exit::Failure
    } else if report.left_something() {
        Exit::Changes
    } else {
        Exit::Success
    })
}
