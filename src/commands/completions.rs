//! `zadig-sync completions SHELL`: the shell completion script, generated from the clap
//! structs, on stdout.

use clap::CommandFactory;

use super::Exit;
use super::output::out;
use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: &CompletionsArgs) -> anyhow::Result<Exit> {
    let mut command = Cli::command();
    // Generated into memory first: `out` survives a closed stdout (`… | head`), a direct
    // write to stdout would not.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "zadig-sync", &mut script);
    out(String::from_utf8_lossy(&script));
    Ok(Exit::Success)
}
