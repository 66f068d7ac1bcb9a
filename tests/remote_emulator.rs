//! The Zadig client (`zadig_sync::remote`) against the real in-process emulator, one emulator
//! per test on an ephemeral loopback port: every route, each error class, the retry limits and
//! the quirks the client relies on, all through the client's public API. Network failures a
//! live emulator cannot produce (resets, timeouts) are tested against mocks in `remote.rs`.

mod emulator_support;

#[path = "remote_emulator/errors.rs"]
mod errors;
#[path = "remote_emulator/quirks.rs"]
mod quirks;
#[path = "remote_emulator/retries.rs"]
mod retries;
#[path = "remote_emulator/routes.rs"]
mod routes;
#[path = "remote_emulator/support.rs"]
mod support;
