//! `zadig-sync completions SHELL`: the shell completion script, generated from the clap
//! structs, on stdout.

use clap::CommandFactory;

use super::Exit;
use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: &CompletionsArgs) -> anyhow::Result<Exit> {
    let mut command = Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "zadig-sync",
        &mut std::io::stdout(),
    );
    Ok(Exit::Success)
}
