//! `zadig-sync plan`: load, read Zadig, print what would change; optionally save the plan.

use super::Exit;
use super::output::errln;
use super::saved_plan::SavedPlan;
use super::settings::{load_for_server, plan_against_server, print_plan};
use crate::cli::PlanArgs;

pub async fn run(args: PlanArgs) -> anyhow::Result<Exit> {
    let Some(desired) = load_for_server(&args.dir.dir, args.output) else {
        return Ok(Exit::Failure);
    };
    let planned = plan_against_server(desired, &args.server, &args.scope).await?;
    let server = planned.connection.server.clone();
    planned.connection.close().await?;
    let plan = planned.plan;
    print_plan(&plan, args.output);
    if let Some(path) = &args.out {
        SavedPlan::write(path, &server, &plan)?;
        errln(format_args!(
            "Saved the plan to {}; apply it with `zadig-sync apply --plan {}`.",
            path.display(),
            path.display()
        ));
    }
    Ok(if plan.has_errors() {
        Exit::Failure
    } else if args.detailed_exitcode && plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Success
    })
}
