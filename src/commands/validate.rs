//! `zadig-sync validate`: load the build files offline and print every diagnostic on stdout
//! (they are what the user asked for) in the format asked for, then a one-line summary
//! unless the output is one machine-read document (JSON, GitLab's report).
//! Reads the files and the process environment.

use super::Exit;
use super::output::{Output, out, outln};
use crate::cli::ValidateArgs;
use crate::load::diagnostic::Severity;
use crate::load::{LoadOutcome, ReferenceMode, load_dir};
use crate::reconcile::desired::DesiredSet;
use crate::report::Style;
use crate::report::ci::{DiagnosticsFormat, render_diagnostics};
use crate::report::paint::ColorChoice;
use crate::report::words::count as plural;

pub async fn run(args: ValidateArgs, color: ColorChoice) -> anyhow::Result<Exit> {
    let format: DiagnosticsFormat = args.output.into();
    let style = match format {
        DiagnosticsFormat::Common(common) => Output::new(common, color).style(&[]),
        // Workflow commands and Code Quality JSON are read by a machine: never coloured.
        DiagnosticsFormat::Github | DiagnosticsFormat::Gitlab => Style::default(),
    };
    let env = |name: &str| std::env::var(name).ok();
    let dir = match super::git::git_source(&args.git, args.insecure_http)? {
        Some(source) => super::git::fetch_once(source).await?.dir,
        None => args.dir.dir.clone(),
    };
    let outcome = load_dir(&dir, ReferenceMode::Offline, &env);
    let unplaced = dir.display().to_string();
    out(render_diagnostics(
        &outcome.diagnostics,
        format,
        &style,
        &unplaced,
    ));
    if !format.is_document() {
        outln(summary(&outcome));
    }
    Ok(if outcome.has_errors() {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// Valid: `12 builds in 3 projects, 9 files` (`, 2 warnings` when there are).
/// Invalid: `3 errors, 1 warning`.
fn summary(outcome: &LoadOutcome) -> String {
    let DesiredSet {
        builds, file_count, ..
    } = &outcome.desired;
    let warnings = outcome
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    if outcome.has_errors() {
        let errors = outcome.diagnostics.len() - warnings;
        return format!(
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        );
    }
    let mut line = format!(
        "{} in {}, {}",
        plural(builds.len(), "build"),
        plural(outcome.desired.projects().len(), "project"),
        plural(*file_count, "file")
    );
    if warnings > 0 {
        line.push_str(&format!(", {}", plural(warnings, "warning")));
    }
    line
}
