//! `zadig-sync apply`: plan (or take a saved plan), show it, confirm, execute, report.

use std::io::{BufRead, IsTerminal, Write};

use super::Exit;
use super::output::Output;
use super::progress::Bar;
use super::saved_plan::SavedPlan;
use super::settings::connect;
use super::settings::{Planned, load_for_server, plan_against_server};
use crate::apply::execute_with;
use crate::cli::ApplyArgs;
use crate::report::paint::ColorChoice;
use crate::report::{self, Document, Format, Stage, Style};

pub async fn run(args: ApplyArgs, color: ColorChoice) -> anyhow::Result<Exit> {
    let output = Output::for_plans(&args.show, color);
    let Some(loaded) = load_for_server(&args.dir.dir, Stage::Apply, &output) else {
        eprintln!("Nothing was written: fix the files first.");
        return Ok(Exit::Failure);
    };
    let desired = loaded.desired;
    let (plan, desired, secrets, connection) = match &args.plan {
        Some(path) => {
            let saved = SavedPlan::read(path)?;
            let connection = connect(&args.server).await?;
            saved.ensure_still_valid(&desired, &connection.server, path)?;
            let secrets = connection.secrets(&desired);
            (saved.plan, desired, secrets, connection)
        }
        None => {
            let planned = plan_against_server(desired, &args.server, &args.scope, &output).await?;
            let Planned {
                plan,
                desired,
                secrets,
                connection,
            } = planned;
            (plan, desired, secrets, connection)
        }
    };
    let ask = plan.has_changes() && !args.yes && std::io::stdin().is_terminal();
    if output.format != Format::Json {
        output.print(Document::Plan(&plan), &loaded.warnings);
    } else if ask {
        // stdout is for the JSON document; the person asked to confirm still sees the plan.
        let style = Style {
            color: output.color_stderr,
            ..output.style(&[])
        };
        eprint!(
            "{}",
            report::render_styled(Document::Plan(&plan), Format::Text, &style)
        );
    }
    if ask && !confirmed()? {
        connection.close().await?;
        eprintln!("Apply cancelled; nothing was changed.");
        return Ok(Exit::Failure);
    }
    let bar = Bar::new(output.progress, "Applying", "steps");
    let report = execute_with(&connection.client, &plan, &desired, &secrets, &bar.shared()).await;
    drop(bar);
    connection.close().await?;
    output.print(Document::Apply(&plan, &report), &loaded.warnings);
    // A project whose list failed was not converged either, though it has no step to fail.
    Ok(if report.has_failures() || plan.has_errors() {
        Exit::Failure
    } else {
        Exit::Success
    })
}

fn confirmed() -> anyhow::Result<bool> {
    // On stderr, so that stdout holds only the plan and the report (JSON stays parseable).
    eprint!("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
