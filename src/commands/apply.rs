//! `zadig-sync apply`: plan (or take a saved plan), show it, confirm, execute, report.

use std::io::{BufRead, IsTerminal};

use super::Exit;
use super::output::{Output, err, errln};
use super::pipeline::{Planned, load_for_server, plan_against_server, settings};
use super::progress::Bar;
use super::saved_plan::SavedPlan;
use crate::apply::{Job, PlanSource, StopSignal, execute_with};
use crate::cli::ApplyArgs;
use crate::report::paint::ColorChoice;
use crate::report::{self, Document, Format, Stage, Style};
use crate::session::Settings;

pub async fn run(args: ApplyArgs, color: ColorChoice) -> anyhow::Result<Exit> {
    let output = Output::for_plans(&args.show, color);
    let terminal = std::io::stdin().is_terminal();
    if !terminal && !args.yes && args.plan.is_none() {
        // Nobody can be asked: writing anyway would surprise a Terraform user, and a script
        // that means to write says so.
        errln(
            "error: add --yes to apply without a terminal (or --plan FILE, a plan you reviewed); nothing was written.",
        );
        return Ok(Exit::Failure);
    }
    let Some(loaded) = load_for_server(&args.dir.dir, &args.scope, Stage::Apply, &output) else {
        errln("Nothing was written: fix the files first.");
        return Ok(Exit::Failure);
    };
    let settings = settings(&args.server, &args.scope, &loaded);
    let warnings = loaded.warnings.clone();
    // The commit checked out where the files are, which each marker written names (`rev=`).
    let revision = crate::daemon::identity::git_commit(&args.dir.dir);
    let (plan, desired, secrets, connection, mut synced) = match &args.plan {
        Some(path) => {
            let saved = SavedPlan::read(path)?;
            saved.ensure_guards_hold(&loaded, &settings, path)?;
            // A plan made now, from the same files, projects and --prune, that the saved one
            // must agree with step for step.
            let now = Settings {
                prune: saved.plan.prune,
                only: saved.plan.projects.clone(),
                ..settings.clone()
            };
            let quiet = Output {
                progress: false,
                ..output
            };
            let fresh = plan_against_server(loaded, &now, &args.cache, &quiet).await?;
            if let Err(error) = saved.ensure_still_valid(&fresh, path) {
                fresh.connection.close().await?;
                return Err(error);
            }
            let Planned {
                desired,
                secrets,
                connection,
                synced,
                ..
            } = fresh;
            (saved.plan, desired, secrets, connection, synced)
        }
        None => {
            let planned = plan_against_server(loaded, &settings, &args.cache, &output).await?;
            let Planned {
                plan,
                desired,
                secrets,
                connection,
                synced,
                ..
            } = planned;
            (plan, desired, secrets, connection, synced)
        }
    };
    let ask = plan.has_changes() && !args.yes && terminal;
    if output.format != Format::Json {
        output.print(Document::Plan(&plan), &warnings);
    } else if ask {
        // stdout is for the JSON document; the person asked to confirm still sees the plan.
        let style = Style {
            color: output.color_stderr,
            ..output.style(&[])
        };
        err(report::render_styled(
            Document::Plan(&plan),
            Format::Text,
            &style,
        ));
    }
    if ask && !confirmed()? {
        connection.close().await?;
        errln("Apply cancelled; nothing was changed.");
        return Ok(Exit::Failure);
    }
    let source = match args.plan {
        Some(_) => PlanSource::Saved,
        None => PlanSource::Fresh,
    };
    let bar = Bar::new(output.progress, "Applying", "steps");
    let shared = bar.shared();
    let job = Job {
        plan: &plan,
        source,
        desired: &desired,
        secrets: &secrets,
        stop: &StopSignal::default(),
        revision: revision.as_deref(),
    };
    let report = execute_with(&connection.client, job, &shared).await;
    drop(bar);
    if let Some(store) = &mut synced {
        super::cache::note_applied(store, &plan, &report);
    }
    connection.close().await?;
    output.print(Document::Apply(&plan, &report), &warnings);
    // A project whose list failed was not converged either, though it has no step to fail.
    Ok(if report.has_failures() || plan.has_errors() {
        Exit::Failure
    } else {
        Exit::Success
    })
}

fn confirmed() -> anyhow::Result<bool> {
    // On stderr, so that stdout holds only the plan and the report (JSON stays parseable).
    err("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
