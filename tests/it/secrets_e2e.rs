//! Secrets never reach the output, end to end: not the API token (even when a build file
//! quotes it), not an `${env:…}` value (even when Zadig's error quotes it back).

use crate::util::cli::{Emulator, TOKEN, command, describe, failed, workspace};

#[test]
fn the_api_token_is_redacted_even_when_a_build_file_quotes_it() {
    let emulator = Emulator::start(&[]);
    let build = format!(
        "name: leaky\nproject_key: shop\ninfrastructure: vm\nbuild_os: ubuntu 22.04\n\
         script_type: shell\nbuild_script: echo {TOKEN}\n"
    );
    let dir = workspace(&[("leaky.yaml", &build)]);
    for args in [
        &["plan"][..],
        &["plan", "--output", "json"],
        &["plan", "--output", "markdown"],
        &["apply", "--yes"],
    ] {
        let output = crate::util::cli::zadig_sync(dir.path(), &emulator, args);
        assert!(output.status.success(), "{}", describe(&output));
        assert!(
            !describe(&output).contains(TOKEN),
            "{args:?} printed the token:\n{}",
            describe(&output)
        );
    }
}

/// A build on a cluster named by `${env:CLUSTER}`: Zadig answers that it cannot find the
/// cluster, quoting its name, so the value comes back in Zadig's error text.
pub(crate) const ON_SECRET_CLUSTER: &str = "\
name: secret-cluster
project_key: shop
infrastructure: kubernetes
build_os: ubuntu 22.04
script_type: shell
build_script: make
advanced_settings:
  cluster_name: ${env:CLUSTER}
";

#[test]
fn an_env_value_quoted_back_in_zadigs_error_is_redacted() {
    let emulator = Emulator::start(&[]);
    let dir = workspace(&[("b.yaml", ON_SECRET_CLUSTER)]);
    let runs: [&[&str]; 3] = [
        &["--output", "text"],
        &["--output", "json"],
        // Logs: the step's failure is logged at INFO, quoting Zadig's error.
        &[
            "--output",
            "text",
            "--log",
            "zadig_sync=trace",
            "--log-json",
        ],
    ];
    for extra in runs {
        let output = command(dir.path())
            .args(["apply", "--yes"])
            .args(extra)
            .env("ZADIG_URL", emulator.url())
            .env("ZADIG_TOKEN", TOKEN)
            .env("CLUSTER", "no-such-cluster-3f9a")
            .output()
            .expect("run");
        let text = failed(&output);
        assert!(
            text.contains("cluster"),
            "Zadig's error is reported: {text}"
        );
        assert!(!text.contains("no-such-cluster-3f9a"), "{text}");
    }
}
