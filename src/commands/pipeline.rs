//! The steps `plan` and `apply` share: load the files (stopping on any error, so that nothing
//! is written or deleted on a broken tree), connect, read the live state, make the plan.

use std::io::IsTerminal;
use std::path::Path;

use crate::cli::{OutputFormat, ScopeArgs, ServerArgs};
use crate::commands::connect::{Connection, connect};
use crate::desired::DesiredSet;
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::fetch::fetch_live;
use crate::load::{ReferenceMode, load_dir};
use crate::plan::Plan;
use crate::planner::{PlanOptions, make_plan, managed_projects};

/// Everything a command needs after the plan is made.
pub struct Planned {
    pub desired: DesiredSet,
    pub plan: Plan,
    pub connection: Connection,
}

/// Loads the files for a command that talks to Zadig: every `${env:…}` must resolve.
/// Diagnostics are printed (errors on stdout in the chosen format, warnings on stderr);
/// `None` means the files have errors and the command must stop.
pub fn load_for_server(dir: &Path, output: OutputFormat) -> Option<DesiredSet> {
    let env = |name: &str| std::env::var(name).ok();
    let outcome = load_dir(dir, ReferenceMode::Online, &env);
    if outcome.has_errors() {
        print_diagnostics(&outcome.diagnostics, output);
        return None;
    }
    let warnings: Vec<Diagnostic> = outcome
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    if !warnings.is_empty() {
        eprint!("{}", diagnostic::render_text(&warnings));
    }
    Some(outcome.desired)
}

/// Diagnostics on stdout, as JSON or as text (Markdown has no form of its own for them).
pub(super) fn print_diagnostics(diagnostics: &[Diagnostic], output: OutputFormat) {
    match output {
        OutputFormat::Json => println!("{}", diagnostic::render_json(diagnostics)),
        OutputFormat::Text | OutputFormat::Markdown => {
            print!("{}", diagnostic::render_text(diagnostics))
        }
    }
}

/// Connects, reads the live state of the managed projects, and plans.
pub async fn plan_against_server(
    mut desired: DesiredSet,
    server: &ServerArgs,
    scope: &ScopeArgs,
) -> anyhow::Result<Planned> {
    let connection = connect(server).await?;
    connection.redact_token_in(&mut desired);
    let projects = managed_projects(&desired, &scope.projects);
    let live = fetch_live(&connection.client, &projects).await;
    let options = PlanOptions {
        prune: scope.prune,
        max_deletes: scope.max_deletes,
    };
    let plan = make_plan(&desired, &live, &options);
    Ok(Planned {
        desired,
        plan,
        connection,
    })
}

/// Colour only for a person at a terminal, and never when `NO_COLOR` is set.
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints a plan in the chosen format.
pub fn print_plan(plan: &Plan, output: OutputFormat) {
    let text = match output {
        OutputFormat::Text => crate::report::plan_text(plan, use_color()),
        OutputFormat::Json => crate::report::plan_json(plan),
        OutputFormat::Markdown => crate::report::plan_markdown(plan),
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
}
