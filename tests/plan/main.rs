//! The pure stages of `zadig-sync plan` (normalise, marker, diff, planner, report), driven by
//! the golden fixtures of `tests/fixtures/zadig/`. No network, no emulator.

mod fields;
mod fixtures;
mod ownership;
mod planner;
mod properties;
mod report;
mod roundtrip;
mod secrets;
