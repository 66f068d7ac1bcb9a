//! `zadig-sync export`: connect, export the projects' builds as files, print the summary
//! (files written, inferred fields, variables to set, builds skipped), decide the exit code.
//!
//! The summary names environment variables, never their values; every name from Zadig is
//! printed with its control characters escaped.

use std::fmt::Write;
use std::path::Path;

use super::Exit;
use super::output::out;
use super::pipeline::{connect, server_options};
use crate::cli::ExportArgs;
use crate::export::defaults::{DefaultsResult, ProjectDefaults};
use crate::export::scope_file::{SCOPE_FILE, ScopeChange};
use crate::export::{BuildResult, ExportReport, ExportRequest, export};
use crate::load::scope::read_scope;
use crate::reconcile::export::ExportOptions;
use crate::report::escape;
use crate::report::{self, Document, Format};
use crate::session::{ScopeOptions, Settings};

pub async fn run(args: ExportArgs) -> anyhow::Result<Exit> {
    let mut projects: Vec<String> = Vec::new();
    for project in &args.projects {
        if !projects.contains(project) {
            projects.push(project.clone());
        }
    }
    let request = ExportRequest {
        projects,
        out: args.out.clone().unwrap_or_else(|| args.dir.dir.clone()),
        overwrite: args.overwrite,
        script_files: args.script_files,
        defaults: args.defaults,
        options: ExportOptions {
            codehosts: args.codehosts.iter().cloned().collect(),
        },
    };
    let connection = connect(&export_settings(&args)?, None).await?;
    let report = export(&connection.client, &request).await;
    connection.close().await?;
    out(summary(&report, &request));
    Ok(if report.has_failures() {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// The server settings (flags > environment > the scope file > defaults); a scope file with
/// errors stops the export, since it may name the server.
fn export_settings(args: &ExportArgs) -> anyhow::Result<Settings> {
    let scope = read_scope(&args.dir.dir).map_err(|diagnostics| {
        let text = report::render(Document::Diagnostics(&diagnostics), Format::Text, false);
        anyhow::anyhow!(
            "the scope file has errors; fix them first:\n{}",
            text.trim_end()
        )
    })?;
    Ok(Settings::resolve(
        &server_options(&args.server),
        &ScopeOptions::default(),
        scope.as_ref(),
    ))
}

/// The summary's lists, gathered from the report build by build.
#[derive(Default)]
struct Sections {
    files: Vec<String>,
    inferred: Vec<String>,
    env_vars: Vec<String>,
    described: Vec<String>,
    replaced_links: Vec<String>,
    not_overwritten: Vec<String>,
    skipped: Vec<String>,
}

impl Sections {
    fn of(report: &ExportReport) -> Self {
        let mut sections = Sections::default();
        for build in &report.builds {
            let who = format!(
                "{}/{}",
                escape::text(&build.project),
                escape::text(&build.name)
            );
            sections.add(&who, &build.result);
        }
        sections
    }

    fn add(&mut self, who: &str, result: &BuildResult) {
        match result {
            BuildResult::Written {
                files,
                inferred,
                env_vars,
                replaced_links,
            } => {
                self.files.extend(files.iter().map(|f| shown(f)));
                self.replaced_links
                    .extend(replaced_links.iter().map(|f| shown(f)));
                let fields: Vec<String> = inferred
                    .iter()
                    .map(|f| escape::text(&format!("{} = {}", f.path, f.value)))
                    .collect();
                if !fields.is_empty() {
                    self.inferred.push(format!("{who}: {}", fields.join(", ")));
                }
                self.env_vars.extend(env_vars.iter().cloned());
            }
            BuildResult::AlreadyDescribed(path) => {
                self.described.push(format!("{who}: {}", shown(path)));
            }
            BuildResult::NotOverwritten(paths) => {
                let paths: Vec<String> = paths.iter().map(|p| shown(p)).collect();
                self.not_overwritten
                    .push(format!("{who}: {}", paths.join(", ")));
            }
            BuildResult::DetailFailed(error) | BuildResult::WriteFailed(error) => {
                self.skipped.push(format!("{who}: {}", escape::text(error)));
            }
        }
    }
}

fn shown(path: &Path) -> String {
    escape::text(&path.display().to_string())
}

/// The summary, section by section; a section with nothing to say is left out.
fn summary(report: &ExportReport, request: &ExportRequest) -> String {
    let sections = Sections::of(report);
    let mut text = String::new();
    let out = shown(&request.out);
    let written = report
        .builds
        .iter()
        .filter(|b| matches!(b.result, BuildResult::Written { .. }))
        .count();
    let _ = writeln!(
        text,
        "Exported {written} of {} builds: {} files written under {out}.",
        report.builds.len(),
        sections.files.len()
    );
    for (title, lines) in [
        ("Files written:", &sections.files),
        (
            "Inferred fields (Zadig does not return them; check each one, marked \"inferred\" in the files):",
            &sections.inferred,
        ),
        (
            "Environment variables to set to the credentials' values (plan and apply read them):",
            &sections.env_vars,
        ),
        (
            "Already described by a file (not exported):",
            &sections.described,
        ),
        (
            "Symlinks replaced by the exported file (never written through; their targets are unchanged):",
            &sections.replaced_links,
        ),
        (
            "Not overwritten (the files exist; --overwrite replaces them):",
            &sections.not_overwritten,
        ),
        ("Skipped (not exported):", &sections.skipped),
        (
            "Defaults files written (the values every custom build of the project shares):",
            &defaults_lines(report, true),
        ),
        (
            "No defaults file written (the build files hold every value):",
            &defaults_lines(report, false),
        ),
        (
            "Projects that could not be listed:",
            &failed_projects(report),
        ),
        (
            "Projects with no builds in Zadig (check the project keys):",
            &empty_projects(report),
        ),
    ] {
        section(&mut text, title, lines);
    }
    scope_line(&mut text, report, &out);
    text
}

/// With `--defaults`: the files written (`written`), or each project that has none, and why.
fn defaults_lines(report: &ExportReport, written: bool) -> Vec<String> {
    let line =
        |defaults: &ProjectDefaults| match &defaults.result {
            DefaultsResult::Written(path) if written => Some(shown(path)),
            DefaultsResult::Skipped(why) | DefaultsResult::Failed(why) if !written => Some(
                format!("{}: {}", escape::text(&defaults.project), escape::text(why)),
            ),
            _ => None,
        };
    report.defaults.iter().filter_map(line).collect()
}

fn failed_projects(report: &ExportReport) -> Vec<String> {
    report
        .failed_projects
        .iter()
        .map(|(project, error)| format!("{}: {}", escape::text(project), escape::text(error)))
        .collect()
}

fn empty_projects(report: &ExportReport) -> Vec<String> {
    report
        .listed
        .iter()
        .filter(|project| !report.builds.iter().any(|b| &b.project == *project))
        .map(|project| escape::text(project))
        .collect()
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
            .map(|p| escape::text(p))
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
        Err(error) => format!("Error: {}", escape::text(&error.to_string())),
    };
    let _ = writeln!(text, "\n{line}");
}
