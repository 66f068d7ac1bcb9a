//! `zadig-sync apply`: plan (or take a saved plan), show it, confirm, execute, report.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, bail};

use super::Exit;
use super::connect::connect;
use super::pipeline::{load_for_server, plan_against_server, print_plan};
use crate::apply::{ApplyReport, OutcomeStatus, execute};
use crate::cli::{ApplyArgs, OutputFormat};
use crate::desired::DesiredSet;
use crate::marker::fingerprint;
use crate::plan::{PLAN_FORMAT_VERSION, Plan};
use crate::planner::PlanOptions;

pub async fn run(args: ApplyArgs) -> anyhow::Result<Exit> {
    let Some(desired) = load_for_server(&args.dir.dir, args.output) else {
        eprintln!("Nothing was written: fix the files first.");
        return Ok(Exit::Failure);
    };
    let (plan, desired, connection) = match &args.plan {
        Some(path) => {
            let plan = read_saved_plan(path)?;
            ensure_files_produce(&plan, &desired, path)?;
            (plan, desired, connect(&args.server).await?)
        }
        None => {
            let options = PlanOptions {
                prune: args.prune,
                max_deletes: args.max_deletes,
            };
            let planned =
                plan_against_server(desired, &args.server, &args.projects, &options).await?;
            (planned.plan, planned.desired, planned.connection)
        }
    };
    let ask = plan.has_changes() && !args.yes && std::io::stdin().is_terminal();
    if args.output != OutputFormat::Json {
        print_plan(&plan, args.output);
    } else if ask {
        // stdout is for the JSON document; the person asked to confirm still sees the plan.
        eprint!("{}", crate::report::plan_text(&plan, false));
    }
    if ask && !confirmed()? {
        connection.close().await?;
        eprintln!("Apply cancelled; nothing was changed.");
        return Ok(Exit::Failure);
    }
    let report = execute(&connection.client, &plan, &desired).await;
    connection.close().await?;
    print_report(&plan, &report, args.output)?;
    Ok(if report.has_failures() {
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

fn read_saved_plan(path: &Path) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the saved plan {}", path.display()))?;
    let plan: Plan = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a plan saved by `zadig-sync plan --out`",
            path.display()
        )
    })?;
    if plan.format_version != PLAN_FORMAT_VERSION {
        bail!(
            "{} has plan format {}, this zadig-sync reads format {PLAN_FORMAT_VERSION}: make the plan again",
            path.display(),
            plan.format_version
        );
    }
    Ok(plan)
}

/// A saved plan is executed only if the files still say exactly what they said when it was
/// made: same builds, same fingerprints. Otherwise it is refused whole.
fn ensure_files_produce(plan: &Plan, desired: &DesiredSet, path: &Path) -> anyhow::Result<()> {
    let now: BTreeMap<&str, String> = desired
        .builds
        .iter()
        .map(|b| (b.spec.name(), fingerprint(&b.spec)))
        .collect();
    let then: BTreeMap<&str, String> = plan
        .steps
        .iter()
        .filter_map(|s| Some((s.name.as_str(), s.desired_fingerprint.clone()?)))
        .collect();
    if now == then {
        return Ok(());
    }
    let changed: Vec<&str> = now
        .keys()
        .chain(then.keys())
        .filter(|name| now.get(*name) != then.get(*name))
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    bail!(
        "the files no longer produce the plan in {} (changed since: {}); nothing was applied. Run plan again.",
        path.display(),
        changed.join(", ")
    )
}

fn print_report(plan: &Plan, report: &ApplyReport, output: OutputFormat) -> anyhow::Result<()> {
    if output == OutputFormat::Json {
        let json = serde_json::json!({
            "plan": plan,
            "outcomes": report.outcomes,
            "summary": report.summary(),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    if !report.outcomes.is_empty() {
        println!();
    }
    for outcome in &report.outcomes {
        let target = format!("{}/{}", outcome.project, outcome.name);
        match &outcome.status {
            OutcomeStatus::Done => println!(
                "  ok      {:<8} {target}",
                format!("{:?}", outcome.action).to_lowercase()
            ),
            OutcomeStatus::Refused(reason) => println!("  refused {target}: {reason}"),
            OutcomeStatus::Failed(reason) => println!("  failed  {target}: {reason}"),
        }
    }
    println!("\nApply: {}.", report.summary());
    Ok(())
}
