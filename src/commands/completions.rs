//! `zadig-sync completions SHELL`: the shell completion script, generated from the clap
//! structs, on stdout; bash's is mended so that it completes past the subcommand.

use clap::CommandFactory;
use clap_complete::Shell;

use super::Exit;
use super::output::out;
use crate::cli::{Cli, CompletionsArgs};

/// The name the scripts complete, as installed.
const BIN_NAME: &str = "zadig-sync";

pub fn run(args: &CompletionsArgs) -> anyhow::Result<Exit> {
    out(script(args.shell));
    Ok(Exit::Success)
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut command = Cli::command();
    // Generated into memory first: `out` survives a closed stdout (`… | head`), a direct
    // write to stdout would not.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN_NAME, &mut script);
    let script = String::from_utf8_lossy(&script);
    match shell {
        Shell::Bash => mend_bash_labels(&script, BIN_NAME),
        _ => script.into_owned(),
    }
}

/// clap_complete's bash script walks the words into a state named after the binary with its
/// `-` turned into `__` (`zadig__sync__subcmd__plan`), but labels the branch of each
/// subcommand with the `-` turned into `__subcmd__` (`zadig__subcmd__sync__subcmd__plan`),
/// so for a hyphenated binary no branch ever matched and nothing completed after the
/// subcommand. The branch labels are renamed to the states the walk produces. A script
/// without the mismatch (a fixed clap_complete, a name without `-`) is left as it is.
fn mend_bash_labels(script: &str, bin: &str) -> String {
    let wrong = format!("{}__subcmd__", bin.replace('-', "__subcmd__"));
    let right = format!("{}__subcmd__", bin.replace('-', "__"));
    let mut mended = String::with_capacity(script.len());
    for line in script.split_inclusive('\n') {
        let label = line.trim_start();
        if label.starts_with(&wrong) && label.trim_end().ends_with(')') {
            mended.push_str(&line.replacen(&wrong, &right, 1));
        } else {
            mended.push_str(line);
        }
    }
    mended
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The states the word walk of a bash script can reach (`cmd="…"`), and the branch labels
    /// of its `case "${cmd}"` (`…)` alone on a line).
    fn states_and_labels(script: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let states = script
            .lines()
            .filter_map(|line| line.trim().strip_prefix("cmd=\""))
            .filter_map(|rest| rest.strip_suffix('"'))
            .filter(|state| !state.is_empty())
            .map(str::to_string)
            .collect();
        let labels = script
            .lines()
            .map(str::trim)
            .filter(|line| line.starts_with("zadig__") && !line.contains(','))
            .filter_map(|line| line.strip_suffix(')'))
            .map(str::to_string)
            .collect();
        (states, labels)
    }

    #[test]
    fn every_state_the_bash_walk_reaches_has_a_branch() {
        let (states, labels) = states_and_labels(&script(Shell::Bash));
        assert!(states.contains("zadig__sync__subcmd__plan"), "{states:?}");
        let missing: Vec<_> = states.difference(&labels).collect();
        assert!(missing.is_empty(), "states without a branch: {missing:?}");
    }

    #[test]
    fn the_mismatch_is_clap_completes_and_is_mended() {
        let mut command = Cli::command();
        let mut raw = Vec::new();
        clap_complete::generate(Shell::Bash, &mut command, BIN_NAME, &mut raw);
        let raw = String::from_utf8_lossy(&raw);
        let (states, labels) = states_and_labels(&raw);
        // If this fails, clap_complete fixed its labels and `mend_bash_labels` can go.
        assert!(
            !states.is_subset(&labels),
            "clap_complete's labels now match"
        );
        assert_eq!(mend_bash_labels("a\n", BIN_NAME), "a\n");
        assert_eq!(
            mend_bash_labels("        zadig__subcmd__sync__subcmd__show)\n", BIN_NAME),
            "        zadig__sync__subcmd__show)\n"
        );
    }
}
