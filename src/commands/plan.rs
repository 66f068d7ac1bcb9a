//! `zadig-sync plan`: load, read Zadig, print what would change; optionally save the plan.

use super::Exit;
use super::output::Output;
use super::saved_plan::SavedPlan;
use super::settings::{load_for_server, plan_against_server};
use crate::cli::PlanArgs;
use crate::report::paint::ColorChoice;
use crate::report::{Document, Stage};

pub async fn run(args: PlanArgs, color: ColorChoice) -> anyhow::Result<Exit> {
    let output = Output::for_plans(&args.show, color);
    let Some(loaded) = load_for_server(&args.dir.dir, Stage::Plan, &output) else {
        return Ok(Exit::Failure);
    };
    let planned = plan_against_server(loaded.desired, &args.server, &args.scope, &output).await?;
    let server = planned.connection.server.clone();
    planned.connection.close().await?;
    let plan = planned.plan;
    output.print(Document::Plan(&plan), &loaded.warnings);
    if let Some(path) = &args.out {
        SavedPlan::write(path, &server, &plan)?;
        eprintln!(
            "Saved the plan to {}; apply it with `zadig-sync apply --plan {}`.",
            path.display(),
            path.display()
        );
    }
    Ok(if plan.has_errors() {
        Exit::Failure
    } else if args.detailed_exitcode && plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Success
    })
}
