//! Test helpers, one module per concern, so that tests read like specs.
//! Each test uses a subset of them, hence `dead_code` is allowed here only.
#![allow(dead_code)]

/// Headless Chromium, for the status page.
pub mod browser;
/// Running the real `zadig-sync` binary (and an emulator for it) in a scratch workspace.
pub mod cli;
/// A `ZadigClient` with fast retries, wiremock answers and fixture specs.
pub mod client;
/// The real `zadig-sync daemon` as a child process: its logs, endpoints, SIGTERM.
pub mod daemon;
/// Starting the emulator in-process and talking to it with raw HTTP.
pub mod emulator;
/// A client pointed at a running emulator.
pub mod emulator_client;
/// Build files shared by several test modules.
pub mod files;
/// Git repositories made in the test, served over file:// and smart HTTP.
pub mod git;
/// Edits made in Zadig's UI, and what a pull changed, for the `pull` tests.
pub mod pull;
/// A recording front that logs the order of a run's writes.
pub mod recorder;
/// A notification sink on loopback playing each chat platform, checking what it gets.
pub mod sink;
/// A daemon holding a build in each state, and its status API as JSON.
pub mod status;
/// A private CA and server certificates for TLS tests.
pub mod tls;
