//! The `zadig-sync` binary: parse the command line, set up logging, run, exit.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use zadig_sync::cli::Cli;
use zadig_sync::commands::output::errln;
use zadig_sync::commands::{self, Exit};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage(&error),
    };
    init_logging(&cli.log, cli.log_json);
    match commands::run(cli).await {
        Ok(exit) => exit.into(),
        Err(error) => {
            errln(format_args!("error: {}", describe(&error)));
            Exit::Failure.into()
        }
    }
}

/// `--help` and `--version` exit 0; any other command-line error exits 1, never clap's
/// default 2, which `plan --detailed-exitcode` uses for "changes".
fn usage(error: &clap::Error) -> ExitCode {
    let _ = error.print();
    if error.use_stderr() {
        Exit::Failure.into()
    } else {
        Exit::Success.into()
    }
}

/// Logs go to stderr; stdout is for what the user asked to see.
fn init_logging(filter: &str, json: bool) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("warn"));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        // Every line passes the same redaction as stdout (Zadig's errors can quote secrets).
        .with_writer(commands::log::RedactingStderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The error and its causes on one line, leaving out a cause whose text the message before it
/// already quotes (many messages name their cause, which would otherwise print twice).
fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
