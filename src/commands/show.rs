//! `zadig-sync show PLAN_FILE`: print a plan saved by `plan --out` in any output format,
//! without connecting to Zadig or applying anything. Reads the file.

use super::Exit;
use super::output::{Output, errln};
use super::saved_plan::SavedPlan;
use crate::cli::ShowPlanArgs;
use crate::report::Document;
use crate::report::paint::ColorChoice;

pub fn run(args: ShowPlanArgs, color: ColorChoice) -> anyhow::Result<Exit> {
    let output = Output::for_plans(&args.show, color);
    let saved = SavedPlan::read(&args.plan_file)?;
    errln(format_args!(
        "Plan saved in {}, made against {}; apply it with `zadig-sync apply --plan {}`.",
        args.plan_file.display(),
        saved.server,
        args.plan_file.display()
    ));
    output.print(Document::Plan(&saved.plan), &[]);
    Ok(Exit::Success)
}
