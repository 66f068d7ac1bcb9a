//! `zadig-sync export`: connect, export the projects' builds as files, print the summary
//! (files written, inferred fields, variables to set, builds skipped), decide the exit code.
//!
//! The summary names environment variables, never their values; every name from Zadig is
//! printed with its control characters escaped.

use std::fmt::Write;

use super::Exit;
use super::settings::connect;
use crate::cli::ExportArgs;
use crate::export::scope_file::{SCOPE_FILE, ScopeChange};
use crate::export::{BuildResult, ExportReport, ExportRequest, export};
use crate::reconcile::export::ExportOptions;
use crate::reconcile::marker::escape_controls;

pub async fn run(args: ExportArgs) -> anyhow::Result<Exit> {
    let request = ExportRequest {
        projects: args.projects.clone(),
        out: args.out.clone().unwrap_or_else(|| args.dir.dir.clone()),
        overwrite: args.overwrite,
        script_files: args.script_files,
        options: ExportOptions {
            codehosts: args.codehosts.iter().cloned().collect(),
        },
    };
    let connection = connect(&args.server).await?;
    let report = export(&connection.client, &request).await;
    connection.close().await?;
    print!("{}", summary(&report, &request));
    Ok(if report.has_failures() {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// The summary, section by section; a section with nothing to say is left out.
fn summary(report: &ExportReport, request: &ExportRequest) -> String {
    let mut text = String::new();
    let mut files = Vec::new();
    let mut inferred = Vec::new();
    let mut env_vars = Vec::new();
    let mut not_overwritten = Vec::new();
    let mut skipped = Vec::new();
    for build in &report.builds {
        let who = format!(
            "{}/{}",
            escape_controls(&build.project),
            escape_controls(&build.name)
        );
        match &build.result {
            BuildResult::Written {
                files: written,
                inferred: fields,
                env_vars: vars,
            } => {
                files.extend(
                    written
                        .iter()
                        .map(|f| escape_controls(&f.display().to_string())),
                );
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| escape_controls(&format!("{} = {}", f.path, f.value)))
                    .collect();
                if !fields.is_empty() {
                    inferred.push(format!("{who}: {}", fields.join(", ")));
                }
                env_vars.extend(vars.iter().cloned());
            }
            BuildResult::NotOverwritten(paths) => {
                let paths: Vec<String> = paths
                    .iter()
                    .map(|p| escape_controls(&p.display().to_string()))
                    .collect();
                not_overwritten.push(format!("{who}: {}", paths.join(", ")));
            }
            BuildResult::DetailFailed(error) | BuildResult::WriteFailed(error) => {
                skipped.push(format!("{who}: {}", escape_controls(error)));
            }
        }
    }
    let written = report
        .builds
        .iter()
        .filter(|b| matches!(b.result, BuildResult::Written { .. }))
        .count();
    let out = escape_controls(&request.out.display().to_string());
    let _ = writeln!(
        text,
        "Exported {written} of {} builds: {} files written under {out}.",
        report.builds.len(),
        files.len()
    );
    section(&mut text, "Files written:", &files);
    section(
        &mut text,
        "Inferred fields (Zadig does not return them; check each one, marked \"inferred\" in the files):",
        &inferred,
    );
    section(
        &mut text,
        "Environment variables to set to the credentials' values (plan and apply read them):",
        &env_vars,
    );
    section(
        &mut text,
        "Not overwritten (the files exist; --overwrite replaces them):",
        &not_overwritten,
    );
    section(&mut text, "Skipped (not exported):", &skipped);
    let failed: Vec<String> = report
        .failed_projects
        .iter()
        .map(|(project, error)| format!("{}: {}", escape_controls(project), escape_controls(error)))
        .collect();
    section(&mut text, "Projects that could not be listed:", &failed);
    let empty: Vec<String> = report
        .listed
        .iter()
        .filter(|project| !report.builds.iter().any(|b| &b.project == *project))
        .map(|project| escape_controls(project))
        .collect();
    section(
        &mut text,
        "Projects with no builds in Zadig (check the project keys):",
        &empty,
    );
    scope_line(&mut text, report, &out);
    text
}

fn section(text: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(text, "\n{title}");
    for line in lines {
        let _ = writeln!(text, "  {line}");
    }
}

fn scope_line(text: &mut String, report: &ExportReport, out: &str) {
    let list = |projects: &[String]| {
        projects
            .iter()
            .map(|p| escape_controls(p))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let line = match &report.scope {
        Ok(ScopeChange::Created(projects)) => {
            format!(
                "Created the scope file {out}/{SCOPE_FILE} with projects {}.",
                list(projects)
            )
        }
        Ok(ScopeChange::Added(projects)) => {
            format!(
                "Added projects {} to the scope file {out}/{SCOPE_FILE}.",
                list(projects)
            )
        }
        Ok(ScopeChange::Unchanged) => return,
        Err(error) => format!("Error: {}", escape_controls(&error.to_string())),
    };
    let _ = writeln!(text, "\n{line}");
}
