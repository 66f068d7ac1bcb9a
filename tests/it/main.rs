//! The integration tests: one binary (one link, one process per `cargo test`), one module per
//! area. End-to-end modules run the real `zadig-sync` binary against the emulator on an
//! ephemeral port; `util` has the helpers. Tests that need a process of their own (global
//! tracing state) live in `tests/tracing/`.

mod util;

mod apply_confirm;
mod apply_e2e;
mod apply_moves;
mod apply_order;
mod apply_pairing;
mod cache;
mod cli_commands;
mod cli_contract;
mod cli_output;
mod completions;
mod daemon;
mod daemon_controller;
mod defaults;
mod docs_contract;
mod emulator_checks;
mod emulator_cli;
mod emulator_decoding;
mod emulator_fixtures;
mod emulator_http;
mod emulator_lock;
mod emulator_quirks;
mod examples_e2e;
mod export;
mod fault_suite;
mod git;
mod hardening_cli;
mod hostile_cli;
mod hostile_inputs;
mod load_properties;
mod notify;
mod output_pipe;
mod packaging;
mod plan;
mod plan_exitcode;
mod pull;
mod pull_patch;
mod pull_reported;
mod remote;
mod remote_emulator;
mod saved_plan_e2e;
mod saved_plan_hostile;
mod scope_e2e;
mod secrets_e2e;
mod status;
mod status_page;
mod tls_e2e;
mod validate_ci_output;
mod validate_cli;
mod validate_hostile;
mod validate_rules;
