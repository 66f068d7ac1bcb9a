//! One file per subcommand, each wiring I/O to the pure stages, and the process exit code,
//! decided here and nowhere else.

mod apply;
mod cache;
mod completions;
mod daemon;
mod emulator;
mod export;
mod git;
mod notify;
pub mod output;
mod pipeline;
mod plan;
mod progress;
mod pull;
mod saved_plan;
mod schema;
mod show;
mod status;
mod validate;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::report::Stage;

/// The exit codes users' scripts rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done; nothing wrong (and, for `plan --detailed-exitcode`, nothing to change).
    Success = 0,
    /// Something failed: invalid files, an unreachable server, a failed step.
    Failure = 1,
    /// `plan --detailed-exitcode`: the plan has changes; `pull`: something that differs was
    /// left as it was (listed).
    Changes = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Runs the chosen subcommand. Errors come back to `main`, which prints them and exits 1.
pub async fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Validate(args) => validate::run(args, cli.color.into()).await,
        Command::Schema(args) => schema::run(&args),
        Command::Plan(args) => {
            let format = args.show.output.into();
            let result = plan::run(args, cli.color.into()).await;
            output::document_on_error(result, Stage::Plan, format)
        }
        Command::Apply(args) => {
            let format = args.show.output.into();
            let result = apply::run(args, cli.color.into()).await;
            output::document_on_error(result, Stage::Apply, format)
        }
        Command::Daemon(args) => daemon::run(args).await,
        Command::Emulator(args) => emulator::run(args).await,
        Command::Show(args) => show::run(args, cli.color.into()),
        Command::Completions(args) => completions::run(&args),
        Command::Status(args) => status::run(args).await,
        Command::Export(args) => export::run(args).await,
        Command::Pull(args) => pull::run(args, cli.color.into()).await,
    }
}
