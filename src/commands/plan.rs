//! `zadig-sync plan`: load, read Zadig, print what would change; optionally save the plan.

use std::path::Path;

use super::Exit;
use super::output::{Output, errln};
use super::pipeline::{load_for_server, plan_against_server, settings};
use super::saved_plan::SavedPlan;
use crate::cli::{DirArgs, PlanArgs, ServerArgs};
use crate::reconcile::plan::{Action, Plan};
use crate::reconcile::pull::command::shell_word;
use crate::report::paint::ColorChoice;
use crate::report::{Document, Stage};

pub async fn run(args: PlanArgs, color: ColorChoice) -> anyhow::Result<Exit> {
    let output = Output::for_plans(&args.show, color);
    let dir = match super::git::git_source(&args.git, args.server.insecure_http)? {
        Some(source) => super::git::fetch_once(source).await?.dir,
        None => args.dir.dir.clone(),
    };
    let Some(loaded) = load_for_server(&dir, &args.scope, Stage::Plan, &output) else {
        return Ok(Exit::Failure);
    };
    let settings = settings(&args.server, &args.scope, &loaded);
    let warnings = loaded.warnings.clone();
    let planned = plan_against_server(loaded, &settings, &args.cache, &output).await?;
    let server = planned.connection.server.clone();
    planned.connection.close().await?;
    let plan = planned.plan;
    output.print(Document::Plan(&plan), &warnings);
    if let Some(path) = &args.out {
        if plan.has_errors() || plan.count(Action::Refused) > 0 {
            // `apply --plan` would replay these errors and refusals (and exit 1 on them): the
            // plan must be made again instead.
            errln(format_args!(
                "The plan has errors or refused steps, so it was not saved to {}: fix them and \
                 run plan again.",
                path.display()
            ));
            return Ok(Exit::Failure);
        }
        SavedPlan::write(path, &server, &plan)?;
        errln(format_args!(
            "Saved the plan to {}; apply it with `{}`.",
            path.display(),
            apply_command(&DirArgs { dir }, &args.server, path)
        ));
    }
    Ok(exit_code(&plan, args.detailed_exitcode))
}

/// 0 only when Zadig matches the files, or (without `--detailed-exitcode`) when the plan can
/// be applied as a whole; 1 when a step is an error or a refusal (`apply` would fail on it);
/// 2 with `--detailed-exitcode` when there are changes.
fn exit_code(plan: &Plan, detailed: bool) -> Exit {
    let refused = plan.count(Action::Refused) > 0;
    if plan.has_errors() || refused {
        Exit::Failure
    } else if detailed && plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Success
    }
}

/// The `apply` command line that executes the plan saved at `path`: the folder and the
/// server flags this plan was made with, so that it runs from the same working directory.
fn apply_command(dir: &DirArgs, server: &ServerArgs, path: &Path) -> String {
    let mut words: Vec<String> = vec!["zadig-sync".into(), "apply".into()];
    let mut flag = |name: &str, value: Option<&str>| {
        words.push(name.to_string());
        words.extend(value.map(shell_word));
    };
    if dir.dir != Path::new(crate::cli::DEFAULT_DIR) {
        flag("--dir", dir.dir.to_str());
    }
    if server.emulator {
        flag("--emulator", None);
    } else if let Some(url) = &server.url {
        flag("--url", Some(url));
    }
    for (name, file) in [
        ("--token-file", &server.token_file),
        ("--ca-file", &server.ca_file),
    ] {
        if let Some(file) = file {
            flag(name, file.to_str());
        }
    }
    if server.insecure_http {
        flag("--insecure-http", None);
    }
    flag("--plan", path.to_str());
    words.join(" ")
}
