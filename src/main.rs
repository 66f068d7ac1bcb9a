//! The `zadig-sync` binary: parse the command line, set up logging, run, exit.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use zadig_sync::cli::{Cli, Command, DEFAULT_LOG, LogFormatArg};
use zadig_sync::commands::output::{self, errln};
use zadig_sync::commands::{self, Exit};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage(&error),
    };
    let runtime = match runtime_for(&cli.command) {
        Ok(runtime) => runtime,
        Err(error) => {
            errln(format_args!(
                "error: cannot start the async runtime: {error}"
            ));
            return Exit::Failure.into();
        }
    };
    runtime.block_on(run(cli))
}

/// The daemon runs its passes on one thread: a pass mostly waits on Zadig, and with glibc every
/// thread that allocates gets an allocator arena of its own, which a service that runs for
/// months pays for in resident memory (docs/daemon.md, "Memory"); its endpoints have a thread
/// of their own (`daemon::http`). The one-shot commands use a thread per core.
fn runtime_for(command: &Command) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = match command {
        Command::Daemon(_) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    builder.enable_all().build()
}

async fn run(cli: Cli) -> ExitCode {
    let (log, json) = logging_of(&cli);
    let filter = match EnvFilter::try_new(&log) {
        Ok(filter) => filter,
        Err(error) => {
            errln(format_args!(
                "error: invalid log filter {:?} (--log or ZADIG_SYNC_LOG): {error}; \
                 write e.g. `zadig_sync=debug` or `warn`",
                log
            ));
            return Exit::Failure.into();
        }
    };
    let colour = output::resolve(cli.color.into(), std::io::stderr().is_terminal());
    init_logging(filter, json, colour);
    match commands::run(cli).await {
        Ok(exit) => exit.into(),
        Err(error) => {
            errln(format_args!("error: {}", output::describe(&error)));
            Exit::Failure.into()
        }
    }
}

/// The log filter and format: `daemon` logs at `zadig_sync=info` unless told otherwise (one
/// line per change applied and per drift found), and `--log-format json` means JSON lines.
fn logging_of(cli: &Cli) -> (String, bool) {
    let Command::Daemon(args) = &cli.command else {
        return (cli.log.clone(), cli.log_json);
    };
    let defaulted = cli.log == DEFAULT_LOG && std::env::var_os("ZADIG_SYNC_LOG").is_none();
    let log = if defaulted {
        "zadig_sync=info".to_string()
    } else {
        cli.log.clone()
    };
    (
        log,
        cli.log_json || args.daemon.log_format == LogFormatArg::Json,
    )
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

/// Logs go to stderr (coloured as `--color` says for stderr); stdout is for what the user
/// asked to see.
fn init_logging(filter: EnvFilter, json: bool, colour: bool) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        // Every line passes the same redaction as stdout (Zadig's errors can quote secrets).
        .with_writer(zadig_sync::logs::RedactingStderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
