//! The Zadig client (`zadig_sync::remote`) against the real in-process emulator, one emulator
//! per test on an ephemeral loopback port: every route, each error class, the retry limits and
//! the quirks the client relies on, all through the client's public API. Network failures a
//! live emulator cannot produce (resets, timeouts) are tested against mocks in `remote.rs`.

mod errors;
mod quirks;
mod retries;
mod routes;
